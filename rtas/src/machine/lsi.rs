//! A PHB's `interrupt-map`: how a function's pin reaches a global interrupt source.

use crate::error::{tree_err, Error, InterruptMapError};
use crate::pci::PciAddr;
use of_tree::{NodeId, Tree};
use std::collections::HashMap;

/// A PHB's `interrupt-map`, read once: entries up to the first bad one.
pub(super) struct LsiMap {
    mask: [u32; 4],
    /// (masked child unit address and pin, parent's first interrupt cell)
    entries: Vec<([u32; 4], u32)>,
    /// What is wrong with the entry after the good ones (unknown parent, cut short).
    bad_tail: Option<InterruptMapError>,
}

impl LsiMap {
    /// The PHB's map, or None when it has none.
    pub(super) fn read(tree: &Tree, phb: NodeId) -> Result<Option<LsiMap>, Error> {
        let at = tree.at(phb);
        let (Some(map), mask) = (at.cells("interrupt-map")?, at.cells("interrupt-map-mask")?)
        else {
            return Ok(None);
        };
        let mask: [u32; 4] = match mask {
            None => [u32::MAX; 4],
            Some(m) => m
                .as_slice()
                .try_into()
                .map_err(|_| tree_err(at.path(), "'interrupt-map-mask' must have 4 cells"))?,
        };
        let mut parents: HashMap<u32, Result<usize, InterruptMapError>> = HashMap::new();
        let mut entries = Vec::new();
        let mut bad_tail = None;
        let mut i = 0;
        while i + 5 <= map.len() {
            let ph = map[i + 4];
            let pcells = parents.entry(ph).or_insert_with(|| {
                let parent = tree
                    .find_phandle(ph)
                    .ok_or(InterruptMapError::UnknownParent(ph))?;
                let cells = tree
                    .at(parent)
                    .u32("#interrupt-cells")
                    .map_err(InterruptMapError::ParentCells)?;
                Ok(cells.unwrap_or(2) as usize)
            });
            let pcells = match pcells {
                Ok(n) => *n,
                Err(why) => {
                    bad_tail = Some(why.clone());
                    break;
                }
            };
            let end = i + 5 + pcells;
            if end > map.len() || pcells == 0 {
                bad_tail = Some(InterruptMapError::PastEnd(i));
                break;
            }
            let child = [
                map[i] & mask[0],
                map[i + 1] & mask[1],
                map[i + 2] & mask[2],
                map[i + 3] & mask[3],
            ];
            entries.push((child, map[i + 5]));
            i = end;
        }
        Ok(Some(LsiMap {
            mask,
            entries,
            bad_tail,
        }))
    }

    /// The global source the map gives a pin on bus 0, if it says.
    pub(super) fn lookup(&self, addr: PciAddr, pin: u8) -> Result<Option<u32>, &InterruptMapError> {
        let key = [
            addr.config_addr() & self.mask[0],
            0,
            0,
            pin as u32 & self.mask[3],
        ];
        if let Some(&(_, s)) = self.entries.iter().find(|(c, _)| *c == key) {
            return Ok(Some(s));
        }
        match &self.bad_tail {
            Some(why) => Err(why),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phb_with_map(map: &str) -> (Tree, NodeId) {
        let src = format!(
            "/dts-v1/; / {{ ics: ics {{ #interrupt-cells = <2>; phandle = <0x10>; }}; \
             pci {{ interrupt-map-mask = <0xf800 0 0 7>; interrupt-map = <{map}>; }}; }};"
        );
        let tree = of_tree::dts::parse_str(&src, "t.dts").unwrap();
        let phb = tree.find("/pci").unwrap();
        (tree, phb)
    }

    fn addr(dev: u8) -> PciAddr {
        PciAddr {
            bus: 0,
            devfn: dev << 3,
        }
    }

    #[test]
    fn interrupt_map_lookup() {
        let (tree, phb) = phb_with_map(
            "0x0800 0 0 1 0x10 0x1020 1  0x0800 0 0 2 0x10 0x1021 1  0x1000 0 0 1 0x10 0x1022 1",
        );
        let m = LsiMap::read(&tree, phb).unwrap().unwrap();
        assert_eq!(m.lookup(addr(1), 1), Ok(Some(0x1020)));
        assert_eq!(m.lookup(addr(1), 2), Ok(Some(0x1021)));
        // The mask drops the function number.
        let f3 = PciAddr {
            bus: 0,
            devfn: (2 << 3) | 3,
        };
        assert_eq!(m.lookup(f3, 1), Ok(Some(0x1022)));
        assert_eq!(m.lookup(addr(3), 1), Ok(None));
    }

    #[test]
    fn interrupt_map_bad_entries() {
        // An unknown parent after a good entry: the good one still maps, others fail.
        let (tree, phb) = phb_with_map("0x0800 0 0 1 0x10 0x1020 1  0x1000 0 0 1 0x99 0x1022 1");
        let m = LsiMap::read(&tree, phb).unwrap().unwrap();
        assert_eq!(m.lookup(addr(1), 1), Ok(Some(0x1020)));
        let why = m.lookup(addr(2), 1).unwrap_err().to_string();
        assert!(why.contains("phandle 0x99"), "{why}");
        // An entry cut short.
        let (tree, phb) = phb_with_map("0x0800 0 0 1 0x10 0x1020");
        let m = LsiMap::read(&tree, phb).unwrap().unwrap();
        let why = m.lookup(addr(1), 1).unwrap_err().to_string();
        assert!(why.contains("cell 0 runs past the end"), "{why}");
        // A mask of the wrong size is an error naming the PHB.
        let src =
            "/dts-v1/; / { pci { interrupt-map-mask = <0xf800 0 0>; interrupt-map = <0>; }; };";
        let tree = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let phb = tree.find("/pci").unwrap();
        let e = LsiMap::read(&tree, phb).err().unwrap().to_string();
        assert!(e.contains("/pci") && e.contains("4 cells"), "{e}");
    }
}
