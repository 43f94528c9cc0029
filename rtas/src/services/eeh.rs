//! EEH (enhanced error handling): `ibm,set-eeh-option`, `ibm,get-config-addr-info2`,
//! `ibm,read-slot-reset-state2`, `ibm,set-slot-reset`, `ibm,configure-pe`,
//! `ibm,slot-error-detail`. Each PCI function is its own PE; its PE config address is
//! the function's own config address (register 0).

use crate::alloc::BlockKind;
use crate::firmware::{Args, Firmware, Rets};
use crate::machine::FnRef;
use crate::pci::PciAddr;
use papr_abi::status;

/// `ibm,set-eeh-option` options.
pub mod option {
    /// Disable EEH on the PE.
    pub const DISABLE: u32 = 0;
    /// Enable EEH on the PE.
    pub const ENABLE: u32 = 1;
    /// Let loads and stores through a frozen PE again.
    pub const THAW_MMIO: u32 = 2;
    /// Let DMA (and messages) through a frozen PE again.
    pub const THAW_DMA: u32 = 3;
}

/// `ibm,set-slot-reset` functions.
pub mod reset {
    /// Deactivate the reset.
    pub const DEACTIVATE: u32 = 0;
    /// Activate a hot reset.
    pub const HOT: u32 = 1;
    /// Activate a fundamental reset.
    pub const FUNDAMENTAL: u32 = 3;
}

/// `ibm,read-slot-reset-state2` PE states (its second output).
pub mod pe_state {
    /// Not reset, not frozen: loads, stores and DMA go through.
    pub const NORMAL: u32 = 0;
    /// A reset is active.
    pub const RESET: u32 = 1;
    /// Frozen: MMIO and DMA stopped.
    pub const STOPPED: u32 = 2;
    /// Frozen, MMIO thawed: DMA stopped.
    pub const DMA_STOPPED: u32 = 4;
}

/// `ibm,get-config-addr-info2` function 1's answer: the PE holds one function.
pub const PE_MODE_NOT_SHARED: u32 = 1;

/// `ibm,slot-error-detail`: no error log is waiting for the PE.
pub const NO_ERROR_LOG: i32 = 1;

/// Bytes of the error log `ibm,slot-error-detail` returns: the fixed part of an RTAS
/// error log (version 6, no extended log).
pub const ERROR_LOG_LEN: u32 = 8;

impl Firmware {
    /// The PE named by config address and BUID cells (args 0, 1, 2), if the caller may
    /// touch it.
    fn pe(&self, a: &[u32]) -> Option<FnRef> {
        let buid = (a[1] as u64) << 32 | a[2] as u64;
        let (addr, _) = PciAddr::from_config_addr(a[0]);
        self.find_fn(buid, addr)
    }

    /// `ibm,set-eeh-option` (config address, BUID high, BUID low, option) -> status.
    /// Thawing both halves of a frozen PE unfreezes it.
    pub(crate) fn set_eeh_option(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 4, &[1]) {
            return;
        }
        let a = args.all();
        let Some(r) = self.pe(&a) else {
            return rets.status(status::PARAM_ERROR);
        };
        let f = self.machine.function_mut(r);
        match a[3] {
            option::DISABLE => f.eeh.enabled = false,
            option::ENABLE => f.eeh.enabled = true,
            option::THAW_MMIO if f.frozen => f.eeh.mmio_thawed = true,
            option::THAW_DMA if f.frozen => f.eeh.dma_thawed = true,
            option::THAW_MMIO | option::THAW_DMA => {}
            _ => return rets.status(status::PARAM_ERROR),
        }
        if f.frozen && f.eeh.mmio_thawed && f.eeh.dma_thawed {
            f.thaw();
        }
        rets.status(status::SUCCESS);
    }

    /// `ibm,get-config-addr-info2` (config address, BUID high, BUID low, function) ->
    /// status, value: function 0 the PE config address, 1 the PE mode.
    pub(crate) fn get_config_addr_info2(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 4, &[2]) {
            return;
        }
        let a = args.all();
        let Some(r) = self.pe(&a) else {
            return rets.status(status::PARAM_ERROR);
        };
        let value = match a[3] {
            0 => self.machine.function(r).addr.config_addr(),
            1 => PE_MODE_NOT_SHARED,
            _ => return rets.status(status::PARAM_ERROR),
        };
        rets.status(status::SUCCESS);
        rets.set(1, value);
    }

    /// `ibm,read-slot-reset-state2` (PE address, BUID high, BUID low) -> status, PE
    /// state, 1 (the PE supports EEH), 0 (no unavailable delay).
    pub(crate) fn read_slot_reset_state2(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 3, &[4]) {
            return;
        }
        let a = args.all();
        let Some(r) = self.pe(&a) else {
            return rets.status(status::PARAM_ERROR);
        };
        let f = self.machine.function(r);
        let state = if f.eeh.reset_active {
            pe_state::RESET
        } else if !f.frozen {
            pe_state::NORMAL
        } else if f.eeh.mmio_thawed {
            pe_state::DMA_STOPPED
        } else {
            pe_state::STOPPED
        };
        rets.status(status::SUCCESS);
        rets.set(1, state);
        rets.set(2, 1);
        rets.set(3, 0);
    }

    /// `ibm,set-slot-reset` (config address, BUID, function): function 1 or 3 resets
    /// the function (its MSI assignments are restored into the fresh config space, as
    /// LoPAPR requires, in the window they were assigned with) and thaws its PE;
    /// function 0 ends the reset.
    pub(crate) fn set_slot_reset(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 4, &[1]) {
            return;
        }
        let a = args.all();
        let Some(r) = self.pe(&a) else {
            return rets.status(status::PARAM_ERROR);
        };
        match a[3] {
            reset::DEACTIVATE => self.machine.function_mut(r).eeh.reset_active = false,
            reset::HOT | reset::FUNDAMENTAL => {
                self.restore_after_reset(r);
                self.machine.function_mut(r).eeh.reset_active = true;
            }
            _ => return rets.status(status::PARAM_ERROR),
        }
        self.machine.function_mut(r).thaw();
        rets.status(status::SUCCESS);
    }

    /// The function back to power-on, then what the firmware assigned put back: the
    /// BARs, and every message of its MSI block in the window it was assigned with, its
    /// capability on and INTx off (LoPAPR: the MSI configuration survives a reset).
    fn restore_after_reset(&mut self, r: FnRef) {
        let block = self.machine.block(r);
        let f = self.machine.function_mut(r);
        f.reset();
        let Some(b) = block else {
            return;
        };
        match b.kind {
            BlockKind::Msi => {
                if let Some(cap) = f.msi {
                    cap.set_message(&mut f.config, b.window, b.first, Some(b.count));
                    cap.set_enabled(&mut f.config, true);
                }
            }
            BlockKind::Msix => {
                if let Some(t) = f.msix_table.as_mut() {
                    for i in 0..b.count {
                        t.set_message(i, b.window, b.first + i);
                    }
                }
                if let Some(cap) = f.msix {
                    cap.set_enabled(&mut f.config, true);
                }
            }
        }
        f.set_intx_disabled(true);
    }

    /// `ibm,configure-pe` (PE address, BUID high, BUID low) -> status: the PE's
    /// bridges and BARs configured again after a reset (the BARs are put back).
    pub(crate) fn configure_pe(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 3, &[1]) {
            return;
        }
        let a = args.all();
        let Some(r) = self.pe(&a) else {
            return rets.status(status::PARAM_ERROR);
        };
        self.machine.function_mut(r).program_bars();
        rets.status(status::SUCCESS);
    }

    /// `ibm,slot-error-detail` (PE address, BUID high, BUID low, driver log address,
    /// its length, return buffer address, its length, severity 1 temporary or 2
    /// permanent) -> status: 0 and an RTAS error log in the buffer when the PE froze
    /// since the last log, 1 when no log waits; -3 for a buffer outside OS memory or
    /// shorter than the log, or another severity.
    pub(crate) fn slot_error_detail(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 8, &[1]) {
            return;
        }
        let a = args.all();
        let Some(r) = self.pe(&a) else {
            return rets.status(status::PARAM_ERROR);
        };
        let (drv_at, drv_len, buf_at, buf_len, severity) =
            (a[3] as u64, a[4], a[5] as u64, a[6], a[7]);
        let buffers_ok = (drv_len == 0 || args.buffer_ok(drv_at, drv_len))
            && buf_len >= ERROR_LOG_LEN
            && args.buffer_ok(buf_at, buf_len);
        if !buffers_ok || !(1..=2).contains(&severity) {
            return rets.status(status::PARAM_ERROR);
        }
        let f = self.machine.function_mut(r);
        if !f.eeh.log_pending {
            return rets.status(NO_ERROR_LOG);
        }
        f.eeh.log_pending = false;
        rets.store(buf_at, error_log(severity).to_vec());
        rets.status(status::SUCCESS);
    }
}

/// The fixed part of an RTAS error log (LoPAPR "RTAS Error/Event Return Format"):
/// version 6; severity error (4), disposition not recovered (2); initiator and target
/// PCI (2); type I/O (0xe1); no extended log.
fn error_log(severity: u32) -> [u8; ERROR_LOG_LEN as usize] {
    let sev: u8 = if severity == 2 { 5 } else { 4 };
    [6, sev << 5 | 2 << 3, 2 << 4 | 2, 0xe1, 0, 0, 0, 0]
}
