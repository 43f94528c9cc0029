//! The XIVE interrupt controller in exploitation mode: each source's ESB (its PQ bits)
//! and its event assignment (target, priority, EISN), and the event queues the OS
//! registers in its own memory, one per (target, priority).

use crate::memory::Memory;
use crate::tctx::Tctx;
use papr_abi::table::Table;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use papr_abi::xive::*;

/// A source's event state buffer: the PQ bits and their transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Esb {
    /// The PQ bits (P = bit 1, Q = bit 0).
    pub pq: u8,
}

impl Default for Esb {
    /// Sources start off (PQ = 01), as QEMU resets them.
    fn default() -> Self {
        Esb { pq: PQ_OFF }
    }
}

impl Esb {
    /// A trigger: whether an event is forwarded (only from 00).
    pub fn trigger(&mut self) -> bool {
        let (next, fwd) = match self.pq {
            PQ_RESET => (PQ_PENDING, true),
            PQ_PENDING | PQ_QUEUED => (PQ_QUEUED, false),
            _ => (PQ_OFF, false),
        };
        self.pq = next;
        fwd
    }

    /// An EOI: P cleared; whether a trigger queued meanwhile must be forwarded now.
    pub fn eoi(&mut self) -> bool {
        let (next, fwd) = match self.pq {
            PQ_PENDING => (PQ_RESET, false),
            PQ_QUEUED => (PQ_PENDING, true),
            other => (other, false),
        };
        self.pq = next;
        fwd
    }

    /// Sets the PQ bits; the old ones.
    pub fn set(&mut self, pq: u8) -> u8 {
        std::mem::replace(&mut self.pq, pq & 3)
    }
}

/// A source's event assignment (its EAS) and ESB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct XiveSource {
    /// The ESB.
    pub esb: Esb,
    /// Target (server).
    pub target: u32,
    /// Priority; [`PRIORITY_RESET`] when unassigned.
    pub priority: u8,
    /// What goes into the queue (Linux: the virq).
    pub eisn: u32,
    /// The assignment is masked.
    pub masked: bool,
}

impl Default for XiveSource {
    fn default() -> Self {
        XiveSource {
            esb: Esb::default(),
            target: 0,
            priority: PRIORITY_RESET,
            eisn: 0,
            masked: true,
        }
    }
}

/// An event queue the OS registered: a ring of 4-byte entries in its memory, each the
/// EISN with the generation bit on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQueue {
    /// Guest address of the ring.
    pub qpage: u64,
    /// Ring size as a page shift.
    pub qshift: u8,
    /// Next entry the controller writes.
    pub index: u32,
    /// Generation bit written with the entries of this lap (starts 1).
    pub generation: bool,
    /// Always notify (SET_QUEUE_CONFIG flag).
    pub notify: bool,
}

impl EventQueue {
    /// Entries in the ring.
    pub fn entries(&self) -> u32 {
        1 << (self.qshift - 2)
    }
}

/// The controller's state. Two are equal when their sources, queues, notifications and
/// losses are: the thread contexts are the CPUs', not kept in a state blob.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Xive {
    /// Sources by number (untouched ones in the reset state); a state blob keeps the
    /// touched ones only.
    sources: Table<XiveSource>,
    /// Registered queues, by (target, priority).
    pub queues: BTreeMap<(u32, u8), EventQueue>,
    /// Notifications raised at CPUs (target, priority), oldest first.
    pub notified: Vec<(u32, u8)>,
    /// Events lost because the target queue was missing.
    pub lost: u64,
    /// Each CPU's thread context (its OS ring), by server; not kept in a state blob
    /// (a restored machine's CPUs run as Linux leaves them: see [`Tctx::default`]).
    #[serde(skip)]
    pub tctx: BTreeMap<u32, Tctx>,
}

impl PartialEq for Xive {
    fn eq(&self, o: &Self) -> bool {
        (&self.sources, &self.queues, &self.notified, self.lost)
            == (&o.sources, &o.queues, &o.notified, o.lost)
    }
}

impl Eq for Xive {}

impl Xive {
    /// A source's state (the reset state if untouched).
    pub fn source(&self, lisn: u32) -> XiveSource {
        self.sources.get(lisn)
    }

    /// A source's state, to change.
    pub fn source_mut(&mut self, lisn: u32) -> &mut XiveSource {
        self.sources.get_mut(lisn)
    }

    /// Forgets a source (freed or handed out anew): back to the reset state.
    pub fn forget(&mut self, lisn: u32) {
        self.sources.reset(lisn);
    }

    /// A trigger reaches a source: through its PQ bits, into its target's queue.
    pub fn trigger(&mut self, lisn: u32, ram: &mut Memory) -> bool {
        if !self.source_mut(lisn).esb.trigger() {
            return false;
        }
        self.forward(lisn, ram)
    }

    /// An EOI through the ESB; a queued trigger is forwarded at once. The value a load
    /// of the EOI offset returns.
    pub fn eoi(&mut self, lisn: u32, ram: &mut Memory) -> u64 {
        let again = self.source_mut(lisn).esb.eoi();
        if again {
            self.forward(lisn, ram);
        }
        again as u64
    }

    /// Writes the source's EISN into its target's queue and notifies the target.
    fn forward(&mut self, lisn: u32, ram: &mut Memory) -> bool {
        let s = self.source(lisn);
        if s.masked || s.priority > MAX_PRIORITY {
            return false;
        }
        let Some(q) = self.queues.get_mut(&(s.target, s.priority)) else {
            self.lost += 1;
            log::debug!(
                "xive: source {lisn:#x}: no queue for target {} priority {}",
                s.target,
                s.priority
            );
            return false;
        };
        let entry = (q.generation as u32) << 31 | (s.eisn & 0x7fff_ffff);
        ram.write_u32(q.qpage + 4 * q.index as u64, entry);
        q.index += 1;
        if q.index == q.entries() {
            q.index = 0;
            q.generation = !q.generation;
        }
        self.notified.push((s.target, s.priority));
        self.tctx.entry(s.target).or_default().notify(s.priority);
        true
    }

    /// Back to the reset state: every source off and unassigned, no queues.
    pub fn reset(&mut self) {
        *self = Xive::default();
    }
}

/// A load or store on a source's ESB pages, decoded from a CPU address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EsbAccess {
    /// The source.
    pub lisn: u32,
    /// The trigger page (even) rather than the EOI page.
    pub trigger_page: bool,
    /// Offset within the page.
    pub offset: u64,
}

/// The ESB access an address makes, if it lies in the ESB region.
pub fn decode(addr: u64) -> Option<EsbAccess> {
    let off = addr.checked_sub(ESB_BASE)?;
    let lisn = u32::try_from(off >> (ESB_SHIFT + 1)).ok()?;
    Some(EsbAccess {
        lisn,
        trigger_page: (off >> ESB_SHIFT) & 1 == 0,
        offset: off & ((1 << ESB_SHIFT) - 1),
    })
}

/// A source's trigger page address.
pub fn trigger_page(lisn: u32) -> u64 {
    ESB_BASE + ((lisn as u64) << (ESB_SHIFT + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esb(pq: u8) -> Esb {
        Esb { pq }
    }

    #[test]
    fn trigger_from_each_state() {
        let cases = [
            (PQ_RESET, PQ_PENDING, true),
            (PQ_OFF, PQ_OFF, false),
            (PQ_PENDING, PQ_QUEUED, false),
            (PQ_QUEUED, PQ_QUEUED, false),
        ];
        for (from, to, fwd) in cases {
            let mut e = esb(from);
            assert_eq!(e.trigger(), fwd, "trigger from {from:02b}");
            assert_eq!(e.pq, to, "trigger from {from:02b}");
        }
    }

    #[test]
    fn eoi_from_each_state() {
        let cases = [
            (PQ_RESET, PQ_RESET, false),
            (PQ_OFF, PQ_OFF, false),
            (PQ_PENDING, PQ_RESET, false),
            (PQ_QUEUED, PQ_PENDING, true),
        ];
        for (from, to, again) in cases {
            let mut e = esb(from);
            assert_eq!(e.eoi(), again, "eoi from {from:02b}");
            assert_eq!(e.pq, to, "eoi from {from:02b}");
        }
    }

    #[test]
    fn set_pq_returns_the_old_bits() {
        for from in 0..4 {
            for to in 0..4 {
                let mut e = esb(from);
                assert_eq!(e.set(to), from);
                assert_eq!(e.pq, to);
            }
        }
        assert_eq!(Esb::default().pq, PQ_OFF, "sources start off");
    }

    #[test]
    fn queue_wrap_flips_the_generation_bit() {
        let mut x = Xive::default();
        let mut ram = Memory::new(0x10000, 0x1000);
        x.queues.insert(
            (0, 6),
            EventQueue {
                qpage: 0x10000,
                qshift: 12,
                index: 0,
                generation: true,
                notify: true,
            },
        );
        *x.source_mut(0x1300) = XiveSource {
            esb: Esb { pq: PQ_RESET },
            target: 0,
            priority: 6,
            eisn: 0x19,
            masked: false,
        };
        for i in 0..1025u32 {
            assert!(x.trigger(0x1300, &mut ram), "entry {i}");
            assert_eq!(x.eoi(0x1300, &mut ram), 0);
        }
        // 1024 entries in a 4 KiB ring: the 1025th went to entry 0 with generation 0.
        assert_eq!(ram.read_u32(0x10000), Some(0x19));
        assert_eq!(ram.read_u32(0x10004), Some(0x8000_0019));
        let q = x.queues[&(0, 6)];
        assert_eq!((q.index, q.generation), (1, false));
        assert_eq!(x.notified.len(), 1025);
    }

    #[test]
    fn masked_or_unqueued_sources_forward_nothing() {
        let mut x = Xive::default();
        let mut ram = Memory::new(0, 0x100);
        x.source_mut(5).esb.pq = PQ_RESET;
        assert!(!x.trigger(5, &mut ram), "unassigned");
        let s = x.source_mut(6);
        s.esb.pq = PQ_RESET;
        s.masked = false;
        s.priority = 6;
        assert!(!x.trigger(6, &mut ram), "no queue");
        assert_eq!(x.lost, 1);
    }

    #[test]
    fn esb_addresses() {
        let a = decode(0x6010026010d00).unwrap();
        assert_eq!((a.lisn, a.trigger_page, a.offset), (0x1300, false, 0xd00));
        assert_eq!(trigger_page(0x130e), 0x60100261c0000);
        assert!(decode(0x10).is_none());
    }
}
