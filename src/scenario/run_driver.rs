//! Running the driver lines: a request (whose failure an `expect request-fails` may
//! excuse), a free, an unbind, and a fired vector.

use super::super::command::{Command, Step};
use super::Runner;
use crate::harness;
use crate::Error;

impl Runner<'_> {
    /// `request DEV KIND N [min M] [start K]`, `free DEV`, `unbind DEV`, `fire DEV V`.
    pub(super) fn driver_step(&mut self, step: &Step) -> Result<(), Error> {
        match &step.cmd {
            Command::Request {
                dev,
                kind,
                n,
                min,
                start,
            } => {
                let d = self.device(step, dev)?;
                let k = self.kernel(step)?;
                let held = k.devices[d].msi.as_ref().map_or(0, |m| m.virqs.len());
                // A refused request is traced; the scenario fails unless an
                // `expect request-fails` follows.
                let r = k.request_started(d, *kind, *n, *min, *start);
                let r = r.map_err(|e| e.to_string());
                let r = match r {
                    Ok(got) => {
                        let from = format!("the request at line {}", step.line);
                        self.vectors_from.insert(dev.clone(), from);
                        self.started.remove(dev);
                        if let Some(k) = *start {
                            self.started.insert(dev.clone(), (step.line, k));
                        }
                        if start.is_some_and(|k| k > got) {
                            self.flush();
                            let k = start.unwrap_or(0);
                            return Err(self.fail(
                                step,
                                format!(
                                    "start {k} is more than the {got} vectors {dev} was granted"
                                ),
                            ));
                        }
                        Ok(got)
                    }
                    // The driver never freed what it holds: say so, and where from.
                    Err(why) if held > 0 => {
                        let from = self.vectors_from.get(dev);
                        let from = from.map_or("an earlier request", String::as_str);
                        let s = if held == 1 { "" } else { "s" };
                        Err(format!(
                            "{why}: its driver already holds {held} vector{s}, from {from}: 'free {dev}' first"
                        ))
                    }
                    Err(why) => Err(why),
                };
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
                self.started.remove(dev);
            }
            Command::Unbind(dev) => {
                let d = self.device(step, dev)?;
                self.kernel(step)?.unbind(d);
                self.started.remove(dev);
            }
            Command::Fire(dev, v) => {
                let d = self.device(step, dev)?;
                self.check_started(step, dev, *v)?;
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

    /// A vector its driver never started has no handler: firing it fails, naming the
    /// request that left it so.
    pub(super) fn check_started(&self, step: &Step, dev: &str, v: u32) -> Result<(), Error> {
        match self.started.get(dev) {
            Some(&(line, k)) if v >= k => Err(self.fail(
                step,
                format!(
                    "vector {v} of {dev} was never started (its request at line {line} starts {k}): no handler"
                ),
            )),
            _ => Ok(()),
        }
    }
}
