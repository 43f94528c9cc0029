//! A function's configuration space: the bytes and their per-bit write rules, shared
//! between functions built alike.

use super::access::{check_access, AccessError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Bytes of config space that can hold registers: the standard header and the
/// capability list. Extended config space (0x100..0xfff) holds no capability here, so
/// it reads as zero and ignores writes, and is not stored.
const STORED: usize = 256;

/// A function's configuration space: the bytes, which bits software may write, and
/// which bits are cleared by writing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ConfigRepr", into = "ConfigRepr")]
pub struct ConfigSpace {
    size: u32,
    bytes: Vec<u8>,
    /// The write rules, shared between functions built alike (copied on change).
    masks: Arc<Masks>,
}

/// Which bits software may write, and which it clears by writing one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Masks {
    wmask: Vec<u8>,
    w1cmask: Vec<u8>,
}

/// Functions' write rules, each kept once: see [`ConfigSpace::share_masks`].
pub type MaskPool = HashMap<Arc<Masks>, (), rustc_hash::FxBuildHasher>;

/// [`ConfigSpace`] as saved states hold it.
#[derive(Clone, Serialize, Deserialize)]
struct ConfigRepr {
    size: u32,
    bytes: Vec<u8>,
    wmask: Vec<u8>,
    w1cmask: Vec<u8>,
}

impl From<ConfigRepr> for ConfigSpace {
    fn from(r: ConfigRepr) -> Self {
        ConfigSpace {
            size: r.size,
            bytes: r.bytes,
            masks: Arc::new(Masks {
                wmask: r.wmask,
                w1cmask: r.w1cmask,
            }),
        }
    }
}

impl From<ConfigSpace> for ConfigRepr {
    fn from(c: ConfigSpace) -> Self {
        let m = Arc::unwrap_or_clone(c.masks);
        ConfigRepr {
            size: c.size,
            bytes: c.bytes,
            wmask: m.wmask,
            w1cmask: m.w1cmask,
        }
    }
}

impl ConfigSpace {
    /// An all-zero, read-only space of `size` bytes (256 or 4096).
    pub fn new(size: usize) -> Self {
        let stored = size.min(STORED);
        ConfigSpace {
            size: size as u32,
            bytes: vec![0; stored],
            masks: Arc::new(Masks {
                wmask: vec![0; stored],
                w1cmask: vec![0; stored],
            }),
        }
    }

    /// Shares the write rules with an equal set already in `pool` (else adds them), so
    /// that a machine of many alike functions keeps one copy.
    pub fn share_masks(&mut self, pool: &mut MaskPool) {
        match pool.get_key_value(&self.masks) {
            Some((k, _)) => self.masks = Arc::clone(k),
            None => {
                pool.insert(Arc::clone(&self.masks), ());
            }
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// A software read: little-endian, checked for size, alignment and range.
    pub fn read(&self, offset: u32, size: u32) -> Result<u32, AccessError> {
        check_access(offset, size, self.size())?;
        let o = offset as usize;
        Ok((0..size as usize).fold(0u32, |acc, i| {
            acc | (self.bytes.get(o + i).copied().unwrap_or(0) as u32) << (8 * i)
        }))
    }

    /// A software write: only writable bits change; write-one-to-clear bits clear.
    pub fn write(&mut self, offset: u32, size: u32, value: u32) -> Result<(), AccessError> {
        check_access(offset, size, self.size())?;
        let o = offset as usize;
        for i in 0..size as usize {
            let Some(old) = self.bytes.get(o + i).copied() else {
                break;
            };
            let v = (value >> (8 * i)) as u8;
            let w = self.masks.wmask[o + i];
            let c = self.masks.w1cmask[o + i];
            self.bytes[o + i] = ((old & !w) | (v & w)) & !(v & c);
        }
        Ok(())
    }

    /// Hardware's view: sets bytes regardless of the write rules.
    pub(crate) fn set_raw(&mut self, offset: usize, value: u32, size: usize) {
        for i in 0..size {
            self.bytes[offset + i] = (value >> (8 * i)) as u8;
        }
    }

    /// Hardware's view of a register.
    pub(crate) fn get_raw(&self, offset: usize, size: usize) -> u32 {
        (0..size).fold(0u32, |acc, i| {
            acc | (self.bytes[offset + i] as u32) << (8 * i)
        })
    }

    /// Marks bits writable by software.
    pub(crate) fn set_wmask(&mut self, offset: usize, mask: u32, size: usize) {
        let m = Arc::make_mut(&mut self.masks);
        for i in 0..size {
            m.wmask[offset + i] = (mask >> (8 * i)) as u8;
        }
    }

    /// Marks bits as write-one-to-clear.
    pub(crate) fn set_w1cmask(&mut self, offset: usize, mask: u32, size: usize) {
        let m = Arc::make_mut(&mut self.masks);
        for i in 0..size {
            m.w1cmask[offset + i] = (mask >> (8 * i)) as u8;
        }
    }

    /// Bytes that can hold registers (the capability list lives below this).
    pub(crate) fn stored_len(&self) -> u32 {
        self.bytes.len() as u32
    }

    /// Whether the three arrays agree in length with the size.
    pub(crate) fn consistent(&self) -> bool {
        self.bytes.len() == (self.size as usize).min(STORED)
            && self.bytes.len() == self.masks.wmask.len()
            && self.bytes.len() == self.masks.w1cmask.len()
    }

    /// Restores the power-on values: every writable or write-one-to-clear bit to zero.
    pub(crate) fn reset(&mut self) {
        for i in 0..self.bytes.len() {
            self.bytes[i] &= !(self.masks.wmask[i] | self.masks.w1cmask[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_spaces_share_write_rules_and_part_on_change() {
        let mut pool = MaskPool::default();
        let mut a = ConfigSpace::new(256);
        let mut b = ConfigSpace::new(256);
        a.set_wmask(4, 0xffff, 2);
        b.set_wmask(4, 0xffff, 2);
        a.share_masks(&mut pool);
        b.share_masks(&mut pool);
        assert!(Arc::ptr_eq(&a.masks, &b.masks), "one copy");
        b.set_wmask(0x3c, 0xff, 1);
        a.write(0x3c, 1, 0x55).unwrap();
        b.write(0x3c, 1, 0x55).unwrap();
        assert_eq!(
            (a.read(0x3c, 1).unwrap(), b.read(0x3c, 1).unwrap()),
            (0, 0x55)
        );
        let bytes = |c: &ConfigSpace| bincode::serialize(c).unwrap();
        let back: ConfigSpace = bincode::deserialize(&bytes(&b)).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn masks_decide_what_changes() {
        let mut c = ConfigSpace::new(256);
        c.set_raw(0, 0x1234_5678, 4);
        c.set_wmask(0, 0x0000_ff00, 4);
        c.set_w1cmask(4, 0x80, 1);
        c.set_raw(4, 0x81, 1);
        c.write(0, 4, 0xffff_ffff).unwrap();
        assert_eq!(c.read(0, 4).unwrap(), 0x1234_ff78);
        c.write(1, 1, 0x00).unwrap();
        assert_eq!(c.read(0, 2).unwrap(), 0x0078);
        c.write(4, 1, 0x01).unwrap();
        assert_eq!(
            c.read(4, 1).unwrap(),
            0x81,
            "writing 0 to a w1c bit and to ro bit 0 changes nothing"
        );
        c.write(4, 1, 0x80).unwrap();
        assert_eq!(c.read(4, 1).unwrap(), 0x01);
        c.write(0, 2, 0xabcd).unwrap();
        c.reset();
        assert_eq!(c.read(0, 4).unwrap(), 0x1234_0078);
    }
}
