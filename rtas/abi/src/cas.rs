//! `ibm,client-architecture-support` (CAS): the option vectors' layout, the bits both
//! sides read, the interrupt-controller mode CAS settles, and why a call is refused.

use serde::{Deserialize, Serialize};

/// `/chosen` property listing what the platform offers in vector 5: (byte, value) pairs.
pub const PROP_PLATFORM_SUPPORT: &str = "ibm,arch-vec-5-platform-support";
/// `/chosen` property the firmware writes after CAS: the negotiated vector 5.
pub const PROP_VEC5: &str = "ibm,architecture-vec-5";
/// Vector 5's interrupt-architecture byte (1-based, as LoPAPR numbers them).
pub const OV5_INTARCH: usize = 23;
/// Bits of that byte that say the interrupt mode.
pub const OV5_XIVE_MASK: u8 = 0xc0;
/// Vector 5 byte 23: XIVE exploitation (the OS asks for it; a platform: XIVE only).
pub const OV5_XIVE_EXPLOIT: u8 = 0x40;
/// Vector 5 byte 23, from the platform: XICS or XIVE, the OS picks.
pub const OV5_XIVE_EITHER: u8 = 0x80;
/// Vector 4's byte holding the "ibm,change-msi busy" bit (1-based).
pub const OV4_MSI_BUSY_BYTE: usize = 1;
/// The OS handles -2 / 990x from `ibm,change-msi` (vector 4 byte 1). Linux 6.1 does
/// not set it.
pub const OV4_MSI_BUSY: u8 = 0x80;
/// QEMU's thread interrupt management area (TIMA) base; the XIVE node's `reg` is its
/// user page (3) and OS page (2), 64 KiB each.
pub const XIVE_TM_BASE: u64 = 0x0006_0302_0318_0000;
/// A TIMA page's size as a shift.
pub const XIVE_TM_SHIFT: u32 = 16;
/// Event queue sizes (page shifts) the XIVE node offers: 64 KiB.
pub const XIVE_EQ_SHIFT: u32 = 16;

/// An interrupt controller mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntcMode {
    /// XICS (legacy): RTAS set-xive / int-on, the ICP.
    Xics,
    /// XIVE exploitation: the `H_INT_*` calls and ESB pages.
    Xive,
}

impl std::fmt::Display for IntcMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IntcMode::Xics => "xics",
            IntcMode::Xive => "xive",
        })
    }
}

/// Why a CAS call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CasError {
    /// The table runs past OS memory or past its own declared lengths.
    #[error("client-architecture-support: the option vector table at {0:#x} is malformed or outside memory")]
    Malformed(u64),
    /// Bare metal: no Open Firmware client interface to call.
    #[error("client-architecture-support: no firmware client interface (bare metal)")]
    Unsupported,
    /// The OS asked for XIVE on a machine without it (QEMU's words; QEMU exits).
    #[error("Guest requested unavailable interrupt mode (XIVE), try the ic-mode=xive or ic-mode=dual machine property")]
    NoXive,
    /// The OS asked for XICS on a XIVE-only machine (QEMU's words; QEMU exits).
    #[error("Guest requested unavailable interrupt mode (XICS), either don't set the ic-mode machine property or try ic-mode=xics or ic-mode=dual")]
    NoXics,
}

/// The option vectors of a CAS table: vector n's bytes, byte 1 first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionVectors {
    vectors: Vec<Vec<u8>>,
}

impl OptionVectors {
    /// Vectors from their bytes (vector 1 first).
    pub fn new(vectors: Vec<Vec<u8>>) -> Self {
        OptionVectors { vectors }
    }

    /// Byte `b` (1-based) of vector `v` (1-based); 0 where the vector is shorter.
    pub fn byte(&self, v: usize, b: usize) -> u8 {
        v.checked_sub(1)
            .and_then(|i| self.vectors.get(i))
            .and_then(|x| b.checked_sub(1).and_then(|j| x.get(j)))
            .copied()
            .unwrap_or(0)
    }

    /// The table as the OS lays it out (LoPAPR `ibm,architecture.vec`): the PVR list,
    /// (mask, value) pairs ending with the first whose value has bits outside its mask,
    /// then the vector count less one, then each vector as its length less one and its
    /// bytes.
    pub fn to_table(&self, pvrs: &[(u32, u32)]) -> Vec<u8> {
        let mut t = Vec::new();
        for (m, v) in pvrs {
            t.extend_from_slice(&m.to_be_bytes());
            t.extend_from_slice(&v.to_be_bytes());
        }
        t.push(self.vectors.len().saturating_sub(1) as u8);
        for v in &self.vectors {
            t.push(v.len().saturating_sub(1) as u8);
            t.extend_from_slice(v);
        }
        t
    }

    /// Parses a table (see [`OptionVectors::to_table`]); `None` when it is cut short.
    pub fn parse(t: &[u8]) -> Option<OptionVectors> {
        let mut at = 0;
        loop {
            let pair = t.get(at..at + 8)?;
            let mask = u32::from_be_bytes(pair[..4].try_into().ok()?);
            let val = u32::from_be_bytes(pair[4..].try_into().ok()?);
            at += 8;
            if val & !mask != 0 {
                break;
            }
        }
        let n = *t.get(at)? as usize + 1;
        at += 1;
        let mut vectors = Vec::with_capacity(n);
        for _ in 0..n {
            let len = *t.get(at)? as usize + 1;
            vectors.push(t.get(at + 1..at + 1 + len)?.to_vec());
            at += 1 + len;
        }
        Some(OptionVectors { vectors })
    }
}

/// What CAS settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasOutcome {
    /// The interrupt mode.
    pub mode: IntcMode,
    /// The OS handles busy answers from change-msi (vector 4).
    pub msi_busy: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_vectors_round_trip_through_their_table() {
        let ov = OptionVectors::new(vec![vec![0x80], vec![0, 10], vec![1, 2, 3]]);
        // The PVR list ends at the first pair whose value has bits outside its mask.
        let pvrs = [(0xffff_0000, 0x004e_0000), (0xffff_fffe, 0x0f00_0005)];
        let table = ov.to_table(&pvrs);
        assert_eq!(OptionVectors::parse(&table), Some(ov.clone()));
        assert_eq!(ov.byte(2, 2), 10);
        assert_eq!(ov.byte(3, 4), 0, "past a vector's end reads 0");
        assert_eq!((ov.byte(0, 1), ov.byte(9, 1)), (0, 0), "no vector 0 or 9");
        // Cut short anywhere, the table does not parse.
        for n in 0..table.len() {
            assert_eq!(OptionVectors::parse(&table[..n]), None, "{n} bytes");
        }
    }

    #[test]
    fn modes_print_as_the_scenario_language_names_them() {
        assert_eq!(IntcMode::Xics.to_string(), "xics");
        assert_eq!(IntcMode::Xive.to_string(), "xive");
    }
}
