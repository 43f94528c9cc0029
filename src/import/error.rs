//! Why an import stopped.

/// Why an import stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct ImportError {
    /// Line of the log, from 1.
    pub line: usize,
    /// What could not be inferred.
    pub msg: String,
}
