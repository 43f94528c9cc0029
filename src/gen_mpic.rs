//! Trees of a U3/U4 MPIC machine (a Maple-class board): an OpenPIC MPIC, host bridges
//! alternately U4 PCIe (messages to the MPIC's MSI register, `msi-address-64`) and U3
//! HyperTransport (messages to HT's fixed MSI address), functions as `gen` makes them.

use crate::gen::{cells, pins_and_functions, string, GenError, GenSpec, PER_BUS};
use of_tree::{NodeId, Tree};
use rtas::mpic::{PROP_SOURCES, REGISTER_BLOCK, U4_MSI_OFFSET};

/// Where the generated MPIC's registers are (Maple's).
pub const MPIC_BASE: u64 = 0xf804_0000;
/// Its phandle.
const MPIC_PHANDLE: u32 = 0x10;
/// Sources of the generated MPIC.
pub const MPIC_SOURCES: u32 = 2048;
/// The sources it offers for MSI (`msi-available-ranges`): all above the first 128.
pub const MSI_AVAILABLE: (u32, u32) = (0x80, MPIC_SOURCES - 0x80);
/// The first PCI LSI; host bridge n has four from this plus 4n.
const LSI_BASE: u32 = 0x10;
/// The most functions a generated host bridge carries: one bus.
pub const MAX_FUNCTIONS: u32 = PER_BUS * 8;
/// The most host bridges (their LSIs must stay below the MSI range).
pub const MAX_BRIDGES: u32 = 16;

/// The MPIC machine's tree.
pub fn try_generate(spec: &GenSpec) -> Result<Tree, GenError> {
    if spec.functions > MAX_FUNCTIONS || spec.phbs > MAX_BRIDGES {
        return Err(GenError::Platform(format!(
            "an MPIC machine is generated with at most {MAX_BRIDGES} host bridges of {MAX_FUNCTIONS} functions"
        )));
    }
    let mut t = Tree::new();
    let root = t.root();
    t.set_prop(root, "#address-cells", cells(&[2]));
    t.set_prop(root, "#size-cells", cells(&[2]));
    t.set_prop(root, "compatible", string("Momentum,Maple"));
    t.set_prop(
        root,
        "model",
        string("Momentum,Maple (pseries-sim generated)"),
    );
    let cpus = t.add_child(root, "cpus");
    t.set_prop(cpus, "#address-cells", cells(&[1]));
    t.set_prop(cpus, "#size-cells", cells(&[0]));
    let cpu = t.add_child(cpus, "PowerPC,970@0");
    t.set_prop(cpu, "device_type", string("cpu"));
    t.set_prop(cpu, "reg", cells(&[0]));
    let mpic = t.add_child(root, &format!("interrupt-controller@{MPIC_BASE:x}"));
    t.set_prop(mpic, "device_type", string("open-pic"));
    t.set_prop(mpic, "compatible", string("open-pic"));
    t.set_prop(mpic, "interrupt-controller", Vec::new());
    t.set_prop(mpic, "#interrupt-cells", cells(&[2]));
    t.set_prop(mpic, "#address-cells", cells(&[0]));
    t.set_prop(
        mpic,
        "reg",
        cells(&[0, MPIC_BASE as u32, 0, REGISTER_BLOCK as u32]),
    );
    t.set_prop(
        mpic,
        "msi-available-ranges",
        cells(&[MSI_AVAILABLE.0, MSI_AVAILABLE.1]),
    );
    t.set_prop(mpic, PROP_SOURCES, cells(&[MPIC_SOURCES]));
    t.set_prop(mpic, "phandle", cells(&[MPIC_PHANDLE]));
    for p in 0..spec.phbs {
        host_bridge(&mut t, root, p, spec);
    }
    Ok(t)
}

/// Host bridge `index`: even ones U4 PCIe, odd ones U3 HyperTransport.
fn host_bridge(t: &mut Tree, root: NodeId, index: u32, spec: &GenSpec) {
    let cfg = 0xf000_0000u32 + index * 0x0010_0000;
    let node = t.add_child(root, &format!("pci@{cfg:x}"));
    let u4 = index.is_multiple_of(2);
    t.set_prop(node, "device_type", string("pci"));
    t.set_prop(
        node,
        "compatible",
        string(if u4 { "u4-pcie" } else { "u3-ht" }),
    );
    t.set_prop(node, "#address-cells", cells(&[3]));
    t.set_prop(node, "#size-cells", cells(&[2]));
    t.set_prop(node, "#interrupt-cells", cells(&[1]));
    t.set_prop(node, "reg", cells(&[0, cfg, 0, 0x0010_0000]));
    t.set_prop(node, "bus-range", cells(&[0, 0xff]));
    let cpu_hi = 0x100 + index;
    t.set_prop(
        node,
        "ranges",
        cells(&[
            0x200_0000,
            0,
            0x8000_0000,
            cpu_hi,
            0x8000_0000,
            0,
            0x8000_0000,
        ]),
    );
    if u4 {
        let a = MPIC_BASE + U4_MSI_OFFSET;
        t.set_prop(node, "msi-address-64", cells(&[(a >> 32) as u32, a as u32]));
    }
    pins_and_functions(t, node, index, spec, MPIC_PHANDLE, LSI_BASE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maple_with_both_bridge_kinds() {
        let spec = GenSpec {
            phbs: 2,
            functions: 3,
            msix: 4,
            msi: 2,
        };
        let t = try_generate(&spec).unwrap();
        assert_eq!(t.find_device_type("open-pic").len(), 1);
        let u4 = t.find("/pci@f0000000").unwrap();
        assert!(t.node(u4).prop("msi-address-64").is_some());
        let u3 = t.find("/pci@f0100000").unwrap();
        assert!(t.node(u3).prop("msi-address-64").is_none());
        let big = GenSpec {
            functions: MAX_FUNCTIONS + 1,
            ..spec
        };
        assert!(try_generate(&big).is_err());
    }
}
