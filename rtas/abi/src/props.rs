//! Properties firmware publishes of bare-metal hardware in the tree it hands the OS.

/// A bare-metal PHB's MSI range: `<first-source count>` (PowerNV's binding).
pub const PROP_MSI_RANGES: &str = "ibm,opal-msi-ranges";
/// Where a bare-metal PHB's messages go: `<addr-hi addr-lo>` (a simulator binding).
pub const PROP_MSI_ADDRESS: &str = "pseries-sim,msi-address";
/// Where the bare-metal source controller's registers are: `<addr-hi addr-lo>`, on the
/// first node marked `interrupt-controller` (a simulator binding).
pub const PROP_ICS_REGISTERS: &str = "pseries-sim,ics-registers";
