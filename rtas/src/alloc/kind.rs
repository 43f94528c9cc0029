//! What a block of MSI sources is for: the allocation policies align the kinds
//! differently.

use serde::{Deserialize, Serialize};

/// What a block is for: the policies align the two kinds differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlockKind {
    /// Multi-message MSI: data low bits carry the vector number.
    Msi,
    /// MSI-X: one message per table entry.
    Msix,
}
