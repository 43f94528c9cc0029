//! The OS's own MSI source allocator on bare metal (Linux's `msi_bitmap.c`): a bitmap
//! over a range of hardware sources, blocks of a power of two aligned to their size.

/// A bitmap over `count` sources from `first`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiBitmap {
    first: u32,
    used: Vec<bool>,
}

impl MsiBitmap {
    /// All `count` sources from `first` free.
    pub fn new(first: u32, count: u32) -> Self {
        MsiBitmap {
            first,
            used: vec![false; count as usize],
        }
    }

    /// Takes `n` sources: a block of `n` rounded up to a power of two, its first source
    /// number aligned to that size (multi-message MSI needs it). The first source.
    pub fn alloc(&mut self, n: u32) -> Option<u32> {
        let size = n.max(1).checked_next_power_of_two()? as usize;
        let mut off = (self.first as usize).next_multiple_of(size) - self.first as usize;
        while off + size <= self.used.len() {
            if self.used[off..off + size].iter().all(|u| !u) {
                self.used[off..off + size].fill(true);
                return Some(self.first + off as u32);
            }
            off += size;
        }
        None
    }

    /// Returns the block of `n` sources (rounded as [`MsiBitmap::alloc`] did) at `first`.
    pub fn free(&mut self, first: u32, n: u32) {
        let size = n.max(1).next_power_of_two() as usize;
        let Some(off) = first.checked_sub(self.first) else {
            return;
        };
        let off = off as usize;
        let end = (off + size).min(self.used.len());
        if let Some(s) = self.used.get_mut(off..end) {
            s.fill(false);
        }
    }

    /// Marks one source used for good (Linux's `msi_bitmap_reserve_hwirq`): a source
    /// some other interrupt already uses, or the hardware keeps. Outside the range:
    /// nothing.
    pub fn reserve(&mut self, hwirq: u32) {
        if let Some(u) = hwirq
            .checked_sub(self.first)
            .and_then(|o| self.used.get_mut(o as usize))
        {
            *u = true;
        }
    }

    /// Marks every source used, then frees `count` from `start` of each pair (Linux's
    /// `msi_bitmap_reserve_dt_hwirqs` over `msi-available-ranges`); parts of a pair
    /// outside the range are ignored.
    pub fn only_available(&mut self, ranges: &[(u32, u32)]) {
        self.used.fill(true);
        for &(start, count) in ranges {
            for h in start..start.saturating_add(count) {
                if let Some(u) = h
                    .checked_sub(self.first)
                    .and_then(|o| self.used.get_mut(o as usize))
                {
                    *u = false;
                }
            }
        }
    }

    /// Whether a source is free.
    pub fn is_free(&self, hwirq: u32) -> bool {
        hwirq
            .checked_sub(self.first)
            .and_then(|o| self.used.get(o as usize))
            .is_some_and(|u| !u)
    }

    /// Sources free.
    pub fn free_count(&self) -> usize {
        self.used.iter().filter(|u| !**u).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn aligned_blocks() {
        let mut b = MsiBitmap::new(0x1301, 64);
        assert_eq!(b.alloc(1), Some(0x1301));
        assert_eq!(b.alloc(4), Some(0x1304), "aligned to 4");
        assert_eq!(b.alloc(3), Some(0x1308), "rounded to 4");
        b.free(0x1304, 4);
        assert_eq!(b.alloc(2), Some(0x1302), "the first aligned free pair");
        assert_eq!(b.alloc(4), Some(0x1304), "the freed block again");
        assert_eq!(b.alloc(64), None, "larger than what is free");
    }

    proptest! {
        #[test]
        fn no_source_twice(ops in proptest::collection::vec((1u32..20, any::<bool>()), 1..200)) {
            let mut b = MsiBitmap::new(0x2000, 256);
            let mut held: Vec<(u32, u32)> = Vec::new();
            for (n, free) in ops {
                if free && !held.is_empty() {
                    let (f, c) = held.remove(0);
                    b.free(f, c);
                } else if let Some(f) = b.alloc(n) {
                    let size = n.next_power_of_two();
                    prop_assert_eq!(f % size, 0);
                    prop_assert!(f >= 0x2000 && f + size <= 0x2100);
                    for &(g, c) in &held {
                        let gs = c.next_power_of_two();
                        prop_assert!(f + size <= g || g + gs <= f, "overlap");
                    }
                    held.push((f, n));
                }
            }
            for (f, c) in held { b.free(f, c); }
            prop_assert_eq!(b.free_count(), 256);
        }
    }
}
