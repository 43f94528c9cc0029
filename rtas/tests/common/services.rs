//! Functions of the `b_devices` fixture picked by the MSI kinds they offer, for the
//! service tests.

#![allow(dead_code)]

use super::find_fn;

/// A function with MSI and no MSI-X.
pub fn msi_only(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_some() && x.is_none())
}

/// A function with 8 or more MSI-X vectors and no MSI.
pub fn msix_only(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_none() && x.is_some_and(|n| n >= 8))
}

/// A function with both.
pub fn both(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_some() && x.is_some())
}

/// A function with neither.
pub fn neither(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_none() && x.is_none())
}
