//! The OS interrupt number space: an irq-domain-like table from OS numbers (virqs) to
//! hardware sources and their owners.

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// First virq handed out (below it, Linux keeps legacy numbers).
pub const FIRST_VIRQ: u32 = 16;

const NONE: u32 = u32::MAX;
/// The `dev` of a table slot no virq stands in.
const VACANT: u32 = u32::MAX - 1;
const PAGE: usize = 1024;

/// Who a virq belongs to: a device, and its vector (None for its LSI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Device index.
    pub dev: usize,
    /// Vector, None for the LSI.
    pub vector: Option<u32>,
}

impl Owner {
    /// A device's LSI.
    pub fn lsi(dev: usize) -> Owner {
        Owner { dev, vector: None }
    }

    /// A device's MSI vector.
    pub fn vector(dev: usize, vector: u32) -> Owner {
        Owner {
            dev,
            vector: Some(vector),
        }
    }
}

/// What a virq stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IrqDesc {
    /// Hardware source number.
    pub hwirq: u32,
    dev: u32,
    vector: u32,
    /// Times the handler ran (an `unsigned int`, as Linux's `kstat_irqs`).
    pub count: u32,
}

impl IrqDesc {
    const VACANT: IrqDesc = IrqDesc {
        hwirq: NONE,
        dev: VACANT,
        vector: NONE,
        count: 0,
    };

    fn is_vacant(&self) -> bool {
        self.dev == VACANT
    }

    /// Who it belongs to.
    pub fn owner(&self) -> Owner {
        Owner {
            dev: self.dev as usize,
            vector: (self.vector != NONE).then_some(self.vector),
        }
    }
}

/// Hardware source -> virq, in pages of 1024 sources (sources come in dense ranges).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ByHw {
    pages: FxHashMap<u32, Box<[u32]>>,
    len: usize,
}

impl ByHw {
    fn get(&self, hw: u32) -> Option<u32> {
        let p = self.pages.get(&(hw / PAGE as u32))?;
        let v = p[hw as usize % PAGE];
        (v != NONE).then_some(v)
    }

    fn insert(&mut self, hw: u32, virq: u32) {
        let p = self
            .pages
            .entry(hw / PAGE as u32)
            .or_insert_with(|| vec![NONE; PAGE].into_boxed_slice());
        let slot = &mut p[hw as usize % PAGE];
        if *slot == NONE {
            self.len += 1;
        }
        *slot = virq;
    }

    fn remove(&mut self, hw: u32) {
        if let Some(p) = self.pages.get_mut(&(hw / PAGE as u32)) {
            let slot = &mut p[hw as usize % PAGE];
            if *slot != NONE {
                self.len -= 1;
            }
            *slot = NONE;
        }
    }
}

/// The table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IrqDomain {
    /// Indexed by virq - FIRST_VIRQ; vacant slots are free numbers (16 bytes a slot: a
    /// machine of millions of vectors keeps one each).
    descs: Vec<IrqDesc>,
    by_hw: ByHw,
    free: BTreeSet<u32>,
    /// Owners after the first of a shared virq (a shared LSI), in the order they came.
    shared: BTreeMap<u32, Vec<Owner>>,
}

impl IrqDomain {
    /// Maps a new virq (the lowest free one) whose hardware number is the virq itself
    /// (Linux's `irq_create_direct_mapping`).
    pub fn map_direct(&mut self, owner: Owner) -> u32 {
        let virq = self.next_free();
        self.map_at(virq, virq, owner)
    }

    fn next_free(&self) -> u32 {
        match self.free.first() {
            Some(&v) => v,
            None => FIRST_VIRQ + self.descs.len() as u32,
        }
    }

    /// Maps a hardware source to a new virq (the lowest free one).
    pub fn map(&mut self, hwirq: u32, owner: Owner) -> u32 {
        let virq = self.next_free();
        self.map_at(virq, hwirq, owner)
    }

    fn map_at(&mut self, virq: u32, hwirq: u32, owner: Owner) -> u32 {
        self.free.remove(&virq);
        let i = (virq - FIRST_VIRQ) as usize;
        if i >= self.descs.len() {
            self.descs.resize(i + 1, IrqDesc::VACANT);
        }
        self.descs[i] = IrqDesc {
            hwirq,
            dev: owner.dev as u32,
            vector: owner.vector.unwrap_or(NONE),
            count: 0,
        };
        self.by_hw.insert(hwirq, virq);
        virq
    }

    /// Claims the lowest free run of `count` consecutive virqs, not yet standing for a
    /// source (Linux's `irq_domain_alloc_descs`); [`IrqDomain::set`] maps each.
    pub fn alloc_range(&mut self, count: u32) -> Option<u32> {
        if count == 0 {
            return None;
        }
        let mut base = None;
        let mut run = 0u32;
        let mut prev = None;
        for &v in &self.free {
            run = if prev.is_some_and(|p: u32| p + 1 == v) {
                run + 1
            } else {
                1
            };
            prev = Some(v);
            if run == count {
                base = Some(v + 1 - count);
                break;
            }
        }
        let end = FIRST_VIRQ + self.descs.len() as u32;
        let base = match base {
            Some(b) => b,
            // A free run touching the end continues past it.
            None => match prev {
                Some(p) if p + 1 == end => end - run,
                _ => end,
            },
        };
        let top = base.checked_add(count)?;
        if (top - FIRST_VIRQ) as usize > self.descs.len() {
            self.descs
                .resize((top - FIRST_VIRQ) as usize, IrqDesc::VACANT);
        }
        for v in base..top {
            self.free.remove(&v);
            self.descs[(v - FIRST_VIRQ) as usize] = IrqDesc {
                hwirq: NONE,
                dev: NONE,
                vector: NONE,
                count: 0,
            };
        }
        Some(base)
    }

    /// Points a claimed virq at a hardware source for an owner.
    pub fn set(&mut self, virq: u32, hwirq: u32, owner: Owner) -> bool {
        let Some(d) = self.get_mut(virq) else {
            return false;
        };
        d.hwirq = hwirq;
        d.dev = owner.dev as u32;
        d.vector = owner.vector.unwrap_or(NONE);
        self.by_hw.insert(hwirq, virq);
        true
    }

    /// Maps an LSI: a source already mapped as an LSI keeps its virq and gains another
    /// owner (Linux's shared interrupt), else a new virq.
    pub fn map_lsi(&mut self, hwirq: u32, owner: Owner) -> u32 {
        if let Some(virq) = self.find(hwirq) {
            if self.get(virq).is_some_and(|d| d.owner().vector.is_none()) {
                self.shared.entry(virq).or_default().push(owner);
                return virq;
            }
        }
        self.map(hwirq, owner)
    }

    /// Every owner of a virq, the first first.
    pub fn owners(&self, virq: u32) -> Vec<Owner> {
        let mut v: Vec<Owner> = self.get(virq).map(|d| d.owner()).into_iter().collect();
        if let Some(more) = self.shared.get(&virq) {
            v.extend(more);
        }
        v
    }

    /// Points an existing virq at another hardware source (after a renumbering resume).
    pub fn remap(&mut self, virq: u32, hwirq: u32) -> Option<u32> {
        let d = self.get_mut(virq)?;
        let old = d.hwirq;
        d.hwirq = hwirq;
        if self.by_hw.get(old) == Some(virq) {
            self.by_hw.remove(old);
        }
        self.by_hw.insert(hwirq, virq);
        Some(old)
    }

    /// Disposes of a virq.
    pub fn dispose(&mut self, virq: u32) -> Option<IrqDesc> {
        let slot = self.get_mut(virq)?;
        let d = std::mem::replace(slot, IrqDesc::VACANT);
        if self.by_hw.get(d.hwirq) == Some(virq) {
            self.by_hw.remove(d.hwirq);
        }
        self.free.insert(virq);
        self.shared.remove(&virq);
        Some(d)
    }

    /// The virq of a hardware source.
    pub fn find(&self, hwirq: u32) -> Option<u32> {
        self.by_hw.get(hwirq)
    }

    /// A virq's description.
    pub fn get(&self, virq: u32) -> Option<&IrqDesc> {
        self.descs
            .get(virq.checked_sub(FIRST_VIRQ)? as usize)
            .filter(|d| !d.is_vacant())
    }

    /// A virq's description, mutable.
    pub fn get_mut(&mut self, virq: u32) -> Option<&mut IrqDesc> {
        self.descs
            .get_mut(virq.checked_sub(FIRST_VIRQ)? as usize)
            .filter(|d| !d.is_vacant())
    }

    /// Number of live mappings.
    pub fn len(&self) -> usize {
        self.by_hw.len
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.by_hw.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_and_remap() {
        let mut d = IrqDomain::default();
        let a = d.map(0x1300, Owner::vector(0, 0));
        let b = d.map(0x1301, Owner::vector(0, 1));
        assert_eq!((a, b), (16, 17));
        assert_eq!(d.dispose(a).unwrap().hwirq, 0x1300);
        assert_eq!(d.find(0x1300), None);
        assert_eq!(d.map(0x1400, Owner::lsi(1)), 16, "lowest free reused");
        assert_eq!(d.get(16).unwrap().owner(), Owner::lsi(1));
        assert_eq!(d.remap(b, 0x2_0000), Some(0x1301));
        assert_eq!(d.find(0x2_0000), Some(b));
        assert_eq!(d.find(0x1301), None);
        assert_eq!(d.len(), 2);
        assert_eq!(d.get(b).unwrap().owner(), Owner::vector(0, 1));
    }

    #[test]
    fn vacant_claimed_and_mapped_slots() {
        let mut d = IrqDomain::default();
        let base = d.alloc_range(3).unwrap();
        assert_eq!(base, FIRST_VIRQ);
        // Claimed but not yet pointed anywhere: there, owned by nobody.
        assert_eq!(d.get(base + 1).map(|x| x.hwirq), Some(NONE));
        assert!(d.set(base + 1, 0x2000, Owner::vector(4, 1)));
        assert_eq!(d.get(base + 1).unwrap().owner(), Owner::vector(4, 1));
        assert_eq!(d.dispose(base + 1).map(|x| x.hwirq), Some(0x2000));
        // Disposed: vacant, not settable, not found, and reused first.
        assert!(d.get(base + 1).is_none());
        assert!(d.get_mut(base + 1).is_none());
        assert!(!d.set(base + 1, 0x2001, Owner::vector(4, 1)));
        assert!(d.dispose(base + 1).is_none());
        assert_eq!(d.find(0x2000), None);
        assert_eq!(d.map(0x3000, Owner::lsi(2)), base + 1);
        assert!(d.get(base + 3).is_none(), "past the end");
        assert!(d.get(FIRST_VIRQ - 1).is_none(), "below the first");
    }

    #[test]
    fn shared_lsis_keep_one_virq() {
        let mut d = IrqDomain::default();
        let a = d.map_lsi(0x1201, Owner::lsi(0));
        let m = d.map(0x1300, Owner::vector(0, 0));
        let b = d.map_lsi(0x1201, Owner::lsi(3));
        let c = d.map_lsi(0x1201, Owner::lsi(5));
        assert_eq!((a, b, c), (16, 16, 16));
        assert_eq!(d.owners(16), [Owner::lsi(0), Owner::lsi(3), Owner::lsi(5)]);
        assert_eq!(d.owners(m), [Owner::vector(0, 0)]);
        // An MSI's source is never shared: another mapping gets its own virq.
        assert_ne!(d.map_lsi(0x1300, Owner::lsi(7)), m);
    }
}
