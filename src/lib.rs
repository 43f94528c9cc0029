//! Library side of the `pseries-sim` command: pieces the command, the integration tests
//! and the benchmarks share.
//!
//! ```
//! use pseries_sim::gen::{generate, GenSpec};
//! let tree = generate(&GenSpec { phbs: 2, functions: 3, msix: 4, msi: 0 });
//! let report = pseries_sim::check::check(&tree);
//! assert_eq!(report.functions.len(), 6);
//! assert!(!report.has_errors());
//! ```
#![deny(missing_docs)]

pub mod boot;
pub mod check;
pub mod driver;
mod error;
pub mod explore;
pub mod files;
pub mod fuzzing;
pub mod gen;
pub mod gen_axon;
pub mod gen_ims;
pub mod gen_mpic;
pub mod gen_msi;
pub mod gen_platform;
pub mod harness;
pub mod import;
pub mod many;
pub mod scenario;

pub use error::{about_file, Error};
pub use harness::BootOptions;
