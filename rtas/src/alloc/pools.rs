//! The machine's allocation policy and its state: the pools of either policy behind
//! one interface.

use super::buddy::BuddyPool;
use super::kind::BlockKind;
use super::qemu::QemuPool;
use serde::{Deserialize, Serialize};

/// The machine's allocation policy and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pools {
    /// QEMU 7.2: one first-fit pool shared by every PHB.
    Qemu(QemuPool),
    /// PAPR: one power-of-two buddy pool per PHB.
    Papr(Vec<BuddyPool>),
}

impl Pools {
    /// Allocates `count` sources for a function of PHB `phb`; the first global number.
    pub fn alloc(&mut self, phb: usize, count: u32, kind: BlockKind) -> Option<u32> {
        match self {
            Pools::Qemu(p) => p.alloc(count, kind),
            Pools::Papr(v) => v.get_mut(phb)?.alloc(count, kind),
        }
    }

    /// Returns a block.
    pub fn free(&mut self, phb: usize, first: u32, count: u32) {
        match self {
            Pools::Qemu(p) => p.free(first, count),
            Pools::Papr(v) => {
                if let Some(p) = v.get_mut(phb) {
                    p.free(first, count)
                }
            }
        }
    }

    /// Sources free, over every pool.
    pub fn free_count(&self) -> u64 {
        match self {
            Pools::Qemu(p) => p.free_count() as u64,
            Pools::Papr(v) => v.iter().map(|p| p.free_count() as u64).sum(),
        }
    }

    /// Sources in every pool, free or not.
    pub fn capacity(&self) -> u64 {
        match self {
            Pools::Qemu(p) => p.size() as u64,
            Pools::Papr(v) => v.iter().map(|p| p.size() as u64).sum(),
        }
    }

    /// Every pool back to empty.
    pub fn reset(&mut self) {
        match self {
            Pools::Qemu(p) => *p = QemuPool::new(p.base(), p.size()),
            Pools::Papr(v) => {
                for p in v {
                    *p = BuddyPool::new(p.base(), p.size());
                }
            }
        }
    }
}
