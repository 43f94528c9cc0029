//! The flattened device tree blob (DTB): header, reading and writing.

mod format;
mod header;
mod read;
mod rewrite;
mod walk;
mod write;

pub use header::{Header, FDT_MAGIC};
pub use read::read;
pub use rewrite::rewrite;
pub use walk::MAX_DEPTH;
pub use write::{write, WriteOptions};

/// Whether bytes start with the DTB magic 0xd00dfeed.
pub fn is_dtb(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && bytes[..4] == FDT_MAGIC.to_be_bytes()
}
