//! Helpers shared by the firmware's integration tests: the workspace's fixtures, firmware
//! built from them, and the MSI calls through the typed API. Only `rtas`, `of_tree` and
//! the standard library (and dtc, for `canonical`): these tests boot no OS.

#![allow(dead_code)]

#[path = "../../../tests/support/files.rs"]
mod files;
#[path = "../../../tests/support/firmware.rs"]
mod firmware;

#[allow(unused_imports)]
pub use files::*;
#[allow(unused_imports)]
pub use firmware::*;

pub mod lopapr;
pub mod services;
