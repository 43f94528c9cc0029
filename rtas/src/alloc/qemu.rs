//! QEMU 7.2's MSI allocator, bug for bug: one bitmap, first fit, MSI-X blocks on even
//! indexes (the inverted `align` flag), MSI blocks anywhere.

use super::kind::BlockKind;
use serde::{Deserialize, Serialize};

/// QEMU's first MSI source number.
pub const QEMU_MSI_BASE: u32 = 0x1300;
/// QEMU's MSI pool size.
pub const QEMU_MSI_COUNT: u32 = 3328;

/// A first-fit bitmap pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QemuPool {
    base: u32,
    used: Vec<bool>,
}

impl QemuPool {
    /// A pool of `size` sources from global number `base`.
    pub fn new(base: u32, size: u32) -> Self {
        QemuPool {
            base,
            used: vec![false; size as usize],
        }
    }

    /// QEMU's pool: 3328 sources from 0x1300.
    pub fn qemu() -> Self {
        Self::new(QEMU_MSI_BASE, QEMU_MSI_COUNT)
    }

    /// First global number.
    pub fn base(&self) -> u32 {
        self.base
    }

    /// Number of sources.
    pub fn size(&self) -> u32 {
        self.used.len() as u32
    }

    /// Free sources.
    pub fn free_count(&self) -> u32 {
        self.used.iter().filter(|u| !**u).count() as u32
    }

    /// `bitmap_find_next_zero_area` with QEMU's alignment: MSI-X blocks on even indexes.
    pub fn alloc(&mut self, count: u32, kind: BlockKind) -> Option<u32> {
        let n = count as usize;
        if n == 0 || n > self.used.len() {
            return None;
        }
        let align_mask = match kind {
            BlockKind::Msix => 1usize,
            BlockKind::Msi => 0,
        };
        let mut start = 0usize;
        loop {
            start = (start + align_mask) & !align_mask;
            if start + n > self.used.len() {
                return None;
            }
            match self.used[start..start + n].iter().rposition(|u| *u) {
                None => break,
                Some(busy) => start = start + busy + 1,
            }
        }
        self.used[start..start + n]
            .iter_mut()
            .for_each(|u| *u = true);
        Some(self.base + start as u32)
    }

    /// Returns a block (out-of-range parts are ignored).
    pub fn free(&mut self, first: u32, count: u32) {
        let Some(s) = first.checked_sub(self.base) else {
            return;
        };
        let s = s as usize;
        let e = (s + count as usize).min(self.used.len());
        if s < e {
            self.used[s..e].iter_mut().for_each(|u| *u = false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_numbers() {
        let mut p = QemuPool::qemu();
        assert_eq!(p.alloc(4, BlockKind::Msix), Some(0x1300));
        assert_eq!(p.alloc(1, BlockKind::Msi), Some(0x1304));
        assert_eq!(p.alloc(3, BlockKind::Msix), Some(0x1306));
        assert_eq!(
            p.alloc(1, BlockKind::Msi),
            Some(0x1305),
            "MSI fills the hole"
        );
        p.free(0x1300, 4);
        assert_eq!(p.alloc(2, BlockKind::Msix), Some(0x1300));
        assert_eq!(p.alloc(1, BlockKind::Msi), Some(0x1302));
        assert_eq!(
            p.alloc(2, BlockKind::Msix),
            Some(0x130a),
            "0x1303 is odd: skip to 0x130a"
        );
        assert_eq!(p.free_count(), QEMU_MSI_COUNT - 10);
    }

    #[test]
    fn exhaustion() {
        let mut p = QemuPool::new(0x1300, 8);
        assert_eq!(p.alloc(8, BlockKind::Msix), Some(0x1300));
        assert_eq!(p.alloc(1, BlockKind::Msi), None);
        p.free(0x1301, 1);
        assert_eq!(
            p.alloc(1, BlockKind::Msix),
            None,
            "only an odd slot is free"
        );
        assert_eq!(p.alloc(1, BlockKind::Msi), Some(0x1301));
        assert_eq!(p.alloc(0, BlockKind::Msi), None);
    }
}
