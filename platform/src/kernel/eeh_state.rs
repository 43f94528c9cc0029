//! What the OS keeps of a device's EEH state, and what one recovery did.

/// A device's EEH state in the OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EehDev {
    /// Its PE config address.
    pub pe: u32,
    /// Register and value of each saved config word.
    pub saved: Vec<(u32, u32)>,
    /// Recoveries done.
    pub recoveries: u32,
    /// Freezes detected.
    pub freezes: u32,
    /// Permanently disabled after too many freezes.
    pub failed: bool,
}

/// What one recovery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The PE config address.
    pub pe: u32,
    /// The state read when the freeze was detected (2 or 4).
    pub state: i64,
    /// The first word of the error log the firmware returned (None: no log).
    pub log: Option<u32>,
    /// Busy and extended-delay answers retried.
    pub retries: u32,
    /// Vectors checked and re-enabled.
    pub vectors: u32,
}
