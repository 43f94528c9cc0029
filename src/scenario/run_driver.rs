//! Running the driver lines: a request (whose failure an `expect request-fails` may
//! excuse), a free, an unbind, and a fired vector.

use super::super::command::{Command, Step};
use super::Runner;
use crate::harness;
use crate::Error;

impl Runner<'_> {
    /// `request DEV KIND N [min M]`, `free DEV`, `unbind DEV`, `fire DEV V`.
    pub(super) fn driver_step(&mut self, step: &Step) -> Result<(), Error> {
        match &step.cmd {
            Command::Request { dev, kind, n, min } => {
                let d = self.device(step, dev)?;
                let k = self.kernel(step)?;
                // A refused request is traced; the scenario fails unless an
                // `expect request-fails` follows.
                let r = k.request(d, *kind, *n, *min).map_err(|e| e.to_string());
                if let Err(why) = &r {
                    self.unexpected_failure = Some((step.line, dev.clone(), why.clone()));
                }
                self.last_request = Some((dev.clone(), r));
            }
            Command::Free(dev) => {
                let d = self.device(step, dev)?;
                let k = self.kernel(step)?;
                if k.free(d).is_err() {
                    return Err(self.fail(step, format!("{dev} holds no vectors to free")));
                }
            }
            Command::Unbind(dev) => {
                let d = self.device(step, dev)?;
                self.kernel(step)?.unbind(d);
            }
            Command::Fire(dev, v) => {
                let d = self.device(step, dev)?;
                let k = self.kernel(step)?;
                if let Err(why) = harness::fire(k, d, *v) {
                    self.flush();
                    return Err(self.fail(
                        step,
                        format!("fire {dev} {v}: the handler did not run: {why}"),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
