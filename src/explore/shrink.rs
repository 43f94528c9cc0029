//! The shrinker: a scenario made smaller while the difference remains (actions
//! dropped, counts lowered, the tree and set-up simplified), greedily: the first
//! smaller candidate that still differs is kept and shrunk again, until none does.

use super::case::Case;
use crate::scenario::Command;
use platform::ops::ResumeMode;
use rtas::faults::Fault;

/// The most candidates tried.
pub const BUDGET: usize = 3000;

/// What shrinking came to.
#[derive(Debug, Clone)]
pub struct Shrunk<T> {
    /// The smallest value found that keeps the property.
    pub value: T,
    /// Candidates tried, counted as a one-at-a-time search tries them.
    pub tries: usize,
}

/// Shrinks `start` while `keeps` holds: tries the candidates `smaller` makes of the
/// current value, in order, and goes on from the first that holds, until none does
/// or `budget` candidates were tried. `keeps(candidate, slot)` is asked about `jobs`
/// candidates at once, each on a thread of its own (`slot` in `0..jobs` says which of
/// them); the first in order that holds wins, so the result is the same whatever
/// `jobs` is.
pub fn shrink<T, S, K>(start: T, smaller: S, keeps: K, jobs: usize, budget: usize) -> Shrunk<T>
where
    T: Clone + Sync,
    S: Fn(&T) -> Vec<T>,
    K: Fn(&T, usize) -> bool + Sync,
{
    let jobs = jobs.max(1);
    let mut value = start;
    let mut tries = 0;
    'next: while tries < budget {
        let candidates = smaller(&value);
        for batch in candidates.chunks(jobs) {
            let batch = &batch[..batch.len().min(budget - tries)];
            if batch.is_empty() {
                break 'next;
            }
            // Each on a thread of its own, even one alone: `keeps` may set up its
            // thread (keep it to a CPU), never the caller's.
            let held: Vec<bool> = std::thread::scope(|s| {
                let keeps = &keeps;
                let handles: Vec<_> = batch
                    .iter()
                    .enumerate()
                    .map(|(slot, c)| s.spawn(move || keeps(c, slot)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or(false))
                    .collect()
            });
            match held.iter().position(|&h| h) {
                Some(i) => {
                    tries += i + 1;
                    value = batch[i].clone();
                    continue 'next;
                }
                None => tries += batch.len(),
            }
        }
        break;
    }
    Shrunk { value, tries }
}

/// The case without `actions[from..to]`, and without an `expect request-fails` left
/// without its request, a `start` left without the request whose vectors it starts,
/// nor a file no line names any more.
fn without(case: &Case, from: usize, to: usize) -> Case {
    let mut c = case.clone();
    c.actions.drain(from..to);
    let mut kept: Vec<Command> = Vec::with_capacity(c.actions.len());
    // Devices with a request since their last free, unbind or removal.
    let mut requested: Vec<String> = Vec::new();
    for a in c.actions {
        match &a {
            Command::ExpectRequestFails(dev) => {
                let after_its_request =
                    matches!(kept.last(), Some(Command::Request { dev: d, .. }) if d == dev);
                if !after_its_request {
                    continue;
                }
            }
            Command::Start(dev, _) if !requested.contains(dev) => continue,
            Command::Request { dev, .. } => requested.push(dev.clone()),
            Command::Free(dev) | Command::Unbind(dev) | Command::HotplugRemove(dev) => {
                requested.retain(|d| d != dev)
            }
            _ => {}
        }
        kept.push(a);
    }
    c.actions = kept;
    c.files.retain(|(name, _)| {
        c.actions
            .iter()
            .any(|a| matches!(a, Command::HotplugAdd { file, .. } if file == name))
    });
    c
}

/// Simpler forms of one action: lower counts, the default options.
fn simpler(a: &Command) -> Vec<Command> {
    let mut out = Vec::new();
    match a {
        Command::Request {
            dev,
            kind,
            n,
            min,
            start,
        } => {
            let req = |n: u32, min: u32| Command::Request {
                dev: dev.clone(),
                kind: *kind,
                n,
                min,
                start: start.map(|k| k.min(n)),
            };
            if min != n {
                out.push(req(*n, *n));
                out.push(req(*min, *min));
            }
            for smaller in [1, n / 2, n.saturating_sub(1)] {
                if smaller >= 1 && smaller < *n {
                    out.push(req(smaller, (*min).min(smaller)));
                }
            }
        }
        Command::Fire(dev, v) if *v > 0 => out.push(Command::Fire(dev.clone(), 0)),
        Command::Resume(ResumeMode::Renumber) => out.push(Command::Resume(ResumeMode::Keep)),
        Command::Fault(r) => {
            let mut with = |f: &dyn Fn(&mut rtas::faults::FaultRule)| {
                let mut r = r.clone();
                f(&mut r);
                out.push(Command::Fault(r));
            };
            if r.times > 1 {
                with(&|r| r.times = 1);
            }
            if r.skip > 0 {
                with(&|r| r.skip = 0);
            }
            if let Fault::Fewer(n) = r.fault {
                if n > 0 {
                    with(&|r| r.fault = Fault::Fewer(n - 1));
                }
            }
        }
        _ => {}
    }
    out.dedup();
    out
}

/// How big a case is: its action lines, then its set-up's changes, then its counts. A
/// candidate is tried only when smaller, so shrinking ends.
fn weight(c: &Case) -> (usize, usize, u64) {
    let setup = c.setup.edits.len() + c.setup.cas.is_some() as usize + c.setup.msi_busy as usize;
    let counts = c
        .actions
        .iter()
        .map(|a| match a {
            Command::Request { n, min, .. } => *n as u64 + (min != n) as u64,
            Command::Fire(_, v) => *v as u64,
            Command::Resume(ResumeMode::Renumber) => 1,
            Command::Fault(r) => {
                let fewer = match r.fault {
                    Fault::Fewer(n) => n as u64,
                    _ => 0,
                };
                r.times as u64 + r.skip as u64 + fewer
            }
            _ => 0,
        })
        .sum();
    (c.actions.len(), setup, counts)
}

/// The smaller cases to try, most reduction first: chunks of actions dropped (the
/// whole, halves, quarters, ... single lines), a tree edit undone, the CAS request and
/// change-msi's busy answers dropped, an action simplified. Only cases whose every
/// `restore` follows its `save`.
pub fn smaller_cases(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    let n = case.actions.len();
    let mut size = n;
    while size >= 1 {
        for from in (0..n).step_by(size) {
            out.push(without(case, from, (from + size).min(n)));
        }
        if size == 1 {
            break;
        }
        size = size.div_ceil(2).min(size - 1);
    }
    for i in 0..case.setup.edits.len() {
        let mut c = case.clone();
        c.setup.edits.remove(i);
        out.push(c);
    }
    if case.setup.cas.is_some() {
        let mut c = case.clone();
        c.setup.cas = None;
        out.push(c);
    }
    if case.setup.msi_busy {
        let mut c = case.clone();
        c.setup.msi_busy = false;
        out.push(c);
    }
    for (i, a) in case.actions.iter().enumerate() {
        for s in simpler(a) {
            let mut c = case.clone();
            c.actions[i] = s;
            out.push(c);
        }
    }
    let w = weight(case);
    out.retain(|c| weight(c) < w && c.well_formed());
    out
}

#[cfg(test)]
mod tests {
    use super::super::case::Setup;
    use super::*;
    use platform::ops::MsiType;

    /// The shrinker on a fake property: a list keeps it while it holds a 7 and sums
    /// to more than 10; the smallest such list of the start's items is [7, 9] or so.
    #[test]
    fn shrinks_a_list_to_what_keeps_the_property() {
        let start = vec![3, 7, 1, 9, 2, 8, 5];
        let smaller = |v: &Vec<u32>| -> Vec<Vec<u32>> {
            let mut out = Vec::new();
            for i in 0..v.len() {
                let mut w = v.clone();
                w.remove(i);
                out.push(w);
            }
            for i in 0..v.len() {
                if v[i] > 1 {
                    let mut w = v.clone();
                    w[i] -= 1;
                    out.push(w);
                }
            }
            out
        };
        let keeps = |v: &Vec<u32>, _: usize| v.contains(&7) && v.iter().sum::<u32>() > 10;
        for jobs in [1, 2, 3] {
            let s = shrink(start.clone(), smaller, keeps, jobs, 10_000);
            assert_eq!(s.value.len(), 2, "{:?}", s.value);
            assert!(keeps(&s.value, 0));
            assert_eq!(s.value.iter().sum::<u32>(), 11, "{:?}", s.value);
            // The same result and count whatever the jobs.
            let one = shrink(start.clone(), smaller, keeps, 1, 10_000);
            assert_eq!((s.value, s.tries), (one.value, one.tries));
        }
        // A budget stops it early, at a value that still keeps the property.
        let early = shrink(start.clone(), smaller, keeps, 2, 3);
        assert!(early.tries <= 3 && keeps(&early.value, 0));
    }

    fn req(dev: &str, n: u32, min: u32) -> Command {
        Command::Request {
            dev: dev.into(),
            kind: MsiType::Msix,
            n,
            min,
            start: None,
        }
    }

    /// A case of these actions on the default set-up.
    fn case_of(actions: Vec<Command>) -> Case {
        Case {
            setup: Setup {
                profile: rtas::Profile::Papr,
                cas: None,
                msi_busy: false,
                edits: Vec::new(),
            },
            actions,
            files: Vec::new(),
        }
    }

    #[test]
    fn dropping_a_request_drops_its_expectation() {
        let case = case_of(vec![
            req("0000:00:01.0", 9, 9),
            Command::ExpectRequestFails("0000:00:01.0".into()),
            Command::Save("explore.state".into()),
            Command::Restore("explore.state".into()),
        ]);
        let c = without(&case, 0, 1);
        assert_eq!(c.actions.len(), 2);
        assert_eq!(c.actions[0], Command::Save("explore.state".into()));
        // No candidate restores what it did not save.
        let all = smaller_cases(&case);
        assert!(all.iter().all(|c| c.well_formed()));
        assert!(all.iter().any(|c| c.actions.is_empty()));
        assert!(all
            .iter()
            .any(|c| c.actions.first() == Some(&req("0000:00:01.0", 4, 4))));
    }

    #[test]
    fn dropping_a_request_drops_the_starts_of_its_vectors() {
        let dev = "0000:00:01.0";
        let start = |v| Command::Start(dev.into(), v);
        let case = case_of(vec![
            req(dev, 3, 3),
            start(Some(1)),
            Command::Free(dev.into()),
            start(None),
            req(dev, 2, 2),
            start(None),
        ]);
        // The first request gone: its start goes, the free stays; the start after the
        // free had no request to start anyway.
        let c = without(&case, 0, 1);
        assert_eq!(
            c.actions,
            [Command::Free(dev.into()), req(dev, 2, 2), start(None)]
        );
        // A start kept while its request is.
        assert_eq!(without(&case, 2, 3).actions.len(), 5);
        assert_eq!(
            without(&case, 4, 5).actions,
            [req(dev, 3, 3), start(Some(1)), Command::Free(dev.into())]
        );
    }
}
