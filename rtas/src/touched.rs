//! Tables grown on demand from number 0, whose untouched entries are in a reset state,
//! as state blobs keep them: only the entries out of that state, with their numbers.

/// Entries of a table a state blob may set: tables are kept densely from their first
/// number, so a blob naming entry 2^31 would ask for gigabytes.
pub const RESTORED_ENTRIES: u32 = 1 << 24;

/// The entries of `table` out of the reset state `T::default()`, with their numbers.
pub fn touched<T: Copy + Default + PartialEq>(table: &[T]) -> Vec<(u32, T)> {
    let reset = T::default();
    table
        .iter()
        .enumerate()
        .filter(|(_, e)| **e != reset)
        .map(|(i, e)| (i as u32, *e))
        .collect()
}

/// The table [`touched`] saved, trailing reset entries dropped; numbers must ascend and
/// lie below `limit` (and below [`RESTORED_ENTRIES`]). `what` names the table in errors.
pub fn dense<T: Copy + Default + PartialEq>(
    entries: Vec<(u32, T)>,
    limit: u32,
    what: &str,
) -> Result<Vec<T>, String> {
    let mut table = Vec::new();
    for (i, e) in entries {
        if i >= limit.min(RESTORED_ENTRIES) || (i as usize) < table.len() {
            return Err(format!(
                "{what}: entry {i} is out of order or past the {} it may hold",
                limit.min(RESTORED_ENTRIES)
            ));
        }
        table.resize(i as usize, T::default());
        table.push(e);
    }
    while table.last() == Some(&T::default()) {
        table.pop();
    }
    Ok(table)
}

/// A table field saved as its touched entries: `#[serde(with = "crate::touched::field")]`.
pub mod field {
    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes the touched entries.
    pub fn serialize<T, S>(table: &[T], s: S) -> Result<S::Ok, S::Error>
    where
        T: Copy + Default + PartialEq + Serialize,
        S: Serializer,
    {
        super::touched(table).serialize(s)
    }

    /// Reads them back into the table.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Vec<T>, D::Error>
    where
        T: Copy + Default + PartialEq + DeserializeOwned,
        D: Deserializer<'de>,
    {
        let entries = Vec::<(u32, T)>::deserialize(d)?;
        super::dense(entries, u32::MAX, "a saved table").map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_only_touched_entries() {
        let table = [0u8, 0, 7, 0, 9];
        let t = touched(&table);
        assert_eq!(t, [(2, 7), (4, 9)]);
        assert_eq!(dense(t, 10, "t").unwrap(), table);
        assert!(dense::<u8>(vec![], 10, "t").unwrap().is_empty());
        // A reset-state entry at the end is dropped, so equal tables compare equal.
        assert_eq!(dense(vec![(1, 3u8), (5, 0)], 10, "t").unwrap(), [0, 3]);
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert!(dense(vec![(3, 1u8), (3, 2)], 10, "t").is_err(), "repeated");
        assert!(
            dense(vec![(4, 1u8), (3, 2)], 10, "t").is_err(),
            "descending"
        );
        assert!(dense(vec![(10, 1u8)], 10, "t").is_err(), "past the limit");
        let e = dense(vec![(RESTORED_ENTRIES, 1u8)], u32::MAX, "xive").unwrap_err();
        assert!(e.starts_with("xive: entry 16777216"), "{e}");
    }
}
