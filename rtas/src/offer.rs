//! What interrupt-controller modes a machine offers before client-architecture-support,
//! as its tree says.

use of_tree::Tree;
use papr_abi::cas::{
    IntcMode, OV5_INTARCH, OV5_XIVE_EITHER, OV5_XIVE_EXPLOIT, OV5_XIVE_MASK, PROP_PLATFORM_SUPPORT,
};
use serde::{Deserialize, Serialize};

/// What the machine offers before CAS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntcOffer {
    /// XICS only (`ic-mode=xics`, or dual on POWER8).
    Xics,
    /// XIVE only (`ic-mode=xive`).
    Xive,
    /// Either (`ic-mode=dual` on POWER9).
    Either,
}

impl IntcOffer {
    /// The offer of a tree: `/chosen`'s platform-support byte 23, else the controller
    /// node the tree has (XIVE's `ibm,power-ivpe`, else XICS).
    pub fn from_tree(tree: &Tree) -> IntcOffer {
        if let Some(v) = platform_support(tree, OV5_INTARCH as u8) {
            return match v & OV5_XIVE_MASK {
                OV5_XIVE_EITHER => IntcOffer::Either,
                OV5_XIVE_EXPLOIT => IntcOffer::Xive,
                _ => IntcOffer::Xics,
            };
        }
        if tree.find_compatible("ibm,power-ivpe").is_empty() {
            IntcOffer::Xics
        } else {
            IntcOffer::Xive
        }
    }

    /// Byte 23 as `/chosen` publishes it.
    pub fn byte(self) -> u8 {
        match self {
            IntcOffer::Xics => 0,
            IntcOffer::Xive => OV5_XIVE_EXPLOIT,
            IntcOffer::Either => OV5_XIVE_EITHER,
        }
    }

    /// Whether the machine can run in a mode.
    pub fn allows(self, m: IntcMode) -> bool {
        matches!(
            (self, m),
            (IntcOffer::Either, _)
                | (IntcOffer::Xics, IntcMode::Xics)
                | (IntcOffer::Xive, IntcMode::Xive)
        )
    }
}

/// The value of a `(byte, value)` pair of `/chosen`'s platform-support property.
pub(crate) fn platform_support(tree: &Tree, byte: u8) -> Option<u8> {
    let chosen = tree.find("/chosen").ok()?;
    let p = tree.node(chosen).prop(PROP_PLATFORM_SUPPORT)?;
    p.value.chunks_exact(2).find(|c| c[0] == byte).map(|c| c[1])
}
