//! Running the driver lines: a request (whose failure an `expect request-fails` may
//! excuse), a free, an unbind, a vector started later, and a fired vector.

use super::super::command::{Command, Step};
use super::super::started::Started;
use super::Runner;
use crate::harness;
use crate::Error;

impl Runner<'_> {
    /// `request DEV KIND N [min M] [start K]`, `free DEV`, `unbind DEV`, `start DEV
    /// V|all`, `fire DEV V`.
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
                        let started = Started::at_request(step.line, *start);
                        self.started.insert(dev.clone(), started);
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
            Command::Start(dev, v) => self.start(step, dev, *v)?,
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
            Some(s) if !s.has(v) => Err(self.fail(step, s.never(dev, v))),
            _ => Ok(()),
        }
    }

    /// `start DEV V|all` (None: all): the driver starts vector V, or every vector it
    /// holds not yet started. Refused, at the device, when it holds none, holds no
    /// vector V, or V was started.
    fn start(&mut self, step: &Step, dev: &str, which: Option<u32>) -> Result<(), Error> {
        let d = self.device(step, dev)?;
        let k = self.kernel.as_ref().expect("booted");
        let held = k.devices[d]
            .msi
            .as_ref()
            .map_or(0, |m| m.virqs.len() as u32);
        let known = self.started.get(dev);
        let started = |v: u32| known.map_or_else(|| k.vector_started(d, v), |s| s.has(v));
        let pending: Vec<u32> = match which {
            Some(v) if v < held && !started(v) => vec![v],
            None => (0..held).filter(|&v| !started(v)).collect(),
            Some(_) => Vec::new(),
        };
        let by = |v: u32| match known {
            Some(s) => s.by(v),
            None => self.vectors_from.get(dev).cloned().unwrap_or_default(),
        };
        let refused = match which {
            _ if held == 0 => Some(format!("{dev} holds no vectors to start")),
            Some(v) if v >= held => {
                let s = if held == 1 { "" } else { "s" };
                Some(format!(
                    "{dev} holds {held} vector{s}: there is no vector {v}"
                ))
            }
            Some(v) if pending.is_empty() => Some(format!(
                "vector {v} of {dev} is already started (by {})",
                by(v)
            )),
            None if pending.is_empty() => Some(format!(
                "every vector of {dev} is already started (vector 0 by {}): nothing to start",
                by(0)
            )),
            _ => None,
        };
        if let Some(msg) = refused {
            return Err(self.fail_at(step, step.dev_col, msg));
        }
        for v in pending {
            let k = self.kernel(step)?;
            if let Err(why) = k.start_vector(d, v) {
                self.flush();
                return Err(self.fail(step, format!("start {dev} {v}: {why}")));
            }
            let s = self.started.entry(dev.to_string());
            let s = s.or_insert_with(|| Started::at_request(0, None));
            s.later.insert(v, step.line);
        }
        Ok(())
    }
}
