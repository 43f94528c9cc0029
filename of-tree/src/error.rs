//! The error type of the of-tree crate.

use std::fmt;

/// A place in a source file: file name, line and column (both from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as given to the parser.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub col: usize,
}

impl Location {
    /// A location from its parts.
    pub fn new(file: &str, line: usize, col: usize) -> Self {
        Location {
            file: file.to_string(),
            line,
            col,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// Everything that can go wrong while reading, writing or querying a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A flattened blob is malformed at the given byte offset.
    #[error("DTB offset {offset:#x}: {msg}")]
    Dtb {
        /// Byte offset into the blob where the problem was found.
        offset: usize,
        /// What is wrong.
        msg: String,
    },
    /// Device tree source text is malformed.
    #[error("{loc}: {msg}")]
    Dts {
        /// Where in the source.
        loc: Location,
        /// What was expected or what is wrong.
        msg: String,
    },
    /// A property has the wrong size or type for the accessor used.
    #[error("{path}: property '{prop}': {msg}")]
    Property {
        /// Full path of the node.
        path: String,
        /// Property name.
        prop: String,
        /// What is wrong.
        msg: String,
    },
    /// A node could not be found.
    #[error("no node {0}")]
    NoNode(String),
    /// A path names more than one node (unit address left out where it matters).
    #[error("path {0} is ambiguous: add the unit address")]
    Ambiguous(String),
    /// The tree cannot be written as a blob (a value too large for the format).
    #[error("cannot write DTB: {0}")]
    Write(String),
    /// A file could not be read or written.
    #[error("{path}: {msg}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        msg: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_where() {
        let e = Error::Dts {
            loc: Location::new("a.dts", 3, 7),
            msg: "expected ';'".into(),
        };
        assert_eq!(e.to_string(), "a.dts:3:7: expected ';'");
        let e = Error::Property {
            path: "/pci@1".into(),
            prop: "reg".into(),
            msg: "length 5 is not a multiple of 4".into(),
        };
        assert_eq!(
            e.to_string(),
            "/pci@1: property 'reg': length 5 is not a multiple of 4"
        );
    }
}
