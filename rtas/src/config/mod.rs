//! PCI configuration space: little-endian registers with per-bit write rules, and the
//! capabilities that live in it.

mod access;
pub(crate) mod header;
mod msi;
mod msix;
mod space;

pub use access::{check_access, AccessError};
pub use header::{Bar, BarKind, HeaderType};
pub use msi::MsiCap;
pub use msix::{MsixCap, MsixTable, MSIX_ENTRY_SIZE};
pub use space::{ConfigSpace, MaskPool, Masks};
