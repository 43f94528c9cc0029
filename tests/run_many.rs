//! `run` with many scenarios: each on its own machine, a line each, the closing count,
//! exit status 1 when one fails, and JUnit XML a real XML parser reads.

mod common;

use common::*;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

/// `n` copies of the fixture scenarios, their machine paths made absolute.
fn copies(dir: &std::path::Path, n: usize) -> Vec<std::path::PathBuf> {
    let sources = [
        (fixture("linux-guest/boot.scenario"), fixture("linux-guest")),
        (fixture("suspend-renumber.scenario"), fixture("")),
    ];
    let mut out = Vec::new();
    for i in 0..n {
        let (src, base) = &sources[i % sources.len()];
        let text = std::fs::read_to_string(src).unwrap();
        let text = text
            .lines()
            .map(|l| match l.strip_prefix("machine ") {
                Some(p) => format!("machine {}", base.join(p).display()),
                None => match l.strip_prefix("expect rtas-log ") {
                    Some(p) => format!("expect rtas-log {}", base.join(p).display()),
                    // Each copy its own state file (they run at once).
                    None if l.starts_with("save ") => format!("save s{i:03}.state"),
                    None if l.starts_with("restore ") => format!("restore s{i:03}.state"),
                    None => l.to_string(),
                },
            })
            .collect::<Vec<_>>()
            .join("\n");
        let f = dir.join(format!("s{i:03}.scenario"));
        std::fs::write(&f, text).unwrap();
        out.push(f);
    }
    out
}

#[test]
fn two_hundred_scenarios_in_parallel_with_junit() {
    let dir = scratch("run-many");
    let files = copies(&dir, 200);
    let junit = dir.join("report.xml");
    let o = sim()
        .arg("run")
        .args(&files)
        .args(["-j", "2", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 201);
    assert!(lines[..200].iter().all(|l| l.starts_with("passed ")));
    assert_eq!(lines[200], "200 passed, 0 failed");
    // In the order given.
    assert!(lines[7].contains("s007.scenario"), "{}", lines[7]);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 200);
    assert!(cases
        .iter()
        .all(|c| !c.children().any(|n| n.has_tag_name("failure"))));
    assert_eq!(doc.root_element().attribute("tests"), Some("200"));
}

#[test]
fn a_failing_scenario_fails_the_run() {
    let dir = scratch("run-many-fail");
    let mut files = copies(&dir, 3);
    let bad = dir.join("bad.scenario");
    std::fs::write(
        &bad,
        format!(
            "machine {}\nboot\nfire 0000:00:01.0 0\n",
            fixture("linux-guest/qemu-initial.dtb").display()
        ),
    )
    .unwrap();
    files.insert(1, bad);
    let junit = dir.join("report.xml");
    let o = sim()
        .arg("run")
        .args(&files)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[1].starts_with("FAILED ") && lines[1].contains("bad.scenario:3:1"),
        "{stdout}"
    );
    assert_eq!(lines.last(), Some(&"3 passed, 1 failed"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failed: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]
        .attribute("message")
        .unwrap()
        .contains("the handler did not run"));
}

/// Thirty copies of a scenario that saves its state and restores it, all to one file:
/// run one at a time, said in one line, each restoring the blob it saved, so that every
/// run of them passes. Copies saving to files of their own still run at once (no line).
#[test]
fn scenarios_saving_to_one_file_run_one_at_a_time() {
    let dir = scratch("run-many-shared-save");
    let files: Vec<_> = copies(&dir, 60)
        .into_iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("\nsave "))
        .collect();
    assert_eq!(files.len(), 30);
    // One state file for all.
    for f in &files {
        let t = std::fs::read_to_string(f).unwrap();
        let t: Vec<String> = t
            .lines()
            .map(|l| match l.split_once(' ') {
                Some((c @ ("save" | "restore"), _)) => format!("{c} shared.state"),
                _ => l.to_string(),
            })
            .collect();
        std::fs::write(f, t.join("\n")).unwrap();
    }
    let shared = std::fs::canonicalize(&dir).unwrap().join("shared.state");
    for _ in 0..3 {
        let o = sim()
            .arg("run")
            .args(&files)
            .args(["-j", "2"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{stdout}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "30 scenarios save to the same path ({}): run one at a time",
                shared.display()
            )
        );
        assert_eq!(lines.last(), Some(&"30 passed, 0 failed"));
    }
    // The same file given twice saves twice to one path too.
    let o = sim()
        .arg("run")
        .args([&files[0], &files[0]])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.starts_with("2 scenarios save to the same path ("),
        "{stdout}"
    );
    // Files of their own: at once, and no line.
    let own = copies(&dir, 4);
    let o = sim()
        .arg("run")
        .args(&own)
        .args(["-j", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}");
    assert!(!stdout.contains("save to the same path"), "{stdout}");
}
