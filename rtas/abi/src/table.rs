//! Tables indexed by number from 0 whose untouched entries are in a reset state
//! (`T::default()`): only pages with a touched entry take memory, and state blobs keep
//! only the entries out of the reset state, with their numbers.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Entries of a table a state blob may set: a blob naming entry 2^31 must not ask for
/// a page table of millions of slots.
pub const RESTORED_ENTRIES: u32 = 1 << 24;

/// A listed table entry out of order or past what the table may hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: entry {index} is out of order or past the {limit} it may hold")]
pub struct TableError {
    /// The table, as the caller names it.
    pub what: String,
    /// The entry's number.
    pub index: u32,
    /// Entries the table may hold.
    pub limit: u32,
}

/// Entries in a page.
const PAGE: usize = 256;

/// A table of `T` by number, every entry in the reset state until set. Two tables are
/// equal when their entries are.
#[derive(Clone, Default)]
pub struct Table<T> {
    /// Page `i` holds entries `i * PAGE ..`; `None`: all in the reset state.
    pages: Vec<Option<Box<[T]>>>,
}

impl<T: Copy + Default + PartialEq> Table<T> {
    /// An empty table (every entry in the reset state).
    pub fn new() -> Self {
        Table { pages: Vec::new() }
    }

    /// Entry `i` (the reset state if untouched).
    pub fn get(&self, i: u32) -> T {
        let i = i as usize;
        match self.pages.get(i / PAGE) {
            Some(Some(p)) => p[i % PAGE],
            _ => T::default(),
        }
    }

    /// Entry `i`, to change.
    pub fn get_mut(&mut self, i: u32) -> &mut T {
        let i = i as usize;
        let n = i / PAGE;
        if n >= self.pages.len() {
            self.pages.resize_with(n + 1, || None);
        }
        let page = self.pages[n].get_or_insert_with(|| vec![T::default(); PAGE].into());
        &mut page[i % PAGE]
    }

    /// Sets entry `i`.
    pub fn set(&mut self, i: u32, e: T) {
        *self.get_mut(i) = e;
    }

    /// Puts entry `i` back in the reset state.
    pub fn reset(&mut self, i: u32) {
        let i = i as usize;
        if let Some(Some(p)) = self.pages.get_mut(i / PAGE) {
            p[i % PAGE] = T::default();
        }
    }

    /// The entries out of the reset state, with their numbers, in ascending order.
    pub fn touched(&self) -> impl Iterator<Item = (u32, T)> + '_ {
        let reset = T::default();
        self.pages
            .iter()
            .enumerate()
            .filter_map(|(n, p)| Some((n, p.as_deref()?)))
            .flat_map(move |(n, p)| {
                p.iter()
                    .enumerate()
                    .filter(move |(_, e)| **e != reset)
                    .map(move |(i, e)| ((n * PAGE + i) as u32, *e))
            })
    }

    /// Every entry that may be out of the reset state, with its number, to change.
    pub fn entries_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> + '_ {
        self.pages
            .iter_mut()
            .enumerate()
            .filter_map(|(n, p)| Some((n, p.as_deref_mut()?)))
            .flat_map(|(n, p)| {
                p.iter_mut()
                    .enumerate()
                    .map(move |(i, e)| ((n * PAGE + i) as u32, e))
            })
    }

    /// One past the highest touched number (0 when none is).
    pub fn end(&self) -> u64 {
        self.touched().last().map_or(0, |(i, _)| i as u64 + 1)
    }

    /// The table [`Table::touched`] listed; numbers must ascend and lie below `limit`
    /// (and below [`RESTORED_ENTRIES`]). `what` names the table in errors.
    pub fn from_touched(
        entries: Vec<(u32, T)>,
        limit: u32,
        what: &str,
    ) -> Result<Self, TableError> {
        let limit = limit.min(RESTORED_ENTRIES);
        let mut t = Table::new();
        let mut next = 0u64;
        for (i, e) in entries {
            if i >= limit || (i as u64) < next {
                return Err(TableError {
                    what: what.to_string(),
                    index: i,
                    limit,
                });
            }
            next = i as u64 + 1;
            if e != T::default() {
                t.set(i, e);
            }
        }
        Ok(t)
    }
}

impl<T: Copy + Default + PartialEq> PartialEq for Table<T> {
    fn eq(&self, other: &Self) -> bool {
        self.touched().eq(other.touched())
    }
}

impl<T: Copy + Default + Eq> Eq for Table<T> {}

impl<T: Copy + Default + PartialEq + fmt::Debug> fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.touched()).finish()
    }
}

/// Saved as the touched entries.
impl<T: Copy + Default + PartialEq + Serialize> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Counted first: bincode writes a sequence's length before it.
        s.collect_seq(self.touched().collect::<Vec<_>>())
    }
}

/// Read back from the touched entries, numbers below [`RESTORED_ENTRIES`].
impl<'de, T: Copy + Default + PartialEq + DeserializeOwned> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Vec::<(u32, T)>::deserialize(d)?;
        Table::from_touched(entries, u32::MAX, "a saved table").map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(u32, u8)]) -> Table<u8> {
        let mut t = Table::new();
        for &(i, e) in entries {
            t.set(i, e);
        }
        t
    }

    #[test]
    fn entries_read_back_and_untouched_ones_are_reset() {
        let t = table(&[(2, 7), (4, 9), (70_000, 3)]);
        assert_eq!(
            t.touched().collect::<Vec<_>>(),
            [(2, 7), (4, 9), (70_000, 3)]
        );
        assert_eq!((t.get(2), t.get(3), t.get(70_000)), (7, 0, 3));
        assert_eq!(t.get(u32::MAX), 0, "far past every page");
        assert_eq!(t.end(), 70_001);
        assert_eq!(Table::<u8>::new().end(), 0);
        // Only the pages touched hold memory.
        assert_eq!(t.pages.iter().filter(|p| p.is_some()).count(), 2);
    }

    #[test]
    fn equal_entries_compare_equal_whatever_pages_were_touched() {
        let mut t = table(&[(1, 3), (5000, 4)]);
        assert_ne!(t, table(&[(1, 3)]));
        t.reset(5000);
        t.reset(1_000_000); // never touched: no page is made
        assert_eq!(t, table(&[(1, 3)]));
        t.set(9, 0); // set to the reset state: still equal
        assert_eq!(t, table(&[(1, 3)]));
        assert_eq!(format!("{t:?}"), "{1: 3}");
    }

    #[test]
    fn entries_mut_reaches_every_touched_entry() {
        let mut t = table(&[(1, 3), (600, 4)]);
        let mut seen = 0;
        for (i, e) in t.entries_mut() {
            seen += 1;
            if *e != 0 {
                *e += (i / 100) as u8;
            }
        }
        assert_eq!(seen, 2 * PAGE, "every entry of the two pages touched");
        assert_eq!(t.touched().collect::<Vec<_>>(), [(1, 3), (600, 10)]);
    }

    #[test]
    fn round_trip_keeps_only_touched_entries() {
        let t = table(&[(2, 7), (4, 9)]);
        let listed: Vec<_> = t.touched().collect();
        assert_eq!(Table::from_touched(listed, 10, "t").unwrap(), t);
        let blob = serde_json::to_string(&t).unwrap();
        assert_eq!(blob, "[[2,7],[4,9]]");
        assert_eq!(serde_json::from_str::<Table<u8>>(&blob).unwrap(), t);
        // bincode (the state blob's codec) needs the sequence's length up front.
        let blob = bincode::serialize(&t).unwrap();
        assert_eq!(bincode::deserialize::<Table<u8>>(&blob).unwrap(), t);
        // A listed reset-state entry takes no page.
        let r = Table::from_touched(vec![(1, 3u8), (5000, 0)], 10_000, "t").unwrap();
        assert_eq!(r, table(&[(1, 3)]));
        assert_eq!(r.pages.len(), 1);
    }

    #[test]
    fn bad_numbers_are_refused() {
        let refused = |e: Vec<(u32, u8)>, limit| Table::from_touched(e, limit, "t").is_err();
        assert!(refused(vec![(3, 1), (3, 2)], 10), "repeated");
        assert!(refused(vec![(4, 1), (3, 2)], 10), "descending");
        assert!(refused(vec![(10, 1)], 10), "past the limit");
        assert!(!refused(vec![(0, 1), (9, 1)], 10), "first and last");
        let e = Table::from_touched(vec![(RESTORED_ENTRIES, 1u8)], u32::MAX, "xive").unwrap_err();
        assert!(e.to_string().starts_with("xive: entry 16777216"), "{e}");
        let big = format!("[[{RESTORED_ENTRIES},1]]");
        assert!(serde_json::from_str::<Table<u8>>(&big).is_err());
    }
}
