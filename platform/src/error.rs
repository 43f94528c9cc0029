//! The error type of the platform crate, and the errno-like results of MSI requests.

/// Why the OS could not boot or a driver action failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The tree could not be read.
    #[error(transparent)]
    Tree(#[from] of_tree::Error),
    /// No machine description accepted the tree.
    #[error("no machine description accepts this tree")]
    NoMachine,
    /// A named device does not exist.
    #[error("no device {0}")]
    NoDevice(String),
    /// A step of the boot or a driver action failed.
    #[error("{0}")]
    Failed(String),
}

/// What an MSI request came to, in Linux's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsiError {
    /// The platform cannot give that many; try this many (a positive return in Linux).
    TryFewer(u32),
    /// No such property / capability (-ENOENT).
    NoEnt,
    /// No space (-ENOSPC).
    NoSpc,
    /// Invalid request (-EINVAL).
    Inval,
    /// The platform has no MSI support (-ENOSYS / not supported).
    NotSupported,
    /// The firmware answered with this status.
    Rtas(i32),
    /// A non-PCI device whose `msi-parent` is missing or names no MSI controller.
    NoMsiParent,
    /// An IMS request without the new interrupt scheme in force.
    ImsNeedsNewScheme,
}

impl std::fmt::Display for MsiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MsiError::TryFewer(n) => write!(f, "only {n} vectors available"),
            MsiError::NoEnt => f.write_str("no such property (-ENOENT)"),
            MsiError::NoSpc => f.write_str("no space (-ENOSPC)"),
            MsiError::Inval => f.write_str("invalid request (-EINVAL)"),
            MsiError::NotSupported => f.write_str("MSI not supported"),
            MsiError::Rtas(s) => write!(f, "firmware status {s}"),
            MsiError::ImsNeedsNewScheme => f.write_str("IMS needs the new interrupt scheme"),
            MsiError::NoMsiParent => {
                f.write_str("its 'msi-parent' is missing or names no MSI controller")
            }
        }
    }
}
