//! The CPU address map of the BARs the firmware assigned, as the machine keeps it.

use super::types::FnRef;
use std::collections::BTreeMap;

/// CPU address ranges of every assigned memory BAR: start -> (end, function, BAR).
#[derive(Debug, Clone, Default)]
pub(crate) struct MmioMap {
    pub(super) ranges: BTreeMap<u64, (u64, FnRef, u8)>,
    /// The range the last access hit (accesses come in runs over one table).
    pub(super) last: Option<(u64, u64, FnRef, u8)>,
}

impl PartialEq for MmioMap {
    fn eq(&self, other: &Self) -> bool {
        self.ranges == other.ranges
    }
}

impl Eq for MmioMap {}
