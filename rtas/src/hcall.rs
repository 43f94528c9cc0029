//! Hypervisor calls (the `hcall` instruction): the XIVE exploitation calls (LoPAPR's
//! `H_INT_*`), their opcodes, flags and return codes. They answer `H_FUNCTION` until
//! client-architecture-support has chosen XIVE.

mod ims;
mod msi_device;

use crate::firmware::Firmware;
use crate::ics::SourceKind;
use crate::xive::{self, esb, EventQueue, XiveSource, ESB_SHIFT, MAX_PRIORITY, PRIORITY_RESET};

pub use papr_abi::hcall::*;

/// The status, then R4...
type Rets = Vec<i64>;

impl Firmware {
    /// A hypervisor call: the status (R3), then R4.. as the call defines them.
    pub fn hcall(&mut self, opcode: u64, args: &[u64]) -> Vec<i64> {
        let a = |i: usize| args.get(i).copied().unwrap_or(0);
        let hypervisor = !self.machine.bare_metal;
        let rets = if opcode == H_SIM_MSI_DEVICE && hypervisor {
            self.h_msi_device(a(0), a(1), a(2))
        } else if opcode == H_SIM_IRQ_SCHEME && hypervisor {
            self.h_irq_scheme(a(0))
        } else if opcode == H_SIM_IMS && hypervisor {
            self.h_ims(a(0), a(1), a(2), a(3))
        } else if opcode == H_SIM_MSI_MESSAGE && hypervisor {
            self.h_msi_message(a(0), a(1), a(2))
        } else if !self.xive_active() {
            vec![H_FUNCTION]
        } else {
            match opcode {
                H_INT_GET_SOURCE_INFO => self.get_source_info(a(0), a(1)),
                H_INT_SET_SOURCE_CONFIG => self.set_source_config(a(0), a(1), a(2), a(3), a(4)),
                H_INT_GET_SOURCE_CONFIG => self.get_source_config(a(0), a(1)),
                H_INT_GET_QUEUE_INFO => self.get_queue_info(a(0), a(1), a(2)),
                H_INT_SET_QUEUE_CONFIG => self.set_queue_config(a(0), a(1), a(2), a(3), a(4)),
                H_INT_GET_QUEUE_CONFIG => self.get_queue_config(a(0), a(1), a(2)),
                H_INT_ESB => self.h_esb(a(0), a(1), a(2), a(3)),
                H_INT_SYNC => self.h_sync(a(0), a(1)),
                H_INT_RESET => self.h_reset(a(0)),
                _ => vec![H_FUNCTION],
            }
        };
        log::trace!("hcall {} {args:x?} -> {rets:x?}", name(opcode));
        rets
    }

    /// A source number the caller may use: claimed, and its partition's.
    fn lisn(&self, lisn: u64) -> Option<u32> {
        let l = u32::try_from(lisn).ok()?;
        let claimed = self
            .machine
            .ics
            .source(l)
            .is_some_and(|s| s.kind != SourceKind::Free);
        (claimed && self.source_visible(l)).then_some(l)
    }

    fn target_ok(&self, target: u64) -> bool {
        target < self.machine.servers.max(1) as u64
    }

    fn xive_mut(&mut self) -> &mut xive::Xive {
        self.machine.xive.get_or_insert_with(Default::default)
    }

    fn get_source_info(&mut self, flags: u64, lisn: u64) -> Rets {
        self.qtrace(|| format!("spapr_xive_get_source_info flags={flags:#x} lisn={lisn:#x}"));
        if flags != 0 {
            return vec![H_PARAMETER];
        }
        let Some(l) = self.lisn(lisn) else {
            return vec![H_P2];
        };
        if self.machine.ics.source(l).map(|s| s.kind) == Some(SourceKind::Lsi) {
            return vec![
                H_SUCCESS,
                (XIVE_SRC_H_INT_ESB | XIVE_SRC_LSI) as i64,
                -1,
                -1,
                ESB_SHIFT as i64,
            ];
        }
        let trig = xive::trigger_page(l);
        vec![
            H_SUCCESS,
            0,
            (trig + (1 << ESB_SHIFT)) as i64,
            trig as i64,
            ESB_SHIFT as i64,
        ]
    }

    fn set_source_config(
        &mut self,
        flags: u64,
        lisn: u64,
        target: u64,
        prio: u64,
        eisn: u64,
    ) -> Rets {
        self.qtrace(|| {
            format!("spapr_xive_set_source_config flags={flags:#x} lisn={lisn:#x} target={target:#x} priority={prio:#x} eisn={eisn:#x}")
        });
        if flags & !(XIVE_SRC_SET_EISN | XIVE_SRC_MASK) != 0 {
            return vec![H_PARAMETER];
        }
        let Some(l) = self.lisn(lisn) else {
            return vec![H_P2];
        };
        if prio == PRIORITY_RESET as u64 {
            let s = self.xive_mut().source_mut(l);
            (s.priority, s.masked, s.target, s.eisn) = (PRIORITY_RESET, true, 0, 0);
            return vec![H_SUCCESS];
        }
        if prio > MAX_PRIORITY as u64 {
            return vec![H_P4];
        }
        if !self.target_ok(target) {
            return vec![H_P3];
        }
        let Ok(eisn) = u32::try_from(eisn) else {
            return vec![H_P5];
        };
        let s = self.xive_mut().source_mut(l);
        s.target = target as u32;
        s.priority = prio as u8;
        s.masked = flags & XIVE_SRC_MASK != 0;
        if flags & XIVE_SRC_SET_EISN != 0 {
            s.eisn = eisn;
        }
        vec![H_SUCCESS]
    }

    fn get_source_config(&mut self, flags: u64, lisn: u64) -> Rets {
        self.qtrace(|| format!("spapr_xive_get_source_config flags={flags:#x} lisn={lisn:#x}"));
        if flags != 0 {
            return vec![H_PARAMETER];
        }
        let Some(l) = self.lisn(lisn) else {
            return vec![H_P2];
        };
        let s = self.xive_mut().source(l);
        let prio = if s.masked { PRIORITY_RESET } else { s.priority };
        vec![H_SUCCESS, s.target as i64, prio as i64, s.eisn as i64]
    }

    /// Checks (flags, target, priority) of the queue calls.
    fn queue_args(
        &self,
        flags: u64,
        allowed: u64,
        target: u64,
        prio: u64,
    ) -> Result<(u32, u8), i64> {
        if flags & !allowed != 0 {
            return Err(H_PARAMETER);
        }
        if !self.target_ok(target) {
            return Err(H_P2);
        }
        if prio > MAX_PRIORITY as u64 {
            return Err(H_P3);
        }
        Ok((target as u32, prio as u8))
    }

    fn get_queue_info(&mut self, flags: u64, target: u64, prio: u64) -> Rets {
        self.qtrace(|| {
            format!(
                "spapr_xive_get_queue_info flags={flags:#x} target={target:#x} priority={prio:#x}"
            )
        });
        let (t, p) = match self.queue_args(flags, 0, target, prio) {
            Ok(x) => x,
            Err(e) => return vec![e],
        };
        let end = (t as u64) << 3 | p as u64;
        let page = xive::END_ESB_BASE + (end << (ESB_SHIFT + 1));
        let shift = self.xive_mut().queues.get(&(t, p)).map_or(0, |q| q.qshift);
        vec![H_SUCCESS, page as i64, shift as i64]
    }

    fn set_queue_config(
        &mut self,
        flags: u64,
        target: u64,
        prio: u64,
        qpage: u64,
        qsize: u64,
    ) -> Rets {
        self.qtrace(|| {
            format!("spapr_xive_set_queue_config flags={flags:#x} target={target:#x} priority={prio:#x} qpage={qpage:#x} qsize={qsize:#x}")
        });
        let (t, p) = match self.queue_args(flags, XIVE_END_ALWAYS_NOTIFY, target, prio) {
            Ok(x) => x,
            Err(e) => return vec![e],
        };
        if qsize == 0 {
            self.xive_mut().queues.remove(&(t, p));
            return vec![H_SUCCESS];
        }
        if !xive::QUEUE_SHIFTS.contains(&(qsize as u8)) || qsize > 63 {
            return vec![H_P5];
        }
        let len = 1u64 << qsize;
        if qpage & (len - 1) != 0 || !self.machine.queue_ram.contains(qpage, len as usize) {
            return vec![H_P4];
        }
        let q = EventQueue {
            qpage,
            qshift: qsize as u8,
            index: 0,
            generation: true,
            notify: flags & XIVE_END_ALWAYS_NOTIFY != 0,
        };
        self.xive_mut().queues.insert((t, p), q);
        vec![H_SUCCESS]
    }

    fn get_queue_config(&mut self, flags: u64, target: u64, prio: u64) -> Rets {
        self.qtrace(|| format!("spapr_xive_get_queue_config flags={flags:#x} target={target:#x} priority={prio:#x}"));
        let (t, p) = match self.queue_args(flags, XIVE_END_DEBUG, target, prio) {
            Ok(x) => x,
            Err(e) => return vec![e],
        };
        let q = self.xive_mut().queues.get(&(t, p)).copied();
        let Some(q) = q else {
            return vec![H_SUCCESS, 0, 0, 0, 0];
        };
        let mut r = vec![H_SUCCESS, q.notify as i64, q.qpage as i64, q.qshift as i64];
        if flags & XIVE_END_DEBUG != 0 {
            r.push((q.generation as i64) << 62 | q.index as i64);
        }
        r
    }

    fn h_esb(&mut self, flags: u64, lisn: u64, offset: u64, data: u64) -> Rets {
        self.qtrace(|| {
            format!(
                "spapr_xive_esb flags={flags:#x} lisn={lisn:#x} offset={offset:#x} data={data:#x}"
            )
        });
        if flags & !XIVE_ESB_STORE != 0 {
            return vec![H_PARAMETER];
        }
        let Some(l) = self.lisn(lisn) else {
            return vec![H_P2];
        };
        if offset >= 1 << ESB_SHIFT {
            return vec![H_P3];
        }
        if flags & XIVE_ESB_STORE != 0 {
            self.esb_store(l, offset, data);
            vec![H_SUCCESS]
        } else {
            vec![H_SUCCESS, self.esb_load(l, offset) as i64]
        }
    }

    fn h_sync(&mut self, flags: u64, lisn: u64) -> Rets {
        self.qtrace(|| format!("spapr_xive_sync flags={flags:#x} lisn={lisn:#x}"));
        if flags != 0 {
            return vec![H_PARAMETER];
        }
        match self.lisn(lisn) {
            Some(_) => vec![H_SUCCESS],
            None => vec![H_P2],
        }
    }

    fn h_reset(&mut self, flags: u64) -> Rets {
        self.qtrace(|| format!("spapr_xive_reset flags={flags:#x}"));
        if flags != 0 {
            return vec![H_PARAMETER];
        }
        self.xive_mut().reset();
        vec![H_SUCCESS]
    }

    /// A load from a source's EOI page at `offset`: the ESB operation's value.
    pub(crate) fn esb_load(&mut self, lisn: u32, offset: u64) -> u64 {
        let m = &mut self.machine;
        let x = m.xive.get_or_insert_with(Default::default);
        match offset & 0xf00 {
            0x000..=0x300 => x.eoi(lisn, &mut m.queue_ram),
            esb::GET => x.source(lisn).esb.pq as u64,
            o @ (esb::SET_PQ_00 | esb::SET_PQ_01 | esb::SET_PQ_10 | esb::SET_PQ_11) => {
                x.source_mut(lisn).esb.set(((o >> 8) & 3) as u8) as u64
            }
            _ => u64::MAX,
        }
    }

    /// A store to a source's EOI page at `offset` (store-EOI; else ignored).
    pub(crate) fn esb_store(&mut self, lisn: u32, offset: u64, _data: u64) {
        if offset & 0xf00 == esb::STORE_EOI {
            let m = &mut self.machine;
            let x = m.xive.get_or_insert_with(Default::default);
            x.eoi(lisn, &mut m.queue_ram);
        }
    }

    /// The current state of a source, for tests and the harness.
    pub fn xive_source(&self, lisn: u32) -> Option<XiveSource> {
        self.machine.xive.as_ref().map(|x| x.source(lisn))
    }
}
