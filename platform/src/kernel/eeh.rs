//! EEH as Linux's pSeries code drives it through RTAS: a device's PE found and EEH
//! enabled on it (`ibm,get-config-addr-info2` 1 then 0, `ibm,set-eeh-option` 1, its
//! config registers saved), and the recovery of a frozen PE: detect (config reads all
//! ones, `ibm,read-slot-reset-state2` says stopped), log (`ibm,slot-error-detail`),
//! thaw MMIO, hot reset and its end, wait for the normal state, `ibm,configure-pe`,
//! the saved registers written back, and the driver's vectors re-enabled: the firmware
//! restored their messages (LoPAPR), the OS checks every source and message is what
//! it holds, so its virqs are the same after recovery.
//!
//! Linux enables EEH on every device at boot; here the OS does so when booted with
//! [`super::OsOptions::eeh`] (a scenario with `eeh` lines does), so that other boots
//! make the calls they always made. A device without EEH enabled cannot be recovered.

pub use super::eeh_state::{EehDev, Recovery};
use super::rtas::{
    RtasService, CONFIGURE_PE, GET_CONFIG_ADDR_INFO2, QUERY_SOURCE, READ_SLOT_RESET_STATE2,
    SET_EEH_OPTION, SET_SLOT_RESET, SLOT_ERROR_DETAIL,
};
use super::{DevId, Kernel};
use crate::error::Error;
use crate::port::{ERROR_LOG_AT, ERROR_LOG_LEN};

/// Times a busy or extended-delay answer is retried before recovery gives up (Linux
/// waits at most 200 ms for configure-pe; the simulated clock does not run).
pub const BUSY_RETRIES: u32 = 10;
/// Reads of the PE state after the reset before recovery gives up.
pub const STATE_READS: u32 = 10;
/// Freezes of one PE Linux recovers in an hour (`eeh_max_freezes`); the next one
/// disables the device for good. The simulated clock does not run: every freeze falls
/// in the same hour.
pub const MAX_FREEZES: u32 = 5;

/// `ibm,read-slot-reset-state2`: not reset, not frozen.
const STATE_NORMAL: i64 = 0;
/// Frozen, MMIO and DMA stopped.
const STATE_STOPPED: i64 = 2;
/// Frozen, MMIO thawed.
const STATE_DMA_STOPPED: i64 = 4;
/// `ibm,set-slot-reset` function 1: hot reset; 0 ends it.
const RESET_HOT: u32 = 1;
/// `ibm,set-eeh-option` 1: enable; 2: thaw MMIO.
const OPT_ENABLE: u32 = 1;
const OPT_THAW_MMIO: u32 = 2;
/// The config registers saved at enable and written back after a reset: command
/// (as a word with status), the six BARs.
const SAVED_REGS: [u32; 7] = [0x04, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24];

impl Kernel {
    /// An EEH call, retried while it answers busy or extended delay; the status.
    fn eeh_call(
        &mut self,
        s: RtasService,
        args: &[u32],
        out: &mut [i64],
        retries: &mut u32,
    ) -> Result<i64, Error> {
        for _ in 0..=BUSY_RETRIES {
            if !self.rtas(s, args, out) {
                return Err(Error::Eeh(format!(
                    "the firmware has no {} (no EEH support)",
                    s.name
                )));
            }
            let st = out[0];
            if st != -2 && !(9900..=9905).contains(&st) {
                return Ok(st);
            }
            *retries += 1;
        }
        Err(Error::Eeh(format!(
            "{} still busy after {BUSY_RETRIES} retries",
            s.name
        )))
    }

    fn pe_cells(&self, dev: DevId, addr: u32) -> [u32; 3] {
        let buid = self.devices[dev].buid;
        [addr, (buid >> 32) as u32, buid as u32]
    }

    /// Enables EEH on every non-bridge device (a device whose firmware refuses is left
    /// without EEH, and says so).
    pub fn eeh_probe_all(&mut self) {
        for dev in 0..self.devices.len() {
            if self.devices[dev].is_bridge {
                continue;
            }
            if let Err(e) = self.eeh_enable(dev) {
                self.msg(e.to_string());
            }
        }
    }

    /// The device's PE, once EEH is enabled on it.
    fn eeh_pe(&self, dev: DevId) -> Result<u32, Error> {
        self.devices[dev].eeh.as_ref().map(|e| e.pe).ok_or_else(|| {
            Error::Eeh(format!(
                "{} has no EEH enabled (the OS enables it at boot when asked to)",
                self.devices[dev].name
            ))
        })
    }

    /// Finds the device's PE and enables EEH on it, saving its config registers
    /// (Linux's `pseries_eeh_probe`); the PE config address.
    pub fn eeh_enable(&mut self, dev: DevId) -> Result<u32, Error> {
        if let Some(e) = &self.devices[dev].eeh {
            return Ok(e.pe);
        }
        let name = self.devices[dev].name.clone();
        let cfg = self.pe_cells(dev, self.devices[dev].addr.config_addr());
        let mut r = [0i64; 2];
        let mut retries = 0;
        let st = self.eeh_call(
            GET_CONFIG_ADDR_INFO2,
            &[cfg[0], cfg[1], cfg[2], 1],
            &mut r,
            &mut retries,
        )?;
        if st != 0 || r[1] == 0 {
            return Err(Error::Eeh(format!(
                "{name} is in no PE (get-config-addr-info2 answered {st}, mode {})",
                r[1]
            )));
        }
        let st = self.eeh_call(
            GET_CONFIG_ADDR_INFO2,
            &[cfg[0], cfg[1], cfg[2], 0],
            &mut r,
            &mut retries,
        )?;
        if st != 0 {
            return Err(Error::Eeh(format!(
                "{name}: get-config-addr-info2 answered {st} for its PE address"
            )));
        }
        let pe = r[1] as u32;
        let c = self.pe_cells(dev, pe);
        let mut r1 = [0i64; 1];
        let st = self.eeh_call(
            SET_EEH_OPTION,
            &[c[0], c[1], c[2], OPT_ENABLE],
            &mut r1,
            &mut retries,
        )?;
        if st != 0 {
            return Err(Error::Eeh(format!("{name}: enabling EEH answered {st}")));
        }
        let mut saved = Vec::new();
        for reg in SAVED_REGS {
            let v = self.config_read(dev, reg, 4).ok_or_else(|| {
                Error::Eeh(format!("{name}: config register {reg:#x} unreadable"))
            })?;
            saved.push((reg, v));
        }
        let domain = self.phbs[self.devices[dev].phb].domain;
        self.msg(format!("EEH: {name}: PHB#{domain:x}-PE#{pe:x} enabled"));
        self.devices[dev].eeh = Some(EehDev {
            pe,
            saved,
            recoveries: 0,
            freezes: 0,
            failed: false,
        });
        Ok(pe)
    }

    /// The PE state `ibm,read-slot-reset-state2` gives.
    pub fn eeh_state(&mut self, dev: DevId) -> Result<i64, Error> {
        let pe = self.eeh_pe(dev)?;
        let c = self.pe_cells(dev, pe);
        let mut r = [0i64; 4];
        let mut retries = 0;
        let st = self.eeh_call(READ_SLOT_RESET_STATE2, &c, &mut r, &mut retries)?;
        if st != 0 {
            return Err(Error::Eeh(format!("read-slot-reset-state2 answered {st}")));
        }
        Ok(r[1])
    }

    /// Recovers a device whose PE froze, as Linux's EEH core does; fails, saying at
    /// which step, when the PE is not frozen or a step fails.
    pub fn eeh_recover(&mut self, dev: DevId) -> Result<Recovery, Error> {
        let name = self.devices[dev].name.clone();
        let pe = self.eeh_pe(dev)?;
        let domain = self.phbs[self.devices[dev].phb].domain;
        let c = self.pe_cells(dev, pe);
        let mut retries = 0;
        // Detect: the vendor and device ids read all ones, and the PE state says why.
        let ids = self.config_read(dev, 0, 4);
        if ids != Some(u32::MAX) {
            return Err(Error::Eeh(format!(
                "{name}: config space reads {ids:x?}, not all ones: no freeze to recover"
            )));
        }
        let mut r4 = [0i64; 4];
        let st = self.eeh_call(READ_SLOT_RESET_STATE2, &c, &mut r4, &mut retries)?;
        let state = r4[1];
        if st != 0 || !(state == STATE_STOPPED || state == STATE_DMA_STOPPED) {
            return Err(Error::Eeh(format!(
                "{name}: reads all ones but the PE is not frozen (status {st}, state {state})"
            )));
        }
        self.msg(format!("EEH: Frozen PHB#{domain:x}-PE#{pe:x} detected"));
        let freezes = self.devices[dev].eeh.as_ref().map_or(0, |e| e.freezes) + 1;
        let failed = self.devices[dev].eeh.as_ref().is_some_and(|e| e.failed);
        if let Some(e) = self.devices[dev].eeh.as_mut() {
            e.freezes = freezes;
        }
        let mut r1 = [0i64; 1];
        if failed || freezes > MAX_FREEZES {
            // Linux's eeh_handle_normal_event: the permanent log, and the device is gone.
            let args = [
                c[0],
                c[1],
                c[2],
                0,
                0,
                ERROR_LOG_AT as u32,
                ERROR_LOG_LEN,
                2,
            ];
            self.eeh_call(SLOT_ERROR_DETAIL, &args, &mut r1, &mut retries)?;
            if let Some(e) = self.devices[dev].eeh.as_mut() {
                e.failed = true;
            }
            let e = format!(
                "PHB#{domain:x}-PE#{pe:x} has failed {freezes} times in the last hour and has been permanently disabled"
            );
            self.msg(format!("EEH: {e}"));
            return Err(Error::Eeh(e));
        }
        // Log: the firmware's error log into the OS buffer (temporary error).
        let args = [
            c[0],
            c[1],
            c[2],
            0,
            0,
            ERROR_LOG_AT as u32,
            ERROR_LOG_LEN,
            1,
        ];
        let st = self.eeh_call(SLOT_ERROR_DETAIL, &args, &mut r1, &mut retries)?;
        let log = (st == 0)
            .then(|| self.port.os_buffer_read(ERROR_LOG_AT))
            .flatten();
        // Thaw MMIO so that the drivers can look (mmio_enabled).
        let st = self.eeh_call(
            SET_EEH_OPTION,
            &[c[0], c[1], c[2], OPT_THAW_MMIO],
            &mut r1,
            &mut retries,
        )?;
        self.step_ok(&name, "set-eeh-option thaw MMIO", st)?;
        // Reset: hot reset, then its end.
        let st = self.eeh_call(
            SET_SLOT_RESET,
            &[c[0], c[1], c[2], RESET_HOT],
            &mut r1,
            &mut retries,
        )?;
        self.step_ok(&name, "set-slot-reset hot", st)?;
        let st = self.eeh_call(
            SET_SLOT_RESET,
            &[c[0], c[1], c[2], 0],
            &mut r1,
            &mut retries,
        )?;
        self.step_ok(&name, "set-slot-reset deactivate", st)?;
        let mut normal = false;
        for _ in 0..STATE_READS {
            let st = self.eeh_call(READ_SLOT_RESET_STATE2, &c, &mut r4, &mut retries)?;
            self.step_ok(&name, "read-slot-reset-state2", st)?;
            if r4[1] == STATE_NORMAL {
                normal = true;
                break;
            }
        }
        if !normal {
            return Err(Error::Eeh(format!(
                "{name}: the PE is in state {} after the reset, not normal",
                r4[1]
            )));
        }
        let st = self.eeh_call(CONFIGURE_PE, &c, &mut r1, &mut retries)?;
        self.step_ok(&name, "configure-pe", st)?;
        // Restore the saved registers (Linux's eeh_restore_bars), command last.
        let saved = self.devices[dev]
            .eeh
            .as_ref()
            .map(|e| e.saved.clone())
            .unwrap_or_default();
        for &(reg, v) in saved.iter().rev() {
            let value = if reg == 0x04 { v & 0xffff } else { v };
            let size = if reg == 0x04 { 2 } else { 4 };
            if !self.config_write(dev, reg, size, value) {
                return Err(Error::Eeh(format!(
                    "{name}: writing back config register {reg:#x} failed"
                )));
            }
        }
        let vectors = self.eeh_restore_vectors(dev)?;
        if let Some(e) = self.devices[dev].eeh.as_mut() {
            e.recoveries += 1;
        }
        self.msg(format!(
            "EEH: {name}: recovery successful ({vectors} vectors re-enabled)"
        ));
        Ok(Recovery {
            pe,
            state,
            log,
            retries,
            vectors,
        })
    }

    fn step_ok(&mut self, name: &str, what: &str, st: i64) -> Result<(), Error> {
        if st == 0 {
            return Ok(());
        }
        let e = format!("{name}: {what} answered {st}: recovery failed");
        self.msg(format!("EEH: {e}"));
        Err(Error::Eeh(e))
    }

    /// After the reset: every vector the driver holds must still have its source and
    /// message (the firmware restores them); then the capability is enabled again.
    fn eeh_restore_vectors(&mut self, dev: DevId) -> Result<u32, Error> {
        let Some(m) = self.devices[dev].msi.clone() else {
            return Ok(0);
        };
        let name = self.devices[dev].name.clone();
        let cfg = self.pe_cells(dev, self.devices[dev].addr.config_addr());
        for (i, &src) in m.sources.iter().enumerate() {
            let mut r = [0i64; 3];
            let ok = self.rtas(QUERY_SOURCE, &[cfg[0], cfg[1], cfg[2], i as u32], &mut r);
            if !ok || r[0] != 0 || r[1] as u32 != src {
                return Err(Error::Eeh(format!(
                    "{name}: vector {i} had source {src:#x}, the firmware now answers {:?}",
                    &r[..2]
                )));
            }
        }
        let now = self.read_messages(dev, m.kind, m.virqs.len() as u32);
        if now != m.messages {
            return Err(Error::Eeh(format!(
                "{name}: the messages after the reset ({now:x?}) are not the ones the firmware assigned ({:x?})",
                m.messages
            )));
        }
        self.enable_capability(dev, m.kind, m.virqs.len() as u32);
        Ok(m.virqs.len() as u32)
    }
}
