//! Dynamic reconfiguration of PCI slots: `get-sensor-state` (dr-entity-sense) and
//! `set-indicator` (isolation-state, dr-indicator, allocation-state), as QEMU 7.2
//! answers them. Isolating a configured slot releases every MSI its function holds
//! (LoPAPR, MSI support: R1-11 of `ibm,change-msi`).

use crate::drc::{DrcState, NodeEvent};
use crate::firmware::{Args, Firmware, Rets};
use crate::machine::FnRef;
use papr_abi::status;

/// Sensor and indicator tokens (LoPAPR's DR tables).
pub mod token {
    /// Indicator: isolation-state (0 isolate, 1 unisolate).
    pub const ISOLATION_STATE: u32 = 9001;
    /// Indicator: dr-indicator (0 inactive, 1 active, 2 identify, 3 action).
    pub const DR_INDICATOR: u32 = 9002;
    /// Indicator: allocation-state (logical DRCs only); sensor: dr-entity-sense.
    pub const ALLOCATION_STATE: u32 = 9003;
    /// Sensor: dr-entity-sense (the same token as allocation-state).
    pub const DR_ENTITY_SENSE: u32 = 9003;
}

/// dr-entity-sense of a physical DRC: the slot is empty.
pub const SENSE_EMPTY: u32 = 0;
/// dr-entity-sense: something is in the slot.
pub const SENSE_PRESENT: u32 = 1;

impl Firmware {
    /// The DRC with an index, on a PHB the caller may touch: (PHB, position).
    fn drc(&self, index: u32) -> Option<(usize, usize)> {
        self.machine.phbs.iter().enumerate().find_map(|(p, phb)| {
            let d = phb.drcs.iter().position(|d| d.index == index)?;
            (phb.partition == self.caller).then_some((p, d))
        })
    }

    /// `get-sensor-state` (sensor, index) -> status, state. Only dr-entity-sense exists;
    /// another sensor or an unknown index answers -3 (and state 0, as QEMU writes it).
    pub(crate) fn get_sensor_state(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 2, &[2]) {
            return;
        }
        let a = args.all();
        rets.set(1, 0);
        if a[0] != token::DR_ENTITY_SENSE {
            return rets.status(status::PARAM_ERROR);
        }
        let Some((p, d)) = self.drc(a[1]) else {
            return rets.status(status::PARAM_ERROR);
        };
        let present = self.machine.phbs[p].drcs[d].function.is_some();
        rets.status(status::SUCCESS);
        rets.set(1, if present { SENSE_PRESENT } else { SENSE_EMPTY });
    }

    /// `set-indicator` (indicator, index, value) -> status.
    pub(crate) fn set_indicator(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 3, &[1]) {
            return;
        }
        let a = args.all();
        let Some((p, d)) = self.drc(a[1]) else {
            // QEMU: "no such indicator", -3.
            return rets.status(status::PARAM_ERROR);
        };
        let st = match a[0] {
            token::ISOLATION_STATE => self.set_isolation(p, d, a[2]),
            token::DR_INDICATOR if a[2] <= 3 => {
                self.machine.phbs[p].drcs[d].indicator = a[2];
                status::SUCCESS
            }
            // PCI DRCs are physical: no allocation state (QEMU: no such indicator).
            token::ALLOCATION_STATE => status::PARAM_ERROR,
            // A bad dr-indicator value, or no such indicator type.
            _ => status::PARAM_ERROR,
        };
        rets.status(st);
    }

    /// isolation-state: 0 isolates (a configured slot's function loses every MSI it
    /// holds), 1 unisolates a slot that holds a function.
    fn set_isolation(&mut self, p: usize, d: usize, value: u32) -> i32 {
        let drc = &self.machine.phbs[p].drcs[d];
        match (value, drc.state) {
            (0, DrcState::PowerOn) | (1, DrcState::Unisolate | DrcState::Configured) => {
                status::SUCCESS
            }
            // QEMU: an unisolated, not yet configured slot cannot be isolated.
            (0, DrcState::Unisolate) => status::PARAM_ERROR,
            (0, DrcState::Configured) => {
                let release = drc.unplug_requested;
                if let Some(func) = drc.function {
                    self.release_all(FnRef { phb: p, func });
                }
                self.machine.phbs[p].drcs[d].state = DrcState::PowerOn;
                // QEMU: isolating a slot whose removal was asked for releases it.
                if release {
                    self.machine.release_slot(p, d);
                }
                status::SUCCESS
            }
            (1, DrcState::PowerOn) if drc.function.is_none() => status::PARAM_ERROR,
            (1, DrcState::PowerOn) => {
                self.machine.phbs[p].drcs[d].state = DrcState::Unisolate;
                status::SUCCESS
            }
            _ => status::PARAM_ERROR,
        }
    }
}

/// `ibm,configure-connector` answers (QEMU's `SPAPR_DR_CC_RESPONSE_*`).
pub mod cc {
    /// The node is described: the connector is configured. (1, next sibling, is never
    /// answered: every node ends first, as in QEMU.)
    pub const DONE: i32 = 0;
    /// The next node is a child: its name is in the work area.
    pub const NEXT_CHILD: i32 = 2;
    /// A property of the current node: name, length and value in the work area.
    pub const NEXT_PROPERTY: i32 = 3;
    /// The current node ended: back to its parent.
    pub const PREV_PARENT: i32 = 4;
    /// The connector is not unisolated: nothing to configure.
    pub const NOT_CONFIGURABLE: i32 = -9003;
}

/// Where `ibm,configure-connector` writes names and values in the work area (bytes):
/// after the five cells (index, 0, name offset, value length, value offset).
pub const CC_DATA_AT: u32 = 20;
/// The work area's length (QEMU's: 4 KiB).
pub const CC_WORK_AREA: u32 = 4096;

impl Firmware {
    /// `ibm,configure-connector` (work area address, 0) -> status: the work area's first
    /// cell names the DRC; each call hands out the next step of the slot's node (a
    /// child node's name, a property, the end of a node) until the node has ended (0,
    /// the connector configured; called again, it starts over). -3 for no such DRC
    /// or a work area outside OS memory; -9003 when the slot is not unisolated.
    pub(crate) fn configure_connector(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 2, &[1]) {
            return;
        }
        let a = args.all();
        let wa = (a[1] as u64) << 32 | a[0] as u64;
        if !args.buffer_ok(wa, CC_WORK_AREA) {
            return rets.status(status::PARAM_ERROR);
        }
        let Some((p, d)) = args.load(wa).and_then(|i| self.drc(i)) else {
            return rets.status(status::PARAM_ERROR);
        };
        let drc = &mut self.machine.phbs[p].drcs[d];
        if drc.state == DrcState::PowerOn || drc.node.is_empty() {
            return rets.status(cc::NOT_CONFIGURABLE);
        }
        let at = drc.cc_at.min(drc.node.len() - 1);
        let depth = drc.node[..at]
            .iter()
            .map(|e| match e {
                NodeEvent::Begin(_) => 1i32,
                NodeEvent::End => -1,
                NodeEvent::Prop(..) => 0,
            })
            .sum::<i32>();
        let event = drc.node[at].clone();
        drc.cc_at = at + 1;
        let cell = |v: u32| v.to_be_bytes().to_vec();
        let answer = match event {
            NodeEvent::Begin(name) => {
                let mut s = name.into_bytes();
                s.push(0);
                rets.store(wa + 8, cell(CC_DATA_AT));
                rets.store(wa + CC_DATA_AT as u64, s);
                cc::NEXT_CHILD
            }
            NodeEvent::Prop(name, value) => {
                let mut s = name.into_bytes();
                s.push(0);
                let value_at = CC_DATA_AT + s.len() as u32;
                let room = CC_WORK_AREA.saturating_sub(value_at) as usize;
                let value = value[..value.len().min(room)].to_vec();
                rets.store(wa + 8, cell(CC_DATA_AT));
                rets.store(wa + 12, cell(value.len() as u32));
                rets.store(wa + 16, cell(value_at));
                rets.store(wa + CC_DATA_AT as u64, s);
                rets.store(wa + value_at as u64, value);
                cc::NEXT_PROPERTY
            }
            NodeEvent::End if depth > 1 => cc::PREV_PARENT,
            NodeEvent::End => {
                drc.state = DrcState::Configured;
                drc.cc_at = 0;
                cc::DONE
            }
        };
        rets.status(answer);
    }
}
