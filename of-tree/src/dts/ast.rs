//! The syntax tree of a DTS file, before it is merged into a device tree.

use super::lex::Ref;

/// A place in the expanded source, kept as the length of the text that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At(pub usize);

impl At {
    /// An `At` for the start of `rest`.
    pub fn of(rest: &str) -> At {
        At(rest.len())
    }

    /// The byte offset in a text of `total` bytes.
    pub fn offset(self, total: usize) -> usize {
        total.saturating_sub(self.0)
    }
}

/// A reference and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefAt {
    pub r: Ref,
    pub at: At,
}

/// One cell of a `< >` array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Num(u64, At),
    Ref(RefAt),
}

/// One comma-separated piece of a property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A string (with its NUL) or a byte string.
    Bytes(Vec<u8>),
    /// A `< >` array of `bits`-wide elements.
    Cells { bits: u32, cells: Vec<Cell> },
    /// A bare `&label`: the path of the node as a string.
    PathRef(RefAt),
    /// `/incbin/("file")` or `/incbin/("file", offset, length)`: bytes of a file.
    Incbin {
        path: String,
        range: Option<(u64, u64)>,
        at: At,
    },
}

/// A property definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PropDef {
    pub labels: Vec<String>,
    pub name: String,
    pub value: Vec<Piece>,
    /// Labels inside the value (`p = a: <1 b: 2>;`), with where each was written.
    pub value_labels: Vec<(String, At)>,
    pub at: At,
}

/// A node definition (or an extension of an existing node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeDef {
    pub labels: Vec<String>,
    pub name: String,
    pub items: Vec<Item>,
    /// Marked `/omit-if-no-ref/`: dropped unless something refers to it.
    pub omit: bool,
    pub at: At,
}

/// An entry of a node body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    Prop(PropDef),
    DelProp(String, At),
    Node(NodeDef),
    DelNode(String, At),
}

/// A top-level statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Top {
    /// `/plugin/;`: the file is an overlay.
    Plugin,
    Memreserve(u64, u64),
    /// `/ { ... };`
    Root(Vec<Item>),
    /// `labels &ref { ... };`
    Extend {
        labels: Vec<String>,
        target: RefAt,
        items: Vec<Item>,
    },
    /// `/delete-node/ &ref;`
    DeleteNode(RefAt),
    /// `/omit-if-no-ref/ &ref;`
    OmitIfNoRef(RefAt),
}
