//! The ops table (the kernel's `ppc_md`): hooks a machine description fills. An empty
//! hook falls back to the shared default (`defaults`) or answers "not supported".

use super::{DevId, Kernel};
use crate::error::{Error, MsiError};
use of_tree::Tree;

/// The kind of message store a request is for: MSI, MSI-X or IMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MsiType {
    /// Message-signalled interrupts (capability 0x05).
    Msi,
    /// MSI-X (capability 0x11).
    Msix,
    /// IMS: slots in the function's own memory (`pseries-sim,ims-store`), under the new
    /// interrupt scheme.
    Ims,
}

impl std::fmt::Display for MsiType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MsiType::Msi => "msi",
            MsiType::Msix => "msix",
            MsiType::Ims => "ims",
        })
    }
}

/// How the firmware behaves at resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeMode {
    /// Everything as before (what PAPR requires).
    Keep,
    /// The firmware redoes its allocations and hands out different sources.
    Renumber,
}

/// A step hook.
pub type StepHook = fn(&mut Kernel) -> Result<(), Error>;
/// An MSI hook: device, vector count, kind.
pub type MsiHook = fn(&mut Kernel, DevId, u32, MsiType) -> Result<(), MsiError>;
/// A config read hook: device, register, size.
pub type ReadConfigHook = fn(&mut Kernel, DevId, u32, u32) -> Option<u32>;
/// A config write hook: device, register, size, value.
pub type WriteConfigHook = fn(&mut Kernel, DevId, u32, u32, u32) -> bool;
/// A chained flow handler (Linux's `irq_set_chained_handler`, e.g. `axon_msi_cascade`):
/// given a source the CPU took, the virqs it demultiplexes to, or None when the source
/// is not one it handles.
pub type ChainedHook = fn(&mut Kernel, u32) -> Option<Vec<u32>>;
/// The resume hook.
pub type ResumeHook = fn(&mut Kernel, ResumeMode) -> Result<(), Error>;

/// A machine description: its name, how it recognises a tree, and its hooks.
#[derive(Clone, Copy)]
pub struct MachineDescription {
    /// Name, as the trace shows it.
    pub name: &'static str,
    /// The machine runs PAPR firmware (RTAS, hypervisor calls); false: bare metal.
    pub papr: bool,
    /// Whether this description drives the machine the tree describes.
    pub probe: fn(&Tree) -> bool,
    /// Architecture set-up after the probe.
    pub setup_arch: Option<StepHook>,
    /// Finds and sets up the interrupt controller.
    pub init_irq: Option<StepHook>,
    /// Finds the PCI host bridges.
    pub discover_phbs: Option<StepHook>,
    /// Sets up MSI support; false means "no MSI support" (drivers fall back to LSI).
    pub msi_init: Option<fn(&mut Kernel) -> bool>,
    /// Per-function fix-up at PCI scan.
    pub pci_irq_fixup: Option<fn(&mut Kernel, DevId)>,
    /// Sanity check of a request of `nvec` vectors.
    pub msi_check_device: Option<MsiHook>,
    /// Sets up a device's whole request at once.
    pub setup_msi_irqs: Option<MsiHook>,
    /// Releases all of a device's vectors.
    pub teardown_msi_irqs: Option<fn(&mut Kernel, DevId)>,
    /// Reads config space (None: direct hardware access).
    pub read_config: Option<ReadConfigHook>,
    /// Writes config space (None: direct hardware access).
    pub write_config: Option<WriteConfigHook>,
    /// Unmasks an interrupt source (Linux's `irq_chip.irq_unmask`; None: program the
    /// controller's registers directly).
    pub irq_unmask: Option<fn(&mut Kernel, u32)>,
    /// Masks an interrupt source (`irq_chip.irq_mask`; None: the registers directly).
    pub irq_mask: Option<fn(&mut Kernel, u32)>,
    /// The flow handler of a cascaded controller's interrupt (Linux's
    /// `irq_set_chained_handler`); None: every source is a virq of its own.
    pub chained_handler: Option<ChainedHook>,
    /// Suspends the partition.
    pub suspend: Option<StepHook>,
    /// Resumes it.
    pub resume: Option<ResumeHook>,
}

impl MachineDescription {
    /// A description that accepts no tree and fills no hook: descriptions start from it
    /// (`..MachineDescription::EMPTY`), so an empty hook takes the shared default.
    pub const EMPTY: MachineDescription = MachineDescription {
        name: "",
        papr: false,
        probe: |_| false,
        setup_arch: None,
        init_irq: None,
        discover_phbs: None,
        msi_init: None,
        pci_irq_fixup: None,
        msi_check_device: None,
        setup_msi_irqs: None,
        teardown_msi_irqs: None,
        read_config: None,
        write_config: None,
        irq_unmask: None,
        irq_mask: None,
        chained_handler: None,
        suspend: None,
        resume: None,
    };
}

impl std::fmt::Debug for MachineDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MachineDescription({})", self.name)
    }
}
