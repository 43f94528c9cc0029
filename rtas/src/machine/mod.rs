//! A simulated pSeries machine: its PHBs and functions, interrupt controllers and MSI
//! pools, built from a device tree, and the delivery of signalled vectors.

mod base;
mod build;
mod checks;
mod delivery;
mod hotplug;
mod ims_delivery;
mod lsi;
mod mmio;
mod mmio_map;
mod msg_delivery;
mod profile;
mod types;

pub use base::Machine;
pub use build::{pci_functions_below, BusNumbers};
pub use checks::HardwareMismatch;
pub use mmio::MmioTarget;
pub use profile::{MachineConfig, Profile, UnknownProfile};
pub use types::{
    DropCounters, FnRef, GuestRam, Signal, ICS_BASE, ICS_COUNT, LSI_BASE, MSI_WINDOW,
    MSI_WINDOW_32, QUEUE_RAM_BASE, QUEUE_RAM_PER_SERVER,
};
