//! Property values: encoding the pieces (reading `/incbin/` files), and resolving the
//! phandle and path references in them as dtc resolves them.

use super::ast::{At, Cell, Piece};
use super::build::{ref_name, Builder, Marker};
use crate::error::Error;
use crate::node::{NodeId, Property, Value};

/// The most bytes one `/incbin/` reads (a blob's size field is 32 bits; a tree this
/// large is a mistake).
pub(super) const MAX_INCBIN: u64 = 64 << 20;

impl Builder<'_> {
    /// Encodes a value's pieces to bytes, leaving a marker where each reference goes.
    pub fn encode(&self, pieces: Vec<Piece>) -> Result<(Vec<u8>, Vec<Marker>), Error> {
        let mut v = Vec::new();
        let mut markers = Vec::new();
        for p in pieces {
            match p {
                Piece::Bytes(b) => v.extend_from_slice(&b),
                Piece::Incbin { path, range, at } => v.extend(self.incbin(&path, range, at)?),
                Piece::PathRef(target) => markers.push(Marker {
                    offset: v.len(),
                    phandle: false,
                    target,
                }),
                Piece::Cells { bits, cells } => {
                    for c in cells {
                        match c {
                            Cell::Num(n, _) => match bits {
                                8 => v.push(n as u8),
                                16 => v.extend_from_slice(&(n as u16).to_be_bytes()),
                                32 => v.extend_from_slice(&(n as u32).to_be_bytes()),
                                _ => v.extend_from_slice(&n.to_be_bytes()),
                            },
                            Cell::Ref(target) => {
                                markers.push(Marker {
                                    offset: v.len(),
                                    phandle: true,
                                    target,
                                });
                                v.extend_from_slice(&[0xff; 4]);
                            }
                        }
                    }
                }
            }
        }
        Ok((v, markers))
    }

    /// The bytes `/incbin/` names: the file relative to the file that says it; from
    /// `offset`, at most `length` of them (what there is, like dtc's read). More than
    /// [`MAX_INCBIN`] is refused (a device file would never end).
    fn incbin(&self, path: &str, range: Option<(u64, u64)>, at: At) -> Result<Vec<u8>, Error> {
        use std::io::{Read, Seek, SeekFrom};
        let off = at.offset(self.src.text.len());
        let full = self.src.dir_at(off).join(path);
        let io = |e: std::io::Error| self.err(at, format!("Couldn't open \"{path}\": {e}"));
        let mut f = std::fs::File::open(&full).map_err(io)?;
        let (start, len) = range.unwrap_or((0, u64::MAX));
        if start != 0 {
            f.seek(SeekFrom::Start(start)).map_err(io)?;
        }
        let mut data = Vec::new();
        f.take(len.min(MAX_INCBIN + 1))
            .read_to_end(&mut data)
            .map_err(io)?;
        if data.len() as u64 > MAX_INCBIN {
            return Err(self.err(
                at,
                format!("/incbin/ of \"{path}\": more than {MAX_INCBIN} bytes"),
            ));
        }
        Ok(data)
    }

    /// The properties that hold references, in tree order.
    pub fn marked(&self) -> Vec<(NodeId, String)> {
        let mut out = Vec::new();
        if self.markers.is_empty() {
            return out;
        }
        for id in self.tree.walk() {
            for p in &self.tree.node(id).props {
                if self.markers.contains_key(&(id, p.name().to_string())) {
                    out.push((id, p.name().to_string()));
                }
            }
        }
        out
    }

    fn value_mut(&mut self, id: NodeId, name: &str) -> Option<&mut Value> {
        self.tree
            .node_mut(id)
            .props
            .iter_mut()
            .find(|p| p.name() == name)
            .map(|p| &mut p.value)
    }

    /// The phandle of a node, given one as dtc gives it if it has none: counting up
    /// from 1 past every value in use, `phandle` added after its other properties.
    pub fn phandle_for(&mut self, target: NodeId) -> u32 {
        if let Some(p) = self.tree.phandle_of(target) {
            if p != 0 && p != u32::MAX {
                return p;
            }
        }
        while self.used_phandles.contains(&self.next_phandle) {
            self.next_phandle += 1;
        }
        let p = self.next_phandle;
        self.used_phandles.insert(p);
        let node = self.tree.node_mut(target);
        match node.props.iter_mut().find(|x| x.name() == "phandle") {
            // `phandle = <&self>`: the cell is filled in with the other references.
            Some(_) => {}
            None => node
                .props
                .push(Property::new("phandle", p.to_be_bytes().to_vec())),
        }
        if let Some(v) = self.value_mut(target, "phandle") {
            if v.len() == 4 {
                v.copy_from_slice(&p.to_be_bytes());
            }
        }
        p
    }

    /// Resolves references in tree order: phandles first, then paths (each path moves
    /// the references after it). In an overlay a phandle of an unknown node is left as
    /// 0xffffffff for `__fixups__`.
    pub fn fixup(&mut self) -> Result<(), Error> {
        let marked = self.marked();
        self.used_phandles = self
            .tree
            .walk()
            .into_iter()
            .filter_map(|id| self.tree.phandle_of(id))
            .collect();
        for key in &marked {
            let markers = self.markers.get(key).cloned().unwrap_or_default();
            for m in markers.iter().filter(|m| m.phandle) {
                let target = match self.lookup(&m.target.r) {
                    Some(t) => t,
                    None if self.plugin => continue,
                    None => {
                        return Err(self.err(
                            m.target.at,
                            format!(
                                "ERROR (phandle_references): {}: Reference to non-existent node or label \"{}\"",
                                self.tree.path(key.0),
                                ref_name(&m.target.r)
                            ),
                        ))
                    }
                };
                self.referenced.insert(target);
                let ph = self.phandle_for(target);
                if let Some(v) = self.value_mut(key.0, &key.1) {
                    if let Some(cell) = v.get_mut(m.offset..m.offset + 4) {
                        cell.copy_from_slice(&ph.to_be_bytes());
                    }
                }
            }
        }
        for key in &marked {
            let mut markers = self.markers.get(key).cloned().unwrap_or_default();
            let mut shift = 0;
            for m in markers.iter_mut() {
                m.offset += shift;
                if m.phandle {
                    continue;
                }
                let target = self.lookup(&m.target.r).ok_or_else(|| {
                    self.err(
                        m.target.at,
                        format!(
                            "ERROR (path_references): {}: Reference to non-existent node or label \"{}\"",
                            self.tree.path(key.0),
                            ref_name(&m.target.r)
                        ),
                    )
                })?;
                self.referenced.insert(target);
                let mut path = self.tree.path(target).into_bytes();
                path.push(0);
                shift += path.len();
                if let Some(v) = self.value_mut(key.0, &key.1) {
                    v.insert_many(m.offset, path);
                }
            }
            self.markers.insert(key.clone(), markers);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::dts::parse_file;

    #[test]
    fn incbin_reads_beside_the_source() {
        let dir = std::env::temp_dir().join(format!("of-tree-incbin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("d.bin"), b"ABCDEFGHIJ").unwrap();
        let src = dir.join("t.dts");
        std::fs::write(
            &src,
            "/dts-v1/; / { a = /incbin/(\"d.bin\"); b = /incbin/(\"d.bin\", 8, 5); c = /incbin/(\"d.bin\", 20, 1); };",
        )
        .unwrap();
        let t = parse_file(&src).unwrap();
        let v = |p: &str| t.node(t.root()).prop(p).unwrap().value.to_vec();
        assert_eq!(v("a"), b"ABCDEFGHIJ");
        assert_eq!(v("b"), b"IJ");
        assert_eq!(v("c"), b"");
        std::fs::write(&src, "/dts-v1/;\n/ { a = /incbin/(\"none.bin\"); };").unwrap();
        let e = parse_file(&src).unwrap_err().to_string();
        assert!(e.contains("t.dts:2:9: Couldn't open \"none.bin\""), "{e}");
    }

    #[test]
    fn references_after_a_path_move_with_it() {
        let t = crate::dts::parse_str(
            "/dts-v1/; / { p = &a, <&b>, &a; a: a { }; b: b { }; };",
            "t",
        )
        .unwrap();
        let p = t.node(t.root()).prop("p").unwrap();
        assert_eq!(&p.value[..], b"/a\0\0\0\0\x01/a\0");
    }
}
