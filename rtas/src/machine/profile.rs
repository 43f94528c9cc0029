//! How to build a machine: the firmware behaviour and the build options.

use serde::{Deserialize, Serialize};

/// Firmware behaviour: what the spec says, or what QEMU 7.2 does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Profile {
    /// LoPAPR.
    Papr,
    /// QEMU 7.2, bug for bug.
    Qemu,
}

/// A profile name that is neither `papr` nor `qemu`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile '{0}': use papr or qemu")]
pub struct UnknownProfile(pub String);

impl std::str::FromStr for Profile {
    type Err = UnknownProfile;
    fn from_str(s: &str) -> Result<Self, UnknownProfile> {
        match s {
            "papr" => Ok(Profile::Papr),
            "qemu" => Ok(Profile::Qemu),
            o => Err(UnknownProfile(o.to_string())),
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Profile::Papr => "papr",
            Profile::Qemu => "qemu",
        })
    }
}

/// How to build a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineConfig {
    /// Firmware behaviour (and allocation policy).
    pub profile: Profile,
    /// PAPR only: MSI sources per PHB pool, overriding what the tree implies.
    pub pool_size: Option<u32>,
    /// Bare metal: no firmware hands out MSIs; the OS allocates sources from each PHB's
    /// MSI range itself and the PHB routes any message in that range.
    pub bare_metal: bool,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            profile: Profile::Papr,
            pool_size: None,
            bare_metal: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        assert_eq!("qemu".parse::<Profile>(), Ok(Profile::Qemu));
        assert!("x".parse::<Profile>().is_err());
        assert_eq!(Profile::Papr.to_string(), "papr");
    }
}
