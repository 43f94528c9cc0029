//! The tree generators by platform: a pSeries machine like QEMU's, an MPIC machine, a
//! Cell blade.

use crate::gen::{GenError, GenSpec};
use of_tree::Tree;

/// Which machine a generated tree describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    /// A pSeries (PAPR) machine like QEMU's.
    #[default]
    Pseries,
    /// A U3/U4 MPIC machine (Maple class).
    Mpic,
    /// A Cell blade with Axon MSI.
    Axon,
}

/// Generates the tree of a platform.
pub fn try_generate_platform(platform: Platform, spec: &GenSpec) -> Result<Tree, GenError> {
    match platform {
        Platform::Pseries => crate::gen::try_generate(spec),
        Platform::Mpic => crate::gen_mpic::try_generate(spec),
        Platform::Axon => crate::gen_axon::try_generate(spec),
    }
}
