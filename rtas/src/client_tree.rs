//! The device tree the firmware hands an OS: the machine's tree as loaded, less the
//! PHBs of other partitions, plus what firmware publishes of bare-metal hardware
//! (each PHB's MSI range, the source controller's registers).

use crate::firmware::Firmware;
use crate::hardware::ICS_MMIO_BASE;
use crate::machine::MSI_WINDOW;
use crate::machine::{pci_functions_below, BusNumbers};
use of_tree::{NodeId, Tree};
use std::borrow::Cow;

pub use papr_abi::props::*;

fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

/// The tree with the bus numbers firmware gives PHBs that QEMU did not number
/// (`qemu,phb-enumerated` absent): unchanged where they already agree.
pub fn enumerated(tree: &Tree) -> Cow<'_, Tree> {
    let rewrites = bus_rewrites(tree);
    if rewrites.is_empty() {
        return Cow::Borrowed(tree);
    }
    let mut t = tree.clone();
    for (node, name, value) in rewrites {
        t.set_prop(node, name, value);
    }
    Cow::Owned(t)
}

/// What firmware writes back where it numbered a PHB's buses itself: each function's
/// `reg` on its bus, each bridge's `bus-range` (secondary, subordinate).
fn bus_rewrites(tree: &Tree) -> Vec<(NodeId, &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let root = tree.root();
    for &phb in tree.node(root).children() {
        if tree.node(phb).prop("qemu,phb-enumerated").is_some()
            || tree.at(phb).string("device_type").ok().flatten() != Some("pci")
        {
            continue;
        }
        let fns = pci_functions_below(tree, phb);
        let buses = BusNumbers::of(tree, phb, &fns);
        for &f in &fns {
            let Some(bus) = buses.bus_of(tree, f) else {
                continue;
            };
            if let Some(prop) = tree.node(f).prop("reg") {
                let mut v = prop.value.to_vec();
                if v.len() >= 4 && v[1] != bus {
                    v[1] = bus;
                    out.push((f, "reg", v));
                }
            }
            if let Some(sec) = buses.secondary(f) {
                let sub = fns
                    .iter()
                    .filter(|&&g| is_below(tree, g, f))
                    .filter_map(|&g| buses.secondary(g))
                    .max()
                    .unwrap_or(sec)
                    .max(sec);
                let want = cells(&[sec as u32, sub as u32]);
                if tree.node(f).prop("bus-range").map(|p| p.value.to_vec()) != Some(want.clone()) {
                    out.push((f, "bus-range", want));
                }
            }
        }
    }
    out
}

/// Whether `n` lies below `above`.
fn is_below(tree: &Tree, n: NodeId, above: NodeId) -> bool {
    let mut cur = tree.node(n).parent();
    while let Some(p) = cur {
        if p == above {
            return true;
        }
        cur = tree.node(p).parent();
    }
    false
}

impl Firmware {
    /// The tree the OS of `partition` boots from.
    pub fn client_tree<'t>(&self, tree: &'t Tree, partition: u32) -> Cow<'t, Tree> {
        let m = &self.machine;
        let foreign: Vec<&str> = m
            .phbs
            .iter()
            .filter(|p| p.partition != partition)
            .map(|p| p.path.as_str())
            .collect();
        let renumber = bus_rewrites(tree);
        let publish = m.bare_metal && m.mpic.is_none();
        if foreign.is_empty() && !publish && renumber.is_empty() {
            return Cow::Borrowed(tree);
        }
        let mut t = tree.clone();
        for (node, name, value) in renumber {
            t.set_prop(node, name, value);
        }
        for path in foreign {
            if let Ok(n) = t.find(path) {
                let _ = t.remove_node(n);
            }
        }
        if publish {
            for (i, p) in m.phbs.iter().enumerate() {
                let (Some((first, count)), Ok(n)) = (m.bare_msi_range(i), t.find(&p.path)) else {
                    continue;
                };
                if t.node(n).prop(PROP_MSI_RANGES).is_none() {
                    t.set_prop(n, PROP_MSI_RANGES, cells(&[first, count]));
                }
                let a = MSI_WINDOW;
                t.set_prop(n, PROP_MSI_ADDRESS, cells(&[(a >> 32) as u32, a as u32]));
            }
            let intc = t.with_prop("interrupt-controller").next();
            if let Some(n) = intc {
                let a = ICS_MMIO_BASE;
                t.set_prop(n, PROP_ICS_REGISTERS, cells(&[(a >> 32) as u32, a as u32]));
            }
        }
        Cow::Owned(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_numbers_buses_depth_first_without_qemus_numbers() {
        // Two bridges on bus 0, a bridge behind the first; every reg says bus 0.
        let src = "/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; \
            pci@800000020000000 { device_type = \"pci\"; #address-cells = <3>; \
              #size-cells = <2>; reg = <0x8000000 0x20000000 0 0>; \
              a: pci@1 { class-code = <0x60400>; reg = <0x800 0 0 0 0>; \
                #address-cells = <3>; #size-cells = <2>; \
                pci@2 { class-code = <0x60400>; reg = <0x1000 0 0 0 0>; \
                  #address-cells = <3>; #size-cells = <2>; \
                  dev@3 { reg = <0x1800 0 0 0 0>; }; }; \
                dev@4 { reg = <0x2000 0 0 0 0>; }; }; \
              pci@5 { class-code = <0x60400>; reg = <0x2800 0 0 0 0>; \
                #address-cells = <3>; #size-cells = <2>; \
                dev@6 { reg = <0x3000 0 0 0 0>; }; }; }; };";
        let t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let fw = Firmware::new(&t, &Default::default()).unwrap();
        let addrs: Vec<String> = fw.machine.phbs[0]
            .functions
            .iter()
            .map(|f| f.addr.to_string())
            .collect();
        // pci@1 -> bus 1, pci@1/pci@2 -> bus 2, pci@5 -> bus 3.
        assert_eq!(
            addrs,
            ["00:01.0", "01:02.0", "02:03.0", "01:04.0", "00:05.0", "03:06.0"]
        );
        let os = fw.client_tree(&t, 0);
        let reg = |p: &str| os.at(os.find(p).unwrap()).cells("reg").unwrap().unwrap()[0];
        assert_eq!(reg("/pci@800000020000000/pci@1/pci@2/dev@3"), 0x2_1800);
        assert_eq!(reg("/pci@800000020000000/pci@5/dev@6"), 0x3_3000);
        let range = os
            .at(os.find("/pci@800000020000000/pci@1").unwrap())
            .cells("bus-range")
            .unwrap();
        assert_eq!(range, Some(vec![1, 2]), "secondary and subordinate");
        // With QEMU's numbers the tree stands as it is.
        let mut q = t.clone();
        let phb = q.find("/pci@800000020000000").unwrap();
        q.set_prop(phb, "qemu,phb-enumerated", 1u32.to_be_bytes().to_vec());
        assert!(matches!(enumerated(&q), Cow::Borrowed(_)));
    }
}
