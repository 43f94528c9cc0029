//! The search: scenarios `0..n` of a seed made and run on `jobs` threads, each in a
//! workspace of its own; the lowest-numbered one where the clients differ is shrunk.
//! Scenario `i` is the same whichever thread runs it, and every scenario numbered
//! below the first difference is run, so the result does not depend on `jobs`.

use super::case::Case;
use super::pair::{check, generate, Clients, Outcome, Workspace};
use super::shrink::{shrink, smaller_cases, BUDGET};
use of_tree::Tree;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to explore.
#[derive(Debug, Clone)]
pub struct Options {
    /// The clients, left then right.
    pub clients: Clients,
    /// The machine the scenarios start from.
    pub base: Tree,
    /// How many scenarios at most.
    pub count: u64,
    /// The seed.
    pub seed: u64,
    /// Threads.
    pub jobs: usize,
    /// Where the threads' workspaces go (removed at the end).
    pub scratch: PathBuf,
}

/// The first scenario where the clients differ, and its smallest form.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its number (from 0).
    pub index: u64,
    /// As generated.
    pub original: Case,
    /// As shrunk.
    pub minimal: Case,
    /// Candidates the shrinker tried.
    pub tries: usize,
    /// What the two runs of the minimal case did.
    pub outcome: Outcome,
}

/// What the search came to.
#[derive(Debug, Clone)]
pub struct Report {
    /// Scenarios run (all of them when none differed).
    pub ran: u64,
    /// Of those, the scenarios both clients ran to their end (the others stopped at a
    /// line, alike: a fault the scenario injects, most often).
    pub completed: u64,
    /// How long the search took (the shrinking not counted).
    pub elapsed: Duration,
    /// The first difference, shrunk.
    pub found: Option<Found>,
}

/// Runs the search; `progress` hears of every scenario done. An error is a workspace
/// that could not be written.
pub fn explore(opts: &Options, progress: &(dyn Fn(u64) + Sync)) -> Result<Report, String> {
    let jobs = opts.jobs.max(1);
    let spaces: Vec<Mutex<Workspace>> = (0..jobs)
        .map(|w| Workspace::new(opts.scratch.join(format!("w{w}"))).map(Mutex::new))
        .collect::<Result<_, _>>()?;
    let r = search(opts, &spaces, progress);
    let r = r.and_then(|(ran, completed, elapsed, first)| {
        let found = match first {
            Some((index, case)) => Some(minimise(opts, &spaces, index, case)?),
            None => None,
        };
        Ok(Report {
            ran,
            completed,
            elapsed,
            found,
        })
    });
    let _ = std::fs::remove_dir_all(&opts.scratch);
    r
}

/// Scenarios made and run until the first difference: how many ran, how many of
/// those both clients ran to their end, how long it took, the lowest-numbered case
/// that differs.
type Searched = (u64, u64, Duration, Option<(u64, Case)>);

fn search(
    opts: &Options,
    spaces: &[Mutex<Workspace>],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Searched, String> {
    let start = Instant::now();
    let next = AtomicU64::new(0);
    let ran = AtomicU64::new(0);
    let completed = AtomicU64::new(0);
    let stop = AtomicU64::new(u64::MAX);
    let found: Mutex<Option<(u64, Case)>> = Mutex::new(None);
    let error: Mutex<Option<String>> = Mutex::new(None);
    let (next, ran, completed_at) = (&next, &ran, &completed);
    let (stop, found_at, error_at) = (&stop, &found, &error);
    std::thread::scope(|s| {
        for (w, space) in spaces.iter().enumerate() {
            s.spawn(move || {
                super::cpu::keep_to(w);
                let mut ws = space.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= opts.count || i > stop.load(Ordering::SeqCst) {
                        break;
                    }
                    match generate(&mut ws, &opts.base, opts.clients, opts.seed, i) {
                        Ok((case, outcome)) => {
                            if outcome.left.failure.is_none() && outcome.right.failure.is_none() {
                                completed_at.fetch_add(1, Ordering::SeqCst);
                            }
                            progress(ran.fetch_add(1, Ordering::SeqCst) + 1);
                            if outcome.differs() {
                                stop.fetch_min(i, Ordering::SeqCst);
                                let mut f = found_at.lock().unwrap_or_else(|e| e.into_inner());
                                if f.as_ref().is_none_or(|(j, _)| i < *j) {
                                    *f = Some((i, case));
                                }
                            }
                        }
                        Err(e) => {
                            stop.store(0, Ordering::SeqCst);
                            *error_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    let ran = ran.load(Ordering::SeqCst);
    let completed = completed.load(Ordering::SeqCst);
    Ok((ran, completed, start.elapsed(), found))
}

/// Shrinks the case while the clients still differ on it.
fn minimise(
    opts: &Options,
    spaces: &[Mutex<Workspace>],
    index: u64,
    case: Case,
) -> Result<Found, String> {
    let error: Mutex<Option<String>> = Mutex::new(None);
    let differs = |c: &Case, slot: usize| {
        let mut ws = spaces[slot].lock().unwrap_or_else(|e| e.into_inner());
        match check(&mut ws, &opts.base, opts.clients, c) {
            Ok(o) => o.differs(),
            Err(e) => {
                *error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                false
            }
        }
    };
    // On the threads shrink starts, each kept to a CPU with its clients.
    let keeps = |c: &Case, slot: usize| {
        super::cpu::keep_to(slot);
        differs(c, slot)
    };
    if !differs(&case, 0) {
        let e = error.into_inner().unwrap_or_else(|e| e.into_inner());
        return Err(e.unwrap_or_else(|| {
            format!("scenario {} differed as it was made but not when run again: the clients do not behave the same from run to run", index + 1)
        }));
    }
    let shrunk = shrink(case.clone(), smaller_cases, keeps, spaces.len(), BUDGET);
    if let Some(e) = error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut ws = spaces[0].lock().unwrap_or_else(|e| e.into_inner());
    let outcome = check(&mut ws, &opts.base, opts.clients, &shrunk.value)?;
    Ok(Found {
        index,
        original: case,
        minimal: shrunk.value,
        tries: shrunk.tries,
        outcome,
    })
}
