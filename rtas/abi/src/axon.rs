//! The Axon bridge's MSI controller (MSIC) of Cell blades: its DCR registers, control
//! bits and FIFO entry layout.

/// DCR: control.
pub const MSIC_CTRL_REG: u32 = 0x0;
/// DCR: FIFO base address, high word.
pub const MSIC_BASE_ADDR_HI_REG: u32 = 0x3;
/// DCR: FIFO base address, low word.
pub const MSIC_BASE_ADDR_LO_REG: u32 = 0x4;
/// DCR: read offset (the OS's; the MSIC does not act on it).
pub const MSIC_READ_OFFSET_REG: u32 = 0x5;
/// DCR: write offset: where the next entry goes.
pub const MSIC_WRITE_OFFSET_REG: u32 = 0x6;
/// Control: the MSIC takes messages.
pub const MSIC_CTRL_ENABLE: u32 = 0x0001;
/// Control: raise the cascade interrupt for each message.
pub const MSIC_CTRL_IRQ_ENABLE: u32 = 0x0008;
/// Control: FIFO size field (bits 8-9): `(1 << (n + 15))` bytes.
pub const MSIC_CTRL_FIFO_SIZE_MASK: u32 = 0x300;
/// Bytes of a FIFO entry.
pub const MSIC_FIFO_ENTRY_SIZE: u64 = 0x10;
/// What the OS writes into an entry it consumed (and fills the FIFO with at first).
pub const FIFO_EMPTY: u32 = 0xffff_ffff;
/// The compatible string of the MSIC node.
pub const COMPATIBLE: &str = "ibm,axon-msic";
