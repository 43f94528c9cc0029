//! `ibm,set-xive`, `ibm,get-xive`, `ibm,int-off`, `ibm,int-on`.

use crate::firmware::{Args, Firmware, Rets};
use crate::ics::PRIORITY_MASKED;
use papr_abi::status;

impl Firmware {
    fn valid_source(&self, irq: u32) -> bool {
        self.machine.ics.source(irq).is_some() && self.source_visible(irq)
    }

    pub(crate) fn set_xive(&mut self, args: &Args, rets: &mut Rets) {
        if !self.counts_ok(args, rets, 3, &[1]) {
            return;
        }
        let a = args.all();
        let (irq, server, prio) = (a[0], a[1], a[2]);
        if !self.valid_source(irq) || server >= self.machine.servers || prio > 0xff {
            return rets.status(status::PARAM_ERROR);
        }
        self.machine
            .ics
            .write_xive(irq, server, prio as u8, prio as u8);
        rets.status(status::SUCCESS);
    }

    /// The one-argument services: the source they name, or the status refusing it.
    fn one_source(
        &self,
        args: &Args,
        rets: &mut Rets,
        nret: u32,
    ) -> Option<(u32, crate::ics::Source)> {
        if !self.counts_ok(args, rets, 1, &[nret]) {
            return None;
        }
        let irq = args.all()[0];
        match self
            .machine
            .ics
            .source(irq)
            .filter(|_| self.source_visible(irq))
        {
            Some(s) => Some((irq, s)),
            None => {
                rets.status(status::PARAM_ERROR);
                None
            }
        }
    }

    pub(crate) fn get_xive(&mut self, args: &Args, rets: &mut Rets) {
        let Some((_, s)) = self.one_source(args, rets, 3) else {
            return;
        };
        rets.status(status::SUCCESS);
        rets.set(1, s.server);
        rets.set(2, s.priority as u32);
    }

    pub(crate) fn int_off(&mut self, args: &Args, rets: &mut Rets) {
        let Some((irq, s)) = self.one_source(args, rets, 1) else {
            return;
        };
        self.machine
            .ics
            .write_xive(irq, s.server, PRIORITY_MASKED, s.priority);
        rets.status(status::SUCCESS);
    }

    pub(crate) fn int_on(&mut self, args: &Args, rets: &mut Rets) {
        let Some((irq, s)) = self.one_source(args, rets, 1) else {
            return;
        };
        self.machine
            .ics
            .write_xive(irq, s.server, s.saved_priority, s.saved_priority);
        rets.status(status::SUCCESS);
    }
}
