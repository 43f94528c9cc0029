//! Running the EEH lines: the freeze the harness injects, the OS's recovery, and the
//! check of the PE's state.

use super::super::command::{Command, Step};
use super::Runner;
use crate::harness;
use crate::Error;

impl Runner<'_> {
    /// `eeh freeze DEV`, `eeh recover DEV`, `expect frozen DEV`.
    pub(super) fn eeh_step(&mut self, step: &Step, dev: &str) -> Result<(), Error> {
        let d = self.device(step, dev)?;
        match &step.cmd {
            Command::EehFreeze(_) => {
                let k = self.kernel(step)?;
                harness::freeze(k, d).map_err(|e| self.fail(step, e))?;
            }
            Command::EehRecover(_) => {
                let k = self.kernel(step)?;
                if let Err(e) = k.eeh_recover(d) {
                    self.flush();
                    return Err(self.fail(step, e.to_string()));
                }
            }
            Command::ExpectFrozen(_) => {
                let k = self.kernel(step)?;
                let frozen = harness::frozen(k, d).map_err(|e| self.fail(step, e))?;
                if !frozen {
                    return Err(self.fail(step, format!("{dev}'s PE is not frozen")));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
