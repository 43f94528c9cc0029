//! PCI functions as Linux names them (`DDDD:BB:DD.F`) and as RTAS addresses them.

/// A PCI function: PCI domain (the PHB), bus and device/function number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Dev {
    pub(super) domain: u32,
    pub(super) bus: u32,
    pub(super) devfn: u32,
}

impl Dev {
    /// Reads `DDDD:BB:DD.F` (a trailing colon allowed, as in `pci 0000:00:01.0:`).
    pub(super) fn parse(s: &str) -> Option<Dev> {
        let s = s.trim_end_matches(':');
        let (domain, rest) = s.split_once(':')?;
        let (bus, rest) = rest.split_once(':')?;
        let (dev, func) = rest.split_once('.')?;
        if domain.len() != 4 || bus.len() != 2 || dev.len() != 2 || func.len() != 1 {
            return None;
        }
        let d = u32::from_str_radix(dev, 16).ok()?;
        let f = u32::from_str_radix(func, 16).ok()?;
        if d > 31 || f > 7 {
            return None;
        }
        Some(Dev {
            domain: u32::from_str_radix(domain, 16).ok()?,
            bus: u32::from_str_radix(bus, 16).ok()?,
            devfn: d << 3 | f,
        })
    }

    /// The name Linux and the scenarios use.
    pub(super) fn name(&self) -> String {
        format!(
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain,
            self.bus,
            self.devfn >> 3,
            self.devfn & 7
        )
    }

    /// The PCI configuration address RTAS takes (bus in bits 23:16, devfn in 15:8),
    /// which is also what QEMU's `cfgaddr`/`cfg=` trace fields print.
    pub(super) fn config_addr(&self) -> u32 {
        self.bus << 16 | self.devfn << 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_config_addresses() {
        let d = Dev::parse("0001:00:02.0").unwrap();
        assert_eq!((d.domain, d.config_addr()), (1, 0x1000));
        assert_eq!(d.name(), "0001:00:02.0");
        let b = Dev::parse("0000:01:01.0:").unwrap();
        assert_eq!(b.config_addr(), 0x10800);
        assert_eq!(b.name(), "0000:01:01.0");
        assert_eq!(Dev::parse("0000:ff:1f.7").unwrap().config_addr(), 0xff_ff00);
        assert!(Dev::parse("01:00:02.0").is_none());
        assert!(Dev::parse("0000:00:32.0").is_none());
        assert!(Dev::parse("0000:100:02.0").is_none());
    }
}
