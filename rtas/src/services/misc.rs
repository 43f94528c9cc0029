//! `get-time-of-day`, `display-character`, `power-off`, `system-reboot`,
//! `ibm,suspend-me`.

use crate::firmware::{Args, Firmware, HeldBlock, Rets};
use crate::ics::SourceKind;
use papr_abi::status;

impl Firmware {
    pub(crate) fn get_time_of_day(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 0, &[8]) {
            return;
        }
        let c = self.clock.civil();
        rets.status(status::SUCCESS);
        for (i, v) in [c.year, c.month, c.day, c.hour, c.minute, c.second, c.nanos]
            .into_iter()
            .enumerate()
        {
            rets.set(i as u32 + 1, v);
        }
    }

    pub(crate) fn display_character(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 1, &[1]) {
            return;
        }
        let c = args.all()[0];
        self.console.push(char::from(c as u8));
        rets.status(status::SUCCESS);
    }

    pub(crate) fn power_off(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 2, &[1]) {
            return;
        }
        self.powered_off = true;
        rets.status(status::SUCCESS);
    }

    pub(crate) fn system_reboot(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 0, &[1]) {
            return;
        }
        self.reset();
        rets.status(status::SUCCESS);
    }

    pub(crate) fn suspend_me(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 0, &[1]) {
            return;
        }
        self.suspended = true;
        rets.status(status::SUCCESS);
    }

    /// The partition wakes from `ibm,suspend-me`. With `renumber`, the firmware does
    /// not keep its assignments: every function's MSIs are gone (messages cleared,
    /// capabilities off, the LSI back), and the sources they had stay in the
    /// firmware's hands (held, [`Firmware::held`]) until the next renumbering resume or until the
    /// pools run short, so that the OS's new requests get other numbers.
    pub fn resume(&mut self, renumber: bool) {
        self.suspended = false;
        if !renumber {
            return;
        }
        self.release_held();
        for p in 0..self.machine.phbs.len() {
            let blocks: Vec<crate::phb::MsiBlock> = std::mem::take(&mut self.machine.phbs[p].msi)
                .into_values()
                .collect();
            for b in blocks {
                for s in b.first..b.first + b.count {
                    self.machine.ics.free(s);
                    if let Some(x) = self.machine.xive.as_mut() {
                        x.forget(s);
                    }
                }
                self.held.push(HeldBlock {
                    phb: p,
                    first: b.first,
                    count: b.reserved,
                });
            }
            for f in &mut self.machine.phbs[p].functions {
                if let Some(cap) = f.msi {
                    cap.set_message(&mut f.config, 0, 0, Some(1));
                    cap.set_enabled(&mut f.config, false);
                }
                if let Some(cap) = f.msix {
                    cap.set_enabled(&mut f.config, false);
                }
                if let Some(t) = f.msix_table.as_mut() {
                    t.reset();
                }
                f.set_intx_disabled(false);
            }
        }
        self.renumbers += 1;
        self.pending = None;
    }

    /// Gives the held sources back to the pools.
    pub(crate) fn release_held(&mut self) {
        for h in std::mem::take(&mut self.held) {
            self.machine.pools.free(h.phb, h.first, h.count);
        }
    }

    /// A machine reset, as system-reboot does it in QEMU: every MSI freed, config
    /// spaces and MSI-X tables back to power-on, sources reset (LSIs stay claimed).
    pub fn reset(&mut self) {
        for p in &mut self.machine.phbs {
            p.msi.clear();
            for f in &mut p.functions {
                f.reset();
            }
        }
        self.machine.pools.reset();
        self.held.clear();
        self.machine.ics.reset(|_, k| k == SourceKind::Lsi);
        self.pending = None;
        self.reboots += 1;
    }
}
