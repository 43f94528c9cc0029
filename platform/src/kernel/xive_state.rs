//! The XIVE driver's state: each CPU's event queue as the OS reads it, and what the
//! hypervisor said of each source.

use papr_abi::table::Table;

/// A CPU's queue as the OS reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsQueue {
    /// Guest address.
    pub qpage: u64,
    /// Entries.
    pub entries: u32,
    /// Next entry to read.
    pub index: u32,
    /// Generation bit of valid entries this lap.
    pub toggle: bool,
}

/// What GET_SOURCE_INFO said of a source (kept small: one per vector).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceData {
    /// Its flags (LSI, H_INT_ESB).
    pub flags: u8,
    /// EOI page (`u64::MAX`: through H_INT_ESB).
    eoi: u64,
    /// Trigger page, as an offset below the EOI page.
    trig_below: u32,
}

impl SourceData {
    pub(crate) fn new(r: &[i64]) -> SourceData {
        let (eoi, trig) = (r[2] as u64, r[3] as u64);
        SourceData {
            flags: r[1] as u8,
            eoi,
            trig_below: eoi.wrapping_sub(trig) as u32,
        }
    }

    /// EOI page (None: through H_INT_ESB).
    pub fn eoi_page(&self) -> Option<u64> {
        (self.eoi != u64::MAX).then_some(self.eoi)
    }

    /// Trigger page.
    pub fn trig_page(&self) -> Option<u64> {
        self.eoi_page().map(|e| e - self.trig_below as u64)
    }
}

/// The XIVE driver's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XiveOs {
    /// One queue per CPU.
    pub queues: Vec<OsQueue>,
    /// What GET_SOURCE_INFO said, by hardware number (EOI page 0: not asked yet).
    pub(crate) sources: Table<SourceData>,
}

impl XiveOs {
    /// What GET_SOURCE_INFO said of a source, if it was asked.
    pub fn source(&self, hw: u32) -> Option<SourceData> {
        Some(self.sources.get(hw)).filter(|d| d.eoi != 0)
    }

    pub(crate) fn insert(&mut self, hw: u32, d: SourceData) {
        self.sources.set(hw, d);
    }
}
