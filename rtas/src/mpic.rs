//! An OpenPIC-style MPIC (the interrupt controller of U3/U4 machines: Maple, PowerMac
//! G5): per-source vector/priority and destination registers in its register block,
//! the feature register that tells how many sources it has, and the MSI targets the
//! host bridges decode (HyperTransport's fixed MSI address, and a register of the MPIC
//! block for U4 PCIe), where a write of a source number raises that source (edge).
//!
//! Source state (mask, pending, presentation) lives in the machine's [`Ics`]; this
//! module is the register view over it.

use crate::error::{tree_err, Error};
use crate::ics::{Ics, PRIORITY_MASKED};
use of_tree::Tree;
use serde::{Deserialize, Serialize};

pub use papr_abi::mpic::*;

/// The MPIC of a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mpic {
    /// Node path.
    pub path: String,
    /// CPU address of the register block.
    pub base: u64,
    /// Number of sources (numbered from 0).
    pub sources: u32,
    /// Per source: VECPRI as written (mask bit kept here and in the source's priority).
    vecpri: Vec<u32>,
    /// Per source: destination CPU mask.
    dest: Vec<u32>,
    /// Messages written to an MSI target that named no source.
    pub bad_messages: u64,
}

impl Mpic {
    /// The MPIC the tree describes, if any: the first node of type `open-pic` (or an
    /// `interrupt-controller` compatible with it), its registers at the first `reg`.
    pub fn from_tree(tree: &Tree) -> Result<Option<Mpic>, Error> {
        let Some(n) = tree.with_prop("device_type").find(|&n| is_mpic(tree, n)) else {
            return Ok(None);
        };
        let at = tree.at(n);
        let path = at.path();
        let reg = at
            .reg()?
            .and_then(|r| r.first().cloned())
            .ok_or_else(|| tree_err(&path, "MPIC without 'reg' (no register block)"))?;
        let sources = at.u32(PROP_SOURCES)?.unwrap_or(256);
        if sources == 0 || sources > MAX_SOURCES {
            return Err(tree_err(
                &path,
                format!("'{PROP_SOURCES}' {sources}: an MPIC has 1 to {MAX_SOURCES} sources"),
            ));
        }
        Ok(Some(Mpic::new(path, reg.address_u64(), sources)))
    }

    /// An MPIC of `sources` sources, registers at `base`, every source masked, its
    /// vector its number.
    pub fn new(path: String, base: u64, sources: u32) -> Mpic {
        Mpic {
            path,
            base,
            sources,
            vecpri: (0..sources).map(|n| VECPRI_MASK | n).collect(),
            dest: vec![1; sources as usize],
            bad_messages: 0,
        }
    }

    /// Sets every source's registers from its state in `ics` (after a restore): masked
    /// where its priority masks it, the saved priority, the CPU it goes to.
    pub fn sync_from(&mut self, ics: &Ics) {
        for n in 0..self.sources {
            let s = ics.source(n).unwrap_or_default();
            let mask = if s.priority == PRIORITY_MASKED {
                VECPRI_MASK
            } else {
                0
            };
            let prio = (s.saved_priority as u32 & 0xf) << VECPRI_PRIORITY_SHIFT;
            let keep = self.vecpri[n as usize] & (VECPRI_SENSE_LEVEL | 0x7ff);
            self.vecpri[n as usize] = mask | prio | keep;
            self.dest[n as usize] = 1 << s.server.min(31);
        }
    }

    /// Where U4 PCIe bridges send messages.
    pub fn u4_msi_address(&self) -> u64 {
        self.base + U4_MSI_OFFSET
    }

    /// Whether a message address is one this machine's bridges turn into an MPIC source.
    pub fn is_msi_target(&self, addr: u64) -> bool {
        addr == HT_MSI_FIXED_ADDR || addr == self.u4_msi_address()
    }

    /// The offset into the register block, when `addr` falls in it.
    pub fn decodes(&self, addr: u64) -> Option<u64> {
        let off = addr.checked_sub(self.base)?;
        (off < REGISTER_BLOCK).then_some(off)
    }

    fn source_reg(&self, off: u64) -> Option<(u32, u64)> {
        let rel = off.checked_sub(IRQ_BASE)?;
        let n = u32::try_from(rel / IRQ_STRIDE).ok()?;
        (n < self.sources).then_some((n, rel % IRQ_STRIDE))
    }

    /// A 32-bit register load at `off`; `None` where no register is.
    pub fn read(&self, ics: &Ics, off: u64) -> Option<u32> {
        if off == GREG_FEATURE_0 {
            return Some((self.sources - 1) << FEATURE_LAST_SRC_SHIFT | 2);
        }
        let (n, reg) = self.source_reg(off)?;
        match reg {
            IRQ_VECTOR_PRI => {
                let pending = ics.source(n).is_some_and(|s| {
                    s.status & (crate::ics::status::MASKED_PENDING | crate::ics::status::SENT) != 0
                });
                let activity = if pending { VECPRI_ACTIVITY } else { 0 };
                Some(self.vecpri[n as usize] & !VECPRI_ACTIVITY | activity)
            }
            IRQ_DESTINATION => Some(self.dest[n as usize]),
            _ => None,
        }
    }

    /// A 32-bit register store at `off`: the source's mask, priority and destination
    /// reach its state in `ics` (unmasking sends what was held). False where no
    /// writable register is.
    pub fn write(&mut self, ics: &mut Ics, off: u64, value: u32) -> bool {
        if off == U4_MSI_OFFSET {
            return self.message(ics, value);
        }
        let Some((n, reg)) = self.source_reg(off) else {
            return false;
        };
        match reg {
            IRQ_VECTOR_PRI => self.vecpri[n as usize] = value & !VECPRI_ACTIVITY,
            IRQ_DESTINATION => self.dest[n as usize] = value,
            _ => return false,
        }
        let v = self.vecpri[n as usize];
        let prio = ((v & VECPRI_PRIORITY_MASK) >> VECPRI_PRIORITY_SHIFT) as u8;
        let effective = if v & VECPRI_MASK != 0 || prio == 0 {
            PRIORITY_MASKED
        } else {
            prio
        };
        let server = self.dest[n as usize].trailing_zeros().min(31);
        ics.write_xive(n, server, effective, prio)
    }

    /// A message arrives at an MSI target with `data`: the source it names is raised
    /// (held while masked). False when it names no source of the MPIC.
    pub fn message(&mut self, ics: &mut Ics, data: u32) -> bool {
        if data >= self.sources || !ics.trigger(data) {
            self.bad_messages += 1;
            log::debug!("{}: message data {data:#x} names no source", self.path);
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ics::SourceKind;

    fn mpic() -> (Mpic, Ics) {
        let mut ics = Ics::new(vec![(0, 128)]);
        for s in 0..128 {
            ics.claim(s, SourceKind::Msi);
        }
        (Mpic::new("/mpic".into(), 0xf804_0000, 128), ics)
    }

    #[test]
    fn feature_register_gives_the_source_count() {
        let (m, ics) = mpic();
        let frr = m.read(&ics, GREG_FEATURE_0).unwrap();
        assert_eq!(
            ((frr & FEATURE_LAST_SRC_MASK) >> FEATURE_LAST_SRC_SHIFT) + 1,
            128
        );
    }

    #[test]
    fn masked_message_is_held_until_unmasked() {
        let (mut m, mut ics) = mpic();
        assert!(m.message(&mut ics, 20));
        assert!(ics.presented.is_empty(), "masked at reset");
        let vecpri = IRQ_BASE + 20 * IRQ_STRIDE;
        assert_ne!(m.read(&ics, vecpri).unwrap() & VECPRI_ACTIVITY, 0);
        assert!(m.write(&mut ics, vecpri, 8 << VECPRI_PRIORITY_SHIFT | 20));
        assert_eq!(ics.presented.len(), 1);
        assert_eq!(ics.presented[0].source, 20);
        assert!(!m.message(&mut ics, 128), "past the last source");
        assert_eq!(m.bad_messages, 1);
    }

    #[test]
    fn registers_follow_restored_source_state() {
        let (mut m, mut ics) = mpic();
        let vecpri = IRQ_BASE + 3 * IRQ_STRIDE;
        m.write(&mut ics, vecpri, 8 << VECPRI_PRIORITY_SHIFT | 3);
        let mut fresh = Mpic::new("/mpic".into(), 0xf804_0000, 128);
        fresh.sync_from(&ics);
        assert_eq!(fresh.read(&ics, vecpri), m.read(&ics, vecpri));
        assert_ne!(
            fresh.read(&ics, vecpri + IRQ_STRIDE).unwrap() & VECPRI_MASK,
            0
        );
    }

    #[test]
    fn u4_register_is_an_msi_target() {
        let (mut m, mut ics) = mpic();
        let off = m.decodes(m.u4_msi_address()).unwrap();
        m.write(
            &mut ics,
            IRQ_BASE + 7 * IRQ_STRIDE,
            8 << VECPRI_PRIORITY_SHIFT,
        );
        assert!(m.write(&mut ics, off, 7));
        assert_eq!(ics.presented.last().map(|p| p.source), Some(7));
        assert!(m.is_msi_target(HT_MSI_FIXED_ADDR));
        assert_eq!(m.decodes(0x10), None);
    }
}
