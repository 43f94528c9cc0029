//! `reg` and `ranges` decoding with the enclosing bus's cell counts.

use crate::access::NodeRef;
use crate::error::Error;

/// The cells of one address (at most four: see [`NodeRef::address_cells`]).
pub type AddrCells = smallvec::SmallVec<[u32; 4]>;

/// One `reg` entry: the address cells as given, and the size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegEntry {
    /// Address cells, most significant first (PCI: phys.hi, phys.mid, phys.lo).
    pub address: AddrCells,
    /// Size (0 when the bus has no size cells).
    pub size: u128,
}

impl RegEntry {
    /// The address as a number from its last (up to four) cells.
    pub fn address_u128(&self) -> u128 {
        cells_to_u128(&self.address)
    }

    /// The address as a 64-bit number from its last two cells (PCI: mid and lo).
    pub fn address_u64(&self) -> u64 {
        let n = self.address.len();
        let lo = self.address[n.saturating_sub(2)..]
            .iter()
            .fold(0u64, |a, &c| (a << 32) | c as u64);
        lo
    }
}

/// One `ranges` entry: child bus address, parent bus address, size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeEntry {
    /// Address on this node's bus (its own `#address-cells`).
    pub child: AddrCells,
    /// Address on the parent's bus (the parent's `#address-cells`).
    pub parent: AddrCells,
    /// Size (this node's `#size-cells`).
    pub size: u128,
}

fn cells_to_u128(c: &[u32]) -> u128 {
    c.iter().fold(0u128, |a, &x| (a << 32) | x as u128)
}

impl NodeRef<'_> {
    /// `reg` decoded with the parent's `#address-cells` / `#size-cells`.
    pub fn reg(&self) -> Result<Option<Vec<RegEntry>>, Error> {
        let Some(cells) = self.cells("reg")? else {
            return Ok(None);
        };
        let parent = self
            .parent()
            .ok_or_else(|| self.err("reg", "the root node has no parent bus"))?;
        let ac = parent.address_cells()? as usize;
        let sc = parent.size_cells()? as usize;
        let step = ac + sc;
        if step == 0 || cells.len() % step != 0 {
            return Err(self.err(
                "reg",
                format!(
                    "{} cells is not a multiple of #address-cells {ac} + #size-cells {sc}",
                    cells.len()
                ),
            ));
        }
        Ok(Some(
            cells
                .chunks_exact(step)
                .map(|c| RegEntry {
                    address: c[..ac].into(),
                    size: cells_to_u128(&c[ac..]),
                })
                .collect(),
        ))
    }

    /// `ranges` decoded: child addresses with this node's `#address-cells`, parent
    /// addresses with the parent's, sizes with this node's `#size-cells`. An empty
    /// `ranges` (identity mapping) decodes to an empty list.
    pub fn ranges(&self) -> Result<Option<Vec<RangeEntry>>, Error> {
        let Some(cells) = self.cells("ranges")? else {
            return Ok(None);
        };
        let parent = self
            .parent()
            .ok_or_else(|| self.err("ranges", "the root node has no parent bus"))?;
        let cac = self.address_cells()? as usize;
        let pac = parent.address_cells()? as usize;
        let sc = self.size_cells()? as usize;
        let step = cac + pac + sc;
        if cells.is_empty() {
            return Ok(Some(Vec::new()));
        }
        if step == 0 || cells.len() % step != 0 {
            return Err(self.err(
                "ranges",
                format!(
                    "{} cells is not a multiple of child {cac} + parent {pac} + size {sc} cells",
                    cells.len()
                ),
            ));
        }
        Ok(Some(
            cells
                .chunks_exact(step)
                .map(|c| RangeEntry {
                    child: c[..cac].into(),
                    parent: c[cac..cac + pac].into(),
                    size: cells_to_u128(&c[cac + pac..]),
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::Tree;

    fn be(cells: &[u32]) -> Vec<u8> {
        cells.iter().flat_map(|c| c.to_be_bytes()).collect()
    }

    #[test]
    fn pci_reg_and_ranges() {
        let mut t = Tree::new();
        let r = t.root();
        t.set_prop(r, "#address-cells", be(&[2]));
        t.set_prop(r, "#size-cells", be(&[2]));
        let phb = t.add_child(r, "pci@800000020000000");
        t.set_prop(phb, "reg", be(&[0x800_0000, 0x2000_0000, 0, 0]));
        t.set_prop(phb, "#address-cells", be(&[3]));
        t.set_prop(phb, "#size-cells", be(&[2]));
        t.set_prop(
            phb,
            "ranges",
            be(&[0x100_0000, 0, 0, 0x2000, 0, 0, 0x1_0000]),
        );
        let dev = t.add_child(phb, "eth@1");
        t.set_prop(
            dev,
            "reg",
            be(&[0x800, 0, 0, 0, 0, 0x300_0810, 0, 0, 0, 0x4000]),
        );
        let reg = t.at(phb).reg().unwrap().unwrap();
        assert_eq!(reg[0].address_u64(), 0x800_0000_2000_0000);
        assert_eq!(reg[0].size, 0);
        let reg = t.at(dev).reg().unwrap().unwrap();
        assert_eq!(reg.len(), 2);
        assert_eq!(reg[0].address[0], 0x800);
        assert_eq!(reg[1].size, 0x4000);
        let ranges = t.at(phb).ranges().unwrap().unwrap();
        assert_eq!(ranges[0].child[..], [0x100_0000, 0, 0]);
        assert_eq!(ranges[0].parent[..], [0x2000, 0]);
        assert_eq!(ranges[0].size, 0x1_0000);
        t.set_prop(dev, "reg", be(&[1, 2, 3]));
        let e = t.at(dev).reg().unwrap_err().to_string();
        assert!(
            e.contains("/pci@800000020000000/eth@1") && e.contains("reg"),
            "{e}"
        );
    }
}
