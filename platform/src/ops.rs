//! The machine descriptions this OS knows, probed in order, and the ops table's types.

pub use crate::kernel::ops::*;

/// The descriptions, probed in this order.
static DESCRIPTIONS: [&MachineDescription; 4] = [
    &crate::pseries::PSERIES,
    &crate::mpic::MPIC,
    &crate::axon::AXON,
    &crate::generic::GENERIC,
];

/// The descriptions, probed in this order.
pub fn descriptions() -> &'static [&'static MachineDescription] {
    &DESCRIPTIONS
}

/// A description by name.
pub fn description(name: &str) -> Option<&'static MachineDescription> {
    descriptions().iter().copied().find(|d| d.name == name)
}
