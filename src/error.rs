//! The error type of the simulator's side: a machine that could not be built, an OS
//! that failed, a scenario that is malformed or whose expectation failed.

/// Why building a machine, booting it or running a scenario failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The tree or machine could not be used.
    #[error(transparent)]
    Machine(#[from] rtas::Error),
    /// The OS failed.
    #[error(transparent)]
    Os(#[from] platform::Error),
    /// The tree could not be read.
    #[error(transparent)]
    Tree(#[from] of_tree::Error),
    /// A scenario file is malformed or an expectation failed.
    #[error("{file}:{line}:{col}: {msg}")]
    Scenario {
        /// The scenario file.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        col: usize,
        /// What is wrong.
        msg: String,
    },
    /// A step of a scenario or a simulator action failed.
    #[error("{0}")]
    Failed(String),
}
