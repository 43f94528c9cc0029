//! Library side of the `pseries-sim` command: pieces the command, the integration tests
//! and the benchmarks share.
#![deny(missing_docs)]

pub mod fuzzing;
pub mod gen;
pub mod import;
pub mod many;
