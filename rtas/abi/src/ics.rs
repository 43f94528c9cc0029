//! The bare-metal interrupt source controller's register page.

/// CPU address of the bare-metal source controller's register page.
pub const ICS_MMIO_BASE: u64 = 0x3f00_0000_0000;
/// Bytes of that page.
pub const ICS_MMIO_SIZE: u64 = 0x1000;
/// Register: the source number the next XIVE access is about (write, read back).
pub const ICS_REG_SELECT: u64 = 0x0;
/// Register: the selected source's `server << 8 | priority` (0xff: masked).
pub const ICS_REG_XIVE: u64 = 0x4;
