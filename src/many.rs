//! `pseries-sim run A B ...`: many scenarios at once, each on its own machine in a
//! thread of its own, a line per scenario, a closing count, and JUnit XML for CI.

use crate::scenario::{run_file_with, Discard};
use platform::linux::Client;
use platform::trace::TraceFormat;
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

fn run_one(file: &Path, client: Client) -> Outcome {
    let started = Instant::now();
    let r = run_file_with(file, TraceFormat::Human, &mut Discard, client);
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
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; files.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, files.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let o = run_one(f, client);
                done(&o);
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(o);
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
        let name = xml_escape(&o.file.display().to_string());
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
