//! The PAPR policy: a buddy allocator over power-of-two aligned blocks. Multi-vector
//! MSI gets an aligned power-of-two block (its data low bits carry the vector number);
//! MSI-X gets exactly what it asks for, carved from an aligned block. Free blocks are
//! bits in one bitmap per order, with a stack per order to find one: every operation
//! costs O(log2 of the request), whatever the pool size.

use super::kind::BlockKind;
use crate::error::ValidateError;
use serde::{Deserialize, Serialize};

const ORDERS: usize = 33;

/// A buddy pool of global numbers `base .. base + size`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuddyPool {
    base: u32,
    size: u32,
    free_count: u32,
    /// Candidate free block starts per order; an entry whose bit is clear is stale.
    stacks: Vec<Vec<u32>>,
    /// Free blocks per order, one bit per aligned block from `base >> order`.
    bits: Vec<Vec<u64>>,
    /// Free blocks per order.
    counts: Vec<u32>,
}

impl BuddyPool {
    /// A pool of `size` sources from global number `base`, all free.
    pub fn new(base: u32, size: u32) -> Self {
        let end = base as u64 + size as u64;
        let bits = (0..ORDERS)
            .map(|o| {
                let n = (end >> o) - (base as u64 >> o) + 1;
                vec![0u64; n.div_ceil(64) as usize]
            })
            .collect();
        let mut p = BuddyPool {
            base,
            size,
            free_count: 0,
            stacks: vec![Vec::new(); ORDERS],
            bits,
            counts: vec![0; ORDERS],
        };
        p.release_range(base as u64, end);
        p
    }

    /// Checks the bitmaps and stacks have the shape the pool's range needs.
    pub fn validate(&self) -> Result<(), ValidateError> {
        let end = self.base as u64 + self.size as u64;
        let bad = || Err(ValidateError::PoolShape { base: self.base });
        if self.bits.len() != ORDERS
            || self.stacks.len() != ORDERS
            || self.counts.len() != ORDERS
            || end > 1 << 32
        {
            return bad();
        }
        for o in 0..ORDERS {
            let n = (end >> o) - (self.base as u64 >> o) + 1;
            if self.bits[o].len() as u64 != n.div_ceil(64) {
                return bad();
            }
            if self.stacks[o]
                .iter()
                .any(|&s| (s as u64) < self.base as u64 || s as u64 >= end)
            {
                return bad();
            }
        }
        let mut free = 0u64;
        for o in 0..ORDERS {
            let n: u32 = self.bits[o].iter().map(|w| w.count_ones()).sum();
            if n != self.counts[o] {
                return bad();
            }
            free += (n as u64) << o;
        }
        if free != self.free_count as u64 || self.free_count > self.size {
            return bad();
        }
        Ok(())
    }

    /// First global number.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// Number of sources.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Free sources.
    pub fn free_count(&self) -> u32 {
        self.free_count
    }

    fn slot(&self, start: u32, order: usize) -> (usize, u64) {
        let i = (start as u64 >> order) - (self.base as u64 >> order);
        ((i / 64) as usize, 1u64 << (i % 64))
    }

    fn is_free(&self, start: u32, order: usize) -> bool {
        let (w, m) = self.slot(start, order);
        self.bits[order].get(w).is_some_and(|x| x & m != 0)
    }

    fn set(&mut self, start: u32, order: usize, on: bool) {
        let (w, m) = self.slot(start, order);
        let word = &mut self.bits[order][w];
        if on {
            *word |= m;
            self.counts[order] += 1;
            self.free_count += 1 << order;
        } else {
            *word &= !m;
            self.counts[order] -= 1;
            self.free_count -= 1 << order;
        }
    }

    fn push(&mut self, start: u32, order: usize) {
        self.set(start, order, true);
        let stack = &mut self.stacks[order];
        stack.push(start);
        if stack.len() > 2 * self.counts[order] as usize + 1024 {
            let bits = &self.bits[order];
            let origin = self.base as u64 >> order;
            stack.retain(|&s| {
                let i = (s as u64 >> order) - origin;
                bits[(i / 64) as usize] & (1 << (i % 64)) != 0
            });
            stack.dedup();
        }
    }

    fn pop(&mut self, order: usize) -> Option<u32> {
        while let Some(s) = self.stacks[order].pop() {
            if self.is_free(s, order) {
                self.set(s, order, false);
                return Some(s);
            }
        }
        None
    }

    /// Frees the aligned block `start` of `order`, merging with free buddies.
    fn release_block(&mut self, mut start: u32, mut order: usize) {
        while order < ORDERS - 1 {
            let buddy = start ^ (1u32 << order);
            let buddy_end = buddy as u64 + (1u64 << order);
            let inside = buddy >= self.base && buddy_end <= self.base as u64 + self.size as u64;
            if !inside || !self.is_free(buddy, order) {
                break;
            }
            self.set(buddy, order, false);
            start = start.min(buddy);
            order += 1;
        }
        self.push(start, order);
    }

    /// Frees an arbitrary range as maximal aligned blocks.
    fn release_range(&mut self, mut s: u64, e: u64) {
        while s < e {
            let align = if s == 0 { 63 } else { s.trailing_zeros() };
            let fit = 63 - (e - s).leading_zeros();
            let order = align.min(fit).min(ORDERS as u32 - 2);
            self.release_block(s as u32, order as usize);
            s += 1 << order;
        }
    }

    /// Allocates `count` sources; MSI blocks are a power of two, aligned to their size.
    pub fn alloc(&mut self, count: u32, kind: BlockKind) -> Option<u32> {
        if count == 0 || count > self.size {
            return None;
        }
        let want = count.checked_next_power_of_two()?;
        let k = want.trailing_zeros() as usize;
        let (start, found) = (k..ORDERS).find_map(|o| {
            if self.counts[o] == 0 {
                return None;
            }
            self.pop(o).map(|s| (s, o))
        })?;
        // Split down to order k, freeing the upper halves.
        let mut order = found;
        while order > k {
            order -= 1;
            self.push(start + (1u32 << order), order);
        }
        let used = match kind {
            BlockKind::Msi => want,
            BlockKind::Msix => count,
        };
        if used < want {
            self.release_range(start as u64 + used as u64, start as u64 + want as u64);
        }
        Some(start)
    }

    /// Returns a block: `first` and the number of sources it took from the pool.
    pub fn free(&mut self, first: u32, count: u32) {
        let s = first as u64;
        let e = (s + count as u64).min(self.base as u64 + self.size as u64);
        if s < self.base as u64 || s >= e {
            return;
        }
        self.release_range(s, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn aligned_msi_exact_msix() {
        let mut p = BuddyPool::new(0x1_0000, 0x1_0000);
        let a = p.alloc(3, BlockKind::Msi).unwrap();
        assert_eq!(a % 4, 0);
        assert_eq!(p.free_count(), 0x1_0000 - 4);
        let b = p.alloc(3, BlockKind::Msix).unwrap();
        assert_eq!(p.free_count(), 0x1_0000 - 7);
        p.free(b, 3);
        p.free(a, 4);
        assert_eq!(p.free_count(), 0x1_0000);
        assert_eq!(p.counts.iter().sum::<u32>(), 1, "merged back to one block");
        assert_eq!(p.alloc(0x1_0000, BlockKind::Msix), Some(0x1_0000));
        assert_eq!(p.alloc(1, BlockKind::Msi), None);
    }

    #[test]
    fn stale_stack_entries_are_swept_without_losing_free_blocks() {
        // Allocation and free cycles leave stale entries on the free stacks until a
        // stack outgrows its blocks: the sweep must keep every block still free.
        let mut p = BuddyPool::new(0x1_0000, 0x1000);
        for round in 0..4000u32 {
            let n = 1 + round % 7;
            let a = p.alloc(n, BlockKind::Msix).unwrap();
            let b = p.alloc(2, BlockKind::Msi).unwrap();
            p.free(a, n);
            p.free(b, 2);
        }
        assert_eq!(p.free_count(), 0x1000);
        for (order, stack) in p.stacks.iter().enumerate() {
            let bound = 2 * p.counts[order] as usize + 1024;
            assert!(
                stack.len() <= bound,
                "order {order}: {} stale entries kept",
                stack.len()
            );
        }
        let mut got = 0;
        while p.alloc(1, BlockKind::Msix).is_some() {
            got += 1;
        }
        assert_eq!(got, 0x1000, "every source allocatable after the sweeps");
        for s in 0x1_0000..0x1_1000 {
            p.free(s, 1);
        }
        assert_eq!(
            p.alloc(0x1000, BlockKind::Msi),
            Some(0x1_0000),
            "merged back whole"
        );
    }

    #[test]
    fn validate_accepts_a_used_pool_and_refuses_each_damage() {
        let mut good = BuddyPool::new(0x1300, 3328);
        let a = good.alloc(5, BlockKind::Msi).unwrap();
        good.alloc(3, BlockKind::Msix).unwrap();
        good.free(a, 8);
        assert_eq!(good.validate(), Ok(()));
        type Damage = fn(&mut BuddyPool);
        let damaged: Vec<(&str, Damage)> = vec![
            ("an order's bitmap missing", |p| {
                p.bits.pop();
            }),
            ("an order's stack missing", |p| {
                p.stacks.pop();
            }),
            ("an order's count missing", |p| {
                p.counts.pop();
            }),
            ("a range past 2^32", |p| p.base = u32::MAX - 8),
            ("a bitmap of the wrong length", |p| p.bits[3].push(0)),
            ("a stack entry below the range", |p| {
                p.stacks[0].push(0x12ff)
            }),
            ("a stack entry past the range", |p| {
                p.stacks[2].push(0x1300 + 3328)
            }),
            ("a count that is not its bitmap's", |p| p.counts[1] += 1),
            ("a free count that is not the bitmaps'", |p| {
                p.free_count -= 1
            }),
            ("more free than the pool", |p| {
                p.size = 1;
            }),
        ];
        for (what, damage) in damaged {
            let mut p = good.clone();
            damage(&mut p);
            assert!(p.validate().is_err(), "{what} passed validation");
        }
        // A pool whose every shape fits its range, but the range ends past 2^32.
        let mut p = BuddyPool::new(u32::MAX - 7, 8);
        assert_eq!(p.validate(), Ok(()));
        p.size = 16;
        let end = p.base as u64 + p.size as u64;
        for o in 0..ORDERS {
            let n = (end >> o) - (p.base as u64 >> o) + 1;
            p.bits[o].resize(n.div_ceil(64) as usize, 0);
        }
        assert!(p.validate().is_err(), "a range past 2^32 passed validation");
    }

    #[test]
    fn the_sweep_drops_exactly_the_stale_entries() {
        let mut p = BuddyPool::new(0x1_0000, 0x1_0000);
        // The whole pool is one free block, so no order-0 block is free: these entries
        // are stale, and the next order-0 push sweeps them.
        p.stacks[0].extend((0..2000).map(|i| 0x1_0100 + 2 * i));
        let a = p.alloc(1, BlockKind::Msix).unwrap();
        assert_eq!(a, 0x1_0000);
        assert_eq!(p.stacks[0], vec![0x1_0001], "only the live block is left");
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.alloc(1, BlockKind::Msix), Some(0x1_0001));
    }

    #[test]
    fn a_pool_from_0_merges_back_whole() {
        let mut p = BuddyPool::new(0, 16);
        let a = p.alloc(1, BlockKind::Msix).unwrap();
        let b = p.alloc(1, BlockKind::Msix).unwrap();
        p.free(a, 1);
        p.free(b, 1);
        assert_eq!(p.alloc(16, BlockKind::Msi), Some(0), "the buddies merged");
    }

    #[test]
    fn a_free_past_the_end_releases_only_what_is_inside() {
        let mut p = BuddyPool::new(0x1000, 16);
        assert_eq!(p.alloc(16, BlockKind::Msix), Some(0x1000));
        p.free(0x100c, 8);
        assert_eq!(p.free_count(), 4);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.alloc(8, BlockKind::Msix), None, "nothing past the end");
        assert_eq!(p.alloc(4, BlockKind::Msi), Some(0x100c));
    }

    #[test]
    fn zero_sources_and_frees_below_the_pool_change_nothing() {
        let mut p = BuddyPool::new(0x1000, 16);
        assert_eq!(p.alloc(0, BlockKind::Msix), None);
        assert_eq!(p.alloc(0, BlockKind::Msi), None);
        assert_eq!(p.free_count(), 16);
        assert_eq!(p.alloc(16, BlockKind::Msix), Some(0x1000));
        let before = p.clone();
        p.free(0xffc, 8);
        assert_eq!(p, before, "a free starting below the pool is ignored");
    }

    #[test]
    fn unaligned_pools() {
        let mut p = BuddyPool::new(0x1300, 3328);
        assert_eq!(p.free_count(), 3328);
        let mut got = 0;
        while p.alloc(1, BlockKind::Msi).is_some() {
            got += 1;
        }
        assert_eq!(got, 3328);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Alloc(u32, bool),
        Free(usize),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                (1u32..70, any::<bool>()).prop_map(|(n, m)| Op::Alloc(n, m)),
                (0usize..1000).prop_map(Op::Free),
            ],
            1..400,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// 500 cases of up to 400 operations: about 100 000 allocations and frees.
        #[test]
        fn never_hands_out_a_source_twice(ops in ops()) {
            let size = 1024u32;
            let mut p = BuddyPool::new(0x2_0000, size);
            let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
            let mut live: Vec<(u32, u32)> = Vec::new();
            for op in ops {
                match op {
                    Op::Alloc(n, msi) => {
                        let kind = if msi { BlockKind::Msi } else { BlockKind::Msix };
                        if let Some(first) = p.alloc(n, kind) {
                            let len = if msi { n.next_power_of_two() } else { n };
                            if msi { prop_assert_eq!(first % len, 0, "MSI block aligned"); }
                            prop_assert!(first >= 0x2_0000 && first + len <= 0x2_0000 + size);
                            for s in first..first + len {
                                prop_assert!(owner.insert(s, live.len()).is_none(), "source {:#x} twice", s);
                            }
                            live.push((first, len));
                        }
                    }
                    Op::Free(i) if !live.is_empty() => {
                        let (first, len) = live.swap_remove(i % live.len());
                        for s in first..first + len { owner.remove(&s); }
                        p.free(first, len);
                    }
                    Op::Free(_) => {}
                }
                prop_assert_eq!(p.free_count() as usize, size as usize - owner.len());
            }
            for (first, len) in live.drain(..) { p.free(first, len); }
            prop_assert_eq!(p.free_count(), size);
            // Every freed source is reusable: the whole pool comes back as one block.
            prop_assert_eq!(p.alloc(size, BlockKind::Msix), Some(0x2_0000));
        }
    }
}
