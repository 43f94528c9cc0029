//! Running a `fault` line: the rule joins the firmware's fault plan, unless it is one
//! the firmware may never give this OS.

use super::super::command::{Command, Step};
use super::Runner;
use crate::harness;
use crate::Error;
use rtas::faults::Fault;
use rtas::Service;

impl Runner<'_> {
    /// `fault SERVICE KIND [after N] [times M]`. A busy or extended-delay answer from
    /// `ibm,change-msi` to an OS that did not say at client-architecture-support that it
    /// handles them is refused: LoPAPR forbids the firmware to give it, so the rule could
    /// never fire in this scenario (CAS is made once, at boot).
    pub(super) fn fault_step(&mut self, step: &Step) -> Result<(), Error> {
        let Command::Fault(rule) = &step.cmd else {
            return Ok(());
        };
        let rule = rule.clone();
        let k = self.kernel(step)?;
        let fw = harness::firmware_mut(k);
        let busy = matches!(rule.fault, Fault::Busy | Fault::Delay(_));
        if rule.service == Service::ChangeMsi && busy && !fw.msi_busy_allowed() {
            let kind = match rule.fault {
                Fault::Delay(n) => format!("delay {n}"),
                _ => "busy".into(),
            };
            return Err(self.fail(
                step,
                format!(
                    "'fault ibm,change-msi {kind}' can never fire: the OS did not say at client-architecture-support that it handles busy answers from change-msi, and LoPAPR forbids the firmware to give them then; put 'negotiate change-msi-busy on' before 'boot'"
                ),
            ));
        }
        fw.faults.add(rule);
        Ok(())
    }
}
