//! The error type of the rtas crate.

/// Why a machine could not be built from a tree, or a state blob not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A node of the tree does not describe what it should.
    #[error("{path}: {msg}")]
    Tree {
        /// Node path.
        path: String,
        /// What is wrong.
        msg: String,
    },
    /// A property could not be read (wrong size or type).
    #[error(transparent)]
    Property(#[from] of_tree::Error),
    /// The machine asks for more than the simulator can hold.
    #[error("{0}")]
    Limit(String),
    /// A hotplug request was refused (QEMU's words where QEMU refuses it).
    #[error("{0}")]
    Hotplug(String),
    /// A call log line could not be read.
    #[error("line {line}{}: {msg}", .column.map(|c| format!(", column {c}")).unwrap_or_default())]
    Log {
        /// Line number, from 1.
        line: usize,
        /// Column, from 1, where the JSON reader says.
        column: Option<usize>,
        /// What is wrong.
        msg: String,
    },
}

pub(crate) fn tree_err(path: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::Tree {
        path: path.into(),
        msg: msg.into(),
    }
}
