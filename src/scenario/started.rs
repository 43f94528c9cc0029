//! Which vectors a device's driver started (request_irq) in a scenario, and the line
//! that started each: its request's first K, then `start` lines.

use std::collections::BTreeMap;

/// What a driver started of the vectors it got from a `request` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Started {
    /// The line of the request.
    pub request: usize,
    /// How many, from the first, the request started (`start K`); None: all of them.
    pub first: Option<u32>,
    /// Vectors started later, each with the line of the `start` that started it.
    pub later: BTreeMap<u32, usize>,
}

impl Started {
    /// A request at `line` that starts the first `first` vectors (None: all).
    pub fn at_request(line: usize, first: Option<u32>) -> Started {
        Started {
            request: line,
            first,
            later: BTreeMap::new(),
        }
    }

    /// Whether vector `v` was started, by the request or a later line.
    pub fn has(&self, v: u32) -> bool {
        self.first.is_none_or(|k| v < k) || self.later.contains_key(&v)
    }

    /// What started vector `v` (which was started): `its request at line L` or `the
    /// start at line L`.
    pub fn by(&self, v: u32) -> String {
        match self.later.get(&v) {
            Some(line) => format!("the start at line {line}"),
            None => format!("its request at line {}", self.request),
        }
    }

    /// Why vector `v` (not started) has no handler: the request's count, and how a
    /// scenario starts it.
    pub fn never(&self, dev: &str, v: u32) -> String {
        let k = self.first.unwrap_or(0);
        format!(
            "vector {v} of {dev} was never started (its request at line {} starts {k}; `start {dev} {v}` starts it later): no handler",
            self.request
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_is_started_by_its_request_or_a_later_line() {
        let mut s = Started::at_request(4, Some(1));
        assert!(s.has(0) && !s.has(1) && !s.has(2));
        s.later.insert(2, 7);
        assert!(s.has(2) && !s.has(1));
        assert_eq!(s.by(0), "its request at line 4");
        assert_eq!(s.by(2), "the start at line 7");
        assert!(s.never("d", 1).starts_with(
            "vector 1 of d was never started (its request at line 4 starts 1; `start d 1`"
        ));
        assert!(Started::at_request(3, None).has(9));
    }
}
