//! `pseries-sim explore`: scenarios generated from a seed until two clients differ,
//! the first that does shrunk and written, and `diff-clients` confirming it; two equal
//! clients never differ; a seed makes the same scenarios whatever `-j`.

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{edited, scratch, sim, text, tree};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Debian 6.1's pseries msi.c.
fn msi_61() -> PathBuf {
    tree("6.1").join("arch/powerpc/platforms/pseries/msi.c")
}

/// The clients compared for rounding: 6.1's msi.c, and a copy of it in `dir` without
/// the rounding.
fn rounding_clients(dir: &Path) -> (String, String) {
    let a = format!("linux:{}", msi_61().display());
    (a, format!("linux:{}", no_rounding(dir).display()))
}

/// A copy of 6.1's msi.c in `dir` that does not round MSI-X counts up to a power of
/// two (`m = nvec;` after `int m = roundup_pow_of_two(nvec);`).
fn no_rounding(dir: &Path) -> PathBuf {
    let src = msi_61();
    let text = std::fs::read_to_string(&src).unwrap();
    let at = text
        .lines()
        .position(|l| l.trim() == "int m = roundup_pow_of_two(nvec);")
        .expect("6.1's msi.c rounds MSI-X counts");
    let out = dir.join("no-rounding.c");
    edited(&src, at + 1, "\t\tm = nvec;", &out);
    out
}

fn explore(args: &[&str]) -> Output {
    let mut all = vec!["explore"];
    all.extend(args);
    sim(&all)
}

/// The scenario's action lines: neither comments nor the set-up before `boot`.
fn action_lines(scenario: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(scenario).unwrap();
    let setup = ["machine ", "profile ", "cas ", "negotiate ", "boot"];
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter(|l| !setup.iter().any(|s| l.starts_with(s)))
        .map(str::to_string)
        .collect()
}

/// The difference explore printed: its lines from "first difference" (or from the
/// outcome lines) on.
fn difference(out: &str) -> Vec<String> {
    let lines: Vec<&str> = out.lines().collect();
    let from = lines
        .iter()
        .position(|l| l.starts_with("first difference") || l.starts_with("the clients differ"))
        .expect("a difference is shown");
    lines[from..].iter().map(|l| l.to_string()).collect()
}

/// explore found a difference (exit 1), wrote a scenario of at most `most` action
/// lines, and diff-clients run on it exits 1 showing the same difference.
fn found_and_confirmed(o: &Output, file: &Path, clients: [&str; 2], most: usize) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let lines = action_lines(file);
    assert!(
        !lines.is_empty() && lines.len() <= most,
        "{} action lines: {lines:?}\n{t}",
        lines.len()
    );
    let d = sim(&[
        "diff-clients",
        &file.display().to_string(),
        "--client",
        clients[0],
        "--client",
        clients[1],
    ]);
    let dt = text(&d);
    assert_eq!(d.status.code(), Some(1), "diff-clients agrees on it:\n{dt}");
    assert_eq!(
        difference(&t),
        difference(&dt),
        "explore:\n{t}\ndiff-clients:\n{dt}"
    );
}

#[test]
fn msi_c_against_a_copy_without_rounding_is_found_in_few_lines() {
    let dir = scratch("explore-rounding");
    let (a, b) = rounding_clients(&dir);
    let file = dir.join("min.scenario");
    let o = explore(&[
        "--client",
        &a,
        "--client",
        &b,
        "-o",
        &file.display().to_string(),
    ]);
    found_and_confirmed(&o, &file, [&a, &b], 6);
    // The difference is the rounding: 6.1 asks the firmware for a power of two.
    let t = text(&o);
    assert!(t.contains("rtas ibm,change-msi"), "{t}");
    assert!(dir.join("min.dts").is_file());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn linux_6_12_and_7_2_differ_on_the_fixture_machine() {
    let dir = scratch("explore-versions");
    let a = format!("linux:{}", tree("6.12").display());
    let b = format!("linux:{}", tree("7.2").display());
    let machine = kernels::project().join("fixtures/linux-guest/qemu-initial.dtb");
    let file = dir.join("versions.scenario");
    let o = explore(&[
        "--client",
        &a,
        "--client",
        &b,
        "--machine",
        &machine.display().to_string(),
        "-o",
        &file.display().to_string(),
    ]);
    found_and_confirmed(&o, &file, [&a, &b], 8);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_file_against_itself_never_differs() {
    let a = format!("linux:{}", msi_61().display());
    let o = sim(&["explore", "--client", &a, "--client", &a, "-n", "200"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.starts_with("no difference in 200 scenarios (seed 1, "),
        "{t}"
    );
    assert!(t.trim_end().ends_with("scenarios/s"), "{t}");
    // Most run to their end: the actions are legal where the run is (the others stop
    // at a fault they inject, alike).
    let ended: u32 = t
        .split(", ")
        .nth(1)
        .and_then(|x| x.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(ended >= 160, "{ended} of 200 ran to their end: {t}");
}

#[test]
fn a_seed_makes_the_same_scenario_whatever_the_jobs() {
    let dir = scratch("explore-seed");
    let a = format!("linux:{}", msi_61().display());
    let mut seen = Vec::new();
    for jobs in ["1", "2", "3"] {
        let file = dir.join(format!("j{jobs}.scenario"));
        let o = sim(&[
            "explore",
            "--client",
            "model",
            "--client",
            &a,
            "--seed",
            "11",
            "-j",
            jobs,
            "-o",
            &file.display().to_string(),
        ]);
        let named = format!("j{jobs}");
        let t = text(&o).replace(&named, "J");
        assert_eq!(o.status.code(), Some(1), "{t}");
        let body = std::fs::read_to_string(&file).unwrap().replace(&named, "J");
        let tree = std::fs::read(dir.join(format!("{named}.dts"))).unwrap();
        seen.push((t, body, tree));
    }
    for s in &seen[1..] {
        assert_eq!(seen[0].0, s.0);
        assert_eq!(seen[0].1, s.1);
        assert!(seen[0].2 == s.2, "the machines differ");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn explore_takes_two_clients() {
    for args in [
        &["explore", "--client", "model"][..],
        &[
            "explore", "--client", "model", "--client", "model", "--client", "model",
        ][..],
        &[
            "explore", "--client", "model", "--client", "model", "-j", "0",
        ][..],
    ] {
        let o = sim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
    let o = sim(&["explore", "--client", "model", "--client", "oops"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn explore_help_shows_examples() {
    let o = sim(&["explore", "--help"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let examples: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("Example: pseries-sim explore "))
        .collect();
    assert_eq!(examples.len(), 2, "{t}");
}

#[test]
fn the_printed_scenario_runs_from_the_current_folder() {
    let dir = scratch("explore-print");
    let (a, b) = rounding_clients(&dir);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .current_dir(&dir)
        .env(
            "PSERIES_SIM_CACHE",
            kernels::project().join("target/linux-tree-test/cache"),
        )
        .args(["explore", "--client", &a, "--client", &b])
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    // The scenario is printed between its announcement and the runs' outcomes.
    let lines: Vec<&str> = t.lines().collect();
    let from = lines
        .iter()
        .position(|l| l.starts_with("the scenario"))
        .unwrap()
        + 1;
    let to = lines.iter().position(|l| l.starts_with("linux:")).unwrap();
    let scenario = dir.join("saved.scenario");
    std::fs::write(&scenario, lines[from..to].join("\n") + "\n").unwrap();
    assert!(dir.join("explore.dts").is_file());
    found_and_confirmed(&o, &scenario, [&a, &b], 6);
    let _ = std::fs::remove_dir_all(dir);
}
