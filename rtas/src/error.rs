//! The error types of the rtas crate: building a machine, checking a state read from
//! outside, mapping a function's pin to its interrupt source.

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

/// What is wrong in a state read from outside (a state blob's machine), found before
/// anything indexes out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidateError {
    /// A function's config space is not of a size or layout it can have.
    #[error("{path}: config space of a bad shape")]
    ConfigShape {
        /// The function's node path.
        path: String,
    },
    /// A function's MSI capability lies outside its config space or is malformed.
    #[error("{path}: MSI capability out of place")]
    MsiCap {
        /// The function's node path.
        path: String,
    },
    /// A function's MSI-X capability or table disagree or are out of range.
    #[error("{path}: MSI-X capability or table out of shape")]
    MsixShape {
        /// The function's node path.
        path: String,
    },
    /// A function has an MSI-X capability without a table, or a table without one.
    #[error("{path}: MSI-X capability without its table")]
    MsixTable {
        /// The function's node path.
        path: String,
    },
    /// A PHB's MSI block runs past the source numbers or holds more than it reserves.
    #[error("{path}: MSI block out of range")]
    MsiBlock {
        /// The PHB's node path.
        path: String,
    },
    /// A PHB's address index disagrees with its functions.
    #[error("{path}: function index out of shape")]
    FunctionIndex {
        /// The PHB's node path.
        path: String,
    },
    /// An interrupt controller overlaps the one before it, or holds sources it does
    /// not own.
    #[error("interrupt controller at {offset:#x} overlaps or overflows")]
    ControllerOverlap {
        /// The controller's first source.
        offset: u32,
    },
    /// An interrupt controller's sources run past 2^32.
    #[error("interrupt controller at {offset:#x} runs past 2^32")]
    ControllerEnd {
        /// The controller's first source.
        offset: u32,
    },
    /// An MSI pool's bitmaps, stacks or counts do not fit its range.
    #[error("MSI pool at {base:#x} is out of shape")]
    PoolShape {
        /// The pool's first source.
        base: u32,
    },
}

/// Why a PHB's `interrupt-map` stops being usable at an entry (the entries before it
/// still map).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterruptMapError {
    /// The entry's parent phandle names no node.
    #[error("names phandle {0:#x}, which no node has")]
    UnknownParent(u32),
    /// The parent's `#interrupt-cells` does not read.
    #[error(transparent)]
    ParentCells(of_tree::Error),
    /// The entry is cut short by the end of the map (or its parent has no cells).
    #[error("entry at cell {0} runs past the end")]
    PastEnd(usize),
}

/// Why a function's interrupt pin maps to no global source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LsiError {
    /// A bridge between the function and its PHB has no `reg` to swizzle by.
    #[error("the bridge above it has no usable 'reg'")]
    BridgeReg,
    /// The PHB's `interrupt-map` could not be read.
    #[error(transparent)]
    Map(Error),
    /// The PHB's `interrupt-map` breaks off before it says where the pin goes.
    #[error("{phb}: 'interrupt-map' {why}")]
    MapEntry {
        /// The PHB's node path.
        phb: String,
        /// What is wrong with the map's entry.
        why: InterruptMapError,
    },
}
