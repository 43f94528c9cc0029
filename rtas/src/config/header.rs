//! The standard type 0 (device) and type 1 (bridge) configuration header.

use super::space::ConfigSpace;
use serde::{Deserialize, Serialize};

/// Offsets of header registers.
pub(crate) mod reg {
    pub const VENDOR_ID: usize = 0x00;
    pub const DEVICE_ID: usize = 0x02;
    pub const COMMAND: usize = 0x04;
    pub const STATUS: usize = 0x06;
    pub const REVISION: usize = 0x08;
    pub const CLASS: usize = 0x09;
    pub const CACHE_LINE: usize = 0x0c;
    pub const LATENCY: usize = 0x0d;
    pub const HEADER_TYPE: usize = 0x0e;
    pub const BAR0: usize = 0x10;
    pub const SUBSYS_VENDOR: usize = 0x2c;
    pub const SUBSYS_ID: usize = 0x2e;
    pub const CAP_PTR: usize = 0x34;
    pub const INT_LINE: usize = 0x3c;
    pub const INT_PIN: usize = 0x3d;
}

/// Command register bits software may write: I/O, memory, bus master, parity error
/// response, SERR#, INTx disable.
pub const COMMAND_WMASK: u32 = 0x0547;
/// Command register: INTx disable.
pub const COMMAND_INTX_DISABLE: u32 = 1 << 10;
/// Status register bits cleared by writing one (error bits).
pub const STATUS_W1C: u32 = 0xf900;
/// Status register: capabilities list present.
pub const STATUS_CAP_LIST: u32 = 1 << 4;

/// Which header layout a function has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HeaderType {
    /// Type 0: an endpoint with six BARs.
    Device,
    /// Type 1: a PCI-PCI bridge.
    Bridge,
}

/// What a BAR decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarKind {
    /// I/O space.
    Io,
    /// 32-bit memory.
    Mem32,
    /// 64-bit memory (uses two BAR registers).
    Mem64,
}

/// A base address register: which register, what it decodes and how large.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// BAR index 0..5.
    pub index: u8,
    /// Space decoded.
    pub kind: BarKind,
    /// Size in bytes (a power of two).
    pub size: u64,
    /// PCI bus address the firmware assigned (0: unassigned).
    pub address: u64,
}

impl Bar {
    fn low_flags(&self) -> u32 {
        match self.kind {
            BarKind::Io => 0x1,
            BarKind::Mem32 => 0x0,
            BarKind::Mem64 => 0x4,
        }
    }
}

/// Identity of a function as the header shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    pub vendor_id: u16,
    pub device_id: u16,
    pub revision: u8,
    pub class_code: u32,
    pub subsystem_vendor: u16,
    pub subsystem_id: u16,
    pub int_pin: u8,
}

/// Fills a standard header and its write masks.
pub(crate) fn init_header(cs: &mut ConfigSpace, ty: HeaderType, id: &Identity, bars: &[Bar]) {
    cs.set_raw(reg::VENDOR_ID, id.vendor_id as u32, 2);
    cs.set_raw(reg::DEVICE_ID, id.device_id as u32, 2);
    cs.set_wmask(reg::COMMAND, COMMAND_WMASK, 2);
    cs.set_w1cmask(reg::STATUS, STATUS_W1C, 2);
    cs.set_raw(reg::REVISION, id.revision as u32, 1);
    cs.set_raw(reg::CLASS, id.class_code & 0xff_ffff, 3);
    cs.set_wmask(reg::CACHE_LINE, 0xff, 1);
    cs.set_wmask(reg::LATENCY, 0xff, 1);
    cs.set_wmask(reg::INT_LINE, 0xff, 1);
    cs.set_raw(reg::INT_PIN, id.int_pin as u32, 1);
    match ty {
        HeaderType::Device => {
            cs.set_raw(reg::HEADER_TYPE, 0x00, 1);
            cs.set_raw(reg::SUBSYS_VENDOR, id.subsystem_vendor as u32, 2);
            cs.set_raw(reg::SUBSYS_ID, id.subsystem_id as u32, 2);
            for b in bars.iter().filter(|b| b.index < 6) {
                let off = reg::BAR0 + 4 * b.index as usize;
                let size = b.size.max(if b.kind == BarKind::Io { 4 } else { 16 });
                let addr_mask = !(size - 1);
                let low = match b.kind {
                    BarKind::Io => (addr_mask as u32) & !0x3,
                    _ => (addr_mask as u32) & !0xf,
                };
                cs.set_raw(off, b.low_flags(), 4);
                cs.set_wmask(off, low, 4);
                if b.kind == BarKind::Mem64 && b.index < 5 {
                    cs.set_wmask(off + 4, (addr_mask >> 32) as u32, 4);
                }
            }
        }
        HeaderType::Bridge => {
            cs.set_raw(reg::HEADER_TYPE, 0x01, 1);
            // Primary, secondary, subordinate bus numbers and secondary latency.
            cs.set_wmask(0x18, 0xffff_ffff, 4);
            // I/O base and limit (upper nibbles), secondary status error bits.
            cs.set_wmask(0x1c, 0xf0f0, 2);
            cs.set_w1cmask(0x1e, STATUS_W1C, 2);
            // Memory and prefetchable base/limit, prefetchable upper halves, I/O upper.
            cs.set_wmask(0x20, 0xfff0_fff0, 4);
            cs.set_wmask(0x24, 0xfff0_fff0, 4);
            cs.set_wmask(0x28, 0xffff_ffff, 4);
            cs.set_wmask(0x2c, 0xffff_ffff, 4);
            cs.set_wmask(0x30, 0xffff_ffff, 4);
            // Bridge control.
            cs.set_wmask(0x3e, 0x0fff, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> ConfigSpace {
        let mut cs = ConfigSpace::new(256);
        let id = Identity {
            vendor_id: 0x1af4,
            device_id: 0x1041,
            revision: 1,
            class_code: 0x020000,
            int_pin: 1,
            ..Default::default()
        };
        let bars = [
            Bar {
                index: 0,
                kind: BarKind::Mem32,
                size: 0x1000,
                address: 0,
            },
            Bar {
                index: 2,
                kind: BarKind::Mem64,
                size: 0x4000,
                address: 0,
            },
            Bar {
                index: 5,
                kind: BarKind::Io,
                size: 0x20,
                address: 0,
            },
        ];
        init_header(&mut cs, HeaderType::Device, &id, &bars);
        cs
    }

    #[test]
    fn identity_is_read_only() {
        let mut cs = dev();
        cs.write(0, 4, 0).unwrap();
        assert_eq!(cs.read(0, 4).unwrap(), 0x1041_1af4);
        cs.write(8, 4, 0).unwrap();
        assert_eq!(cs.read(8, 4).unwrap(), 0x0200_0001);
        cs.write(0x3d, 1, 0).unwrap();
        assert_eq!(cs.read(0x3d, 1).unwrap(), 1);
    }

    #[test]
    fn command_and_status_bits() {
        let mut cs = dev();
        cs.write(4, 2, 0xffff).unwrap();
        assert_eq!(cs.read(4, 2).unwrap(), COMMAND_WMASK);
        cs.set_raw(6, 0x8000 | STATUS_CAP_LIST, 2);
        cs.write(6, 2, 0x0010).unwrap();
        assert_eq!(cs.read(6, 2).unwrap(), 0x8010, "cap list bit is read-only");
        cs.write(6, 2, 0x8000).unwrap();
        assert_eq!(
            cs.read(6, 2).unwrap(),
            0x0010,
            "error bit cleared by writing one"
        );
        cs.write(0x3c, 1, 0x5a).unwrap();
        assert_eq!(cs.read(0x3c, 1).unwrap(), 0x5a);
    }

    #[test]
    fn bars_size_by_writing_ones() {
        let mut cs = dev();
        cs.write(0x10, 4, 0xffff_ffff).unwrap();
        assert_eq!(cs.read(0x10, 4).unwrap(), 0xffff_f000);
        cs.write(0x18, 4, 0xffff_ffff).unwrap();
        cs.write(0x1c, 4, 0xffff_ffff).unwrap();
        assert_eq!(cs.read(0x18, 4).unwrap(), 0xffff_c004);
        assert_eq!(cs.read(0x1c, 4).unwrap(), 0xffff_ffff);
        cs.write(0x24, 4, 0xffff_ffff).unwrap();
        assert_eq!(cs.read(0x24, 4).unwrap(), 0xffff_ffe1);
        cs.write(0x14, 4, 0xffff_ffff).unwrap();
        assert_eq!(cs.read(0x14, 4).unwrap(), 0, "unimplemented BAR reads zero");
    }

    #[test]
    fn bridge_bus_numbers_are_writable() {
        let mut cs = ConfigSpace::new(256);
        init_header(&mut cs, HeaderType::Bridge, &Identity::default(), &[]);
        assert_eq!(cs.read(0x0e, 1).unwrap(), 1);
        cs.write(0x18, 4, 0x0003_0201).unwrap();
        assert_eq!(cs.read(0x19, 1).unwrap(), 2);
        cs.write(0x10, 4, 0xffff_ffff).unwrap();
        assert_eq!(cs.read(0x10, 4).unwrap(), 0);
    }
}
