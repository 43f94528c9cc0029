//! What the blob's readers and writers share: the structure block's tokens, 4-byte
//! alignment, names from the strings block, and the error for a malformation at an
//! offset.

use crate::error::Error;

/// Structure block token: start of a node.
pub(super) const FDT_BEGIN_NODE: u32 = 1;
/// Structure block token: end of a node.
pub(super) const FDT_END_NODE: u32 = 2;
/// Structure block token: a property.
pub(super) const FDT_PROP: u32 = 3;
/// Structure block token: no operation.
pub(super) const FDT_NOP: u32 = 4;
/// Structure block token: end of the structure block.
pub(super) const FDT_END: u32 = 9;

/// The error for a malformed blob, at the byte offset where it shows.
pub(super) fn bad(offset: usize, msg: impl Into<String>) -> Error {
    Error::Dtb {
        offset,
        msg: msg.into(),
    }
}

/// The NUL-terminated UTF-8 name at `off` in the strings block, or what is wrong with it.
pub(super) fn string_at(strings: &[u8], off: usize) -> Result<&str, String> {
    let s = strings
        .get(off..)
        .ok_or_else(|| format!("property name offset {off:#x} lies outside the strings block"))?;
    let nul = s
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| format!("property name at {off:#x} is not NUL-terminated"))?;
    std::str::from_utf8(&s[..nul]).map_err(|_| format!("property name at {off:#x} is not UTF-8"))
}

/// `x` rounded up to a multiple of 4.
pub(super) fn align4(x: usize) -> usize {
    (x + 3) & !3
}
