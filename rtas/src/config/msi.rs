//! The MSI capability (PCI capability id 0x05).

use super::space::ConfigSpace;
use serde::{Deserialize, Serialize};

/// Capability id of MSI.
pub const CAP_ID_MSI: u8 = 0x05;

/// Message control bits.
const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_MMC_SHIFT: u32 = 1;
const CTRL_MME_SHIFT: u32 = 4;
const CTRL_MME_MASK: u32 = 0x7 << CTRL_MME_SHIFT;
const CTRL_64BIT: u32 = 1 << 7;
const CTRL_PVM: u32 = 1 << 8;
/// Extended message data capable (PCI 4.0): the data register grows to 32 bits.
const CTRL_EXT_DATA_CAP: u32 = 1 << 9;
/// Extended message data enable.
const CTRL_EXT_DATA_EN: u32 = 1 << 10;

/// Where an MSI capability sits and what it can do; the registers themselves live in
/// config space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsiCap {
    /// Offset of the capability in config space.
    pub offset: u16,
    /// Whether the address register is 64 bits wide.
    pub is_64bit: bool,
    /// Whether per-vector mask and pending registers exist.
    pub per_vector_mask: bool,
    /// Multiple message capable: log2 of the vectors the function can carry (0..5).
    pub mmc: u8,
}

impl MsiCap {
    /// A capability for `vectors` vectors (rounded up to a power of two, at most 32).
    pub fn for_vectors(offset: u16, vectors: u32, is_64bit: bool, per_vector_mask: bool) -> Self {
        let pow = vectors.clamp(1, 32).next_power_of_two();
        MsiCap {
            offset,
            is_64bit,
            per_vector_mask,
            mmc: pow.trailing_zeros() as u8,
        }
    }

    /// Bytes the capability occupies.
    pub fn len(&self) -> u16 {
        match (self.is_64bit, self.per_vector_mask) {
            (false, false) => 0x0a,
            (true, false) => 0x0e,
            (false, true) => 0x14,
            (true, true) => 0x18,
        }
    }

    /// Whether the capability is empty (never: it has a header).
    pub fn is_empty(&self) -> bool {
        false
    }

    fn o(&self, rel: usize) -> usize {
        self.offset as usize + rel
    }

    fn data_off(&self) -> usize {
        self.o(if self.is_64bit { 0x0c } else { 0x08 })
    }

    fn mask_off(&self) -> usize {
        self.o(if self.is_64bit { 0x10 } else { 0x0c })
    }

    fn pending_off(&self) -> usize {
        self.o(if self.is_64bit { 0x14 } else { 0x10 })
    }

    /// Most vectors the function can carry.
    pub fn capable(&self) -> u32 {
        1 << self.mmc
    }

    /// Writes the capability's read-only fields and write masks into config space.
    pub(crate) fn install(&self, cs: &mut ConfigSpace, next: u8) {
        cs.set_raw(self.o(0), CAP_ID_MSI as u32 | (next as u32) << 8, 2);
        let mut ctrl = (self.mmc as u32) << CTRL_MMC_SHIFT;
        if self.is_64bit {
            ctrl |= CTRL_64BIT;
        }
        if self.per_vector_mask {
            ctrl |= CTRL_PVM;
        }
        ctrl |= CTRL_EXT_DATA_CAP;
        cs.set_raw(self.o(2), ctrl, 2);
        cs.set_wmask(self.o(2), CTRL_ENABLE | CTRL_MME_MASK | CTRL_EXT_DATA_EN, 2);
        cs.set_wmask(self.o(4), 0xffff_fffc, 4);
        if self.is_64bit {
            cs.set_wmask(self.o(8), 0xffff_ffff, 4);
        }
        cs.set_wmask(self.data_off(), 0xffff_ffff, 4);
        if self.per_vector_mask {
            let m = if self.capable() == 32 {
                u32::MAX
            } else {
                (1u32 << self.capable()) - 1
            };
            cs.set_wmask(self.mask_off(), m, 4);
        }
    }

    /// Message control register.
    pub fn control(&self, cs: &ConfigSpace) -> u16 {
        cs.get_raw(self.o(2), 2) as u16
    }

    /// Whether MSI is enabled.
    pub fn enabled(&self, cs: &ConfigSpace) -> bool {
        self.control(cs) as u32 & CTRL_ENABLE != 0
    }

    /// Vectors enabled (multiple message enable), never more than capable.
    pub fn vectors_enabled(&self, cs: &ConfigSpace) -> u32 {
        let mme = (self.control(cs) as u32 & CTRL_MME_MASK) >> CTRL_MME_SHIFT;
        1 << mme.min(self.mmc as u32)
    }

    /// Message address.
    pub fn address(&self, cs: &ConfigSpace) -> u64 {
        let lo = cs.get_raw(self.o(4), 4) as u64;
        let hi = if self.is_64bit {
            cs.get_raw(self.o(8), 4) as u64
        } else {
            0
        };
        hi << 32 | lo
    }

    /// Message data: 16 bits, or 32 with extended message data enabled.
    pub fn data(&self, cs: &ConfigSpace) -> u32 {
        if self.control(cs) as u32 & CTRL_EXT_DATA_EN != 0 {
            cs.get_raw(self.data_off(), 4)
        } else {
            cs.get_raw(self.data_off(), 2)
        }
    }

    /// The message vector `i` sends: the data's low bits replaced by the vector number.
    pub fn message(&self, cs: &ConfigSpace, i: u32) -> (u64, u32) {
        let n = self.vectors_enabled(cs);
        let data = (self.data(cs) & !(n - 1)) | (i & (n - 1));
        (self.address(cs), data)
    }

    /// Whether vector `i` is masked (always false without per-vector masking).
    pub fn masked(&self, cs: &ConfigSpace, i: u32) -> bool {
        self.per_vector_mask && cs.get_raw(self.mask_off(), 4) & (1 << i) != 0
    }

    /// Pending bits (zero without per-vector masking).
    pub fn pending(&self, cs: &ConfigSpace) -> u32 {
        if self.per_vector_mask {
            cs.get_raw(self.pending_off(), 4)
        } else {
            0
        }
    }

    /// Sets or clears vector `i`'s pending bit (hardware).
    pub(crate) fn set_pending(&self, cs: &mut ConfigSpace, i: u32, on: bool) {
        if !self.per_vector_mask {
            return;
        }
        let p = cs.get_raw(self.pending_off(), 4);
        let p = if on { p | 1 << i } else { p & !(1 << i) };
        cs.set_raw(self.pending_off(), p, 4);
    }

    /// Firmware programs the message: address, data, and (when given) how many
    /// vectors are enabled.
    pub(crate) fn set_message(
        &self,
        cs: &mut ConfigSpace,
        address: u64,
        data: u32,
        vectors: Option<u32>,
    ) {
        cs.set_raw(self.o(4), address as u32 & 0xffff_fffc, 4);
        if self.is_64bit {
            cs.set_raw(self.o(8), (address >> 32) as u32, 4);
        }
        let ext = data > 0xffff;
        cs.set_raw(
            self.data_off(),
            if ext { data } else { data & 0xffff },
            if ext { 4 } else { 2 },
        );
        let c = self.control(cs) as u32;
        let c = if ext {
            c | CTRL_EXT_DATA_EN
        } else {
            c & !CTRL_EXT_DATA_EN
        };
        cs.set_raw(self.o(2), c, 2);
        let Some(vectors) = vectors else {
            return;
        };
        let mme = vectors
            .max(1)
            .next_power_of_two()
            .trailing_zeros()
            .min(self.mmc as u32);
        let ctrl = (self.control(cs) as u32 & !CTRL_MME_MASK) | mme << CTRL_MME_SHIFT;
        cs.set_raw(self.o(2), ctrl, 2);
    }

    /// Firmware turns MSI on or off.
    pub(crate) fn set_enabled(&self, cs: &mut ConfigSpace, on: bool) {
        let c = self.control(cs) as u32;
        let c = if on {
            c | CTRL_ENABLE
        } else {
            c & !CTRL_ENABLE
        };
        cs.set_raw(self.o(2), c, 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(cap: &MsiCap) -> ConfigSpace {
        let mut cs = ConfigSpace::new(256);
        cap.install(&mut cs, 0);
        cs
    }

    #[test]
    fn capable_rounds_up_and_fields_are_read_only() {
        let cap = MsiCap::for_vectors(0x40, 3, true, true);
        assert_eq!(cap.capable(), 4);
        assert_eq!(cap.len(), 0x18);
        let mut cs = space(&cap);
        assert_eq!(cs.read(0x40, 1).unwrap(), 0x05);
        // Try to write every control bit: only enable and MME stick.
        cs.write(0x42, 2, 0xffff).unwrap();
        let ctrl = cs.read(0x42, 2).unwrap();
        assert_eq!(ctrl & 1, 1);
        assert_eq!((ctrl >> 1) & 7, 2, "MMC read-only");
        assert_eq!(
            (ctrl >> 4) & 7,
            7,
            "MME writable (software's business to keep it sane)"
        );
        assert_eq!(
            ctrl & 0x380,
            0x380,
            "64-bit, PVM and extended data capable read-only set"
        );
        assert_eq!(ctrl & 0x400, 0x400, "extended data enable writable");
        assert_eq!(cap.vectors_enabled(&cs), 4, "MME beyond MMC is clamped");
        cs.write(0x44, 4, 0xffff_ffff).unwrap();
        assert_eq!(
            cs.read(0x44, 4).unwrap(),
            0xffff_fffc,
            "address bits 1:0 read-only"
        );
        cs.write(0x50, 4, 0xffff_ffff).unwrap();
        assert_eq!(
            cs.read(0x50, 4).unwrap(),
            0xf,
            "mask bits only for capable vectors"
        );
        cs.write(0x54, 4, 0xffff_ffff).unwrap();
        assert_eq!(cs.read(0x54, 4).unwrap(), 0, "pending is read-only");
    }

    #[test]
    fn messages_and_masking() {
        let cap = MsiCap::for_vectors(0x40, 4, false, true);
        let mut cs = space(&cap);
        cap.set_message(&mut cs, 0x4_0000_0000_0000, 0x1300, Some(4));
        // 32-bit capability keeps only the low half of the address.
        assert_eq!(cap.address(&cs), 0);
        cap.set_message(&mut cs, 0xfee0_0000, 0x1304, Some(4));
        assert_eq!(cap.message(&cs, 3), (0xfee0_0000, 0x1307));
        cap.set_message(&mut cs, 0xfee0_0000, 0x2_0004, None);
        assert_eq!(
            cap.message(&cs, 1),
            (0xfee0_0000, 0x2_0005),
            "extended data carries 32 bits"
        );
        assert!(!cap.masked(&cs, 1));
        cs.write(0x4c, 4, 0x2).unwrap();
        assert!(cap.masked(&cs, 1));
        cap.set_pending(&mut cs, 1, true);
        assert_eq!(cap.pending(&cs), 2);
        assert!(!cap.enabled(&cs));
        cap.set_enabled(&mut cs, true);
        assert!(cap.enabled(&cs));
    }
}
