//! The OS side of pseries-sim: the `ppc_md`-like ops table and the machine
//! descriptions (pseries, mpic, axon, generic), machine probing, the boot sequence,
//! Linux's MSI negotiation, interrupt number mapping and drivers, and the loader of a
//! compiled Linux client. The OS reaches the machine only through its [`port::Port`];
//! everything else it learns from the device tree. It knows no firmware type: the
//! simulator (the `pseries-sim` package) implements the port over its firmware.
//!
//! ```
//! let blob = include_bytes!("../../fixtures/linux-guest/qemu-initial.dtb");
//! let tree = of_tree::dtb::read(blob).unwrap();
//! let d = platform::ops::descriptions().iter().find(|d| (d.probe)(&tree)).unwrap();
//! assert_eq!(d.name, "pseries");
//! ```
#![deny(missing_docs)]

pub mod axon;
mod error;
pub mod generic;
pub mod irq;
pub mod kernel;
pub mod linux;
pub mod mpic;
pub mod msi_bitmap;
pub mod ops;
pub mod port;
pub mod pseries;
pub mod quota;
pub mod trace;

pub use error::{Error, MsiError};
pub use kernel::{DevId, Kernel};
pub use ops::{MachineDescription, MsiType, ResumeMode};
