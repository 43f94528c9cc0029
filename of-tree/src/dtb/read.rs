//! Reading a blob into a [`Tree`], validating every offset and length on the way.

use super::format::{align4, bad, FDT_NOP, FDT_PROP};
use super::header::Header;
use super::walk::{walk, Visit};
use crate::error::Error;
use crate::node::{NodeId, Property, Value};
use crate::tree::{Reservation, Tree};
use byteorder::{BigEndian, ByteOrder};
use std::sync::Arc;

/// Parses a version 16 or 17 blob. Blocks may come in any order with gaps between them.
/// Every malformation is an error naming its byte offset; no input panics.
pub fn read(blob: &[u8]) -> Result<Tree, Error> {
    let h = Header::parse(blob)?;
    let total = h.totalsize as usize;
    let blob = &blob[..total];
    let mut tree = Tree::with_capacity(1024);
    tree.boot_cpuid = h.boot_cpuid_phys;
    tree.reservations = read_reservations(blob, h.off_mem_rsvmap as usize)?;
    let strings = &blob[h.strings_range()];
    let sr = h.struct_range();
    read_structure(
        &mut tree,
        blob,
        sr.start,
        sr.end,
        strings,
        h.off_dt_strings as usize,
    )?;
    Ok(tree)
}

pub(super) fn read_reservations(blob: &[u8], mut off: usize) -> Result<Vec<Reservation>, Error> {
    let mut out = Vec::new();
    loop {
        let entry = blob.get(off..off + 16).ok_or_else(|| {
            bad(
                off,
                "memory reservation block runs past the end of the blob",
            )
        })?;
        let address = BigEndian::read_u64(&entry[..8]);
        let size = BigEndian::read_u64(&entry[8..]);
        if address == 0 && size == 0 {
            return Ok(out);
        }
        out.push(Reservation { address, size });
        off += 16;
    }
}

/// Builds the tree as the walk finds it.
struct Builder<'t> {
    tree: &'t mut Tree,
    stack: Vec<NodeId>,
}

impl Visit for Builder<'_> {
    fn begin_node(&mut self, name: &str, blob: &[u8], off: usize, end: usize) {
        match self.stack.last() {
            None => self.stack.push(self.tree.root()),
            Some(&parent) => {
                let id = self.tree.add_child(parent, name);
                self.tree
                    .node_mut(id)
                    .props
                    .reserve_exact(count_props(blob, off, end));
                self.stack.push(id);
            }
        }
    }

    fn end_node(&mut self) {
        self.stack.pop();
    }

    fn prop(&mut self, _nameoff: u32, name: &Arc<str>, value: &[u8]) {
        if let Some(&node) = self.stack.last() {
            self.tree
                .push_prop(node, Property::new(name.clone(), Value::from_slice(value)));
        }
    }

    fn props_here(&self) -> usize {
        self.stack
            .last()
            .map_or(0, |&n| self.tree.node(n).props.len())
    }
}

fn read_structure(
    tree: &mut Tree,
    blob: &[u8],
    start: usize,
    end: usize,
    strings: &[u8],
    strings_off: usize,
) -> Result<(), Error> {
    let mut b = Builder {
        tree,
        stack: Vec::new(),
    };
    walk(blob, start, end, strings, strings_off, &mut b)
}

/// Counts the properties that follow a node's name, so their vector is allocated once.
/// Stops at the first token that is not a property or NOP; never reads out of bounds.
fn count_props(blob: &[u8], mut off: usize, end: usize) -> usize {
    let mut n = 0;
    while off + 4 <= end {
        match BigEndian::read_u32(&blob[off..off + 4]) {
            FDT_PROP if off + 12 <= end => {
                let len = BigEndian::read_u32(&blob[off + 4..off + 8]) as usize;
                n += 1;
                off = align4(off.saturating_add(12).saturating_add(len));
            }
            FDT_NOP => off += 4,
            _ => break,
        }
    }
    n.min(4096)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtb::write;

    #[test]
    fn reads_what_write_wrote() {
        let mut t = Tree::new();
        let r = t.root();
        t.set_prop(r, "compatible", b"qemu,pseries\0".to_vec());
        let c = t.add_child(r, "cpus");
        t.set_prop(c, "#size-cells", vec![0, 0, 0, 0]);
        t.reservations.push(Reservation {
            address: 0x1000,
            size: 0x2000,
        });
        t.boot_cpuid = 3;
        let b = write(&t, &Default::default()).unwrap();
        assert_eq!(read(&b).unwrap(), t);
    }

    #[test]
    fn rejects_bad_structure() {
        let t = Tree::new();
        let mut b = write(&t, &Default::default()).unwrap();
        let h = Header::parse(&b).unwrap();
        let s = h.off_dt_struct as usize;
        // Replace BEGIN_NODE with an unknown token.
        b[s + 3] = 7;
        let e = read(&b).unwrap_err().to_string();
        assert!(e.contains("unknown token"), "{e}");
    }
}
