//! `ibm,read-pci-config`, `ibm,write-pci-config` and the legacy `read-pci-config`,
//! `write-pci-config` (no BUID).

use crate::firmware::{Args, Firmware, Rets};
use crate::machine::Profile;
use crate::pci::PciAddr;
use papr_abi::status;

impl Firmware {
    /// Decodes (phb, function, register) or writes the status that refuses it.
    /// `Ok(None)`: a valid PHB with no function there.
    fn locate(
        &self,
        ibm: bool,
        a: &[u32],
        size: u32,
        rets: &mut Rets,
    ) -> Option<(usize, Option<usize>, u32)> {
        let qemu = self.profile() == Profile::Qemu;
        let bad = if qemu {
            status::HW_ERROR
        } else {
            status::PARAM_ERROR
        };
        let buid = if ibm {
            (a[1] as u64) << 32 | a[2] as u64
        } else if qemu {
            // QEMU looks for a PHB with BUID 0: there is none.
            0
        } else {
            // The legacy calls reach the caller's first PHB.
            let caller = self.caller;
            self.machine
                .phbs
                .iter()
                .find(|p| p.partition == caller)
                .map(|p| p.buid)
                .unwrap_or(0)
        };
        if !matches!(size, 1 | 2 | 4) {
            rets.status(bad);
            return None;
        }
        let phb = match self.find_phb(buid) {
            Ok(p) => p,
            Err(other_partition) => {
                rets.status(if other_partition {
                    status::PARAM_ERROR
                } else {
                    bad
                });
                return None;
            }
        };
        let (addr, reg) = PciAddr::from_config_addr(a[0]);
        let func = self.machine.phbs[phb].find(addr);
        let limit = func
            .map(|f| self.machine.phbs[phb].functions[f].config.size())
            .unwrap_or(256);
        if reg % size != 0 || reg + size > limit || (qemu && func.is_none()) {
            rets.status(bad);
            return None;
        }
        Some((phb, func, reg))
    }

    /// Argument counts of the config services: QEMU answers -1, LoPAPR -3.
    fn config_counts_ok(&self, args: &Args, rets: &mut Rets, nargs: u32, nret: u32) -> bool {
        if args.n == nargs && rets.n() == nret {
            return true;
        }
        let st = if self.profile() == Profile::Qemu {
            status::HW_ERROR
        } else {
            status::PARAM_ERROR
        };
        rets.status(st);
        false
    }

    pub(crate) fn read_config(&mut self, args: &Args, rets: &mut Rets, ibm: bool) {
        let nargs = if ibm { 4 } else { 2 };
        if !self.config_counts_ok(args, rets, nargs, 2) {
            return;
        }
        let a = args.all();
        let size = a[nargs as usize - 1];
        let Some((phb, func, reg)) = self.locate(ibm, &a, size, rets) else {
            return;
        };
        let frozen = func.is_some_and(|f| self.machine.phbs[phb].functions[f].mmio_stopped());
        let value = match func {
            // A frozen PE reads all ones.
            Some(_) if frozen => u32::MAX >> (32 - 8 * size),
            Some(f) => self.machine.phbs[phb].functions[f]
                .config_read(reg, size)
                .unwrap_or(u32::MAX),
            // LoPAPR: an absent device reads all ones.
            None => u32::MAX >> (32 - 8 * size),
        };
        rets.status(status::SUCCESS);
        rets.set(1, value);
    }

    pub(crate) fn write_config(&mut self, args: &Args, rets: &mut Rets, ibm: bool) {
        let nargs = if ibm { 5 } else { 3 };
        if !self.config_counts_ok(args, rets, nargs, 1) {
            return;
        }
        let a = args.all();
        let size = a[nargs as usize - 2];
        let value = a[nargs as usize - 1];
        let Some((phb, func, reg)) = self.locate(ibm, &a, size, rets) else {
            return;
        };
        if let Some(f) = func {
            let r = crate::machine::FnRef { phb, func: f };
            if self.machine.function(r).mmio_stopped() {
                // A frozen PE drops stores: counted, status 0 as for any store.
                self.machine.drops.frozen_writes += 1;
                rets.status(status::SUCCESS);
                return;
            }
            // The access was checked above; it cannot fail here.
            let _ = self.machine.function_mut(r).config_write(reg, size, value);
            self.machine.flush_pending(r);
        }
        rets.status(status::SUCCESS);
    }
}
