//! `explore`: differential testing of two MSI clients. Scenarios are generated from a
//! seed (the machine's tree varied, driver actions legal in the state reached), run
//! with both clients and compared as `diff-clients` compares; the first that shows a
//! difference is shrunk to a minimal scenario that still shows it.

mod actions;
mod case;
mod cpu;
mod pair;
mod rng;
mod search;
mod shrink;
mod slots;
mod tree_edit;

pub use case::{Case, Setup, STEM};
pub use pair::{check, generate, Clients, Outcome, Workspace, MAX_ACTIONS};
pub use rng::Rng;
pub use search::{explore, Found, Options, Report};
pub use shrink::{shrink, smaller_cases, Shrunk};
pub use tree_edit::{apply as apply_edits, TreeEdit};
