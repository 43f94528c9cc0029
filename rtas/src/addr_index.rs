//! A PHB's functions by address: one slot per bus and device/function, so a lookup costs
//! the same on a PHB of eight functions as on one of eight thousand.

use crate::pci::PciAddr;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const EMPTY: u32 = u32::MAX;

/// Function indices by address. Serialized as a map from address to index, in address
/// order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrIndex {
    /// `bus << 8 | devfn` to index, as far as the highest bus used.
    slots: Vec<u32>,
    len: usize,
}

fn slot(a: PciAddr) -> usize {
    (a.bus as usize) << 8 | a.devfn as usize
}

fn addr_of(slot: usize) -> PciAddr {
    PciAddr {
        bus: (slot >> 8) as u8,
        devfn: slot as u8,
    }
}

impl AddrIndex {
    /// Records the function at `addr`; the index it replaces, if any.
    pub fn insert(&mut self, addr: PciAddr, index: usize) -> Option<usize> {
        let s = slot(addr);
        if s >= self.slots.len() {
            self.slots.resize((addr.bus as usize + 1) << 8, EMPTY);
        }
        let old = std::mem::replace(&mut self.slots[s], index as u32);
        if old == EMPTY {
            self.len += 1;
            None
        } else {
            Some(old as usize)
        }
    }

    /// The index of the function at `addr`.
    pub fn get(&self, addr: PciAddr) -> Option<usize> {
        match self.slots.get(slot(addr)) {
            Some(&i) if i != EMPTY => Some(i as usize),
            _ => None,
        }
    }

    /// Forgets the function at `addr`; its index, if it was there.
    pub fn remove(&mut self, addr: PciAddr) -> Option<usize> {
        let s = self.slots.get_mut(slot(addr))?;
        if *s == EMPTY {
            return None;
        }
        self.len -= 1;
        Some(std::mem::replace(s, EMPTY) as usize)
    }

    /// Functions recorded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every address with its index, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (PciAddr, usize)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, &i)| i != EMPTY)
            .map(|(s, &i)| (addr_of(s), i as usize))
    }
}

impl FromIterator<(PciAddr, usize)> for AddrIndex {
    fn from_iter<I: IntoIterator<Item = (PciAddr, usize)>>(iter: I) -> Self {
        let mut ix = AddrIndex::default();
        for (a, i) in iter {
            ix.insert(a, i);
        }
        ix
    }
}

impl Serialize for AddrIndex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len))?;
        for (a, i) in self.iter() {
            m.serialize_entry(&a, &i)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for AddrIndex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AddrIndex;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map from PCI address to function index")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<AddrIndex, A::Error> {
                let mut ix = AddrIndex::default();
                while let Some((a, i)) = m.next_entry::<PciAddr, usize>()? {
                    if i >= EMPTY as usize {
                        return Err(serde::de::Error::custom("function index out of range"));
                    }
                    ix.insert(a, i);
                }
                Ok(ix)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn a(bus: u8, devfn: u8) -> PciAddr {
        PciAddr { bus, devfn }
    }

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        let mut ix: AddrIndex = [(a(0, 8), 0), (a(3, 0x11), 1)].into_iter().collect();
        assert_eq!(ix.get(a(0, 8)), Some(0));
        assert_eq!(ix.get(a(3, 0x11)), Some(1));
        assert_eq!(ix.get(a(3, 0x10)), None);
        assert_eq!(ix.get(a(200, 0)), None);
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.insert(a(0, 8), 5), Some(0));
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.remove(a(0, 8)), Some(5));
        assert_eq!(ix.remove(a(0, 8)), None);
        assert_eq!(ix.len(), 1);
        assert_eq!(ix.iter().collect::<Vec<_>>(), vec![(a(3, 0x11), 1)]);
    }

    #[test]
    fn serializes_as_the_ordered_map_it_replaces() {
        // State blobs written before the index was dense hold a BTreeMap: same bytes.
        let pairs = [(a(2, 0), 2usize), (a(0, 9), 0), (a(1, 0xff), 1)];
        let map: BTreeMap<PciAddr, usize> = pairs.into_iter().collect();
        let ix: AddrIndex = pairs.into_iter().collect();
        assert!(map.iter().map(|(a, i)| (*a, *i)).eq(ix.iter()));
        let opts = bincode::DefaultOptions::new();
        use bincode::Options;
        let mb = opts.serialize(&map).unwrap();
        assert_eq!(opts.serialize(&ix).unwrap(), mb);
        let back: AddrIndex = opts.deserialize(&mb).unwrap();
        assert_eq!(back, ix);
    }
}
