//! Writing a [`Tree`] as a version 17 blob.

use super::format::{FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_PROP};
use super::header::FDT_MAGIC;
use crate::error::Error;
use crate::fxhash::FxHashMap;
use crate::node::NodeId;
use crate::tree::Tree;
use std::collections::HashMap;
use std::sync::Arc;

/// Options for writing a blob.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Extra zero bytes appended to the blob (free space for later edits).
    pub pad: usize,
}

struct Writer<'t> {
    out: Vec<u8>,
    strings: Vec<u8>,
    string_offs: HashMap<&'t str, u32>,
    /// Offsets by name allocation: trees read from a blob share one `Arc` per name.
    by_ptr: FxHashMap<usize, u32>,
    /// The name offsets of the previous node's properties, by position: nodes of one
    /// kind list the same names in the same order.
    last_names: Vec<(usize, u32)>,
}

impl<'t> Writer<'t> {
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn pad4(&mut self) {
        while !self.out.len().is_multiple_of(4) {
            self.out.push(0);
        }
    }

    fn name_off(&mut self, name: &'t Arc<str>) -> Result<u32, Error> {
        let key = Arc::as_ptr(name) as *const u8 as usize;
        if let Some(&o) = self.by_ptr.get(&key) {
            return Ok(o);
        }
        let o = self.string_off(name)?;
        self.by_ptr.insert(key, o);
        Ok(o)
    }

    fn string_off(&mut self, name: &'t str) -> Result<u32, Error> {
        if let Some(&o) = self.string_offs.get(name) {
            return Ok(o);
        }
        let o = u32::try_from(self.strings.len())
            .map_err(|_| Error::Write("strings block larger than 4 GiB".into()))?;
        self.strings.extend_from_slice(name.as_bytes());
        self.strings.push(0);
        self.string_offs.insert(name, o);
        Ok(o)
    }

    fn node(&mut self, tree: &'t Tree, id: NodeId) -> Result<(), Error> {
        // Iterative to survive very deep trees.
        let mut stack: Vec<(NodeId, usize)> = vec![(id, 0)];
        while let Some((cur, child_idx)) = stack.pop() {
            let n = tree.node(cur);
            if child_idx == 0 {
                self.u32(FDT_BEGIN_NODE);
                if n.name().as_bytes().contains(&0) {
                    return Err(Error::Write(format!(
                        "node name {:?} contains NUL",
                        n.name()
                    )));
                }
                self.out.extend_from_slice(n.name().as_bytes());
                self.out.push(0);
                self.pad4();
                for (i, p) in n.props.iter().enumerate() {
                    let len = u32::try_from(p.value.len()).map_err(|_| {
                        Error::Write(format!("property {} larger than 4 GiB", p.name()))
                    })?;
                    let key = Arc::as_ptr(p.name_arc()) as *const u8 as usize;
                    let off = match self.last_names.get(i) {
                        Some(&(k, o)) if k == key => o,
                        _ => {
                            let o = self.name_off(p.name_arc())?;
                            if i < self.last_names.len() {
                                self.last_names[i] = (key, o);
                            } else {
                                self.last_names.push((key, o));
                            }
                            o
                        }
                    };
                    self.u32(FDT_PROP);
                    self.u32(len);
                    self.u32(off);
                    self.out.extend_from_slice(&p.value);
                    self.pad4();
                }
            }
            if let Some(&c) = n.children().get(child_idx) {
                stack.push((cur, child_idx + 1));
                stack.push((c, 0));
            } else {
                self.u32(FDT_END_NODE);
            }
        }
        Ok(())
    }
}

/// Writes a version 17 blob (last compatible version 16): header, memory reservations,
/// structure block, strings block with each name stored once.
pub fn write(tree: &Tree, opts: &WriteOptions) -> Result<Vec<u8>, Error> {
    // The structure block's exact size, so the buffer is allocated once.
    let mut size = 40 + 16 * (tree.reservations.len() + 1) + 4;
    for id in tree.walk() {
        let n = tree.node(id);
        size += 8 + (n.name().len() + 4) / 4 * 4;
        for p in &n.props {
            size += 12 + p.value.len().div_ceil(4) * 4;
        }
    }
    let mut w = Writer {
        out: Vec::with_capacity(size + 4096 + opts.pad),
        last_names: Vec::new(),
        strings: Vec::new(),
        string_offs: HashMap::new(),
        by_ptr: FxHashMap::default(),
    };
    w.out.resize(40, 0);
    let off_mem_rsvmap = w.out.len();
    for r in &tree.reservations {
        w.out.extend_from_slice(&r.address.to_be_bytes());
        w.out.extend_from_slice(&r.size.to_be_bytes());
    }
    w.out.extend_from_slice(&[0u8; 16]);
    let off_dt_struct = w.out.len();
    w.node(tree, tree.root())?;
    w.u32(FDT_END);
    let size_dt_struct = w.out.len() - off_dt_struct;
    let off_dt_strings = w.out.len();
    let strings = std::mem::take(&mut w.strings);
    w.out.extend_from_slice(&strings);
    w.out.resize(w.out.len() + opts.pad, 0);
    let totalsize = w.out.len();
    let to32 =
        |v: usize| u32::try_from(v).map_err(|_| Error::Write("blob larger than 4 GiB".into()));
    let fields = [
        FDT_MAGIC,
        to32(totalsize)?,
        to32(off_dt_struct)?,
        to32(off_dt_strings)?,
        to32(off_mem_rsvmap)?,
        17,
        16,
        tree.boot_cpuid,
        to32(strings.len())?,
        to32(size_dt_struct)?,
    ];
    for (i, f) in fields.iter().enumerate() {
        w.out[i * 4..i * 4 + 4].copy_from_slice(&f.to_be_bytes());
    }
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtb::Header;

    #[test]
    fn long_names_and_dedup() {
        let mut t = Tree::new();
        let long = "ibm,a-very-long-property-name-that-is-well-over-sixty-four-characters-long";
        assert!(long.len() > 64);
        let a = t.add_child(t.root(), &"n".repeat(70));
        let b = t.add_child(t.root(), "b");
        t.set_prop(a, long, vec![1]);
        t.set_prop(b, long, vec![2]);
        let blob = write(&t, &WriteOptions::default()).unwrap();
        let h = Header::parse(&blob).unwrap();
        assert_eq!(h.size_dt_strings as usize, long.len() + 1);
        assert_eq!(h.version, 17);
        assert_eq!(h.last_comp_version, 16);
        assert_eq!(h.off_dt_struct % 4, 0);
        assert_eq!(crate::dtb::read(&blob).unwrap(), t);
    }
}
