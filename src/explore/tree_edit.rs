//! How the generator varies the machine: a PHB's PE quota, a function's `ibm,req#msi-x`
//! (its MSI-X table) and `ibm,req#msi`, a function without MSI-X or MSI, a function
//! moved behind a new PCI-PCI bridge. Each edit names nodes by their path in the
//! machine's own tree and is applied to a copy of it.

use super::rng::Rng;
use of_tree::{NodeId, Tree};
use std::fmt;

const PE_TOTAL: &str = "ibm,pe-total-#msi";
const REQ_MSIX: &str = "ibm,req#msi-x";
const REQ_MSI: &str = "ibm,req#msi";

/// One change to the machine's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEdit {
    /// `ibm,pe-total-#msi = <n>` on a PHB: the PE's MSI quota.
    PeTotal {
        /// The PHB's path.
        phb: String,
        /// The quota.
        n: u32,
    },
    /// No `ibm,pe-total-#msi` on a PHB: Linux 5.13 and later give it no MSI domain, so
    /// its functions get no MSI or MSI-X (kernels before 5.13 assumed 8 for the PE).
    NoPeTotal {
        /// The PHB's path.
        phb: String,
    },
    /// `ibm,req#msi-x = <n>` on a function: its MSI-X table's size.
    ReqMsix {
        /// The function's path.
        node: String,
        /// The table's size.
        n: u32,
    },
    /// `ibm,req#msi = <n>` on a function: the MSI vectors it offers.
    ReqMsi {
        /// The function's path.
        node: String,
        /// The vectors.
        n: u32,
    },
    /// A function without `ibm,req#msi-x` (no MSI-X capability).
    NoMsix {
        /// The function's path.
        node: String,
    },
    /// A function without `ibm,req#msi` (no MSI capability).
    NoMsi {
        /// The function's path.
        node: String,
    },
    /// A function on a PHB's bus moved behind a new PCI-PCI bridge in slot `slot` of
    /// that bus, on bus 1.
    Bridge {
        /// The function's path.
        node: String,
        /// The bridge's slot on the PHB's bus.
        slot: u8,
    },
}

impl TreeEdit {
    /// The property it sets (to a value) or removes (None), on which node; None for a
    /// bridge.
    fn property(&self) -> Option<(&str, &'static str, Option<u32>)> {
        Some(match self {
            TreeEdit::PeTotal { phb, n } => (phb, PE_TOTAL, Some(*n)),
            TreeEdit::NoPeTotal { phb } => (phb, PE_TOTAL, None),
            TreeEdit::ReqMsix { node, n } => (node, REQ_MSIX, Some(*n)),
            TreeEdit::NoMsix { node } => (node, REQ_MSIX, None),
            TreeEdit::ReqMsi { node, n } => (node, REQ_MSI, Some(*n)),
            TreeEdit::NoMsi { node } => (node, REQ_MSI, None),
            TreeEdit::Bridge { .. } => return None,
        })
    }

    /// What it changes: a node, and which of its properties (edits of one target
    /// undo each other).
    fn target(&self) -> (&str, &str) {
        match (self.property(), self) {
            (Some((node, prop, _)), _) => (node, prop),
            (None, TreeEdit::Bridge { node, .. }) => (node, "bridge"),
            (None, _) => ("", ""),
        }
    }
}

impl fmt::Display for TreeEdit {
    /// The edit as the written scenario's comment says it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeEdit::PeTotal { phb, n } => write!(f, "{phb}: ibm,pe-total-#msi = <{n}>"),
            TreeEdit::NoPeTotal { phb } => write!(f, "{phb}: no ibm,pe-total-#msi"),
            TreeEdit::ReqMsix { node, n } => write!(f, "{node}: ibm,req#msi-x = <{n}>"),
            TreeEdit::ReqMsi { node, n } => write!(f, "{node}: ibm,req#msi = <{n}>"),
            TreeEdit::NoMsix { node } => write!(f, "{node}: no ibm,req#msi-x (no MSI-X)"),
            TreeEdit::NoMsi { node } => write!(f, "{node}: no ibm,req#msi (no MSI)"),
            TreeEdit::Bridge { node, slot } => {
                write!(f, "{node}: moved behind a PCI-PCI bridge in slot {slot:#x}")
            }
        }
    }
}

/// The PHBs of a tree (the root's children of `device_type` "pci") and the functions
/// on each PHB's own bus (none a bridge), by node.
pub fn phbs(tree: &Tree) -> Vec<(NodeId, Vec<NodeId>)> {
    tree.node(tree.root())
        .children()
        .iter()
        .filter(|&&n| tree.at(n).string("device_type").ok().flatten() == Some("pci"))
        .map(|&p| {
            let fns = tree
                .node(p)
                .children()
                .iter()
                .copied()
                .filter(|&f| tree.at(f).has("reg") && !is_bridge(tree, f))
                .collect();
            (p, fns)
        })
        .collect()
}

/// A PCI-PCI or CardBus bridge, by class code, as Linux and the firmware know them.
fn is_bridge(tree: &Tree, n: NodeId) -> bool {
    let class = tree.at(n).u32("class-code").ok().flatten().unwrap_or(0) >> 8;
    class == 0x0604 || class == 0x0607
}

/// The first `reg` cell of a node: bus, devfn and space.
fn reg_hi(tree: &Tree, n: NodeId) -> Option<u32> {
    tree.at(n).cells("reg").ok().flatten()?.first().copied()
}

/// Bus-0 slots of a PHB where no function is.
pub fn free_slots(tree: &Tree, phb: NodeId) -> Vec<u8> {
    let used: Vec<u8> = tree
        .node(phb)
        .children()
        .iter()
        .filter_map(|&c| reg_hi(tree, c))
        .filter(|hi| (hi >> 16) & 0xff == 0)
        .map(|hi| ((hi >> 11) & 0x1f) as u8)
        .collect();
    (0..32u8).filter(|s| !used.contains(s)).collect()
}

/// A few random edits of a tree (none one time in two).
pub fn random_edits(tree: &Tree, rng: &mut Rng) -> Vec<TreeEdit> {
    let phbs = phbs(tree);
    let mut edits = Vec::new();
    if phbs.is_empty() || rng.one_in(2) {
        return edits;
    }
    let mut bridged = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let Some((phb, fns)) = rng.pick(&phbs) else {
            break;
        };
        let phb_path = tree.path(*phb);
        let func = rng.pick(fns).map(|&f| tree.path(f));
        let e = match (rng.below(8), func) {
            (0 | 1, _) => TreeEdit::PeTotal {
                phb: phb_path,
                n: *rng.pick(&[1, 2, 3, 4, 5, 6, 8, 12, 16, 32]).unwrap_or(&4),
            },
            (2, _) => TreeEdit::NoPeTotal { phb: phb_path },
            (3, Some(node)) => TreeEdit::ReqMsix {
                node,
                n: *rng
                    .pick(&[1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
                    .unwrap_or(&3),
            },
            (4, Some(node)) => TreeEdit::ReqMsi {
                node,
                n: *rng.pick(&[1, 2, 4, 8, 16, 32]).unwrap_or(&1),
            },
            (5, Some(node)) => TreeEdit::NoMsix { node },
            (6, Some(node)) => TreeEdit::NoMsi { node },
            (7, Some(node)) if !bridged.contains(phb) => {
                let has_bridge = tree
                    .node(*phb)
                    .children()
                    .iter()
                    .any(|&c| is_bridge(tree, c));
                match rng.pick(&free_slots(tree, *phb)) {
                    Some(&slot) if !has_bridge => {
                        bridged.push(*phb);
                        TreeEdit::Bridge { node, slot }
                    }
                    _ => continue,
                }
            }
            _ => continue,
        };
        if !edits.iter().any(|x| x.target() == e.target()) {
            edits.push(e);
        }
    }
    edits
}

/// The tree with the edits made (property edits first, then the bridges); an edit
/// whose node is not there is an error naming it.
pub fn apply(base: &Tree, edits: &[TreeEdit]) -> Result<Tree, String> {
    let mut t = base.clone();
    let find = |t: &Tree, p: &str| t.find(p).map_err(|e| format!("tree edit: {p}: {e}"));
    for (node, prop, value) in edits.iter().filter_map(TreeEdit::property) {
        let id = find(&t, node)?;
        match value {
            Some(n) => t.set_prop(id, prop, n.to_be_bytes().to_vec()),
            None => {
                t.remove_prop(id, prop);
            }
        }
    }
    for e in edits {
        if let TreeEdit::Bridge { node, slot } = e {
            let id = find(&t, node)?;
            bridge(&mut t, id, *slot).map_err(|why| format!("tree edit: {node}: {why}"))?;
        }
    }
    Ok(t)
}

fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

/// Puts a PCI-PCI bridge (as QEMU writes one: `pci@SLOT`, class 0x060400, no
/// `device_type`) in `slot` of the PHB's bus and moves `func` behind it, on bus 1: its
/// `reg` says bus 1, and it leaves its PHB slot's connector.
fn bridge(t: &mut Tree, func: NodeId, slot: u8) -> Result<(), String> {
    let phb = t.node(func).parent().ok_or("no parent")?;
    let b = t.add_child(phb, &format!("pci@{slot:x}"));
    t.set_prop(b, "vendor-id", cells(&[0x1b36]));
    t.set_prop(b, "device-id", cells(&[0x1]));
    t.set_prop(b, "class-code", cells(&[0x60400]));
    t.set_prop(b, "reg", cells(&[(slot as u32) << 11, 0, 0, 0, 0]));
    t.set_prop(b, "#address-cells", cells(&[3]));
    t.set_prop(b, "#size-cells", cells(&[2]));
    let mut reg = t.at(func).cells("reg").ok().flatten().ok_or("no 'reg'")?;
    // Every entry is 5 cells: the first names bus, devfn and register.
    for hi in reg.iter_mut().step_by(5) {
        *hi = (*hi & !0x00ff_0000) | (1 << 16);
    }
    let name = t.node(func).name().to_string();
    let moved = t.add_child(b, &name);
    let props = t.node(func).props.clone();
    for p in props {
        match p.name() {
            "reg" => t.set_prop(moved, "reg", cells(&reg)),
            "ibm,my-drc-index" => {}
            _ => t.push_prop(moved, p),
        }
    }
    let children = t.node(func).children().to_vec();
    for c in children {
        copy(t, c, moved);
    }
    t.remove_node(func).map_err(|e| e.to_string())
}

/// Copies a node and its subtree under `parent`.
fn copy(t: &mut Tree, n: NodeId, parent: NodeId) {
    let name = t.node(n).name().to_string();
    let id = t.add_child(parent, &name);
    for p in t.node(n).props.clone() {
        t.push_prop(id, p);
    }
    for c in t.node(n).children().to_vec() {
        copy(t, c, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Tree {
        of_tree::dtb::read(crate::fuzzing::MACHINE).unwrap()
    }

    #[test]
    fn edits_change_the_named_properties() {
        let base = machine();
        let t = apply(
            &base,
            &[
                TreeEdit::PeTotal {
                    phb: "/pci@800000020000001".into(),
                    n: 4,
                },
                TreeEdit::NoMsix {
                    node: "/pci@800000020000000/ethernet@1".into(),
                },
                TreeEdit::ReqMsi {
                    node: "/pci@800000020000000/ethernet@1".into(),
                    n: 2,
                },
            ],
        )
        .unwrap();
        let at = |p: &str| t.at(t.find(p).unwrap());
        assert_eq!(
            at("/pci@800000020000001").u32("ibm,pe-total-#msi").unwrap(),
            Some(4)
        );
        let f = at("/pci@800000020000000/ethernet@1");
        assert_eq!(f.u32("ibm,req#msi-x").unwrap(), None);
        assert_eq!(f.u32("ibm,req#msi").unwrap(), Some(2));
        let e = apply(
            &base,
            &[TreeEdit::NoMsi {
                node: "/nope".into(),
            }],
        )
        .unwrap_err();
        assert!(e.starts_with("tree edit: /nope:"), "{e}");
    }

    #[test]
    fn a_bridged_function_boots_on_bus_1() {
        let base = machine();
        let (phb, fns) = &phbs(&base)[0];
        let node = base.path(fns[0]);
        let slot = free_slots(&base, *phb)[0];
        let t = apply(&base, &[TreeEdit::Bridge { node, slot }]).unwrap();
        let k = crate::harness::boot(t, Default::default()).unwrap();
        let names: Vec<&str> = k.devices.iter().map(|d| d.name.as_str()).collect();
        assert!(names.contains(&"0000:01:01.0"), "{names:?}");
        assert!(k.devices.iter().any(|d| d.is_bridge));
    }

    #[test]
    fn random_edits_name_nodes_of_the_tree() {
        let base = machine();
        let mut rng = Rng::new(5, 0);
        let mut seen = 0;
        for _ in 0..200 {
            let edits = random_edits(&base, &mut rng);
            seen += edits.len();
            apply(&base, &edits).unwrap();
        }
        assert!(seen > 100, "{seen}");
    }
}
