//! Running a `fault` line: the rule joins the firmware's fault plan.

use super::super::command::{Command, Step};
use super::Runner;
use crate::harness;
use crate::Error;

impl Runner<'_> {
    /// `fault SERVICE KIND [after N] [times M]`.
    pub(super) fn fault_step(&mut self, step: &Step) -> Result<(), Error> {
        let Command::Fault(rule) = &step.cmd else {
            return Ok(());
        };
        let rule = rule.clone();
        let k = self.kernel(step)?;
        harness::firmware_mut(k).faults.add(rule);
        Ok(())
    }
}
