//! MSI source allocation, behind a policy chosen per machine.

mod buddy;
mod kind;
mod pools;
mod qemu;

pub use buddy::BuddyPool;
pub use kind::BlockKind;
pub use pools::Pools;
pub use qemu::QemuPool;
