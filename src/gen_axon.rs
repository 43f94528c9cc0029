//! Trees of a Cell blade with Axon MSI (QS21/QS22 class): a `chrp` root compatible with
//! `IBM,CBEA` (which pSeries declines), system memory, the interrupt controller, the
//! Axon MSIC (its DCRs by MMIO, its cascade source), and PCIe host bridges whose
//! `msi-translator` names the MSIC and whose `msi-address-64` is where it takes messages.

use crate::gen::{cells, pins_and_functions, string, GenError, GenSpec, PER_BUS};
use of_tree::{NodeId, Tree};

/// The interrupt controller's phandle.
const IC_PHANDLE: u32 = 0x1111;
/// The MSIC's phandle.
const MSIC_PHANDLE: u32 = 0x20;
/// The MSIC's cascade source.
pub const CASCADE: u32 = 0x1100;
/// Where the MSIC takes messages.
pub const MSI_ADDRESS: u64 = 0x3f20_0000_0000;
/// Where its DCRs are.
pub const DCR_MMIO: u64 = 0x3f01_0000_0000;
/// The first PCI LSI; bridge n has four from this plus 4n.
const LSI_BASE: u32 = 0x1200;
/// Most host bridges generated.
pub const MAX_BRIDGES: u32 = 16;
/// Most functions per host bridge.
pub const MAX_FUNCTIONS: u32 = PER_BUS * 8;

/// The blade's tree.
pub fn try_generate(spec: &GenSpec) -> Result<Tree, GenError> {
    if spec.functions > MAX_FUNCTIONS || spec.phbs > MAX_BRIDGES {
        return Err(GenError::Platform(format!(
            "a Cell blade is generated with at most {MAX_BRIDGES} host bridges of {MAX_FUNCTIONS} functions"
        )));
    }
    let mut t = Tree::new();
    let root = t.root();
    t.set_prop(root, "#address-cells", cells(&[2]));
    t.set_prop(root, "#size-cells", cells(&[2]));
    t.set_prop(root, "compatible", b"IBM,CBEA\0IBM,CPBW-1.0\0".to_vec());
    t.set_prop(
        root,
        "model",
        string("IBM,CPBW-1.0 (pseries-sim generated)"),
    );
    t.set_prop(root, "device_type", string("chrp"));
    let cpus = t.add_child(root, "cpus");
    t.set_prop(cpus, "#address-cells", cells(&[1]));
    t.set_prop(cpus, "#size-cells", cells(&[0]));
    let cpu = t.add_child(cpus, "cpu@0");
    t.set_prop(cpu, "device_type", string("cpu"));
    t.set_prop(cpu, "reg", cells(&[0]));
    let mem = t.add_child(root, "memory@0");
    t.set_prop(mem, "device_type", string("memory"));
    t.set_prop(mem, "reg", cells(&[0, 0, 0, 0x4000_0000]));
    let ic = t.add_child(root, "interrupt-controller");
    t.set_prop(
        ic,
        "compatible",
        string("IBM,CBEA-Internal-Interrupt-Controller"),
    );
    t.set_prop(ic, "interrupt-controller", Vec::new());
    t.set_prop(ic, "#interrupt-cells", cells(&[2]));
    t.set_prop(ic, "phandle", cells(&[IC_PHANDLE]));
    let axon = t.add_child(root, "axon");
    let msic = t.add_child(axon, "msic");
    t.set_prop(msic, "compatible", string(rtas::axon::COMPATIBLE));
    t.set_prop(msic, "interrupt-parent", cells(&[IC_PHANDLE]));
    t.set_prop(msic, "interrupts", cells(&[CASCADE, 0]));
    t.set_prop(
        msic,
        "dcr-mmio-range",
        cells(&[(DCR_MMIO >> 32) as u32, DCR_MMIO as u32, 0, 0x1000]),
    );
    t.set_prop(msic, "dcr-mmio-stride", cells(&[0x10]));
    t.set_prop(msic, "phandle", cells(&[MSIC_PHANDLE]));
    for p in 0..spec.phbs {
        host_bridge(&mut t, root, p, spec);
    }
    Ok(t)
}

fn host_bridge(t: &mut Tree, root: NodeId, index: u32, spec: &GenSpec) {
    let hi = 0x3f40 + index;
    let node = t.add_child(root, &format!("pcie@{hi:x}00000000"));
    t.set_prop(node, "device_type", string("pci"));
    t.set_prop(node, "compatible", string("ibm,plb-pciex"));
    t.set_prop(node, "#address-cells", cells(&[3]));
    t.set_prop(node, "#size-cells", cells(&[2]));
    t.set_prop(node, "#interrupt-cells", cells(&[1]));
    t.set_prop(node, "reg", cells(&[hi, 0, 0, 0x1000]));
    t.set_prop(node, "bus-range", cells(&[0, 0xff]));
    t.set_prop(
        node,
        "ranges",
        cells(&[0x200_0000, 0, 0x8000_0000, hi, 0x8000_0000, 0, 0x8000_0000]),
    );
    t.set_prop(node, "msi-translator", cells(&[MSIC_PHANDLE]));
    t.set_prop(
        node,
        "msi-address-64",
        cells(&[(MSI_ADDRESS >> 32) as u32, MSI_ADDRESS as u32]),
    );
    pins_and_functions(t, node, index, spec, IC_PHANDLE, LSI_BASE);
}
