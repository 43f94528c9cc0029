//! Code that negotiates MSIs in place of a machine description's hooks (a compiled
//! Linux client, say): the kernel drives it through these traits and names no
//! implementation. They and the kernel refer to each other, so they are defined in
//! `core`.

pub use super::core::{Client, ClientBuild, MsiClient};
