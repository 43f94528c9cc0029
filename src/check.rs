//! The nvec sanity report: per function its req# properties, its PE and the quota
//! Linux would compute, with the errors and warnings a user should know of.

use crate::driver::driver_request;
use of_tree::{NodeId, Tree};
use platform::kernel::{of, pci_name};
use platform::quota::{find_pe, find_pe_total, pe_devices, quota_for, req_of, QuotaCache};
use rtas::pci::PciAddr;
use std::collections::{BTreeMap, BTreeSet};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The tree is wrong.
    Error,
    /// Linux will do something the user may not expect.
    Warning,
}

/// One finding, about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Node path.
    pub path: String,
    /// What.
    pub msg: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{s}: {}: {}", self.path, self.msg)
    }
}

/// What the report says of one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionLine {
    /// Linux's name, when the function decodes.
    pub name: Option<String>,
    /// Node path.
    pub path: String,
    /// `ibm,req#msi`.
    pub req_msi: Option<u32>,
    /// `ibm,req#msi-x`.
    pub req_msix: Option<u32>,
    /// The PE node.
    pub pe: Option<String>,
    /// Vectors the PE may hold: its `ibm,pe-total-#msi`, 0 when none is found at or
    /// above the function (Linux 5.13+ then gives its PHB no MSI domain).
    pub pe_total: u32,
    /// Quota of an even share.
    pub quota: u32,
    /// What Linux grants this function for its largest request, spares counted.
    pub grant: u32,
}

/// The report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Functions, in tree order.
    pub functions: Vec<FunctionLine>,
    /// Errors and warnings.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// What Linux grants a driver asking for `request` vectors of a function: nothing when
/// its PHB has no MSI domain (no `ibm,pe-total-#msi` at or above the PHB), else the
/// quota clamps the request unless it is 0 (Linux 6.1's `if (quota && quota < nvec)`).
pub fn linux_grant(tree: &Tree, node: NodeId, name: &str, request: u32) -> u32 {
    if !phb_has_msi_domain(tree, node) {
        return 0;
    }
    match quota_for(tree, node, name, request, None) {
        0 => request,
        q => q.min(request),
    }
}

/// Whether Linux 5.13+ gives the PHB of `node` (its ancestor below the root, or itself)
/// an MSI domain: `ibm,pe-total-#msi` at or above the PHB's node.
fn phb_has_msi_domain(tree: &Tree, node: NodeId) -> bool {
    let root = tree.root();
    let mut phb = node;
    while let Some(p) = tree.node(phb).parent().filter(|&p| p != root) {
        phb = p;
    }
    find_pe_total(tree, phb).is_some()
}

/// The bus numbers below a PHB: every bridge's secondary bus (`bus-range`, else the
/// bus its children's `reg` name) must be reached once, and its children must sit on it.
fn bus_findings(tree: &Tree, phb: NodeId, rep: &mut Report) {
    let mut reached: BTreeMap<u8, String> = BTreeMap::new();
    reached.insert(0, tree.path(phb));
    for b in of::pci_functions(tree, phb) {
        if !of::is_bridge(tree, b) {
            continue;
        }
        let children: Vec<(NodeId, PciAddr)> = tree
            .node(b)
            .children()
            .iter()
            .filter_map(|&c| Some((c, of::function_addr(tree, c).ok().flatten()?)))
            .collect();
        let range = tree.at(b).cells("bus-range").ok().flatten();
        let secondary = match range.as_deref() {
            Some([lo, _]) => Some(*lo as u8),
            _ => children.first().map(|(_, a)| a.bus),
        };
        let Some(secondary) = secondary else { continue };
        let path = tree.path(b);
        if let Some(other) = reached.insert(secondary, path.clone()) {
            rep.findings.push(Finding {
                severity: Severity::Error,
                path: path.clone(),
                msg: format!("bus {secondary:#04x} is reached twice: {other} reaches it too"),
            });
        }
        for (c, a) in children {
            if a.bus != secondary {
                rep.findings.push(Finding {
                    severity: Severity::Error,
                    path: tree.path(c),
                    msg: format!(
                        "on bus {:#04x}, but its bridge {path} leads to bus {secondary:#04x}",
                        a.bus
                    ),
                });
            }
        }
    }
}

/// The warning on a PHB without `ibm,pe-total-#msi` at or above it.
const NO_PE_TOTAL: &str = "no 'ibm,pe-total-#msi' here or above: Linux 5.13 and later give the PHB no MSI domain, so its functions get no MSI or MSI-X (quota 0); earlier kernels assumed 8 for the PE";

/// Checks a tree, its buses numbered as firmware numbers them.
pub fn check(tree: &Tree) -> Report {
    let tree = &*rtas::enumerated(tree);
    let mut rep = Report::default();
    let err = |rep: &mut Report, sev, path: String, msg: String| {
        rep.findings.push(Finding {
            severity: sev,
            path,
            msg,
        })
    };
    let mut used_domains = BTreeSet::new();
    let mut warned_pe = BTreeSet::new();
    let mut quotas = QuotaCache::default();
    // Per PE: the devices Linux counts, and how many of them want vectors.
    let mut pes: std::collections::HashMap<NodeId, (u32, u32)> = Default::default();
    for phb in of::phb_nodes(tree) {
        let phb_path = tree.path(phb);
        if let Err(why) = of::phb_buid(tree, phb) {
            err(
                &mut rep,
                Severity::Error,
                phb_path.clone(),
                format!("PHB without a usable BUID: {why}"),
            );
        }
        let domain = of::phb_domain(tree, phb, &mut used_domains);
        bus_findings(tree, phb, &mut rep);
        let msi_domain = find_pe_total(tree, phb).is_some();
        let mut seen: BTreeMap<PciAddr, String> = BTreeMap::new();
        for f in of::pci_functions(tree, phb) {
            let at = tree.at(f);
            let path = at.path();
            let name = match of::function_addr(tree, f) {
                Ok(Some(addr)) => {
                    if let Some(other) = seen.insert(addr, path.clone()) {
                        err(
                            &mut rep,
                            Severity::Error,
                            path.clone(),
                            format!("a second function at {addr}: {other} has that address"),
                        );
                    }
                    Some(pci_name(domain, addr))
                }
                Ok(None) => {
                    err(
                        &mut rep,
                        Severity::Error,
                        path.clone(),
                        "no 'reg': not a PCI function".into(),
                    );
                    None
                }
                Err(why) => {
                    err(&mut rep, Severity::Error, path.clone(), why.to_string());
                    None
                }
            };
            let read = |prop: &str, rep: &mut Report| match at.u32(prop) {
                Ok(Some(0)) => {
                    err(
                        rep,
                        Severity::Error,
                        path.clone(),
                        format!("'{prop}' is 0: Linux answers -ENOSPC to every request"),
                    );
                    Some(0)
                }
                Ok(v) => v,
                Err(e) => {
                    // The error names the node already: say it once.
                    let e = e.to_string();
                    let msg = e.strip_prefix(&format!("{path}: ")).unwrap_or(&e);
                    err(rep, Severity::Error, path.clone(), msg.to_string());
                    None
                }
            };
            let req_msi = read("ibm,req#msi", &mut rep);
            let req_msix = read("ibm,req#msi-x", &mut rep);
            let want = driver_request(tree, f).map(|(_, n)| n).unwrap_or(0);
            let Some((pe, total)) = find_pe(tree, f, None) else {
                continue;
            };
            let pe_path = tree.path(pe);
            let (pe_total, quota, grant) = if msi_domain {
                let (ndevs, wanting) = *pes.entry(pe).or_insert_with(|| {
                    let devs = pe_devices(tree, pe);
                    let wanting = devs.iter().filter(|&&d| req_of(tree, d) > 0).count();
                    (devs.len() as u32, wanting as u32)
                });
                if total < wanting && warned_pe.insert(pe_path.clone()) {
                    err(
                        &mut rep,
                        Severity::Warning,
                        pe_path.clone(),
                        format!("PE total {total} is smaller than the {wanting} functions that want vectors"),
                    );
                }
                let quota = total.checked_div(ndevs).unwrap_or(total);
                let grant = match quotas.quota_for(tree, f, want) {
                    _ if want == 0 => 0,
                    0 => want,
                    q => q.min(want),
                };
                if want > total {
                    err(&mut rep, Severity::Warning, path.clone(), format!("req# {want} is larger than the PE total {total}: Linux grants at most {grant}"));
                }
                if let Some(n) = req_msix.filter(|n| *n > 0 && !n.is_power_of_two()) {
                    let m = n.next_power_of_two();
                    if quotas.quota_for(tree, f, m) >= m {
                        err(
                            &mut rep,
                            Severity::Warning,
                            path.clone(),
                            format!("Linux rounds an MSI-X request of {n} up to {m}, past the table of {n}: expect a second change-msi at {n}"),
                        );
                    }
                }
                (total, quota, grant)
            } else {
                // No MSI domain: nothing granted; the PE's total only where a node
                // below the PHB has one.
                if want > 0 && warned_pe.insert(phb_path.clone()) {
                    let msg = NO_PE_TOTAL.to_string();
                    err(&mut rep, Severity::Warning, phb_path.clone(), msg);
                }
                let found = find_pe_total(tree, f).is_some();
                (if found { total } else { 0 }, 0, 0)
            };
            rep.functions.push(FunctionLine {
                name,
                path,
                req_msi,
                req_msix,
                pe: Some(pe_path),
                pe_total,
                quota,
                grant,
            });
        }
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be(v: u32) -> Vec<u8> {
        v.to_be_bytes().to_vec()
    }

    fn tree() -> (Tree, NodeId) {
        let mut t = Tree::new();
        let r = t.root();
        t.set_prop(r, "#address-cells", be(2));
        t.set_prop(r, "#size-cells", be(2));
        let phb = t.add_child(r, "pci@800000020000000");
        t.set_prop(phb, "device_type", b"pci\0".to_vec());
        t.set_prop(phb, "#address-cells", be(3));
        t.set_prop(phb, "#size-cells", be(2));
        t.set_prop(
            phb,
            "reg",
            [be(0x0800_0000), be(0x2000_0000), be(0), be(0)].concat(),
        );
        for d in 1..=3u32 {
            let f = t.add_child(phb, &format!("eth@{d}"));
            t.set_prop(f, "reg", [be(d << 11), be(0), be(0), be(0), be(0)].concat());
            t.set_prop(f, "ibm,req#msi-x", be(3));
            t.set_prop(f, "interrupts", be(1));
        }
        (t, phb)
    }

    #[test]
    fn quota_and_warnings() {
        let (mut t, phb) = tree();
        t.set_prop(phb, "ibm,pe-total-#msi", be(8));
        let rep = check(&t);
        assert!(!rep.has_errors(), "{:?}", rep.findings);
        assert_eq!(rep.functions.len(), 3);
        assert_eq!(rep.functions[0].name.as_deref(), Some("0000:00:01.0"));
        assert_eq!((rep.functions[0].pe_total, rep.functions[0].quota), (8, 2));
        // 3 each of 8: quota 2, spare 8 % 3 = 2 shared among 3 over quota -> 2.
        assert_eq!(rep.functions[0].grant, 2);
        let f = t.find("/pci/eth@1").unwrap();
        assert_eq!(linux_grant(&t, f, "0000:00:01.0", 3), 2);
        // On the root, above the PHB: the PHB has its MSI domain, the root is the PE
        // (Linux's walk from the root counts the PHB alone).
        t.remove_prop(phb, "ibm,pe-total-#msi");
        let root = t.root();
        t.set_prop(root, "ibm,pe-total-#msi", be(8));
        let rep = check(&t);
        assert_eq!(rep.functions[0].pe.as_deref(), Some("/"));
        assert_eq!(rep.functions[0].grant, 3);
        assert!(
            !rep.findings.iter().any(|f| f.msg.contains("pe-total")),
            "{:?}",
            rep.findings
        );
        // Nowhere at or above the PHB: no MSI domain, nothing granted, one warning.
        t.remove_prop(root, "ibm,pe-total-#msi");
        // A total on a function below the PHB does not give the PHB a domain.
        t.set_prop(f, "ibm,pe-total-#msi", be(4));
        let rep = check(&t);
        assert!(!rep.has_errors(), "{:?}", rep.findings);
        let cols: Vec<_> = rep
            .functions
            .iter()
            .map(|l| (l.pe_total, l.quota, l.grant))
            .collect();
        assert_eq!(cols, [(4, 0, 0), (0, 0, 0), (0, 0, 0)]);
        let warnings: Vec<String> = rep.findings.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            warnings,
            [format!("warning: {}: {NO_PE_TOTAL}", t.path(phb))]
        );
        assert!(NO_PE_TOTAL.contains("no MSI domain") && NO_PE_TOTAL.contains("(quota 0)"));
        assert_eq!(linux_grant(&t, f, "0000:00:01.0", 3), 0);
    }

    #[test]
    fn addresses_and_buses() {
        let (mut t, phb) = tree();
        // Numbered by QEMU: the tree's bus numbers stand.
        t.set_prop(phb, "qemu,phb-enumerated", be(1));
        // Two functions at 00:01.0.
        let f = t.find("/pci/eth@2").unwrap();
        t.set_prop(f, "reg", [be(1 << 11), be(0), be(0), be(0), be(0)].concat());
        // A bridge to bus 1 whose child claims bus 2, and a second bridge to bus 1.
        for (i, dev) in [(1u32, 5u32), (2, 6)] {
            let b = t.add_child(phb, &format!("pci@{dev}"));
            t.set_prop(
                b,
                "reg",
                [be(dev << 11), be(0), be(0), be(0), be(0)].concat(),
            );
            t.set_prop(b, "class-code", be(0x60400));
            t.set_prop(b, "#address-cells", be(3));
            t.set_prop(b, "#size-cells", be(2));
            t.set_prop(b, "bus-range", [be(1), be(1)].concat());
            let c = t.add_child(b, "eth@0");
            t.set_prop(c, "reg", [be(i << 16), be(0), be(0), be(0), be(0)].concat());
        }
        let rep = check(&t);
        let errs: Vec<String> = rep.findings.iter().map(|f| f.to_string()).collect();
        let has = |a: &str, b: &str| errs.iter().any(|e| e.contains(a) && e.contains(b));
        assert!(has("eth@2", "a second function at 00:01.0"), "{errs:?}");
        assert!(has("pci@6", "bus 0x01 is reached twice"), "{errs:?}");
        assert!(has("pci@6/eth@0", "on bus 0x02"), "{errs:?}");
        assert!(!has("pci@5/eth@0", "on bus"), "{errs:?}");
    }

    #[test]
    fn errors() {
        let (mut t, phb) = tree();
        let f = t.find("/pci/eth@1").unwrap();
        t.set_prop(f, "ibm,req#msi", be(0));
        let g = t.find("/pci/eth@2").unwrap();
        t.set_prop(g, "ibm,req#msi-x", vec![0, 3]);
        let h = t.find("/pci/eth@3").unwrap();
        t.set_prop(h, "reg", vec![0, 0, 0, 1]);
        t.set_prop(phb, "ibm,pe-total-#msi", be(1));
        let rep = check(&t);
        assert!(rep.has_errors());
        let errs: Vec<String> = rep
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.to_string())
            .collect();
        assert!(
            errs.iter()
                .any(|e| e.contains("eth@1") && e.contains("is 0")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("eth@2") && e.contains("ibm,req#msi-x")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("eth@3") && e.contains("reg")),
            "{errs:?}"
        );
        assert!(
            rep.findings
                .iter()
                .any(|f| f.msg.contains("smaller than the")),
            "{:?}",
            rep.findings
        );
        t.remove_prop(phb, "reg");
        assert!(check(&t).findings.iter().any(|f| f.msg.contains("BUID")));
    }
}
