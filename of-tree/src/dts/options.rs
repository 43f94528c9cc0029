//! The options of a compilation: the dtc switches that change the tree built.

/// How to compile a source, as dtc's options say it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// dtc's `-@`: a `__symbols__` node with every node label's path, and a phandle for
    /// every labelled node.
    pub symbols: bool,
}
