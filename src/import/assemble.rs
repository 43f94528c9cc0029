//! Putting the calls together: which device each call was for, and in which order the
//! firmware ran them.
//!
//! Each device's driver runs its calls one after another, and Linux prints a
//! change-msi line only after the call returned; QEMU prints its trace line while it
//! runs the call, and runs one call at a time. So a call QEMU traced takes the place of
//! its trace line, and is the device's (named by `cfgaddr`) among those whose driver
//! was waiting for such a call. A call QEMU does not trace (a -3 answer) takes the place
//! of its Linux line, which is unambiguous only when one device was waiting for it and
//! no other device's call ran between that device's previous line and this one.

use super::dev::Dev;
use super::error::ImportError;
use super::lex::Event;
use std::collections::{BTreeMap, HashMap};

/// A call, before its BUID is known.
pub(super) struct Call {
    /// The line that places it: the firmware's trace line, else Linux's.
    pub(super) pos: usize,
    pub(super) dev: Dev,
    pub(super) query: bool,
    /// Inputs after the BUID cells.
    pub(super) tail: Vec<u32>,
    pub(super) rets: Vec<u32>,
    /// The scenario action it belongs to (`None`: the boot).
    pub(super) action: Option<usize>,
}

/// A scenario action: `request ...` or `free ...`.
pub(super) struct Action {
    pub(super) text: String,
    /// The line that places it: its first call's, else the line that began it.
    pub(super) pos: usize,
    pub(super) has_call: bool,
}

/// What a device's driver is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Switching MSIs off at boot (`disabling existing MSI.`).
    Disable,
    /// Releasing its vectors (`pseries_irq_domain_free`).
    Release,
    /// Asking for vectors (`calc quota`), until a change-msi gives what it asked.
    Negotiate,
    /// Querying the source numbers of the vectors it got.
    Query,
}

pub(super) struct DevState {
    pub(super) phase: Option<Phase>,
    /// The line that began the phase.
    pub(super) began: usize,
    /// The device's last line: its next call ran after it.
    pub(super) last: usize,
    pub(super) calls: usize,
    pub(super) nvec: u32,
    /// Vectors the last successful request got, and how many were queried.
    pub(super) granted: u32,
    pub(super) queries: u32,
    pub(super) action: Option<usize>,
}

/// A firmware trace line for a change-msi call, waiting for its Linux line.
struct Pending {
    line: usize,
    kind: FwKind,
    cfg: u32,
    claimed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FwKind {
    Change {
        func: u32,
        asked: u32,
        req: u32,
        first: u32,
    },
    ReleaseWrong,
    Released,
}

/// The assembler's state, fed one event at a time.
#[derive(Default)]
pub(super) struct Assembler {
    pub(super) calls: Vec<Call>,
    pub(super) actions: Vec<Action>,
    pub(super) notes: Vec<String>,
    devs: BTreeMap<Dev, DevState>,
    virqs: HashMap<u32, Dev>,
    pending: Vec<Pending>,
    retry: HashMap<u32, u32>,
    /// Each device's current MSI block, as the firmware traced it: (first, count).
    pub(super) blocks: BTreeMap<Dev, (u32, u32)>,
    untraced: Vec<usize>,
}

pub(super) fn lines_of(devs: &[(Dev, usize)]) -> String {
    devs.iter()
        .map(|(d, l)| format!("{} (line {l})", d.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Assembler {
    pub(super) fn state(&mut self, dev: Dev, line: usize) -> &mut DevState {
        self.devs.entry(dev).or_insert(DevState {
            phase: None,
            began: line,
            last: line,
            calls: 0,
            nvec: 0,
            granted: 0,
            queries: 0,
            action: None,
        })
    }

    fn begin(&mut self, dev: Dev, line: usize, phase: Phase) -> &mut DevState {
        let st = self.state(dev, line);
        st.phase = Some(phase);
        st.began = line;
        st.last = line;
        st.calls = 0;
        st.queries = 0;
        st.action = None;
        st
    }

    /// Takes one event of line `line`.
    pub(super) fn feed(&mut self, line: usize, ev: Event) -> Result<(), ImportError> {
        let err = |msg: String| ImportError { line, msg };
        match ev {
            Event::Disabling(dev) => {
                self.begin(dev, line, Phase::Disable);
            }
            Event::Quota { dev, nvec } => {
                let st = self.state(dev, line);
                if st.phase == Some(Phase::Negotiate) && st.calls == 0 {
                    // The second quota of one request (MSI-X rounded up to a power of 2).
                    st.last = line;
                } else {
                    self.begin(dev, line, Phase::Negotiate).nvec = nvec;
                }
            }
            Event::Alloc { dev, virq } => {
                self.virqs.insert(virq, dev);
                self.state(dev, line).last = line;
            }
            Event::Free { virq } => {
                let dev = self.virqs.remove(&virq).ok_or_else(|| {
                    err(format!(
                        "virq {virq} is freed, but no line mapped it to a device"
                    ))
                })?;
                let st = self.state(dev, line);
                if st.phase == Some(Phase::Release) && st.calls == 0 {
                    st.last = line;
                } else {
                    self.actions.push(Action {
                        text: format!("free {}", dev.name()),
                        pos: line,
                        has_call: false,
                    });
                    let a = self.actions.len() - 1;
                    self.begin(dev, line, Phase::Release).action = Some(a);
                }
            }
            Event::FwChange {
                cfg,
                func,
                req,
                first,
            } => {
                let asked = self.retry.remove(&cfg).unwrap_or(req);
                self.pend(
                    line,
                    cfg,
                    FwKind::Change {
                        func,
                        asked,
                        req,
                        first,
                    },
                );
            }
            Event::FwRetry { cfg, asked } => {
                self.retry.insert(cfg, asked);
            }
            Event::FwReleaseWrong { cfg } => self.pend(line, cfg, FwKind::ReleaseWrong),
            Event::FwReleased { cfg } => self.pend(line, cfg, FwKind::Released),
            Event::FwQuery { vector, irq } => self.query(line, vector, irq)?,
            Event::FwQueryFailed { cfg } => self.failed_query(line, cfg)?,
            Event::Change { func, num, got, rc } => self.change(line, func, num, got, rc)?,
        }
        Ok(())
    }

    fn pend(&mut self, line: usize, cfg: u32, kind: FwKind) {
        self.pending.push(Pending {
            line,
            kind,
            cfg,
            claimed: false,
        });
    }

    /// The devices in one of `phases`, with the line their phase began on.
    pub(super) fn waiting(&self, phases: &[Phase]) -> Vec<(Dev, usize)> {
        self.devs
            .iter()
            .filter(|(_, s)| s.phase.is_some_and(|p| phases.contains(&p)))
            .map(|(d, s)| (*d, s.began))
            .collect()
    }

    fn change(
        &mut self,
        line: usize,
        func: u32,
        num: u32,
        got: i64,
        rc: i64,
    ) -> Result<(), ImportError> {
        let err = |msg: String| ImportError { line, msg };
        let phases: &[Phase] = if num == 0 {
            &[Phase::Disable, Phase::Release]
        } else {
            &[Phase::Negotiate]
        };
        let waiting = self.waiting(phases);
        // The trace line QEMU prints for such a call, if it prints one.
        let traced = |k: &FwKind| match (*k, num, rc) {
            (FwKind::Released, 0, 0) | (FwKind::ReleaseWrong, 0, -1) => true,
            (
                FwKind::Change {
                    func: f,
                    asked,
                    req,
                    ..
                },
                n,
                r,
            ) => n > 0 && r > 0 && f == func && asked == n && i64::from(req) == got,
            _ => false,
        };
        let fits = |p: &Pending, d: &Dev, st: &DevState| {
            !p.claimed && p.cfg == d.config_addr() && p.line > st.last && traced(&p.kind)
        };
        let first = self
            .pending
            .iter()
            .position(|p| waiting.iter().any(|(d, _)| fits(p, d, &self.devs[d])));
        let (dev, pos, kind) = match first {
            Some(i) => {
                let p = &self.pending[i];
                let owners: Vec<(Dev, usize)> = waiting
                    .iter()
                    .copied()
                    .filter(|(d, _)| fits(p, d, &self.devs[d]))
                    .collect();
                if owners.len() > 1 {
                    return Err(err(format!(
                        "the call QEMU traced at line {} (cfgaddr {:#x}) could be {}'s: the trace names no PHB, and the kernel's lines do not say which",
                        p.line,
                        p.cfg,
                        lines_of(&owners).replace(", ", "'s or ")
                    )));
                }
                let (at, kind) = (p.line, p.kind);
                self.pending[i].claimed = true;
                (owners[0].0, at, Some(kind))
            }
            None => {
                let dev = match waiting.as_slice() {
                    [] => {
                        return Err(err(
                            "a change_msi call with no device named before it".into()
                        ))
                    }
                    [(d, _)] => *d,
                    many => {
                        return Err(err(format!(
                            "this change_msi call could be for {}: the firmware traced no such call, so neither its trace nor the kernel's lines say which",
                            lines_of(many).replace(", ", " or ")
                        )))
                    }
                };
                self.check_untraced_order(line, dev)?;
                self.untraced.push(line);
                (dev, line, None)
            }
        };
        let nret = if matches!(func, 3..=6) { 4 } else { 3 };
        let mut rets = vec![0u32; nret];
        rets[1] = got as u32;
        if rc < 0 {
            rets[0] = rc as i32 as u32;
        } else if num > 0 {
            rets[2] = 2;
            if nret == 4 {
                rets[3] = if matches!(func, 3 | 5) { 1 } else { 2 };
            }
        }
        match kind {
            Some(FwKind::Change { first, req, .. }) if first != 0 => {
                self.blocks.insert(dev, (first, req));
            }
            Some(FwKind::Released) => {
                self.blocks.remove(&dev);
            }
            _ => {}
        }
        let st = self
            .devs
            .get_mut(&dev)
            .expect("a waiting device has a state");
        st.calls += 1;
        st.last = line;
        if num > 0 {
            if st.action.is_none() {
                let kind = if matches!(func, 4 | 6) { "msix" } else { "msi" };
                self.actions.push(Action {
                    text: format!("request {} {kind} {}", dev.name(), st.nvec),
                    pos,
                    has_call: false,
                });
                st.action = Some(self.actions.len() - 1);
            }
            if rc == i64::from(num) {
                st.phase = Some(Phase::Query);
                st.granted = num;
                st.queries = 0;
            }
        } else if rc == 0 || func == 1 {
            st.phase = None;
        }
        let action = st.action;
        self.push(Call {
            pos,
            dev,
            query: false,
            tail: vec![func, num, 1],
            rets,
            action,
        });
        Ok(())
    }

    /// A call QEMU did not trace ran after `dev`'s last line and before `line`: another
    /// device's call in between leaves the order open.
    fn check_untraced_order(&self, line: usize, dev: Dev) -> Result<(), ImportError> {
        let after = self.devs[&dev].last;
        let other = self
            .calls
            .iter()
            .filter(|c| c.dev != dev && c.pos > after && c.pos < line)
            .map(|c| (c.pos, Some(c.dev)))
            .chain(
                self.pending
                    .iter()
                    .filter(|p| !p.claimed && p.line > after && p.line < line)
                    .map(|p| (p.line, None)),
            )
            .min();
        match other {
            None => Ok(()),
            Some((at, who)) => Err(ImportError {
                line,
                msg: format!(
                    "{}'s change_msi call here, which the firmware did not trace, ran after line {after}, and so did {} at line {at}: neither the firmware nor the kernel says which came first",
                    dev.name(),
                    match who {
                        Some(d) => format!("{}'s call", d.name()),
                        None => "the call QEMU traced".to_string(),
                    }
                ),
            }),
        }
    }

    pub(super) fn push(&mut self, call: Call) {
        if let Some(a) = call.action {
            let a = &mut self.actions[a];
            if !a.has_call {
                a.pos = call.pos;
                a.has_call = true;
            }
        }
        self.calls.push(call);
    }

    /// Calls the firmware traced none of, by line.
    pub(super) fn untraced(&self) -> &[usize] {
        &self.untraced
    }
}
