//! A generator of valid pSeries device trees of any size, shaped like QEMU's.

use of_tree::{NodeId, Tree};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSpec {
    /// Number of PHBs.
    pub phbs: u32,
    /// PCI functions per PHB.
    pub functions: u32,
    /// MSI-X vectors each function offers (`ibm,req#msi-x`; 0 for none).
    pub msix: u32,
    /// MSI vectors each function offers (`ibm,req#msi`; 0 for none).
    pub msi: u32,
}

/// QEMU's RTAS services and tokens, in QEMU's order from 0x2000.
pub const QEMU_RTAS_SERVICES: &[&str] = &[
    "display-character",
    "get-time-of-day",
    "set-time-of-day",
    "power-off",
    "system-reboot",
    "query-cpu-stopped-state",
    "start-cpu",
    "stop-self",
    "ibm,get-system-parameter",
    "ibm,set-system-parameter",
    "ibm,set-xive",
    "ibm,get-xive",
    "ibm,int-off",
    "ibm,int-on",
    "check-exception",
    "event-scan",
    "ibm,set-tce-bypass",
    "quiesce",
    "nvram-fetch",
    "nvram-store",
    "read-pci-config",
    "write-pci-config",
    "ibm,read-pci-config",
    "ibm,write-pci-config",
    "ibm,query-interrupt-source-number",
    "ibm,change-msi",
    "set-indicator",
    "set-power-level",
    "get-power-level",
    "get-sensor-state",
    "ibm,configure-connector",
    "ibm,os-term",
    "ibm,set-eeh-option",
    "ibm,get-config-addr-info2",
    "ibm,read-slot-reset-state2",
    "ibm,set-slot-reset",
    "ibm,configure-pe",
    "ibm,slot-error-detail",
    "ibm,query-pe-dma-window",
    "ibm,create-pe-dma-window",
    "ibm,remove-pe-dma-window",
    "ibm,reset-pe-dma-window",
    "ibm,suspend-me",
    "ibm,nmi-register",
    "ibm,nmi-interlock",
];

/// QEMU's first PHB BUID; PHB n has this plus n.
pub const QEMU_BUID_BASE: u64 = 0x0800_0000_2000_0000;

/// The interrupt controller's phandle, as in QEMU's trees.
const ICP_PHANDLE: u32 = 0x1111;

/// QEMU's first PCI LSI; PHB n has four from this plus 4n.
const LSI_BASE: u32 = 0x1200;

/// Functions that fit on one bus (32 devices of 8 functions).
pub(crate) const PER_BUS: u32 = 256;

/// Bridges on bus 0, one a device slot, each to a bus of its own.
const ROOT_BRIDGES: u32 = 32;

/// Functions the root bridges' buses hold without nesting.
const FLAT_MAX: u32 = ROOT_BRIDGES * PER_BUS;

/// Bus numbers are 8 bits.
const BUSES: u32 = 256;

/// A bridge behind a root bridge takes a device slot (8 functions) on that bus and
/// brings a bus of its own (256): 248 functions more each.
const NESTED_GAIN: u32 = PER_BUS - 8;

/// Nested bridges the bus numbers leave room for: all but bus 0 and the root bridges'.
const MAX_NESTED: u32 = BUSES - 1 - ROOT_BRIDGES;

/// The most functions one PHB holds: 8192 behind the 32 root bridges, 248 more for
/// each of the 223 nested bridges the remaining bus numbers allow.
pub const MAX_FUNCTIONS: u32 = FLAT_MAX + NESTED_GAIN * MAX_NESTED;

/// Why a tree cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    /// More functions than one PHB's 256 buses can hold.
    #[error(
        "a PHB holds at most {MAX_FUNCTIONS} functions, not {asked} (bus numbers are 8 bits: 256 buses of 256 functions, less the device slots of the 255 bridges that reach buses 1 to 255)"
    )]
    TooManyFunctions {
        /// Functions asked for.
        asked: u32,
    },
    /// The platform cannot be generated in this shape.
    #[error("{0}")]
    Platform(String),
}

/// Big-endian cells, as a property value.
pub fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

/// A NUL-terminated string, as a property value.
pub fn string(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// Generates the tree.
///
/// # Panics
/// When the spec asks for more than [`MAX_FUNCTIONS`] functions per PHB; use
/// [`try_generate`] to get the refusal as an error.
pub fn generate(spec: &GenSpec) -> Tree {
    try_generate(spec).unwrap_or_else(|e| panic!("{e}"))
}

/// Generates the tree, or says why it cannot.
///
/// Up to 256 functions sit on bus 0. Up to 8192 sit behind 32 bridges on bus 0
/// (`pci@0`..`pci@1f`, bus n+1 behind bridge n), 256 a bus. Beyond that, each root
/// bridge's bus also holds bridges (`ranges;`: transparent) at its top device slots,
/// spread evenly over the root bridges, each to a bus of 256 functions; buses are
/// numbered depth first, so each bridge's `bus-range` is its bus and the buses below.
pub fn try_generate(spec: &GenSpec) -> Result<Tree, GenError> {
    if spec.functions > MAX_FUNCTIONS {
        return Err(GenError::TooManyFunctions {
            asked: spec.functions,
        });
    }
    let per_phb = spec.functions as usize;
    let mut t = Tree::with_capacity(spec.phbs as usize * (per_phb + per_phb / 256 + 2) + 16);
    let root = t.root();
    t.set_prop(root, "#address-cells", cells(&[2]));
    t.set_prop(root, "#size-cells", cells(&[2]));
    t.set_prop(root, "compatible", string("qemu,pseries"));
    t.set_prop(root, "model", string("IBM pSeries (pseries-sim generated)"));
    t.set_prop(root, "device_type", string("chrp"));
    let rtas = t.add_child(root, "rtas");
    for (i, s) in QEMU_RTAS_SERVICES.iter().enumerate() {
        t.set_prop(rtas, s, cells(&[0x2000 + i as u32]));
    }
    t.set_prop(rtas, "ibm,change-msix-capable", Vec::new());
    t.set_prop(rtas, "rtas-size", cells(&[0x85c]));
    t.set_prop(
        rtas,
        "ibm,hypertas-functions",
        b"hcall-pft\0hcall-term\0hcall-dabr\0hcall-interrupt\0hcall-tce\0hcall-vio\0hcall-splpar\0hcall-multi-tce\0".to_vec(),
    );
    let icp = t.add_child(root, "interrupt-controller");
    t.set_prop(icp, "phandle", cells(&[ICP_PHANDLE]));
    t.set_prop(icp, "#interrupt-cells", cells(&[2]));
    t.set_prop(icp, "interrupt-controller", Vec::new());
    t.set_prop(icp, "compatible", string("IBM,ppc-xicp"));
    t.set_prop(
        icp,
        "device_type",
        string("PowerPC-External-Interrupt-Presentation"),
    );
    for p in 0..spec.phbs {
        phb(&mut t, root, p, spec);
    }
    Ok(t)
}

fn phb(t: &mut Tree, root: NodeId, index: u32, spec: &GenSpec) {
    let buid = QEMU_BUID_BASE + index as u64;
    let node = t.add_child(root, &format!("pci@{buid:x}"));
    let want = spec.msix.max(spec.msi) as u64 * spec.functions as u64;
    let total = want.clamp(8, u32::MAX as u64) as u32;
    t.set_prop(node, "#size-cells", cells(&[2]));
    t.set_prop(node, "#address-cells", cells(&[3]));
    t.set_prop(node, "ibm,pe-total-#msi", cells(&[total]));
    t.set_prop(node, "ibm,pci-config-space-type", cells(&[1]));
    t.set_prop(
        node,
        "reg",
        cells(&[(buid >> 32) as u32, buid as u32, 0, 0]),
    );
    t.set_prop(
        node,
        "ranges",
        cells(&[
            0x100_0000,
            0,
            0,
            0x2000 + index * 0x20,
            0,
            0,
            0x1_0000,
            0x200_0000,
            0,
            0x8000_0000,
            0x2000 + index * 0x20,
            0x8000_0000,
            0,
            0x8000_0000,
        ]),
    );
    t.set_prop(node, "bus-range", cells(&[0, 0xff]));
    t.set_prop(node, "#interrupt-cells", cells(&[1]));
    t.set_prop(node, "compatible", string("IBM,Logical_PHB"));
    t.set_prop(node, "device_type", string("pci"));
    // QEMU's map: every slot and pin on bus 0, swizzled over the PHB's four LSIs.
    let mut map = Vec::with_capacity(32 * 4 * 7);
    for slot in 0..32u32 {
        for pin in 1..=4u32 {
            let lsi = LSI_BASE + 4 * index + (slot + pin - 1) % 4;
            map.extend_from_slice(&[slot << 11, 0, 0, pin, ICP_PHANDLE, lsi, 1]);
        }
    }
    t.set_prop(node, "interrupt-map", cells(&map));
    t.set_prop(node, "interrupt-map-mask", cells(&[0xf800, 0, 0, u32::MAX]));
    if spec.functions > FLAT_MAX {
        return nested(t, node, index, spec);
    }
    let buses = spec.functions.div_ceil(PER_BUS);
    let mut placed = 0;
    for bus in 0..buses {
        let (parent, bus_no) = if buses == 1 {
            (node, 0)
        } else {
            // Bridges on bus 0 at device 0..; bus n+1 behind bridge n.
            (bridge(t, node, 0, bus, (bus + 1, bus + 1)), bus + 1)
        };
        let here = (spec.functions - placed).min(PER_BUS);
        for f in 0..here {
            function(t, parent, index, bus_no, f, spec);
        }
        placed += here;
    }
}

/// More functions than the root bridges' buses hold: bridges behind them too.
fn nested(t: &mut Tree, node: NodeId, index: u32, spec: &GenSpec) {
    let extra = (spec.functions - FLAT_MAX).div_ceil(NESTED_GAIN);
    let mut left = spec.functions;
    let mut next_bus = 1;
    for i in 0..ROOT_BRIDGES {
        let children = extra / ROOT_BRIDGES + u32::from(i < extra % ROOT_BRIDGES);
        let sec = next_bus;
        next_bus += 1 + children;
        let root_br = bridge(t, node, 0, i, (sec, sec + children));
        t.set_prop(root_br, "ranges", Vec::new());
        // Functions in the low device slots, the nested bridges in the top ones.
        let own = (ROOT_BRIDGES - children) * 8;
        let here = left.min(own);
        for f in 0..here {
            function(t, root_br, index, sec, f, spec);
        }
        left -= here;
        for j in 0..children {
            let bus = sec + 1 + j;
            let br = bridge(t, root_br, sec, ROOT_BRIDGES - children + j, (bus, bus));
            t.set_prop(br, "ranges", Vec::new());
            let here = left.min(PER_BUS);
            for f in 0..here {
                function(t, br, index, bus, f, spec);
            }
            left -= here;
        }
    }
    debug_assert_eq!(left, 0, "the layout holds every function");
}

/// A bare-metal host bridge's `interrupt-map` (every slot and pin on bus 0 swizzled
/// over four sources from `lsi_base + 4 * index` of the controller `intc`, level) and
/// its functions: on bus 0, or behind bridges on bus 0 when more than a bus holds.
pub(crate) fn pins_and_functions(
    t: &mut Tree,
    node: NodeId,
    index: u32,
    spec: &GenSpec,
    intc: u32,
    lsi_base: u32,
) {
    let mut map = Vec::with_capacity(32 * 4 * 7);
    for slot in 0..32u32 {
        for pin in 1..=4u32 {
            let lsi = lsi_base + 4 * index + (slot + pin - 1) % 4;
            map.extend_from_slice(&[slot << 11, 0, 0, pin, intc, lsi, 1]);
        }
    }
    t.set_prop(node, "interrupt-map", cells(&map));
    t.set_prop(node, "interrupt-map-mask", cells(&[0xf800, 0, 0, 7]));
    let buses = spec.functions.div_ceil(PER_BUS);
    let mut placed = 0;
    for bus in 0..buses {
        let (parent, bus_no) = if buses == 1 {
            (node, 0)
        } else {
            (bridge(t, node, 0, bus, (bus + 1, bus + 1)), bus + 1)
        };
        let here = (spec.functions - placed).min(PER_BUS);
        for f in 0..here {
            function(t, parent, index, bus_no, f, spec);
        }
        placed += here;
    }
}

/// A PCI-PCI bridge at device `dev` (function 0) of bus `bus`, to buses `range`.
pub(crate) fn bridge(
    t: &mut Tree,
    parent: NodeId,
    bus: u32,
    dev: u32,
    range: (u32, u32),
) -> NodeId {
    let br = t.add_child(parent, &format!("pci@{dev:x}"));
    let devfn = dev << 3;
    t.set_prop(br, "reg", cells(&[bus << 16 | devfn << 8, 0, 0, 0, 0]));
    t.set_prop(br, "#address-cells", cells(&[3]));
    t.set_prop(br, "#size-cells", cells(&[2]));
    t.set_prop(br, "bus-range", cells(&[range.0, range.1]));
    t.set_prop(br, "vendor-id", cells(&[0x1b36]));
    t.set_prop(br, "device-id", cells(&[0x1]));
    t.set_prop(br, "class-code", cells(&[0x60400]));
    t.set_prop(br, "device_type", string("pci"));
    br
}

pub(crate) fn function(
    t: &mut Tree,
    parent: NodeId,
    phb: u32,
    bus: u32,
    devfn: u32,
    spec: &GenSpec,
) {
    let (dev, func) = (devfn >> 3, devfn & 7);
    let name = if func == 0 {
        format!("ethernet@{dev:x}")
    } else {
        format!("ethernet@{dev:x},{func:x}")
    };
    let n = t.add_child(parent, &name);
    let hi = (bus << 16) | (devfn << 8);
    t.set_prop(n, "vendor-id", cells(&[0x1af4]));
    t.set_prop(n, "device-id", cells(&[0x1041]));
    t.set_prop(n, "revision-id", cells(&[1]));
    t.set_prop(n, "class-code", cells(&[0x20000]));
    t.set_prop(n, "interrupts", cells(&[1]));
    t.set_prop(n, "subsystem-id", cells(&[0x1100]));
    t.set_prop(n, "subsystem-vendor-id", cells(&[0x1af4]));
    t.set_prop(n, "cache-line-size", cells(&[0]));
    t.set_prop(n, "devsel-speed", cells(&[0]));
    t.set_prop(
        n,
        "ibm,loc-code",
        string(&format!(
            "qemu_virtio-net-pci:{phb:04x}:{bus:02x}:{dev:02x}.{func:x}"
        )),
    );
    t.set_prop(
        n,
        "ibm,my-drc-index",
        cells(&[0x4000_0000 | (phb << 16) | (bus << 8) | devfn]),
    );
    if spec.msi > 0 {
        t.set_prop(n, "ibm,req#msi", cells(&[spec.msi]));
    }
    if spec.msix > 0 {
        t.set_prop(n, "ibm,req#msi-x", cells(&[spec.msix]));
    }
    t.set_prop(n, "ibm,pci-config-space-type", cells(&[1]));
    let bar = 0x0200_0010 | hi;
    t.set_prop(n, "reg", cells(&[hi, 0, 0, 0, 0, bar, 0, 0, 0, 0x4000]));
    t.set_prop(n, "min-grant", cells(&[0]));
    t.set_prop(n, "max-latency", cells(&[0]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_buses() {
        let t = generate(&GenSpec {
            phbs: 2,
            functions: 300,
            msix: 16,
            msi: 1,
        });
        let phbs = t.find_device_type("pci");
        // Two PHBs, each with two bridges (300 functions need two buses).
        assert_eq!(phbs.len(), 2 + 4);
        let fns = t
            .walk()
            .into_iter()
            .filter(|&id| t.node(id).prop("ibm,req#msi-x").is_some())
            .count();
        assert_eq!(fns, 600);
        let f = t.find("/pci@800000020000001/pci@1/ethernet@5,3").unwrap();
        let reg = t.at(f).reg().unwrap().unwrap();
        assert_eq!(reg[0].address[0], (2 << 16) | (0x2b << 8));
    }
}
