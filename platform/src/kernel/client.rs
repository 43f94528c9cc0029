//! Code that negotiates MSIs in place of a machine description's hooks (a compiled
//! Linux client, say): the kernel drives it through these traits and names no
//! implementation.

use super::ops::MsiType;
use super::{DevId, Kernel};
use crate::error::{Error, MsiError};

/// One kernel's instance of a client: Linux's MSI entry points.
pub trait MsiClient {
    /// The tree's nodes and PHBs handed over, its MSI set-up run (Linux's
    /// `rtas_msi_init`). True when MSI is registered.
    fn msi_init(&mut self, k: &mut Kernel) -> bool;
    /// The per-function fix-up at the PCI scan (Linux's `pcibios_fixup` hook).
    fn pci_irq_fixup(&mut self, k: &mut Kernel, dev: DevId);
    /// A driver's request of `min..=max` vectors: the count granted and the virqs.
    fn request(
        &mut self,
        k: &mut Kernel,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<(u32, Vec<u32>), MsiError>;
    /// request_irq on every vector the driver holds.
    fn request_irqs(&mut self, k: &mut Kernel, dev: DevId);
    /// free_irq on every vector, then the vectors released.
    fn free(&mut self, k: &mut Kernel, dev: DevId);
}

/// A client built once and instantiated per kernel.
pub trait ClientBuild: std::fmt::Debug + Send + Sync {
    /// Its name as the trace and `diff-clients` show it.
    fn name(&self) -> String;
    /// A fresh instance for one kernel.
    fn instantiate(&self) -> Result<Box<dyn MsiClient>, Error>;
}

/// Which code negotiates MSIs with the firmware.
#[derive(Debug, Clone, Copy, Default)]
pub enum Client {
    /// The project's model of Linux (the machine description's hooks).
    #[default]
    Model,
    /// A built client.
    Built(&'static dyn ClientBuild),
}

impl Client {
    /// The client's name as the trace and `diff-clients` show it.
    pub fn name(&self) -> String {
        match self {
            Client::Model => "model".into(),
            Client::Built(c) => c.name(),
        }
    }
}
