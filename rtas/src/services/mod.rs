//! The RTAS services, one file per family.

mod config;
mod eeh;
mod misc;
mod msi;
mod xics;
