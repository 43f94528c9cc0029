//! The kinds the ops table and the MSI layer speak of: a request's message store (MSI,
//! MSI-X, IMS), and how the firmware behaves at resume.

/// The kind of message store a request is for: MSI, MSI-X or IMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MsiType {
    /// Message-signalled interrupts (capability 0x05).
    Msi,
    /// MSI-X (capability 0x11).
    Msix,
    /// IMS: slots in the function's own memory (`pseries-sim,ims-store`), under the new
    /// interrupt scheme.
    Ims,
}

impl std::fmt::Display for MsiType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MsiType::Msi => "msi",
            MsiType::Msix => "msix",
            MsiType::Ims => "ims",
        })
    }
}

/// How the firmware behaves at resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeMode {
    /// Everything as before (what PAPR requires).
    Keep,
    /// The firmware redoes its allocations and hands out different sources.
    Renumber,
}
