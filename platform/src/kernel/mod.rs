//! The simulated OS: boot through the ops table, the PCI scan, the generic MSI layer,
//! the irq layer and suspend/resume. It reaches the machine only through its [`Port`](crate::port::Port);
//! everything else it learns from the device tree.

mod boot;
pub mod client;
mod core;
pub mod defaults;
pub mod eeh;
mod eeh_state;
pub mod hotplug;
mod interrupts;
mod kinds;
mod msi;
mod msi_device;
mod msi_ims;
mod msi_pci;
pub mod msi_store;
pub mod msi_stores;
pub mod of;
pub mod ops;
pub mod pci;
pub mod prom_init;
pub mod rtas;
mod rtas_tokens;
mod scan;
pub mod suspend;
mod types;
pub mod xive;
mod xive_state;

pub use self::core::{Kernel, OsOptions, Select};
pub use interrupts::Handled;
pub use rtas_tokens::RtasTokens;
pub use types::*;
pub use xive_state::{OsQueue, SourceData, XiveOs};
