//! Reading a blob into a [`Tree`], validating every offset and length on the way.

use super::header::Header;
use super::{FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_NOP, FDT_PROP};
use crate::error::Error;
use crate::fxhash::FxHashMap;
use crate::tree::{Property, Reservation, Tree};
use byteorder::{BigEndian, ByteOrder};
use std::sync::Arc;

/// How deep nodes may nest (libfdt's checks allow less; real trees stay under 20).
pub const MAX_DEPTH: usize = 256;

fn bad(offset: usize, msg: impl Into<String>) -> Error {
    Error::Dtb {
        offset,
        msg: msg.into(),
    }
}

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

fn read_reservations(blob: &[u8], mut off: usize) -> Result<Vec<Reservation>, Error> {
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

fn read_structure(
    tree: &mut Tree,
    blob: &[u8],
    start: usize,
    end: usize,
    strings: &[u8],
    strings_off: usize,
) -> Result<(), Error> {
    let mut names: FxHashMap<u32, Arc<str>> = FxHashMap::default();
    let mut last: Vec<(u32, Arc<str>)> = Vec::new();
    let mut off = start;
    let u32_at = |off: usize| -> Result<u32, Error> {
        if off + 4 > end {
            return Err(bad(off, "structure block ends inside a token"));
        }
        Ok(BigEndian::read_u32(&blob[off..off + 4]))
    };
    let mut stack: Vec<crate::tree::NodeId> = Vec::new();
    let mut seen_root = false;
    loop {
        let tok = u32_at(off)?;
        let tok_off = off;
        off += 4;
        match tok {
            FDT_BEGIN_NODE => {
                let rest = &blob[off..end];
                let nul = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or_else(|| bad(off, "node name is not NUL-terminated"))?;
                let name = std::str::from_utf8(&rest[..nul])
                    .map_err(|_| bad(off, "node name is not valid UTF-8"))?;
                if name.contains('/') {
                    return Err(bad(off, format!("node name '{name}' contains '/'")));
                }
                off = align4(off + nul + 1);
                match stack.last() {
                    None => {
                        if seen_root {
                            return Err(bad(tok_off, "a second root node"));
                        }
                        if !name.is_empty() {
                            return Err(bad(tok_off, format!("root node has the name '{name}'")));
                        }
                        seen_root = true;
                        stack.push(tree.root());
                    }
                    Some(&parent) => {
                        if stack.len() >= MAX_DEPTH {
                            return Err(bad(
                                tok_off,
                                format!("nodes nested more than {MAX_DEPTH} deep"),
                            ));
                        }
                        if name.is_empty() {
                            return Err(bad(tok_off, "a node with an empty name below the root"));
                        }
                        let id = tree.add_child(parent, name);
                        tree.node_mut(id)
                            .props
                            .reserve_exact(count_props(blob, off, end));
                        stack.push(id);
                    }
                }
            }
            FDT_END_NODE => {
                if stack.pop().is_none() {
                    return Err(bad(tok_off, "END_NODE without a node open"));
                }
            }
            FDT_PROP => {
                let &node = stack
                    .last()
                    .ok_or_else(|| bad(tok_off, "property outside any node"))?;
                let len = u32_at(off)? as usize;
                let nameoff = u32_at(off + 4)?;
                off += 8;
                let vend = off.checked_add(len).filter(|&e| e <= end).ok_or_else(|| {
                    bad(
                        off,
                        format!("property value of {len} bytes runs past the structure block"),
                    )
                })?;
                let value = crate::tree::Value::from_slice(&blob[off..vend]);
                off = align4(vend);
                // Nodes of one kind list the same names in the same order: try the name
                // the previous node had at this position before the map.
                let pos = tree.node(node).props.len();
                let cached = last
                    .get(pos)
                    .filter(|(o, _)| *o == nameoff)
                    .map(|(_, n)| n.clone());
                let name = match cached.or_else(|| names.get(&nameoff).cloned()) {
                    Some(n) => n,
                    None => {
                        let n: Arc<str> = string_at(strings, nameoff as usize)
                            .map_err(|m| bad(strings_off + nameoff as usize, m))?
                            .into();
                        names.insert(nameoff, n.clone());
                        n
                    }
                };
                if name.is_empty() {
                    return Err(bad(tok_off, "property with an empty name"));
                }
                if pos < last.len() {
                    if last[pos].0 != nameoff {
                        last[pos] = (nameoff, name.clone());
                    }
                } else if pos < 256 {
                    last.push((nameoff, name.clone()));
                }
                tree.push_prop(node, Property::new(name, value));
            }
            FDT_NOP => {}
            FDT_END => {
                if !stack.is_empty() {
                    return Err(bad(
                        tok_off,
                        format!("END with {} node(s) still open", stack.len()),
                    ));
                }
                if !seen_root {
                    return Err(bad(tok_off, "no root node"));
                }
                return Ok(());
            }
            other => return Err(bad(tok_off, format!("unknown token {other:#x}"))),
        }
        if stack.is_empty() && seen_root {
            // After the root closes only NOPs and END may follow.
            loop {
                let t = u32_at(off)?;
                match t {
                    FDT_NOP => off += 4,
                    FDT_END => return Ok(()),
                    _ => return Err(bad(off, "data after the root node's end")),
                }
            }
        }
    }
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

fn string_at(strings: &[u8], off: usize) -> Result<&str, String> {
    let s = strings
        .get(off..)
        .ok_or_else(|| format!("property name offset {off:#x} lies outside the strings block"))?;
    let nul = s
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| format!("property name at {off:#x} is not NUL-terminated"))?;
    std::str::from_utf8(&s[..nul]).map_err(|_| format!("property name at {off:#x} is not UTF-8"))
}

fn align4(x: usize) -> usize {
    (x + 3) & !3
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
