//! The RTAS services, one file per family.

mod config;
mod misc;
mod msi;
mod xics;
