//! The structure block, token by token: every offset and length checked, nesting
//! bounded, names resolved; what it finds goes to a visitor (the tree reader, the
//! blob-to-blob rewriter).

use super::format::{align4, bad, string_at};
use super::format::{FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_NOP, FDT_PROP};
use crate::error::Error;
use crate::fxhash::FxHashMap;
use byteorder::{BigEndian, ByteOrder};
use std::sync::Arc;

/// How deep nodes may nest (libfdt's checks allow less; real trees stay under 20).
pub const MAX_DEPTH: usize = 256;

/// What a walk finds, in order.
pub(super) trait Visit {
    /// A node begins (the root with an empty name); its properties start at `off`.
    fn begin_node(&mut self, name: &str, blob: &[u8], off: usize, end: usize);
    /// The innermost open node ends.
    fn end_node(&mut self);
    /// A property of the innermost open node: its name's offset in the strings block,
    /// its name, its value.
    fn prop(&mut self, nameoff: u32, name: &Arc<str>, value: &[u8]);
    /// How many properties the innermost open node has so far.
    fn props_here(&self) -> usize;
}

/// Walks a structure block from `start` to `end`, checking every token, and tells `v`
/// what it finds. Property names come resolved from the strings block.
pub(super) fn walk(
    blob: &[u8],
    start: usize,
    end: usize,
    strings: &[u8],
    strings_off: usize,
    v: &mut impl Visit,
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
    let mut depth = 0usize;
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
                if depth == 0 {
                    if seen_root {
                        return Err(bad(tok_off, "a second root node"));
                    }
                    if !name.is_empty() {
                        return Err(bad(tok_off, format!("root node has the name '{name}'")));
                    }
                    seen_root = true;
                } else {
                    if depth >= MAX_DEPTH {
                        return Err(bad(
                            tok_off,
                            format!("nodes nested more than {MAX_DEPTH} deep"),
                        ));
                    }
                    if name.is_empty() {
                        return Err(bad(tok_off, "a node with an empty name below the root"));
                    }
                }
                v.begin_node(name, blob, off, end);
                depth += 1;
            }
            FDT_END_NODE => {
                if depth == 0 {
                    return Err(bad(tok_off, "END_NODE without a node open"));
                }
                depth -= 1;
                v.end_node();
            }
            FDT_PROP => {
                if depth == 0 {
                    return Err(bad(tok_off, "property outside any node"));
                }
                let len = u32_at(off)? as usize;
                let nameoff = u32_at(off + 4)?;
                off += 8;
                let vend = off.checked_add(len).filter(|&e| e <= end).ok_or_else(|| {
                    bad(
                        off,
                        format!("property value of {len} bytes runs past the structure block"),
                    )
                })?;
                let value = &blob[off..vend];
                off = align4(vend);
                // Nodes of one kind list the same names in the same order: try the name
                // the previous node had at this position before the map.
                let pos = v.props_here();
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
                v.prop(nameoff, &name, value);
            }
            FDT_NOP => {}
            FDT_END => {
                if depth != 0 {
                    return Err(bad(tok_off, format!("END with {depth} node(s) still open")));
                }
                if !seen_root {
                    return Err(bad(tok_off, "no root node"));
                }
                return Ok(());
            }
            other => return Err(bad(tok_off, format!("unknown token {other:#x}"))),
        }
        if depth == 0 && seen_root {
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
