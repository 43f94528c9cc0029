//! The OS side of pseries-sim: the `ppc_md`-like ops table with a pseries (RTAS) and a
//! generic (bare-metal) description, machine probing, the boot sequence, Linux's MSI
//! negotiation, interrupt number mapping and drivers; the OS reaches the machine only
//! through its port ([`hw`]). What only a simulator does lives in [`harness`]:
//! building the machine, making devices signal, renumbering at resume, saving state,
//! scenarios' view of the firmware.
//!
//! ```
//! let blob = include_bytes!("../../fixtures/linux-guest/qemu-initial.dtb");
//! let tree = of_tree::dtb::read(blob).unwrap();
//! let mut k = platform::harness::boot(tree, platform::BootOptions::default()).unwrap();
//! let d = k.device("0000:00:01.0").unwrap();
//! let got = k.request(d, platform::MsiType::Msix, 4, 1).unwrap();
//! assert_eq!(got, 4);
//! let virq = platform::harness::fire(&mut k, d, 3).unwrap();
//! assert_eq!(Some(virq), k.devices[d].msi.as_ref().map(|m| m.virqs[3]));
//! ```
#![deny(missing_docs)]

pub mod axon;
pub mod boot;
pub mod check;
mod error;
pub mod generic;
pub mod harness;
pub mod hw;
pub mod irq;
pub mod kernel;
pub mod linux;
pub mod mpic;
pub mod msi_bitmap;
pub mod ops;
pub mod pseries;
pub mod quota;
pub mod scenario;
pub mod trace;

pub use error::{Error, MsiError};
pub use harness::BootOptions;
pub use kernel::{DevId, Kernel};
pub use ops::{MachineDescription, MsiType, ResumeMode};
