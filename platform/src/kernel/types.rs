//! What the OS knows of devices, PHBs and its interrupt controller: plain data, each
//! device under its Linux name.

use super::eeh_state::EehDev;
use super::kinds::MsiType;
use of_tree::NodeId;
use papr_abi::pci::PciAddr;

/// Index of a device in [`Kernel::devices`](super::Kernel::devices).
pub type DevId = usize;

/// Linux's default interrupt priority on XICS.
pub const DEFAULT_PRIORITY: u32 = 5;
/// The priority Linux uses for every interrupt under XIVE.
pub const XIVE_PRIORITY: u32 = 6;

/// A message a device sends: address and data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MsiMessage {
    /// Address.
    pub address: u64,
    /// Data.
    pub data: u32,
}

/// The vectors a driver holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiState {
    /// MSI or MSI-X.
    pub kind: MsiType,
    /// OS interrupt numbers, one per vector the driver asked for.
    pub virqs: Vec<u32>,
    /// Hardware source behind each vector.
    pub sources: Vec<u32>,
    /// Message read back from the device, per vector.
    pub messages: Vec<MsiMessage>,
    /// Vectors the firmware granted (may exceed the driver's count after rounding).
    pub granted: u32,
}

/// A PCI function as the OS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Linux's name: `domain:bus:device.function`.
    pub name: String,
    /// Device tree node.
    pub node: NodeId,
    /// Node path.
    pub path: String,
    /// Index of its PHB in [`Kernel::phbs`](super::Kernel::phbs).
    pub phb: usize,
    /// Its PHB's BUID.
    pub buid: u64,
    /// Bus and devfn.
    pub addr: PciAddr,
    /// Hardware source of its LSI, if it has one.
    pub lsi: Option<u32>,
    /// OS interrupt number of its LSI.
    pub lsi_virq: Option<u32>,
    /// Its driver requested the LSI (request_irq on it).
    pub lsi_requested: bool,
    /// MSI state while a driver holds vectors.
    pub msi: Option<MsiState>,
    /// How many of its vectors, from the first, its driver started (request_irq) at
    /// its last request; None: every vector it holds.
    pub started: Option<u32>,
    /// Vectors its driver started later, after its last request (request_irq on each
    /// when its interface opened), in the order started.
    pub started_later: Vec<u32>,
    /// The device cannot take 64-bit MSI addresses (`pseries-sim,no-64bit-msi`).
    pub no_64bit_msi: bool,
    /// A PCI-PCI or CardBus bridge (by class code).
    pub is_bridge: bool,
    /// Where its MSI and MSI-X capabilities are, once looked up (Linux's
    /// `pdev->msi_cap` / `msix_cap`).
    pub caps: CapOffsets,
    /// EEH: its PE and the config registers saved when EEH was enabled on it.
    pub eeh: Option<EehDev>,
    /// A non-PCI MSI device (named by its node path, found by
    /// [`papr_abi::msgdev::PROP_MSI_VECTORS`]): its message slots. None for PCI functions.
    pub msi_device: Option<MsiDeviceInfo>,
    /// Hot-removed: gone from the tree and the machine. The entry stays so that other
    /// devices keep their [`DevId`]; lookups by name or address skip it.
    pub removed: bool,
}

/// A non-PCI MSI device as the OS knows it from its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiDeviceInfo {
    /// CPU address of its message slots (`reg`).
    pub base: u64,
    /// Vectors it has (`pseries-sim,msi-vectors`).
    pub vectors: u32,
    /// What is wrong with its `msi-parent`, naming the node (None: a PHB's MSI
    /// controller, [`Device::phb`]).
    pub parent_problem: Option<String>,
}

/// A function's MSI and MSI-X capability offsets, each found once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapOffsets {
    /// MSI: None until looked up, then Some(offset or None).
    pub msi: Option<Option<u32>>,
    /// MSI-X, likewise.
    pub msix: Option<Option<u32>>,
}

/// A bare-metal PHB's MSI range and the OS's own allocator over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiRange {
    /// Where messages go.
    pub address: u64,
    /// The allocator (Linux's `msi_bitmap`).
    pub bitmap: crate::msi_bitmap::MsiBitmap,
}

/// A PHB as the OS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhbInfo {
    /// PCI domain number.
    pub domain: u32,
    /// BUID.
    pub buid: u64,
    /// Node.
    pub node: NodeId,
    /// Bare metal: the MSI range the tree gives and the OS allocates from.
    pub msi: Option<MsiRange>,
    /// Its memory windows (None: no `ranges`, bus addresses are CPU addresses).
    pub windows: Option<Vec<MemWindow>>,
    /// The platform's MSI set-up gave it no MSI domain (pSeries: no
    /// `ibm,pe-total-#msi` at or above its node): every MSI and MSI-X request of a
    /// function under it fails, "MSI not supported".
    pub no_msi_domain: bool,
}

/// Which interrupt controller the OS drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerKind {
    /// XICS (presentation `IBM,ppc-xicp`).
    Xics,
    /// XIVE (`ibm,power-ivpe`), driven by hypervisor calls.
    Xive,
    /// Another controller, programmed through its registers.
    Other,
}

/// The interrupt controller found by init_irq.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    /// Node path.
    pub path: String,
    /// Kind.
    pub kind: ControllerKind,
    /// CPU address of its source registers, when the tree gives them.
    pub registers: Option<u64>,
}

/// An MSI virq a driver held, and what it stood for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldVirq {
    /// OS interrupt number.
    pub virq: u32,
    /// Device.
    pub dev: DevId,
    /// Vector.
    pub vector: u32,
    /// Hardware source then.
    pub source: u32,
}

/// A PHB's memory window: bus addresses from `bus` for `size` bytes appear to the CPU
/// at `cpu` (a memory-space entry of its `ranges`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemWindow {
    /// First bus address.
    pub bus: u64,
    /// Where it appears to the CPU.
    pub cpu: u64,
    /// Bytes.
    pub size: u64,
}

/// Linux's name of a function.
pub fn pci_name(domain: u32, addr: PciAddr) -> String {
    // `{:04x}:{:02x}:{:02x}.{:x}`, written digit by digit: the scan names every
    // function, and `format!` costs more than the rest of naming it.
    fn hex(s: &mut String, v: u32, width: usize) {
        let digits = (32 - v.leading_zeros()).div_ceil(4).max(width as u32);
        for i in (0..digits).rev() {
            let d = (v >> (4 * i)) & 0xf;
            s.push(char::from_digit(d, 16).unwrap_or('0'));
        }
    }
    let mut s = String::with_capacity(12);
    hex(&mut s, domain, 4);
    s.push(':');
    hex(&mut s, addr.bus.into(), 2);
    s.push(':');
    hex(&mut s, addr.device().into(), 2);
    s.push('.');
    hex(&mut s, addr.function().into(), 1);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_names_as_format_writes_them() {
        let cases = [
            (0, 0, 0),
            (1, 2, 0xff),
            (0xffff, 0xff, 8),
            (0x12345, 0x10, 0x21),
        ];
        for (domain, bus, devfn) in cases {
            let addr = PciAddr { bus, devfn };
            let want = format!(
                "{:04x}:{:02x}:{:02x}.{:x}",
                domain,
                bus,
                addr.device(),
                addr.function()
            );
            assert_eq!(pci_name(domain, addr), want);
        }
    }
}
