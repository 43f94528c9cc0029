//! XIVE in exploitation mode as both sides see it: where the ESB pages are, their
//! offsets and PQ states, priorities and queue sizes.

/// Where the sources' ESB pages start (QEMU's `SPAPR_XIVE_VC_BASE`).
pub const ESB_BASE: u64 = 0x0006_0100_0000_0000;
/// Where the event queues' ESB pages start (QEMU's END ESB region).
pub const END_ESB_BASE: u64 = 0x0006_0100_4000_0000;
/// ESB page shift: 64 KiB pages, two per source (trigger, then EOI).
pub const ESB_SHIFT: u32 = 16;
/// Priorities the OS may use: 0..=6 (7 and up are reserved, `ibm,plat-res-int-priorities`).
pub const MAX_PRIORITY: u8 = 6;
/// Priority that resets (masks) a source's assignment.
pub const PRIORITY_RESET: u8 = 0xff;
/// Queue sizes (page shifts) SET_QUEUE_CONFIG accepts, as QEMU does; 0 resets.
pub const QUEUE_SHIFTS: [u8; 4] = [12, 16, 21, 24];

/// ESB offsets within the EOI page (Linux's `XIVE_ESB_*`).
pub mod esb {
    /// Load: EOI; returns 1 when the source must be handled again.
    pub const LOAD_EOI: u64 = 0x000;
    /// Store: EOI (only where the source flags store-EOI).
    pub const STORE_EOI: u64 = 0x400;
    /// Load: the PQ bits.
    pub const GET: u64 = 0x800;
    /// Load: PQ := 00 (on), returns the old PQ.
    pub const SET_PQ_00: u64 = 0xc00;
    /// Load: PQ := 01 (off), returns the old PQ.
    pub const SET_PQ_01: u64 = 0xd00;
    /// Load: PQ := 10, returns the old PQ.
    pub const SET_PQ_10: u64 = 0xe00;
    /// Load: PQ := 11, returns the old PQ.
    pub const SET_PQ_11: u64 = 0xf00;
}

/// PQ = 00: enabled, idle.
pub const PQ_RESET: u8 = 0b00;
/// PQ = 01: off (triggers are dropped).
pub const PQ_OFF: u8 = 0b01;
/// PQ = 10: an event was forwarded and not yet EOIed.
pub const PQ_PENDING: u8 = 0b10;
/// PQ = 11: another trigger came while pending.
pub const PQ_QUEUED: u8 = 0b11;
