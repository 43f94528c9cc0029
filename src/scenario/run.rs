//! Running a scenario: each command in order, the trace as it goes, and the first
//! failed expectation ends the run.

use super::command::{Command, Step};
use super::load::{base_dir, check_saves, load};

#[path = "run_driver.rs"]
mod driver;
#[path = "run_eeh.rs"]
mod eeh;
#[path = "run_fault.rs"]
mod fault;
#[path = "run_hotplug.rs"]
mod hotplug;
#[path = "run_names.rs"]
mod names;
#[path = "stable.rs"]
mod stable;
use super::logs::compare_logs;
use crate::harness::{self, BootOptions};
use crate::Error;
use platform::kernel::Kernel;
use platform::trace::TraceFormat;
use rtas::calllog;
use rtas::Profile;
pub use stable::virqs_stable;
use std::path::{Path, PathBuf};

/// Where the trace goes as the run proceeds.
pub trait Output {
    /// A line of output.
    fn line(&mut self, s: &str);

    /// Whether lines are thrown away unread (then none is formatted).
    fn discards(&self) -> bool {
        false
    }
}

/// Output nobody reads: a scenario run for its outcome only.
pub struct Discard;

impl Output for Discard {
    fn line(&mut self, _: &str) {}

    fn discards(&self) -> bool {
        true
    }
}

impl Output for Vec<String> {
    fn line(&mut self, s: &str) {
        self.push(s.to_string());
    }
}

/// Runs a scenario's steps.
pub struct Runner<'o> {
    file: String,
    dir: PathBuf,
    machine: Option<PathBuf>,
    profile: Profile,
    cas: platform::kernel::prom_init::CasRequest,
    /// `negotiate ims on|off` (default off).
    negotiate_ims: bool,
    /// `negotiate change-msi-busy on|off` (default off).
    msi_busy: bool,
    /// The booted kernel.
    pub kernel: Option<Kernel>,
    format: TraceFormat,
    printed_qemu: usize,
    out: &'o mut dyn Output,
    printed: usize,
    /// The last request made: its device and what it came to.
    last_request: Option<(String, Result<u32, String>)>,
    /// A request that failed with no `expect request-fails` after it yet: line, device.
    unexpected_failure: Option<(usize, String, String)>,
    booted_at: Option<usize>,
    /// Which code negotiates MSIs at `boot`.
    pub client: platform::linux::Client,
    /// The OS enables EEH at boot (the scenario has `eeh` lines).
    pub eeh: bool,
    /// The scenario's steps, when the runner was made for them: the devices they name
    /// are checked at `boot`.
    steps: Vec<Step>,
    /// Where each device's driver got the vectors it holds: the line of its request or
    /// of the `hotplug add` whose probe asked for them.
    vectors_from: std::collections::HashMap<String, String>,
    /// What each device's driver started of the vectors its `request` line got, and
    /// which line started each.
    started: std::collections::HashMap<String, super::started::Started>,
}

impl<'o> Runner<'o> {
    /// A runner for a scenario file (paths resolve against its folder).
    pub fn new(file: &Path, format: TraceFormat, out: &'o mut dyn Output) -> Self {
        Runner {
            file: crate::files::name(file),
            dir: base_dir(file),
            machine: None,
            profile: Profile::Papr,
            cas: Default::default(),
            negotiate_ims: false,
            msi_busy: false,
            kernel: None,
            format,
            printed_qemu: 0,
            out,
            printed: 0,
            last_request: None,
            unexpected_failure: None,
            booted_at: None,
            client: platform::linux::Client::Model,
            eeh: false,
            steps: Vec::new(),
            vectors_from: Default::default(),
            started: Default::default(),
        }
    }

    /// A runner for a scenario's steps, set up as every run of it is (`run` and
    /// `diff-clients` alike): the client, and the OS enabling EEH at boot when the
    /// scenario has `eeh` or `expect frozen` lines.
    pub fn for_steps(
        file: &Path,
        steps: &[Step],
        format: TraceFormat,
        out: &'o mut dyn Output,
        client: platform::linux::Client,
    ) -> Self {
        let mut r = Runner::new(file, format, out);
        r.client = client;
        r.steps = steps.to_vec();
        r.eeh = steps.iter().any(|s| {
            matches!(
                s.cmd,
                Command::EehFreeze(_) | Command::EehRecover(_) | Command::ExpectFrozen(_)
            )
        });
        r
    }

    fn fail(&self, step: &Step, msg: impl Into<String>) -> Error {
        self.fail_at(step, 1, msg)
    }

    /// A failure at a column of the step's line.
    fn fail_at(&self, step: &Step, col: usize, msg: impl Into<String>) -> Error {
        Error::Scenario {
            file: self.file.clone(),
            line: step.line,
            col,
            msg: msg.into(),
        }
    }

    fn flush(&mut self) {
        if self.out.discards() {
            return;
        }
        if let Some(k) = &self.kernel {
            match self.format {
                TraceFormat::Qemu => {
                    let lines = harness::qemu_trace(k);
                    for l in &lines[self.printed_qemu.min(lines.len())..] {
                        self.out.line(l);
                    }
                    self.printed_qemu = lines.len();
                }
                f => {
                    for e in &k.trace[self.printed..] {
                        let s = if f == TraceFormat::Json {
                            e.to_json()
                        } else {
                            e.to_string()
                        };
                        self.out.line(&s);
                    }
                }
            }
            self.printed = k.trace.len();
        }
    }

    fn kernel(&mut self, step: &Step) -> Result<&mut Kernel, Error> {
        let f = self.fail(step, "the machine is not booted yet: put 'boot' first");
        self.kernel.as_mut().ok_or(f)
    }

    fn device(&mut self, step: &Step, name: &str) -> Result<platform::kernel::DevId, Error> {
        self.kernel(step)?;
        let k = self.kernel.as_ref().expect("booted");
        k.device(name).map_err(|_| self.no_device(step, k, name))
    }

    /// A request that failed and was not expected to: the scenario fails at its line.
    fn unexpected(&mut self) -> Result<(), Error> {
        match self.unexpected_failure.take() {
            Some((line, dev, why)) => Err(Error::Scenario {
                file: self.file.clone(),
                line,
                col: 1,
                msg: format!(
                    "the request for {dev} failed: {why} (put 'expect request-fails {dev}' after it if it should)"
                ),
            }),
            None => Ok(()),
        }
    }

    /// Ends the run: a failed request nothing expected fails it.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.unexpected()
    }

    /// Runs one step. A compiled client that crashed, hung or died on it fails it, like
    /// an oops: its report names where in the client.
    pub fn step(&mut self, step: &Step) -> Result<(), Error> {
        let warned = self.kernel.as_ref().map_or(0, |k| k.client_warnings.len());
        let r = self.step_inner(step);
        if let Some(why) = self.kernel.as_ref().and_then(|k| k.client_failure()) {
            return Err(self.fail(step, why));
        }
        if platform::linux::options().warn_as_error {
            let new = self
                .kernel
                .as_ref()
                .and_then(|k| k.client_warnings.get(warned));
            if let Some(w) = new.cloned() {
                return Err(self.fail(step, format!("the client warned (--warn-as-error): {w}")));
            }
        }
        r
    }

    fn step_inner(&mut self, step: &Step) -> Result<(), Error> {
        if !matches!(step.cmd, Command::ExpectRequestFails(_)) {
            self.unexpected()?;
        }
        let booted = self.booted_at;
        let after_boot = |what: &str| {
            booted
                .map(|l| format!("'{what}' after 'boot' (line {l}): the machine is built already"))
        };
        match &step.cmd {
            Command::Machine(_)
            | Command::Profile(_)
            | Command::Cas(_)
            | Command::NegotiateIms(_)
            | Command::NegotiateMsiBusy(_)
            | Command::Boot => {
                let what = match step.cmd {
                    Command::Machine(_) => "machine",
                    Command::Profile(_) => "profile",
                    Command::Cas(_) => "cas",
                    Command::NegotiateIms(_) | Command::NegotiateMsiBusy(_) => "negotiate",
                    _ => "boot",
                };
                if let Some(msg) = after_boot(what) {
                    return Err(self.fail(step, msg));
                }
            }
            Command::Request { .. } if self.kernel.as_ref().is_some_and(|k| k.suspended) => {
                return Err(self.fail(step, "a request while suspended: resume first"));
            }
            Command::Suspend if self.kernel.as_ref().is_some_and(|k| k.suspended) => {
                return Err(self.fail(step, "suspended already: resume first"));
            }
            _ => {}
        }
        match &step.cmd {
            Command::Machine(p) => {
                let path = self.dir.join(p);
                if let Err(e) = std::fs::metadata(&path) {
                    return Err(self.fail(step, format!("{}: {e}", path.display())));
                }
                self.machine = Some(path);
            }
            Command::Profile(p) => self.profile = *p,
            Command::Cas(c) => self.cas = *c,
            Command::NegotiateIms(on) => self.negotiate_ims = *on,
            Command::NegotiateMsiBusy(on) => self.msi_busy = *on,
            Command::ExpectController(want) => {
                let got = self.kernel(step)?.intc_mode;
                if got != Some(*want) {
                    let got = got
                        .map_or("none (no client-architecture-support)".to_string(), |m| {
                            m.to_string()
                        });
                    return Err(self.fail(
                        step,
                        format!("expected the {want} interrupt controller, negotiated {got}"),
                    ));
                }
            }
            Command::Boot => {
                let path = self
                    .machine
                    .clone()
                    .ok_or_else(|| self.fail(step, "'boot' before 'machine'"))?;
                let tree = of_tree::read_file(&path).map_err(|e| {
                    self.fail(step, crate::about_file(&path.display().to_string(), e))
                })?;
                let opts = BootOptions {
                    profile: self.profile,
                    qemu_trace: self.format == TraceFormat::Qemu,
                    client: self.client,
                    cas: self.cas,
                    eeh: self.eeh,
                    negotiate_ims: self.negotiate_ims,
                    msi_busy: self.msi_busy,
                    ..Default::default()
                };
                let k = harness::boot(tree, opts)
                    .map_err(|e| self.fail(step, format!("{}: {e}", path.display())))?;
                self.kernel = Some(k);
                self.booted_at = Some(step.line);
                // A name no device has fails here, before the boot's trace is shown.
                self.check_names()?;
            }
            Command::Request { .. }
            | Command::Free(_)
            | Command::Unbind(_)
            | Command::Start(..)
            | Command::Fire(..) => self.driver_step(step)?,
            Command::ExpectRtasLog(p) => {
                let path = self.dir.join(p);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| self.fail(step, format!("{}: {e}", path.display())))?;
                let want = calllog::from_jsonl(&text)
                    .map_err(|e| self.fail(step, format!("{}: {e}", path.display())))?;
                let k = self.kernel(step)?;
                let got = harness::call_log(k).to_vec();
                if let Some(diff) = compare_logs(&got, &want) {
                    self.flush();
                    return Err(self.fail(
                        step,
                        format!("RTAS calls differ from {}: {diff}", path.display()),
                    ));
                }
            }
            Command::Suspend => {
                let k = self.kernel(step)?;
                let r = k.suspend();
                r.map_err(|e| self.fail(step, e.to_string()))?;
            }
            Command::Resume(mode) => {
                let k = self.kernel(step)?;
                let r = harness::resume(k, *mode);
                if let Err(e) = r {
                    self.flush();
                    return Err(self.fail(step, e.to_string()));
                }
            }
            Command::Save(p) => {
                let path = self.dir.join(p);
                let blob = harness::save(self.kernel(step)?);
                crate::files::write_atomic(&path, &blob)
                    .map_err(|e| self.fail(step, format!("{}: {e}", path.display())))?;
            }
            Command::Restore(p) => {
                let path = self.dir.join(p);
                let blob = std::fs::read(&path)
                    .map_err(|e| self.fail(step, format!("{}: {e}", path.display())))?;
                let r = harness::restore(self.kernel(step)?, &blob);
                r.map_err(|e| self.fail(step, format!("{}: {e}", path.display())))?;
            }
            Command::ExpectVirqsStable => {
                let k = self.kernel(step)?;
                let problems = virqs_stable(k);
                if let Some(p) = problems.first() {
                    self.flush();
                    return Err(self.fail(
                        step,
                        format!(
                            "virqs not stable ({} problems), the first: {p}",
                            problems.len()
                        ),
                    ));
                }
            }
            Command::ExpectRequestFails(dev) => match &self.last_request {
                Some((d, Err(_))) if d == dev => self.unexpected_failure = None,
                Some((d, Ok(n))) if d == dev => {
                    return Err(self.fail(
                        step,
                        format!("the request for {dev} did not fail: it got {n} vectors"),
                    ))
                }
                _ => return Err(self.fail(step, format!("no request for {dev} just before"))),
            },
            Command::ExpectGranted(dev, n) => {
                let d = self.device(step, dev)?;
                let k = self.kernel(step)?;
                let held = k.devices[d]
                    .msi
                    .as_ref()
                    .map_or(0, |m| m.virqs.len() as u32);
                if held != *n {
                    return Err(self.fail(step, format!("{dev} holds {held} vectors, not {n}")));
                }
            }
            Command::ExpectFires(dev, v) => {
                let d = self.device(step, dev)?;
                self.check_started(step, dev, *v)?;
                let k = self.kernel(step)?;
                let want = k.devices[d]
                    .msi
                    .as_ref()
                    .and_then(|m| m.virqs.get(*v as usize).copied());
                let got = harness::fire(k, d, *v);
                match (got, want) {
                    (Ok(virq), Some(w)) if virq == w => {}
                    (Ok(virq), w) => {
                        return Err(self.fail(
                            step,
                            format!("{dev} vector {v} ran virq {virq}'s handler, not {w:?}"),
                        ))
                    }
                    (Err(why), _) => {
                        self.flush();
                        return Err(
                            self.fail(step, format!("{dev} vector {v} does not fire: {why}"))
                        );
                    }
                }
            }
            Command::EehFreeze(dev) | Command::EehRecover(dev) | Command::ExpectFrozen(dev) => {
                let dev = dev.clone();
                self.eeh_step(step, &dev)?;
            }
            Command::Fault(_) => self.fault_step(step)?,
            Command::HotplugAdd { .. } | Command::HotplugRemove(_) => self.hotplug_step(step)?,
            Command::ExpectSourcesChanged => {
                let k = self.kernel(step)?;
                // The firmware's assignment now against the sources held at suspend.
                let changed = k
                    .snapshot
                    .iter()
                    .filter(|h| harness::firmware_source(k, h.dev, h.vector) != Some(h.source))
                    .count();
                let held = k.snapshot.len();
                if changed == 0 {
                    return Err(self.fail(
                        step,
                        format!("no source changed across the last suspend ({held} virqs held)"),
                    ));
                }
            }
        }
        self.flush();
        Ok(())
    }
}

/// Parses and runs a scenario file.
pub fn run_file(
    file: &Path,
    format: TraceFormat,
    out: &mut dyn Output,
) -> Result<Option<Kernel>, Error> {
    run_file_with(file, format, out, platform::linux::Client::Model)
}

/// [`run_file`] with a chosen MSI client.
pub fn run_file_with(
    file: &Path,
    format: TraceFormat,
    out: &mut dyn Output,
    client: platform::linux::Client,
) -> Result<Option<Kernel>, Error> {
    run_steps(file, &load(file)?, format, out, client)
}

/// Runs a scenario's steps, read from `file` (`-`: standard input). A `save` line whose
/// file could not be written fails the scenario before its first step.
pub fn run_steps(
    file: &Path,
    steps: &[Step],
    format: TraceFormat,
    out: &mut dyn Output,
    client: platform::linux::Client,
) -> Result<Option<Kernel>, Error> {
    check_saves(file, steps)?;
    let mut r = Runner::for_steps(file, steps, format, out, client);
    for s in steps {
        r.step(s)?;
    }
    r.finish()?;
    Ok(r.kernel.take())
}
