//! Typed property accessors on a node, with errors that name the node and property.

use crate::error::Error;
use crate::node::{split_strings, Node, NodeId, Property};
use crate::tree::Tree;

/// A node together with its tree: the handle typed accessors hang off.
#[derive(Debug, Clone, Copy)]
pub struct NodeRef<'t> {
    /// The tree.
    pub tree: &'t Tree,
    /// The node.
    pub id: NodeId,
}

impl Tree {
    /// A typed-access handle on a node.
    pub fn at(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { tree: self, id }
    }
}

impl<'t> NodeRef<'t> {
    /// The node itself.
    pub fn node(&self) -> &'t Node {
        self.tree.node(self.id)
    }

    /// The node's full path.
    pub fn path(&self) -> String {
        self.tree.path(self.id)
    }

    /// The parent, if any.
    pub fn parent(&self) -> Option<NodeRef<'t>> {
        self.node().parent().map(|p| self.tree.at(p))
    }

    /// The raw property, if present.
    pub fn prop(&self, name: &str) -> Option<&'t Property> {
        self.node().prop(name)
    }

    /// Whether the property exists (flag properties are empty).
    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }

    pub(crate) fn err(&self, prop: &str, msg: impl Into<String>) -> Error {
        Error::Property {
            path: self.path(),
            prop: prop.to_string(),
            msg: msg.into(),
        }
    }

    /// A one-cell property.
    pub fn u32(&self, name: &str) -> Result<Option<u32>, Error> {
        let Some(p) = self.prop(name) else {
            return Ok(None);
        };
        let b: [u8; 4] = p.value.as_slice().try_into().map_err(|_| {
            self.err(
                name,
                format!(
                    "expected one cell (4 bytes), found {}",
                    bytes(p.value.len())
                ),
            )
        })?;
        Ok(Some(u32::from_be_bytes(b)))
    }

    /// A two-cell (or one-cell) property read as a 64-bit number.
    pub fn u64(&self, name: &str) -> Result<Option<u64>, Error> {
        let Some(p) = self.prop(name) else {
            return Ok(None);
        };
        match p.value.len() {
            4 => Ok(Some(
                u32::from_be_bytes([p.value[0], p.value[1], p.value[2], p.value[3]]) as u64,
            )),
            8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&p.value);
                Ok(Some(u64::from_be_bytes(b)))
            }
            n => Err(self.err(name, format!("expected 4 or 8 bytes, found {}", bytes(n)))),
        }
    }

    /// A property read as an array of big-endian cells.
    pub fn cells(&self, name: &str) -> Result<Option<Vec<u32>>, Error> {
        let Some(p) = self.prop(name) else {
            return Ok(None);
        };
        if p.value.len() % 4 != 0 {
            return Err(self.err(
                name,
                format!("length {} is not a multiple of 4 (cells)", p.value.len()),
            ));
        }
        Ok(Some(
            p.value
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ))
    }

    /// A single NUL-terminated string.
    pub fn string(&self, name: &str) -> Result<Option<&'t str>, Error> {
        let Some(p) = self.prop(name) else {
            return Ok(None);
        };
        let body = p
            .value
            .strip_suffix(b"\0")
            .ok_or_else(|| self.err(name, "not a string: missing the terminating NUL"))?;
        if body.contains(&0) {
            return Err(self.err(name, "expected one string, found a string list"));
        }
        std::str::from_utf8(body)
            .map(Some)
            .map_err(|_| self.err(name, "string is not valid UTF-8"))
    }

    /// A list of NUL-terminated strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<&'t str>>, Error> {
        let Some(p) = self.prop(name) else {
            return Ok(None);
        };
        if p.value.last() != Some(&0) {
            return Err(self.err(name, "not a string list: missing the terminating NUL"));
        }
        split_strings(&p.value)
            .map(|s| {
                std::str::from_utf8(s).map_err(|_| self.err(name, "string is not valid UTF-8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A flag property: true when present and empty, an error when present with a value.
    pub fn flag(&self, name: &str) -> Result<bool, Error> {
        match self.prop(name) {
            None => Ok(false),
            Some(p) if p.value.is_empty() => Ok(true),
            Some(p) => Err(self.err(
                name,
                format!(
                    "expected an empty (flag) property, found {}",
                    bytes(p.value.len())
                ),
            )),
        }
    }

    /// `#address-cells` of this node (the default 2 when absent).
    pub fn address_cells(&self) -> Result<u32, Error> {
        self.cells_count("#address-cells", 2)
    }

    /// `#size-cells` of this node (the default 1 when absent).
    pub fn size_cells(&self) -> Result<u32, Error> {
        self.cells_count("#size-cells", 1)
    }

    fn cells_count(&self, name: &str, default: u32) -> Result<u32, Error> {
        let v = self.u32(name)?.unwrap_or(default);
        if v > 4 {
            return Err(self.err(
                name,
                format!("{v} cells is more than this reader supports (4)"),
            ));
        }
        Ok(v)
    }
}

/// "1 byte", "5 bytes".
fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (Tree, NodeId) {
        let mut t = Tree::new();
        let n = t.add_child(t.root(), "dev@0");
        t.set_prop(n, "one", vec![0, 0, 1, 2]);
        t.set_prop(n, "two", vec![0, 0, 0, 1, 0, 0, 0, 2]);
        t.set_prop(n, "odd", vec![1, 2, 3]);
        t.set_prop(n, "s", b"hello\0".to_vec());
        t.set_prop(n, "sl", b"a\0bc\0".to_vec());
        t.set_prop(n, "flag", vec![]);
        (t, n)
    }

    #[test]
    fn typed_reads() {
        let (t, n) = tree();
        let r = t.at(n);
        assert_eq!(r.u32("one").unwrap(), Some(0x102));
        assert_eq!(r.u32("missing").unwrap(), None);
        assert_eq!(r.u64("two").unwrap(), Some(0x1_0000_0002));
        assert_eq!(r.u64("one").unwrap(), Some(0x102));
        assert_eq!(r.cells("two").unwrap(), Some(vec![1, 2]));
        assert_eq!(r.string("s").unwrap(), Some("hello"));
        assert_eq!(r.strings("sl").unwrap(), Some(vec!["a", "bc"]));
        assert!(r.flag("flag").unwrap());
        assert!(!r.flag("missing").unwrap());
        assert_eq!(r.address_cells().unwrap(), 2);
        assert_eq!(r.size_cells().unwrap(), 1);
    }

    #[test]
    fn wrong_sizes_name_node_and_property() {
        let (t, n) = tree();
        let r = t.at(n);
        let e = r.u32("two").unwrap_err().to_string();
        assert!(e.contains("/dev@0") && e.contains("'two'"), "{e}");
        assert!(r.cells("odd").is_err());
        assert!(r.u64("odd").is_err());
        assert!(r.string("one").is_err());
        assert!(r.string("sl").is_err());
        assert!(r.flag("one").is_err());
        assert!(r.strings("odd").is_err());
    }
}
