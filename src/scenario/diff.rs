//! `diff-clients`: one scenario run with two MSI clients (the model and a compiled
//! Linux `msi.c`), and the first MSI call (RTAS, or XIVE's `H_INT_*` for a source),
//! virq or vector where they differ.

use super::command::{Command, Step};
use super::load::load;
use super::run::{Output, Runner};
use crate::Error;
use platform::kernel::rtas::{CHANGE_MSI, QUERY_SOURCE};
use platform::kernel::Kernel;
use platform::linux::Client;
use platform::trace::{Event, TraceFormat};
use std::path::Path;

/// What one client did, as comparable observations in order.
#[derive(Debug, Clone, Default)]
pub struct ClientRun {
    /// The client's name.
    pub client: String,
    /// Each MSI RTAS call, XIVE source call, virq mapping and release, driver outcome
    /// and the vectors read back after each request, with the scenario line it came
    /// from.
    pub observations: Vec<(usize, String)>,
    /// None: the scenario passed; else why it stopped.
    pub failure: Option<String>,
    /// The scenario line it failed at (None: it passed); nothing after it was observed.
    pub stopped_at: Option<usize>,
}

impl ClientRun {
    /// It stopped at a line, with why: the run fails there.
    fn stop(&mut self, line: usize, e: Error) {
        self.stopped_at = Some(match &e {
            Error::Scenario { line, .. } => *line,
            _ => line,
        });
        self.failure = Some(e.to_string());
    }
}

/// Whether two runs agree: both ran the scenario to its end and no observation differs.
/// A scenario either client fails is never an agreement, however alike the runs were up
/// to there: nothing after the failing line was compared.
pub fn agree(left: &ClientRun, right: &ClientRun, first: Option<&Difference>) -> bool {
    first.is_none() && left.failure.is_none() && right.failure.is_none()
}

/// Where two runs part.
#[derive(Debug, Clone)]
pub struct Difference {
    /// Position in the observations.
    pub index: usize,
    /// What each run did there (None: it had stopped).
    pub left: Option<(usize, String)>,
    /// The other run's.
    pub right: Option<(usize, String)>,
}

/// The XIVE calls about one source (LoPAPR's `H_INT_*`): what the OS's interrupt
/// controller driver asked of each MSI's source. Queue and thread set-up are left out.
const SOURCE_HCALLS: [&str; 5] = [
    "H_INT_GET_SOURCE_INFO",
    "H_INT_SET_SOURCE_CONFIG",
    "H_INT_GET_SOURCE_CONFIG",
    "H_INT_ESB",
    "H_INT_SYNC",
];

fn observe(e: &Event) -> Option<String> {
    match e {
        Event::Hcall { name, args, rets } if SOURCE_HCALLS.contains(&name.as_str()) => {
            let args: Vec<String> = args.iter().map(|a| format!("{a:#x}")).collect();
            Some(format!(
                "hcall {name} args [{}] rets {rets:?}",
                args.join(", ")
            ))
        }
        Event::Rtas {
            service,
            args,
            rets,
            ..
        } if service == CHANGE_MSI.name || service == QUERY_SOURCE.name => {
            Some(format!("rtas {service} args {args:?} rets {rets:?}"))
        }
        Event::Map {
            device,
            vector: Some(v),
            source,
            virq,
        } => Some(format!(
            "map {device} vector {v} source {source:#x} virq {virq}"
        )),
        Event::Unmap {
            device,
            virq,
            source,
        } => Some(format!("unmap {device} virq {virq} source {source:#x}")),
        Event::Remap {
            device,
            vector,
            virq,
            new,
            ..
        } => Some(format!(
            "remap {device} vector {vector} virq {virq} to source {new:#x}"
        )),
        Event::Driver { device, text, .. } => Some(format!("driver {device}: {text}")),
        _ => None,
    }
}

/// A run with one client, observed step by step: what `diff-clients` does for each
/// client, one step at a time, so that the steps may be chosen as the run goes.
pub struct Observer<'o> {
    runner: Runner<'o>,
    run: ClientRun,
    seen: usize,
}

impl<'o> Observer<'o> {
    /// A run of a scenario with `client`, set up as `run` sets it up for `steps` (paths
    /// resolve against `file`'s folder; the trace goes to `out`).
    pub fn new(file: &Path, steps: &[Step], client: Client, out: &'o mut dyn Output) -> Self {
        Observer {
            runner: Runner::for_steps(file, steps, TraceFormat::Human, out, client),
            run: ClientRun {
                client: client.name(),
                ..Default::default()
            },
            seen: 0,
        }
    }

    /// The runner, to set it up before `boot` (whether the OS enables EEH).
    pub fn runner(&mut self) -> &mut Runner<'o> {
        &mut self.runner
    }

    /// The booted kernel, once booted.
    pub fn kernel(&self) -> Option<&Kernel> {
        self.runner.kernel.as_ref()
    }

    /// Whether the run stopped at a step (nothing more is run then).
    pub fn stopped(&self) -> bool {
        self.run.stopped_at.is_some()
    }

    /// Runs one step and observes what it did; false when the run stopped there.
    pub fn step(&mut self, s: &Step) -> bool {
        if self.stopped() {
            return false;
        }
        let res = self.runner.step(s);
        if let Some(k) = self.runner.kernel.as_ref() {
            for e in &k.trace[self.seen.min(k.trace.len())..] {
                if let Some(o) = observe(e) {
                    self.run.observations.push((s.line, o));
                }
            }
            self.seen = k.trace.len();
            if let Command::Request { dev, .. } = &s.cmd {
                if let Some(m) = k.device(dev).ok().and_then(|d| k.devices[d].msi.as_ref()) {
                    let v: Vec<String> = m
                        .messages
                        .iter()
                        .map(|m| format!("{:#x}/{:#x}", m.address, m.data))
                        .collect();
                    self.run
                        .observations
                        .push((s.line, format!("vectors {dev}: {}", v.join(" "))));
                }
            }
        }
        match res {
            Ok(()) => true,
            Err(e) => {
                self.run.stop(s.line, e);
                false
            }
        }
    }

    /// Ends the run after its last step (`last_line`): what the client did.
    pub fn finish(mut self, last_line: usize) -> ClientRun {
        if !self.stopped() {
            if let Err(e) = self.runner.finish() {
                self.run.stop(last_line, e);
            }
        }
        self.run
    }
}

/// Runs a scenario with one client, observing as it goes.
pub fn observe_run(file: &Path, steps: &[Step], client: Client) -> ClientRun {
    let mut out = super::Discard;
    let mut o = Observer::new(file, steps, client, &mut out);
    for s in steps {
        if !o.step(s) {
            break;
        }
    }
    o.finish(steps.last().map_or(0, |s| s.line))
}

/// The first observation where two runs differ, if any.
pub fn first_difference(left: &ClientRun, right: &ClientRun) -> Option<Difference> {
    let n = left.observations.len().max(right.observations.len());
    (0..n).find_map(|i| {
        let (l, r) = (left.observations.get(i), right.observations.get(i));
        (l.map(|x| &x.1) != r.map(|x| &x.1)).then(|| Difference {
            index: i,
            left: l.cloned(),
            right: r.cloned(),
        })
    })
}

/// Runs the scenario with both clients, each set up as `run` sets it up; the first
/// observation where they differ, if any (see [`agree`]: no difference is not yet an
/// agreement when a client failed).
pub fn diff_clients(
    file: &Path,
    a: Client,
    b: Client,
) -> Result<(ClientRun, ClientRun, Option<Difference>), Error> {
    let steps = load(file)?;
    let left = observe_run(file, &steps, a);
    let right = observe_run(file, &steps, b);
    let first = first_difference(&left, &right);
    Ok((left, right, first))
}
