//! Linux's per-PE MSI quota (`msi_quota_for_device` in pseries/msi.c) over a device
//! tree: the PE found by `ibm,pe-total-#msi` (else the function's parent with 8), the
//! devices counted by `pci_traverse_device_nodes`, the spare shared among those over
//! quota. `boot` and `check` both use it.
//!
//! Since Linux 5.13 a PHB with no `ibm,pe-total-#msi` at or above its node gets no MSI
//! domain ([`find_pe_total`] finds none), so its functions never reach the quota; the
//! assumed 8 counts only where the property went away after the PHB was set up.

use crate::kernel::of::class_code;
use crate::kernel::pci::{CLASS_BRIDGE_CARDBUS, CLASS_BRIDGE_PCI};
use of_tree::{NodeId, Tree};

/// Quota assumed when no `ibm,pe-total-#msi` is found at or above a function whose
/// PHB has an MSI domain.
pub const DEFAULT_PE_TOTAL: u32 = 8;

/// The fixed beginnings of the quota walk's messages, by which a trace filter leaves
/// them out before they are built.
pub mod heads {
    /// `rtas_msi: calc quota for NAME, request N`.
    pub const CALC: &str = "rtas_msi: calc quota for ";
    /// `rtas_msi: found prop on dn PATH`.
    pub const FOUND_PROP: &str = "rtas_msi: found prop on dn ";
    /// `rtas_msi: using PE dn PATH`.
    pub const USING_PE: &str = "rtas_msi: using PE dn ";
    /// `rtas_msi: found PE PATH`.
    pub const FOUND_PE: &str = "rtas_msi: found PE ";
    /// `rtas_msi: counting PATH`, one per node of the PE's walk.
    pub const COUNTING: &str = "rtas_msi: counting ";
    /// `rtas_msi: request clamped to quota N`.
    pub const CLAMPED: &str = "rtas_msi: request clamped to quota ";
}

/// The nearest node at or above `node` with `ibm,pe-total-#msi`, with its value
/// (Linux's `__find_pe_total_msi`); None when there is none. Linux 5.13 and later give
/// a PHB for which this finds nothing no MSI domain.
pub fn find_pe_total(tree: &Tree, node: NodeId) -> Option<(NodeId, u32)> {
    let mut cur = Some(node);
    while let Some(n) = cur {
        if let Ok(Some(total)) = tree.at(n).u32("ibm,pe-total-#msi") {
            return Some((n, total));
        }
        cur = tree.node(n).parent();
    }
    None
}

/// The PE of a node: the nearest node up from it with `ibm,pe-total-#msi`, else its
/// parent with Linux's assumed 8. Messages are added to `say`.
pub fn find_pe(
    tree: &Tree,
    node: NodeId,
    mut say: Option<&mut Vec<String>>,
) -> Option<(NodeId, u32)> {
    if let Some((n, total)) = find_pe_total(tree, node) {
        if let Some(say) = say.as_mut() {
            say.push(format!("{}{}", heads::FOUND_PROP, tree.path(n)));
        }
        return Some((n, total));
    }
    let parent = tree.node(node).parent()?;
    if let Some(say) = say.as_mut() {
        say.push(format!("{}{}", heads::USING_PE, tree.path(parent)));
    }
    Some((parent, DEFAULT_PE_TOTAL))
}

/// The nodes `pci_traverse_device_nodes` visits below `start`: every child, depth
/// first, descending only into PCI-PCI and CardBus bridges (by class code).
pub fn traverse(tree: &Tree, start: NodeId) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut stack: Vec<NodeId> = tree.node(start).children().iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        out.push(n);
        let class = class_code(tree, n) >> 8;
        if class == CLASS_BRIDGE_PCI || class == CLASS_BRIDGE_CARDBUS {
            stack.extend(tree.node(n).children().iter().rev().copied());
        }
    }
    out
}

/// The nodes `count_non_bridge_devices` counts below a PE: visited and not PCI-PCI
/// bridges.
pub fn pe_devices(tree: &Tree, pe: NodeId) -> Vec<NodeId> {
    traverse(tree, pe)
        .into_iter()
        .filter(|&n| class_code(tree, n) >> 8 != CLASS_BRIDGE_PCI)
        .collect()
}

/// The larger of a node's `ibm,req#msi` and `ibm,req#msi-x` (0 when it has neither).
pub fn req_of(tree: &Tree, n: NodeId) -> u32 {
    let at = tree.at(n);
    let a = at.u32("ibm,req#msi").ok().flatten().unwrap_or(0);
    let b = at.u32("ibm,req#msi-x").ok().flatten().unwrap_or(0);
    a.max(b)
}

/// Linux's msi_quota_for_device for the function at `node` asking for `request`
/// vectors; `name` is its PCI name. Messages are added to `say`.
pub fn quota_for(
    tree: &Tree,
    node: NodeId,
    name: &str,
    request: u32,
    mut say: Option<&mut Vec<String>>,
) -> u32 {
    if let Some(say) = say.as_mut() {
        say.push(format!("{}{name}, request {request}", heads::CALC));
    }
    let Some((pe, total)) = find_pe(tree, node, say.as_deref_mut()) else {
        return request;
    };
    if let Some(say) = say.as_mut() {
        say.push(format!("{}{}", heads::FOUND_PE, tree.path(pe)));
    }
    let nodes = traverse(tree, pe);
    let mut num_devices = 0u32;
    for &n in &nodes {
        if let Some(say) = say.as_mut() {
            say.push(format!("{}{}", heads::COUNTING, tree.path(n)));
        }
        if class_code(tree, n) >> 8 != CLASS_BRIDGE_PCI {
            num_devices += 1;
        }
    }
    if num_devices == 0 {
        return request;
    }
    let mut quota = total / num_devices;
    if request <= quota {
        return request;
    }
    let mut spare = 0u32;
    let mut over = 0u32;
    for &n in &nodes {
        let req = if n == node { request } else { req_of(tree, n) };
        if req < quota {
            spare += quota - req;
        } else if req > quota {
            over += 1;
        }
    }
    spare += total % num_devices;
    quota += spare.checked_div(over).unwrap_or(0);
    let request = quota.min(request);
    if let Some(say) = say.as_mut() {
        say.push(format!("{}{request}", heads::CLAMPED));
    }
    request
}

/// What Linux's walks find below one PE, counted once: its total, the devices
/// `count_non_bridge_devices` counts, and what `count_spare_msis` adds up when no
/// device is the requestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PeCounts {
    total: u32,
    num_devices: u32,
    spare: u64,
    over: u32,
}

/// [`quota_for`] without its messages, each PE walked once: the same answers at a cost
/// linear in the functions.
#[derive(Debug, Clone, Default)]
pub struct QuotaCache {
    pes: rustc_hash::FxHashMap<NodeId, PeCounts>,
    /// Per PE, the `rtas_msi: counting` lines of its walk, made once when asked for.
    counting: rustc_hash::FxHashMap<NodeId, Vec<String>>,
}

/// A device's contribution to (spare, over) at a quota.
fn share(req: u32, quota: u32) -> (u64, u32) {
    if req < quota {
        ((quota - req) as u64, 0)
    } else {
        (0, (req > quota) as u32)
    }
}

impl QuotaCache {
    /// [`quota_for`] with its messages added to `say`, the same lines in the same
    /// order, each PE walked once; a line whose fixed head `wants` refuses (see
    /// [`heads`]) is not built.
    pub fn quota_for_saying(
        &mut self,
        tree: &Tree,
        node: NodeId,
        name: &str,
        request: u32,
        wants: &dyn Fn(&str) -> bool,
        say: &mut Vec<String>,
    ) -> u32 {
        if wants(heads::CALC) {
            say.push(format!("{}{name}, request {request}", heads::CALC));
        }
        let pe_said = wants(heads::FOUND_PROP) || wants(heads::USING_PE);
        let Some((pe, _)) = find_pe(tree, node, pe_said.then_some(&mut *say)) else {
            return request;
        };
        if wants(heads::FOUND_PE) {
            say.push(format!("{}{}", heads::FOUND_PE, tree.path(pe)));
        }
        if wants(heads::COUNTING) {
            let lines = self.counting.entry(pe).or_insert_with(|| {
                traverse(tree, pe)
                    .into_iter()
                    .map(|n| format!("{}{}", heads::COUNTING, tree.path(n)))
                    .collect()
            });
            say.extend(lines.iter().cloned());
        }
        let q = self.quota_for(tree, node, request);
        if let Some(c) = self.pes.get(&pe) {
            if c.num_devices != 0 && request > c.total / c.num_devices && wants(heads::CLAMPED) {
                say.push(format!("{}{q}", heads::CLAMPED));
            }
        }
        q
    }

    /// Linux's msi_quota_for_device, as [`quota_for`] computes it.
    pub fn quota_for(&mut self, tree: &Tree, node: NodeId, request: u32) -> u32 {
        let Some((pe, total)) = find_pe(tree, node, None) else {
            return request;
        };
        let c = *self.pes.entry(pe).or_insert_with(|| {
            let nodes = traverse(tree, pe);
            let num_devices = nodes
                .iter()
                .filter(|&&n| class_code(tree, n) >> 8 != CLASS_BRIDGE_PCI)
                .count() as u32;
            let quota = total.checked_div(num_devices).unwrap_or(0);
            let (mut spare, mut over) = (0u64, 0u32);
            for &n in &nodes {
                let (s, o) = share(req_of(tree, n), quota);
                spare += s;
                over += o;
            }
            PeCounts {
                total,
                num_devices,
                spare,
                over,
            }
        });
        if c.num_devices == 0 {
            return request;
        }
        let quota = c.total / c.num_devices;
        if request <= quota {
            return request;
        }
        // The requestor counts with its request, not its properties, if the walk
        // visits it.
        let (mut spare, mut over) = (c.spare, c.over);
        if traverse_visits(tree, pe, node) {
            let (s, o) = share(req_of(tree, node), quota);
            let (s2, o2) = share(request, quota);
            spare = spare.saturating_sub(s) + s2;
            over = over.saturating_sub(o) + o2;
        }
        spare += (c.total % c.num_devices) as u64;
        let quota = quota as u64 + spare.checked_div(over as u64).unwrap_or(0);
        quota.min(request as u64) as u32
    }
}

/// Whether `pci_traverse_device_nodes` from `pe` reaches `node`: every node between
/// them is a PCI-PCI or CardBus bridge.
fn traverse_visits(tree: &Tree, pe: NodeId, node: NodeId) -> bool {
    let mut cur = tree.node(node).parent();
    while let Some(p) = cur {
        if p == pe {
            return true;
        }
        let class = class_code(tree, p) >> 8;
        if class != CLASS_BRIDGE_PCI && class != CLASS_BRIDGE_CARDBUS {
            return false;
        }
        cur = tree.node(p).parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traverse_descends_only_into_bridges() {
        let src = "/dts-v1/; / { pci { \
            scsi@4 { class-code = <0x10000>; disk { }; }; \
            br@2 { class-code = <0x60400>; eth@0 { class-code = <0x20000>; }; }; \
            eth@1 { }; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let pe = t.find("/pci").unwrap();
        let paths: Vec<String> = traverse(&t, pe).into_iter().map(|n| t.path(n)).collect();
        assert_eq!(
            paths,
            ["/pci/scsi@4", "/pci/br@2", "/pci/br@2/eth@0", "/pci/eth@1"],
            "the disk below a non-bridge is not visited"
        );
        assert_eq!(pe_devices(&t, pe).len(), 3, "the bridge is not counted");
    }

    #[test]
    fn the_pe_total_is_found_at_or_above_a_node_only() {
        let src = "/dts-v1/; / { a { pci { br { ibm,pe-total-#msi = <4>; f { }; }; g { }; }; }; \
            b { ibm,pe-total-#msi = <12>; pci { h { }; }; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let at = |p: &str| t.find(p).unwrap();
        let found = |p: &str| find_pe_total(&t, at(p)).map(|(n, v)| (t.path(n), v));
        // Below the PHB only: the PHB finds nothing (Linux 5.13+: no MSI domain).
        assert_eq!(found("/a/pci"), None);
        assert_eq!(found("/a/pci/g"), None);
        assert_eq!(found("/a/pci/br/f"), Some(("/a/pci/br".into(), 4)));
        // Above the PHB counts.
        assert_eq!(found("/b/pci"), Some(("/b".into(), 12)));
        assert_eq!(found("/b/pci/h"), Some(("/b".into(), 12)));
        // The quota walk alone still falls back to the parent with 8.
        assert_eq!(
            find_pe(&t, at("/a/pci/g"), None).map(|(n, v)| (t.path(n), v)),
            Some(("/a/pci".into(), DEFAULT_PE_TOTAL))
        );
    }

    #[test]
    fn the_cache_answers_as_the_walk() {
        let src = "/dts-v1/; / { pci { ibm,pe-total-#msi = <19>; \
            a@1 { ibm,req#msi-x = <9>; }; b@2 { ibm,req#msi = <1>; }; \
            br@3 { class-code = <0x60400>; c@0 { ibm,req#msi-x = <16>; }; \
                   d@1 { ibm,req#msi = <2>; ibm,req#msi-x = <7>; }; }; \
            e@4 { }; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let mut cache = QuotaCache::default();
        let mut seen = 0;
        for n in t.walk() {
            if t.node(n).prop("ibm,req#msi").is_none() && t.node(n).prop("ibm,req#msi-x").is_none()
            {
                continue;
            }
            for request in [1, 2, 3, 4, 5, 8, 9, 16, 17, 32] {
                let mut said = Vec::new();
                let walk = quota_for(&t, n, "dev", request, Some(&mut said));
                assert_eq!(
                    cache.quota_for(&t, n, request),
                    walk,
                    "{} {request}",
                    t.path(n)
                );
                let mut cached = Vec::new();
                let q = cache.quota_for_saying(&t, n, "dev", request, &|_| true, &mut cached);
                assert_eq!((q, &cached), (walk, &said), "{} {request}", t.path(n));
                // The lines a filter refuses are left out, and only those.
                let mut fewer = Vec::new();
                let q = QuotaCache::default().quota_for_saying(
                    &t,
                    n,
                    "dev",
                    request,
                    &|h| h != heads::COUNTING,
                    &mut fewer,
                );
                let kept: Vec<String> = said
                    .iter()
                    .filter(|l| !l.starts_with(heads::COUNTING))
                    .cloned()
                    .collect();
                assert_eq!((q, fewer), (walk, kept), "{} {request}", t.path(n));
                seen += 1;
            }
        }
        assert_eq!(seen, 40);
    }

    #[test]
    fn lines_no_one_wants_are_never_built() {
        let src = "/dts-v1/; / { pci { ibm,pe-total-#msi = <4>; \
            a@1 { ibm,req#msi-x = <9>; }; b@2 { ibm,req#msi = <1>; }; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let a = t.find("/pci/a@1").unwrap();
        let mut cache = QuotaCache::default();
        let mut said = Vec::new();
        let q = cache.quota_for_saying(&t, a, "a", 9, &|_| false, &mut said);
        assert_eq!((q, said.len()), (quota_for(&t, a, "a", 9, None), 0));
        assert!(
            cache.counting.is_empty(),
            "the counting lines were built: {:?}",
            cache.counting
        );
    }
}
