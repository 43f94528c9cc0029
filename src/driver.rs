//! The simulator's drivers: what a function's driver asks for.

use of_tree::Tree;
use platform::ops::MsiType;

/// The request a function's driver makes: kind and count, from its properties.
pub fn driver_request(tree: &Tree, node: of_tree::NodeId) -> Option<(MsiType, u32)> {
    let at = tree.at(node);
    match (
        at.u32("ibm,req#msi-x").ok().flatten(),
        at.u32("ibm,req#msi").ok().flatten(),
    ) {
        (Some(n), _) if n > 0 => Some((MsiType::Msix, n)),
        (_, Some(n)) if n > 0 => Some((MsiType::Msi, n)),
        _ => None,
    }
}
