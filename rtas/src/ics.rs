//! XICS-style interrupt source controllers: each owns a contiguous range of global
//! source numbers and keeps per-source server, priority and status.

use crate::error::ValidateError;
use papr_abi::table::{Table, TableError};
use serde::{Deserialize, Serialize};

/// Priority that masks a source.
pub const PRIORITY_MASKED: u8 = 0xff;

/// Source status bits, as XICS keeps them.
pub mod status {
    /// An LSI whose line is asserted.
    pub const ASSERTED: u8 = 0x1;
    /// Presented to a server and not yet accepted.
    pub const SENT: u8 = 0x2;
    /// Rejected by the presentation controller.
    pub const REJECTED: u8 = 0x4;
    /// Arrived while masked: delivered when unmasked.
    pub const MASKED_PENDING: u8 = 0x8;
}

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    /// Not allocated.
    Free,
    /// Level-signalled (PCI INTx).
    Lsi,
    /// Message-signalled.
    Msi,
}

/// One interrupt source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The server (CPU) it is routed to.
    pub server: u32,
    /// Priority; 0xff masks.
    pub priority: u8,
    /// Priority saved by int-off, restored by int-on.
    pub saved_priority: u8,
    /// Status bits (see [`status`]).
    pub status: u8,
    /// LSI, MSI, or free.
    pub kind: SourceKind,
}

impl Default for Source {
    fn default() -> Self {
        Source {
            server: 0,
            priority: PRIORITY_MASKED,
            saved_priority: PRIORITY_MASKED,
            status: 0,
            kind: SourceKind::Free,
        }
    }
}

/// A source presented to a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presentation {
    /// The server it went to.
    pub server: u32,
    /// Global source number.
    pub source: u32,
    /// Priority at presentation.
    pub priority: u8,
}

/// One controller: global numbers `offset .. offset + count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SavedController", into = "SavedController")]
pub struct Controller {
    /// First global number.
    pub offset: u32,
    /// Number of sources.
    pub count: u32,
    /// Sources by number from `offset`, untouched ones in the reset state (huge pools
    /// cost memory only where used).
    sources: Table<Source>,
}

/// A controller as a state blob keeps it: only the sources out of the reset state, by
/// number (a pool of a hundred thousand sources, a few touched, saves a few entries).
#[derive(Serialize, Deserialize)]
struct SavedController {
    offset: u32,
    count: u32,
    touched: Vec<(u32, Source)>,
}

impl From<Controller> for SavedController {
    fn from(c: Controller) -> Self {
        SavedController {
            offset: c.offset,
            count: c.count,
            touched: c.sources.touched().collect(),
        }
    }
}

impl TryFrom<SavedController> for Controller {
    type Error = TableError;

    fn try_from(s: SavedController) -> Result<Self, TableError> {
        let what = format!("interrupt controller at {:#x}", s.offset);
        Ok(Controller {
            offset: s.offset,
            count: s.count,
            sources: Table::from_touched(s.touched, s.count, &what)?,
        })
    }
}

impl Controller {
    /// A controller for `count` sources from `offset`.
    pub fn new(offset: u32, count: u32) -> Self {
        Controller {
            offset,
            count,
            sources: Table::new(),
        }
    }

    fn get(&self, src: u32) -> Source {
        self.sources.get(src)
    }

    fn get_mut(&mut self, src: u32) -> &mut Source {
        self.sources.get_mut(src)
    }
}

/// Every controller of a machine, and what they have presented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ics {
    /// Controllers, ordered by offset, not overlapping.
    pub controllers: Vec<Controller>,
    /// Sources presented to servers, oldest first.
    pub presented: Vec<Presentation>,
}

impl Ics {
    /// Controllers from (offset, count) pairs; they must not overlap.
    pub fn new(mut ranges: Vec<(u32, u32)>) -> Self {
        ranges.sort();
        Ics {
            controllers: ranges
                .into_iter()
                .map(|(o, c)| Controller::new(o, c))
                .collect(),
            presented: Vec::new(),
        }
    }

    /// Checks the controllers are ordered, apart, and hold no more than they own.
    pub fn validate(&self) -> Result<(), ValidateError> {
        let mut end = 0u64;
        for c in &self.controllers {
            if (c.offset as u64) < end || c.sources.end() > c.count as u64 {
                return Err(ValidateError::ControllerOverlap { offset: c.offset });
            }
            end = c.offset as u64 + c.count as u64;
            if end > 1 << 32 {
                return Err(ValidateError::ControllerEnd { offset: c.offset });
            }
        }
        Ok(())
    }

    /// Splits a global number into (controller index, source within it).
    pub fn split(&self, global: u32) -> Option<(usize, u32)> {
        let i = self
            .controllers
            .partition_point(|c| c.offset <= global)
            .checked_sub(1)?;
        let c = &self.controllers[i];
        (global - c.offset < c.count).then_some((i, global - c.offset))
    }

    /// Whether a global number belongs to some controller.
    pub fn valid(&self, global: u32) -> bool {
        self.split(global).is_some()
    }

    /// A source's state.
    pub fn source(&self, global: u32) -> Option<Source> {
        let (c, s) = self.split(global)?;
        Some(self.controllers[c].get(s))
    }

    fn source_mut(&mut self, global: u32) -> Option<&mut Source> {
        let (c, s) = self.split(global)?;
        Some(self.controllers[c].get_mut(s))
    }

    /// Claims a source as LSI or MSI; false when it is invalid or already claimed.
    pub fn claim(&mut self, global: u32, kind: SourceKind) -> bool {
        match self.source_mut(global) {
            Some(s) if s.kind == SourceKind::Free => {
                *s = Source {
                    kind,
                    ..Source::default()
                };
                true
            }
            _ => false,
        }
    }

    /// Frees a source back to the reset state.
    pub fn free(&mut self, global: u32) {
        if let Some((c, s)) = self.split(global) {
            let ctl = &mut self.controllers[c];
            ctl.sources.reset(s);
        }
    }

    /// Sets server and priority (and saved priority), as `ibm,set-xive` does, and sends
    /// what was held while masked.
    pub fn write_xive(&mut self, global: u32, server: u32, priority: u8, saved: u8) -> bool {
        let Some(s) = self.source_mut(global) else {
            return false;
        };
        s.server = server;
        s.priority = priority;
        s.saved_priority = saved;
        let resend = priority != PRIORITY_MASKED
            && (s.status & status::MASKED_PENDING != 0
                || (s.kind == SourceKind::Lsi && s.status & status::ASSERTED != 0));
        if resend {
            s.status &= !status::MASKED_PENDING;
            self.present(global);
        }
        true
    }

    /// A message or level arrives at a source: presented to its server, or held pending
    /// while masked. False when the number is invalid or the source free.
    pub fn trigger(&mut self, global: u32) -> bool {
        let Some(s) = self.source_mut(global) else {
            return false;
        };
        if s.kind == SourceKind::Free {
            return false;
        }
        if s.kind == SourceKind::Lsi {
            s.status |= status::ASSERTED;
        }
        if s.priority == PRIORITY_MASKED {
            s.status |= status::MASKED_PENDING;
            return true;
        }
        self.present(global);
        true
    }

    /// An LSI's line goes low again (its device's handler cleared the cause).
    pub fn deassert(&mut self, global: u32) {
        if let Some(s) = self.source_mut(global) {
            s.status &= !(status::ASSERTED | status::MASKED_PENDING);
        }
    }

    fn present(&mut self, global: u32) {
        if let Some(s) = self.source_mut(global) {
            s.status |= status::SENT;
            let p = Presentation {
                server: s.server,
                source: global,
                priority: s.priority,
            };
            self.presented.push(p);
        }
    }

    /// Every source back to its reset state, claims kept as `keep` says.
    pub fn reset(&mut self, keep: impl Fn(u32, SourceKind) -> bool) {
        for c in &mut self.controllers {
            for (i, s) in c.sources.entries_mut() {
                let global = c.offset + i;
                let kind = if keep(global, s.kind) {
                    s.kind
                } else {
                    SourceKind::Free
                };
                *s = Source {
                    kind,
                    ..Source::default()
                };
            }
        }
        self.presented.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_controller_keeps_only_its_touched_sources() {
        let mut c = Controller::new(0x2_0000, 0x2_0000);
        c.get_mut(0x1_8000).kind = SourceKind::Msi;
        c.get_mut(3).priority = 5;
        let blob = bincode::serialize(&c).unwrap();
        assert!(blob.len() < 64, "{} bytes for two sources", blob.len());
        let back: Controller = bincode::deserialize(&blob).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.get(0x1_8000).kind, SourceKind::Msi);
        // A source past the controller's count does not restore.
        let mut bad = SavedController::from(c);
        bad.touched.push((0x2_0000, Source::default()));
        assert!(Controller::try_from(bad).is_err());
    }

    #[test]
    fn split_and_claim() {
        let mut ics = Ics::new(vec![(0x1_0000, 0x1_0000), (0x1000, 0x1000)]);
        assert_eq!(ics.split(0x1200), Some((0, 0x200)));
        assert_eq!(ics.split(0x1_0005), Some((1, 5)));
        assert_eq!(ics.split(0x2000), None);
        assert_eq!(ics.split(0xfff), None);
        assert!(ics.claim(0x1300, SourceKind::Msi));
        assert!(!ics.claim(0x1300, SourceKind::Msi), "claimed twice");
        assert!(!ics.claim(0x3000, SourceKind::Msi));
        ics.free(0x1300);
        assert!(ics.claim(0x1300, SourceKind::Lsi));
    }

    #[test]
    fn masked_sources_hold_then_deliver() {
        let mut ics = Ics::new(vec![(0x1000, 0x1000)]);
        ics.claim(0x1300, SourceKind::Msi);
        assert!(ics.trigger(0x1300));
        assert!(ics.presented.is_empty(), "masked at reset");
        assert_ne!(
            ics.source(0x1300).unwrap().status & status::MASKED_PENDING,
            0
        );
        ics.write_xive(0x1300, 2, 5, 5);
        assert_eq!(
            ics.presented,
            vec![Presentation {
                server: 2,
                source: 0x1300,
                priority: 5
            }]
        );
        assert_eq!(
            ics.source(0x1300).unwrap().status & status::MASKED_PENDING,
            0
        );
        ics.trigger(0x1300);
        assert_eq!(ics.presented.len(), 2);
        assert!(!ics.trigger(0x1301), "a free source takes nothing");
    }
}
