//! The OS side of pseries-sim: the `ppc_md`-like ops table with a pseries (RTAS) and a
//! generic (direct config space) backend, machine probing, the boot sequence, Linux's
//! MSI negotiation, interrupt number mapping, drivers and scenarios.
#![deny(missing_docs)]

pub mod boot;
pub mod check;
mod error;
pub mod generic;
pub mod irq;
pub mod kernel;
pub mod map;
pub mod ops;
pub mod pseries;
pub mod scenario;
pub mod trace;

pub use error::{Error, MsiError};
pub use kernel::{BootOptions, DevId, Kernel};
pub use ops::{MachineDescription, MsiType, ResumeMode};
