//! The RTAS services, one file per family.

mod config;
mod dr;
mod eeh;
mod misc;
mod msi;
mod xics;
