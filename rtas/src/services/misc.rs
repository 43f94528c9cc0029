//! `get-time-of-day`, `display-character`, `power-off`, `system-reboot`,
//! `ibm,suspend-me`.

use crate::firmware::{Args, Firmware, Rets};
use crate::ics::SourceKind;
use crate::status;

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
        self.machine.ics.reset(|_, k| k == SourceKind::Lsi);
        self.pending = None;
        self.reboots += 1;
    }
}
