//! Simulated pSeries firmware: PHBs and PCI functions with config space and MSI/MSI-X
//! capabilities, XICS-style interrupt source controllers, MSI source allocation, and
//! the RTAS services an OS calls.
//!
//! ```
//! let blob = include_bytes!("../../fixtures/linux-guest/qemu-initial.dtb");
//! let tree = of_tree::dtb::read(blob).unwrap();
//! let mut fw = rtas::Firmware::new(&tree, &Default::default()).unwrap();
//! // ibm,change-msi: 00:01.0 on PHB 0x800000020000000, function 4 (MSI-X), 4 vectors.
//! let out = fw
//!     .call(rtas::Service::ChangeMsi, &[0x800, 0x800_0000, 0x2000_0000, 4, 4, 1], 4)
//!     .unwrap();
//! assert_eq!((out[0], out[1]), (0, 4), "success, four vectors");
//! ```
#![deny(missing_docs)]

pub mod addr_index;
pub mod alloc;
pub mod axon;
mod call_cells;
pub mod calllog;
pub mod cas;
mod client_tree;
pub mod clock;
pub mod config;
pub mod drc;
mod error;
pub mod faults;
pub mod firmware;
pub mod hardware;
pub mod hcall;
pub mod ics;
pub mod ims;
pub mod machine;
pub mod memory;
pub mod mpic;
pub mod msgdev;
pub mod offer;
pub mod pci;
pub mod phb;
pub mod replay;
pub mod service;
mod services;
pub mod state;
pub mod tctx;
mod tree_id;
pub mod xive;

pub use client_tree::{enumerated, PROP_ICS_REGISTERS, PROP_MSI_ADDRESS, PROP_MSI_RANGES};
pub use error::{Error, InterruptMapError, LsiError, ValidateError};
pub use firmware::{CallError, Firmware, HeldBlock};
pub use machine::{FnRef, Machine, MachineConfig, MmioTarget, Profile, Signal};
pub use papr_abi::status;
pub use phb::Window;
pub use service::Service;
