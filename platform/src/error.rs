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
    /// client-architecture-support refused the OS's option vectors.
    #[error(transparent)]
    Cas(#[from] papr_abi::cas::CasError),
    /// EEH: enabling it, or a recovery, failed.
    #[error("EEH: {0}")]
    Eeh(String),
    /// A DLPAR (hotplug) step failed.
    #[error("dlpar: {0}")]
    Dlpar(String),
    /// The machine cannot suspend.
    #[error("suspend is not supported on this machine")]
    SuspendUnsupported,
    /// The tree publishes no `ibm,suspend-me`.
    #[error("the machine has no ibm,suspend-me")]
    NoSuspendMe,
    /// `ibm,suspend-me` answered this status.
    #[error("ibm,suspend-me answered {0}")]
    SuspendRefused(i64),
    /// A resume came without a suspend before it.
    #[error("resume without a suspend")]
    ResumeWithoutSuspend,
    /// `resume renumber` on a machine whose OS allocates its vectors itself.
    #[error("resume renumber: this machine's firmware does not hand out vectors (the OS allocates them itself), so there is nothing to renumber")]
    RenumberRefused,
    /// A device's vectors could not be set up again after a resume.
    #[error("{0}")]
    Resume(String),
    /// A `--client` that is neither `model` nor `linux:PATH`.
    #[error("unknown client `{0}`: expected `model` or `linux:PATH/msi.c`")]
    UnknownClient(String),
    /// A Linux client could not be read, built or loaded (the compiler's messages).
    #[error(transparent)]
    Client(#[from] crate::linux::ClientError),
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
