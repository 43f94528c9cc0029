//! The interface between a pSeries OS and its firmware, as both sides know it from the
//! specifications (LoPAPR, QEMU's and Linux's bindings) and from the simulator's own
//! documented bindings: RTAS status codes, hypervisor call numbers, operations and
//! return codes, client-architecture-support option-vector bits, property names,
//! register layouts of the MPIC, the Axon MSIC and the bare-metal source controller,
//! XIVE's ESB pages, and a PCI function's address. Neither side's state lives here.
//!
//! ```
//! use papr_abi::pci::PciAddr;
//! let (addr, reg) = PciAddr::from_config_addr(0x0001_0844);
//! assert_eq!((addr.to_string(), reg), ("01:01.0".to_string(), 0x44));
//! assert_eq!(papr_abi::hcall::name(papr_abi::hcall::H_INT_ESB), "H_INT_ESB");
//! ```
#![deny(missing_docs)]

pub mod axon;
pub mod cas;
pub mod hcall;
pub mod ics;
pub mod ims;
pub mod mpic;
pub mod msgdev;
pub mod pci;
pub mod props;
pub mod status;
pub mod table;
pub mod xive;
