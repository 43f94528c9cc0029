//! Hotplug for the generator: which slots take a new function (a PHB's bus-0 slots
//! with a DR connector and no function), and the DTS of the function QEMU's
//! `device_add` puts there, made from a function the machine has.

use super::tree_edit::free_slots;
use of_tree::{NodeId, Tree};

/// The connector index of a PHB's bus-0 devfn (QEMU's: its low 16 bits are the devfn).
pub fn drc_index(tree: &Tree, phb: NodeId, devfn: u8) -> Option<u32> {
    let cells = tree.at(phb).cells("ibm,drc-indexes").ok().flatten()?;
    cells
        .iter()
        .skip(1)
        .copied()
        .find(|i| i & 0xffff == devfn as u32)
}

/// The free slots of a PHB that have a connector.
pub fn hotplug_slots(tree: &Tree, phb: NodeId) -> Vec<u8> {
    free_slots(tree, phb)
        .into_iter()
        .filter(|&s| drc_index(tree, phb, s << 3).is_some())
        .collect()
}

fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

/// The DTS `hotplug add` takes for function 0 of `slot` on `phb`: a root with the
/// PHB's cells holding a copy of `template` (a function's node) whose `reg` names the
/// slot, claiming the slot's connector. None when the slot has no connector or the
/// template no `reg`.
pub fn hotplug_dts(tree: &Tree, template: NodeId, phb: NodeId, slot: u8) -> Option<String> {
    let devfn = slot << 3;
    let drc = drc_index(tree, phb, devfn)?;
    let mut reg = tree.at(template).cells("reg").ok().flatten()?;
    for hi in reg.iter_mut().step_by(5) {
        *hi = (*hi & !0x00ff_ff00) | (devfn as u32) << 8;
    }
    let mut t = Tree::new();
    let root = t.root();
    t.set_prop(root, "#address-cells", cells(&[3]));
    t.set_prop(root, "#size-cells", cells(&[2]));
    let base = tree.node(template).base_name();
    let n = t.add_child(root, &format!("{base}@{slot:x}"));
    for p in &tree.node(template).props {
        match p.name() {
            "reg" => t.set_prop(n, "reg", cells(&reg)),
            "ibm,my-drc-index" => t.set_prop(n, "ibm,my-drc-index", cells(&[drc])),
            "ibm,loc-code" => {}
            _ => t.push_prop(n, p.clone()),
        }
    }
    Some(of_tree::dts::print(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_function_is_hot_added_and_removed() {
        let tree = of_tree::dtb::read(crate::fuzzing::MACHINE).unwrap();
        let (phb, fns) = &super::super::tree_edit::phbs(&tree)[0];
        let slot = hotplug_slots(&tree, *phb)[0];
        let text = hotplug_dts(&tree, fns[0], *phb, slot).unwrap();
        let dts = of_tree::dts::parse_str(&text, "h.dts").unwrap();
        let mut k = crate::harness::boot(tree, Default::default()).unwrap();
        let name = format!("0000:00:{slot:02x}.0");
        let added = crate::harness::hotplug_add(&mut k, &name, &dts, "h.dts").unwrap();
        assert_eq!(added.len(), 1);
        assert_eq!(k.devices[added[0]].name, name);
        assert!(k.devices[added[0]].msi.is_some(), "its driver got vectors");
        let gone = crate::harness::hotplug_remove(&mut k, added[0]).unwrap();
        assert_eq!(gone.len(), 1);
    }
}
