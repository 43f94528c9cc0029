//! `pseries-sim run A B ...`: many scenarios at once, each on its own machine in a
//! thread of its own, a line per scenario, a closing count, and JUnit XML for CI.

use crate::scenario::{load, run_steps, save_paths, Discard, Step};
use crate::Error;
use platform::linux::Client;
use platform::trace::TraceFormat;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What one scenario came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The scenario file.
    pub file: PathBuf,
    /// None: passed; else why it failed.
    pub failure: Option<String>,
    /// RTAS calls made and virqs mapped at the end (when it passed).
    pub counts: (usize, usize),
    /// How long it ran.
    pub time: Duration,
}

fn run_one(file: &Path, steps: &Result<Vec<Step>, Error>, client: Client) -> Outcome {
    let started = Instant::now();
    let r = match steps {
        Ok(steps) => run_steps(file, steps, TraceFormat::Human, &mut Discard, client),
        Err(e) => Err(e.clone()),
    };
    let (failure, counts) = match r {
        Ok(Some(k)) => (None, (crate::harness::call_log(&k).len(), k.irq.len())),
        Ok(None) => (None, (0, 0)),
        Err(e) => (Some(e.to_string()), (0, 0)),
    };
    Outcome {
        file: file.to_path_buf(),
        failure,
        counts,
        time: started.elapsed(),
    }
}

/// A file that several scenarios of one run `save` to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSave {
    /// The file, its path absolute.
    pub path: PathBuf,
    /// How many scenarios save to it.
    pub scenarios: usize,
}

/// The scenarios of a run read and parsed, and put in groups: scenarios that save to
/// one file share a group and run one after another (each restores what it saved
/// itself), groups run at once.
pub struct Plan {
    files: Vec<PathBuf>,
    steps: Vec<Result<Vec<Step>, Error>>,
    groups: Vec<Vec<usize>>,
    /// The files several scenarios save to, in the order of first use.
    pub shared: Vec<SharedSave>,
}

/// Reads every scenario (`-`: standard input, once) and plans the run.
pub fn plan(files: &[PathBuf]) -> Plan {
    let steps: Vec<_> = files.iter().map(|f| load(f)).collect();
    // Each scenario's group: the first scenario that saves to a file it saves to.
    let mut group: Vec<usize> = (0..files.len()).collect();
    let mut savers: Vec<(PathBuf, Vec<usize>)> = Vec::new();
    let mut by_path: HashMap<PathBuf, usize> = HashMap::new();
    for (i, (f, s)) in files.iter().zip(&steps).enumerate() {
        let Ok(s) = s else { continue };
        for (_, p) in save_paths(f, s) {
            let k = *by_path.entry(p.clone()).or_insert_with(|| {
                savers.push((p, Vec::new()));
                savers.len() - 1
            });
            if savers[k].1.last() != Some(&i) {
                savers[k].1.push(i);
            }
        }
    }
    // Scenarios sharing a file join the group of the lowest (to a fixed point: a chain
    // of shared files makes one group).
    let mut changed = true;
    while changed {
        changed = false;
        for (_, who) in &savers {
            let low = who.iter().map(|&i| group[i]).min().unwrap_or(0);
            for &i in who {
                if group[i] != low {
                    group[i] = low;
                    changed = true;
                }
            }
        }
    }
    // A group is named by its lowest member, which comes first.
    let mut at: Vec<usize> = vec![0; files.len()];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, &g) in group.iter().enumerate() {
        if g == i {
            at[i] = groups.len();
            groups.push(vec![i]);
        } else {
            groups[at[g]].push(i);
        }
    }
    let shared = savers
        .into_iter()
        .filter(|(_, who)| who.len() > 1)
        .map(|(path, who)| SharedSave {
            path,
            scenarios: who.len(),
        })
        .collect();
    Plan {
        files: files.to_vec(),
        steps,
        groups,
        shared,
    }
}

/// Runs every file, `jobs` at a time, and returns the outcomes in the files' order.
/// `done` is told after each.
pub fn run_all(files: &[PathBuf], jobs: usize, done: &(dyn Fn(&Outcome) + Sync)) -> Vec<Outcome> {
    run_all_with(files, jobs, Client::Model, done)
}

/// [`run_all`] with a chosen MSI client.
pub fn run_all_with(
    files: &[PathBuf],
    jobs: usize,
    client: Client,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    run_plan(&plan(files), jobs, client, done)
}

/// Runs a planned run's groups, `jobs` at a time (a group's scenarios one after
/// another), and returns the outcomes in the files' order. `done` is told after each.
pub fn run_plan(
    plan: &Plan,
    jobs: usize,
    client: Client,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    let files = &plan.files;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; files.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, plan.groups.len().max(1)) {
            s.spawn(|| loop {
                let g = next.fetch_add(1, Ordering::Relaxed);
                let Some(members) = plan.groups.get(g) else {
                    break;
                };
                for &i in members {
                    let o = run_one(&files[i], &plan.steps[i], client);
                    done(&o);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(o);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(files)
        .map(|(o, f)| {
            o.unwrap_or_else(|| Outcome {
                file: f.clone(),
                failure: Some("the scenario's thread ended without a result".into()),
                counts: (0, 0),
                time: Duration::ZERO,
            })
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The outcomes as JUnit XML: one test suite, a test case per scenario.
pub fn junit(outcomes: &[Outcome], total: Duration) -> String {
    let failures = outcomes.iter().filter(|o| o.failure.is_some()).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"pseries-sim\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">\n",
        outcomes.len(),
        total.as_secs_f64()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\">\n",
        outcomes.len(),
        total.as_secs_f64()
    ));
    for o in outcomes {
        let name = xml_escape(&crate::files::name(&o.file));
        let t = o.time.as_secs_f64();
        match &o.failure {
            None => x.push_str(&format!(
                "    <testcase classname=\"pseries-sim.run\" name=\"{name}\" time=\"{t:.3}\"/>\n"
            )),
            Some(why) => {
                let first = why.lines().next().unwrap_or("");
                x.push_str(&format!(
                    "    <testcase classname=\"pseries-sim.run\" name=\"{name}\" time=\"{t:.3}\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml_escape(first),
                    xml_escape(why)
                ));
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_saving_to_one_file_share_a_group_in_order() {
        let dir = std::env::temp_dir().join(format!("psim-plan-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let mut files = Vec::new();
        for (name, text) in [
            ("a", "save x.state\n"),
            ("b", "save y.state\n"),
            ("c", "save sub/../x.state\n"),
            ("d", "boot\n"),
            ("e", "save y.state\nsave z.state\n"),
            ("f", "save z.state\nrestore z.state\n"),
            ("g", "save w.state\n"),
        ] {
            let f = dir.join(format!("{name}.scenario"));
            std::fs::write(&f, text).unwrap();
            files.push(f);
        }
        // The same file twice saves twice to one path.
        files.push(files[6].clone());
        let p = plan(&files);
        assert_eq!(
            p.groups,
            vec![vec![0, 2], vec![1, 4, 5], vec![3], vec![6, 7]]
        );
        let canon = std::fs::canonicalize(&dir).unwrap();
        let shared: Vec<_> = p
            .shared
            .iter()
            .map(|s| (s.path.strip_prefix(&canon).unwrap().to_owned(), s.scenarios))
            .collect();
        assert_eq!(
            shared,
            [
                ("x.state", 2),
                ("y.state", 2),
                ("z.state", 2),
                ("w.state", 2)
            ]
            .map(|(p, n)| (PathBuf::from(p), n))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn junit_escapes_and_counts() {
        let o = |f: &str, fail: Option<&str>| Outcome {
            file: f.into(),
            failure: fail.map(str::to_string),
            counts: (0, 0),
            time: Duration::from_millis(5),
        };
        let x = junit(
            &[
                o("a&b.scenario", None),
                o("c.scenario", Some("c:3:1: <no> \"x\"")),
            ],
            Duration::from_millis(10),
        );
        let doc = roxmltree::Document::parse(&x).unwrap();
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].attribute("name"), Some("a&b.scenario"));
        let f = cases[1]
            .children()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert_eq!(f.attribute("message"), Some("c:3:1: <no> \"x\""));
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("failures"), Some("1"));
    }
}
