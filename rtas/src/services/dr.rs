//! Dynamic reconfiguration of PCI slots: `get-sensor-state` (dr-entity-sense) and
//! `set-indicator` (isolation-state, dr-indicator, allocation-state), as QEMU 7.2
//! answers them. Isolating a configured slot releases every MSI its function holds
//! (LoPAPR, MSI support: R1-11).

use crate::drc::DrcState;
use crate::firmware::{Args, Firmware, Rets};
use crate::machine::FnRef;
use crate::status;

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
                if let Some(func) = drc.function {
                    self.release_all(FnRef { phb: p, func });
                }
                self.machine.phbs[p].drcs[d].state = DrcState::PowerOn;
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
