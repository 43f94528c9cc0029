//! A PCI function's address on its PHB, and the RTAS config address that names it.

use serde::{Deserialize, Serialize};

/// Bus number and device/function of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PciAddr {
    /// Bus number.
    pub bus: u8,
    /// Device << 3 | function.
    pub devfn: u8,
}

impl PciAddr {
    /// Device number (0..31).
    pub fn device(self) -> u8 {
        self.devfn >> 3
    }

    /// Function number (0..7).
    pub fn function(self) -> u8 {
        self.devfn & 7
    }

    /// The RTAS config address of register 0: `bus << 16 | devfn << 8`.
    pub fn config_addr(self) -> u32 {
        (self.bus as u32) << 16 | (self.devfn as u32) << 8
    }

    /// Splits an RTAS config address into the function and register number:
    /// `((reg & 0xf00) << 20) | (bus << 16) | (devfn << 8) | (reg & 0xff)`.
    pub fn from_config_addr(addr: u32) -> (PciAddr, u32) {
        let reg = ((addr >> 20) & 0xf00) | (addr & 0xff);
        (
            PciAddr {
                bus: (addr >> 16) as u8,
                devfn: (addr >> 8) as u8,
            },
            reg,
        )
    }
}

impl std::fmt::Display for PciAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02x}:{:02x}.{:x}",
            self.bus,
            self.device(),
            self.function()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_addresses_split_and_join() {
        for (bus, devfn, reg) in [(0u8, 0u8, 0u32), (1, 0x08, 0x44), (0xff, 0xff, 0xfff)] {
            let a = PciAddr { bus, devfn };
            // ((reg & 0xf00) << 20) | (bus << 16) | (devfn << 8) | (reg & 0xff)
            let cfg = ((reg & 0xf00) << 20) | a.config_addr() | (reg & 0xff);
            assert_eq!(PciAddr::from_config_addr(cfg), (a, reg));
        }
        let a = PciAddr {
            bus: 2,
            devfn: 0x21,
        };
        assert_eq!((a.device(), a.function()), (4, 1));
        assert_eq!(a.to_string(), "02:04.1");
    }
}
