//! A case run with the two clients: made as it runs with the left one (each action
//! chosen in the state the left run has reached), then run with the right one, and
//! compared as `diff-clients` compares; or, while shrinking, run with both as it is.

use super::actions::Actions;
use super::case::{Case, Setup, STEM};
use super::rng::Rng;
use super::tree_edit::{apply, random_edits, TreeEdit};
use crate::scenario::{first_difference, observe_run, ClientRun, Command, Difference};
use crate::scenario::{Discard, Observer, Step};
use of_tree::Tree;
use platform::kernel::prom_init::CasRequest;
use platform::linux::Client;
use rtas::cas::IntcMode;
use rtas::Profile;
use std::path::{Path, PathBuf};

/// The most action lines a generated scenario has.
pub const MAX_ACTIONS: u32 = 12;

/// The machine's file while a case is explored (a DTB, whatever the name).
const MACHINE: &str = "explore.dtb";

/// The two clients compared, left then right.
#[derive(Debug, Clone, Copy)]
pub struct Clients {
    /// The left one: the generator follows its run.
    pub left: Client,
    /// The right one.
    pub right: Client,
}

/// What the two runs of a case did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The left client's run.
    pub left: ClientRun,
    /// The right client's.
    pub right: ClientRun,
    /// The first observation where they part.
    pub first: Option<Difference>,
}

impl Outcome {
    /// Whether the clients differ: an observation, the outcome (one failed, the other
    /// passed), or the line they stopped at. Two runs that fail at the same line alike
    /// do not differ.
    pub fn differs(&self) -> bool {
        self.first.is_some()
            || self.left.failure.is_some() != self.right.failure.is_some()
            || self.left.stopped_at != self.right.stopped_at
    }
}

/// A folder where one thread runs its cases, with the machine last written there.
#[derive(Debug)]
pub struct Workspace {
    dir: PathBuf,
    written: Option<Vec<TreeEdit>>,
}

impl Workspace {
    /// A workspace in `dir` (made if missing).
    pub fn new(dir: PathBuf) -> Result<Workspace, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Workspace { dir, written: None })
    }

    /// The scenario's path (it is never written: paths resolve against its folder).
    fn file(&self) -> PathBuf {
        self.dir.join(format!("{STEM}.scenario"))
    }

    /// Writes the machine (unless it is there already) and the case's files, and
    /// removes what an earlier run saved.
    fn prepare(&mut self, base: &Tree, case: &Case) -> Result<(), String> {
        let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
        if self.written.as_ref() != Some(&case.setup.edits) {
            let tree = apply(base, &case.setup.edits)?;
            let blob =
                of_tree::dtb::write(&tree, &Default::default()).map_err(|e| e.to_string())?;
            let p = self.dir.join(MACHINE);
            std::fs::write(&p, blob).map_err(|e| io(&p, e))?;
            self.written = Some(case.setup.edits.clone());
        }
        case.write_files(&self.dir).map_err(|e| io(&self.dir, e))?;
        for p in case.state_files(&self.dir) {
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }
}

/// A set-up drawn from `rng`: the profile, now and then a CAS request or
/// change-msi's busy answers, and half the time tree edits.
fn setup(rng: &mut Rng, base: &Tree) -> Setup {
    let profile = if rng.one_in(2) {
        Profile::Qemu
    } else {
        Profile::Papr
    };
    // A mode the machine offers (asking for another fails the boot alike).
    let offer = rtas::offer::IntcOffer::from_tree(base);
    let cas = match rng.below(8) {
        0 if offer.allows(IntcMode::Xics) => Some(CasRequest::Xics),
        1 if offer.allows(IntcMode::Xive) => Some(CasRequest::Xive),
        _ => None,
    };
    Setup {
        profile,
        cas,
        msi_busy: rng.one_in(4),
        edits: random_edits(base, rng),
    }
}

/// Whether the request a step made for `dev` failed (it holds no vectors after it).
fn request_failed(o: &Observer<'_>, dev: &str) -> bool {
    o.kernel().is_some_and(|k| {
        k.device(dev)
            .ok()
            .and_then(|d| k.devices[d].msi.as_ref())
            .is_none()
    })
}

/// Makes scenario `index` of `seed` on `base`: the set-up, then actions chosen in the
/// left client's state as it runs them (a failed request followed by `expect
/// request-fails`); then runs it with the right client.
pub fn generate(
    ws: &mut Workspace,
    base: &Tree,
    clients: Clients,
    seed: u64,
    index: u64,
) -> Result<(Case, Outcome), String> {
    let mut rng = Rng::new(seed, index);
    let mut case = Case {
        setup: setup(&mut rng, base),
        actions: Vec::new(),
        files: Vec::new(),
    };
    // EEH where the firmware has it and a PCI function is (an `eeh` line names one).
    let eeh = rng.one_in(4)
        && base
            .find("/rtas")
            .is_ok_and(|r| base.at(r).has("ibm,set-eeh-option"))
        && super::tree_edit::phbs(base)
            .iter()
            .any(|(_, f)| !f.is_empty());
    ws.prepare(base, &case)?;
    let file = ws.file();
    let mut out = Discard;
    let mut left = Observer::new(&file, &[], clients.left, &mut out);
    left.runner().eeh = eeh;
    let setup_steps = case.steps(MACHINE, 0);
    for s in &setup_steps {
        left.step(s);
    }
    let mut line = setup_steps.len();
    let mut actions = Actions::new(eeh, case.setup.msi_busy);
    let mut push = |case: &mut Case, left: &mut Observer<'_>, cmd: Command| {
        case.actions.push(cmd.clone());
        line += 1;
        left.step(&Step {
            line,
            cmd,
            dev_col: 1,
        })
    };
    for _ in 0..rng.range(1, MAX_ACTIONS) {
        let Some(k) = left.kernel().filter(|_| !left.stopped()) else {
            break;
        };
        let Some((cmd, named)) = actions.next(&mut rng, k) else {
            break;
        };
        if let Some((name, text)) = named {
            let p = ws.dir.join(&name);
            std::fs::write(&p, &text).map_err(|e| format!("{}: {e}", p.display()))?;
            case.files.push((name, text));
        }
        let dev = match &cmd {
            Command::Request { dev, .. } => Some(dev.clone()),
            _ => None,
        };
        if push(&mut case, &mut left, cmd) {
            if let Some(dev) = dev.filter(|d| request_failed(&left, d)) {
                push(&mut case, &mut left, Command::ExpectRequestFails(dev));
            }
        }
    }
    for cmd in actions.closing(left.kernel()) {
        push(&mut case, &mut left, cmd);
    }
    let left = left.finish(line);
    let right = observe_run(&file, &case.steps(MACHINE, 0), clients.right);
    let first = first_difference(&left, &right);
    Ok((case, Outcome { left, right, first }))
}

/// Runs a case with both clients as it is.
pub fn check(
    ws: &mut Workspace,
    base: &Tree,
    clients: Clients,
    case: &Case,
) -> Result<Outcome, String> {
    ws.prepare(base, case)?;
    let file = ws.file();
    let steps = case.steps(MACHINE, 0);
    let left = observe_run(&file, &steps, clients.left);
    let right = observe_run(&file, &steps, clients.right);
    let first = first_difference(&left, &right);
    Ok(Outcome { left, right, first })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    /// The built-in machine.
    fn base() -> Tree {
        of_tree::dtb::read(crate::fuzzing::MACHINE).unwrap()
    }

    /// A workspace of the test's own (its folder removed at the end by the caller), and
    /// the model on both sides.
    fn model_space(name: &str) -> (PathBuf, Workspace, Clients) {
        let dir = std::env::temp_dir().join(format!("psim-explore-{name}-{}", std::process::id()));
        let ws = Workspace::new(dir.clone()).unwrap();
        let model = Clients {
            left: Client::Model,
            right: Client::Model,
        };
        (dir, ws, model)
    }

    /// Every action is chosen legal in the state reached: a generated scenario runs to
    /// its end, unless a fault it injects stops it (a failed request is expected by the
    /// line after it); and its text reads back as the steps that ran.
    #[test]
    fn generated_scenarios_run_to_their_end_unless_a_fault_stops_them() {
        let (dir, mut ws, model) = model_space("gen");
        let (mut passed, mut kinds) = (0, std::collections::BTreeSet::new());
        for i in 0..300 {
            let (case, o) = generate(&mut ws, &base(), model, 3, i).unwrap();
            assert!(!o.differs(), "scenario {i}: the model differs from itself");
            let steps = case.steps(MACHINE, 0);
            let plain = |v: &[Step]| -> Vec<(usize, Command)> {
                v.iter().map(|s| (s.line, s.cmd.clone())).collect()
            };
            assert_eq!(
                plain(&parse(&case.text(MACHINE, &[]), "t").unwrap()),
                plain(&steps)
            );
            match o.left.stopped_at {
                None => passed += 1,
                Some(line) => {
                    let faulted = steps[..line]
                        .iter()
                        .any(|s| matches!(s.cmd, Command::Fault(_)));
                    assert!(
                        faulted,
                        "scenario {i}: {:?}\n{}",
                        o.left.failure,
                        case.text(MACHINE, &[])
                    );
                }
            }
            for a in &case.actions {
                kinds.insert(
                    a.to_string()
                        .split(' ')
                        .take(2)
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        assert!(passed > 250, "{passed} of 300 ran to their end");
        // Every kind of action comes up.
        for k in [
            "request 0000:00:01.0",
            "free",
            "unbind",
            "fire",
            "suspend",
            "resume keep",
            "resume renumber",
            "save",
            "restore",
            "fault ibm,change-msi",
            "eeh freeze",
            "eeh recover",
            "hotplug add",
            "hotplug remove",
            "expect request-fails",
        ] {
            let word = k.split(' ').next().unwrap_or(k);
            assert!(
                kinds
                    .iter()
                    .any(|x| x.starts_with(if k.contains("0000") { word } else { k })),
                "no '{k}' in {kinds:?}"
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The same seed and number, the same scenario.
    #[test]
    fn a_seed_makes_the_same_scenarios() {
        let (dir, mut ws, model) = model_space("seed");
        let a: Vec<Case> = (0..20)
            .map(|i| generate(&mut ws, &base(), model, 9, i).unwrap().0)
            .collect();
        let b: Vec<Case> = (0..20)
            .rev()
            .map(|i| generate(&mut ws, &base(), model, 9, i).unwrap().0)
            .collect();
        let b: Vec<Case> = b.into_iter().rev().collect();
        assert_eq!(a, b);
        assert_ne!(a[0], generate(&mut ws, &base(), model, 10, 0).unwrap().0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
