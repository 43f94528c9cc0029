//! A node and what it holds: its id in the tree's arena, its properties (raw values,
//! labels), its name, parent and children.

use std::sync::Arc;

/// Index of a node in its [`Tree`](crate::Tree)'s arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A property's raw bytes: short values (most cells and strings) are stored inline.
pub type Value = smallvec::SmallVec<[u8; 16]>;

/// Labels a DTS source attached. Most nodes and properties have none, so they are kept
/// out of line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(clippy::box_collection)] // one pointer wide: most properties have no labels
pub struct Labels(Option<Box<Vec<String>>>);

impl Labels {
    /// The labels in the order they were given.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.as_deref().map(|v| v.iter()).unwrap_or_default()
    }

    /// Adds a label unless it is there already.
    pub fn push(&mut self, label: String) {
        if !self.contains(&label) {
            self.0.get_or_insert_with(Default::default).push(label);
        }
    }

    /// Whether a label is there.
    pub fn contains(&self, label: &str) -> bool {
        self.iter().any(|l| l == label)
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|v| v.is_empty())
    }
}

impl From<Vec<String>> for Labels {
    fn from(v: Vec<String>) -> Self {
        Labels(if v.is_empty() {
            None
        } else {
            Some(Box::new(v))
        })
    }
}

/// A property: a name, raw bytes, and the labels the source gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    name: Arc<str>,
    /// The raw value as it is stored in a blob (big-endian cells, NUL-terminated strings).
    pub value: Value,
    /// Labels attached in DTS source.
    pub labels: Labels,
}

impl Property {
    /// A property with a name and value and no labels.
    pub fn new(name: impl Into<Arc<str>>, value: impl Into<Value>) -> Self {
        Property {
            name: name.into(),
            value: value.into(),
            labels: Labels::default(),
        }
    }

    /// The property name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.name
    }
}

/// A node: its full name (`name@unit`), properties in order, children in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub(crate) name: String,
    /// Properties in insertion order.
    pub props: Vec<Property>,
    pub(crate) children: Vec<NodeId>,
    pub(crate) parent: Option<NodeId>,
    /// Labels attached in DTS source.
    pub labels: Labels,
}

impl Node {
    /// The full node name, `name@unit` (empty for the root).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name without the unit address.
    pub fn base_name(&self) -> &str {
        self.name.split('@').next().unwrap_or("")
    }

    /// The unit address, if the name has one.
    pub fn unit_address(&self) -> Option<&str> {
        self.name.split_once('@').map(|(_, u)| u)
    }

    /// Children in order.
    pub fn children(&self) -> &[NodeId] {
        &self.children
    }

    /// The parent (none for the root).
    pub fn parent(&self) -> Option<NodeId> {
        self.parent
    }

    /// A property by name.
    pub fn prop(&self, name: &str) -> Option<&Property> {
        let want = name.as_bytes();
        // Length and last byte first: most names of a node differ there, and the
        // whole comparison is a library call.
        self.props.iter().find(|p| {
            let have = p.name.as_bytes();
            have.len() == want.len() && have.last() == want.last() && have == want
        })
    }
}

/// Splits a NUL-separated string list (trailing NUL optional).
pub(crate) fn split_strings(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    let v = v.strip_suffix(b"\0").unwrap_or(v);
    v.split(|&b| b == 0)
}
