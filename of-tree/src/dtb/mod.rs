//! The flattened device tree blob (DTB): header, reading and writing.

mod header;
mod read;
mod rewrite;
mod walk;
mod write;

pub use header::{Header, FDT_MAGIC};
pub use read::{read, MAX_DEPTH};
pub use rewrite::rewrite;
pub use write::{write, WriteOptions};

/// Whether bytes start with the DTB magic 0xd00dfeed.
pub fn is_dtb(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && bytes[..4] == FDT_MAGIC.to_be_bytes()
}

/// Structure block token: start of a node.
pub(crate) const FDT_BEGIN_NODE: u32 = 1;
/// Structure block token: end of a node.
pub(crate) const FDT_END_NODE: u32 = 2;
/// Structure block token: a property.
pub(crate) const FDT_PROP: u32 = 3;
/// Structure block token: no operation.
pub(crate) const FDT_NOP: u32 = 4;
/// Structure block token: end of the structure block.
pub(crate) const FDT_END: u32 = 9;
