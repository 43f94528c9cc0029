//! `git bisect run pseries-sim run S.scenario --client linux:msi.c` over a small history
//! of Debian 6.1's pseries msi.c: `run` exits 0 where the scenario passes, 1 where it
//! fails and 125 (git's "skip") where the client does not build. The scenario is the
//! fixture guest's boot, whose `expect rtas-log` holds the calls the real 6.1 guest made;
//! the "bad" versions lose the power-of-two rounding of MSI-X requests.

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{project, scratch, tree};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROUNDING: &str = "int m = roundup_pow_of_two(nvec);";

/// 6.1's msi.c, and the kinds of change the history is made of.
fn versions() -> (String, String, String) {
    let msi = tree("6.1").join("arch/powerpc/platforms/pseries/msi.c");
    let good = std::fs::read_to_string(msi).unwrap();
    assert!(
        good.contains(ROUNDING),
        "6.1's msi.c rounds MSI-X requests up"
    );
    let bad = good.replace(ROUNDING, "int m = nvec;");
    let broken = good.replacen(
        "static int rtas_change_msi(",
        "static int rtas_change_msi((",
        1,
    );
    assert_ne!(broken, good, "the broken version differs");
    (good, bad, broken)
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let o = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A repository in `dir` whose commits hold `file` as `texts` gives it, in order; their
/// ids. Nothing else in `dir` is tracked.
fn history(dir: &Path, file: &str, texts: &[(&str, &str)]) -> Vec<String> {
    git(dir, &["init", "-q", "-b", "main"]);
    let mut ids = Vec::new();
    for (message, text) in texts {
        let path = dir.join(file);
        // A new file, not a write through a hard link into the shared tree.
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, text).unwrap();
        git(dir, &["add", file]);
        git(dir, &["commit", "-q", "-m", message]);
        let id = git(dir, &["rev-parse", "HEAD"]).stdout;
        ids.push(String::from_utf8(id).unwrap().trim().to_string());
    }
    ids
}

/// A copy of Debian's 6.1 tree made of hard links (symbolic ones across file systems):
/// git replaces the files it checks out, so the shared tree is never written.
fn tree_copy(name: &str) -> PathBuf {
    let dir = scratch(name).join("linux");
    let src = tree("6.1");
    let linked = Command::new("cp").arg("-al").arg(&src).arg(&dir).status();
    if !linked.is_ok_and(|s| s.success()) {
        let _ = std::fs::remove_dir_all(&dir);
        let st = Command::new("cp").arg("-as").arg(&src).arg(&dir).status();
        assert!(
            st.is_ok_and(|s| s.success()),
            "cannot copy {}",
            src.display()
        );
    }
    dir
}

/// `git bisect run pseries-sim run boot.scenario --client CLIENT` from the first commit
/// (good) to the last (bad); its output.
fn bisect(dir: &Path, ids: &[String], client: &str) -> String {
    git(dir, &["bisect", "start", &ids[ids.len() - 1], &ids[0]]);
    let scenario = project().join("fixtures/linux-guest/boot.scenario");
    let o = Command::new("git")
        .current_dir(dir)
        .env(
            "PSERIES_SIM_CACHE",
            project().join("target/linux-tree-test/cache"),
        )
        .args(["bisect", "run", env!("CARGO_BIN_EXE_pseries-sim"), "run"])
        .arg(&scenario)
        .args(["--trace", "json", "--client", client])
        .output()
        .expect("git bisect runs");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    git(dir, &["bisect", "reset"]);
    out
}

#[test]
fn run_exits_0_1_and_125_as_git_bisect_expects() {
    let (good, bad, broken) = versions();
    let dir = scratch("bisect-codes");
    let scenario = project().join("fixtures/linux-guest/boot.scenario");
    for (text, code) in [(&good, 0), (&bad, 1), (&broken, 125)] {
        std::fs::write(dir.join("msi.c"), text).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .current_dir(&dir)
            .env(
                "PSERIES_SIM_CACHE",
                project().join("target/linux-tree-test/cache"),
            )
            .args(["run", "--trace", "json", "--client", "linux:msi.c"])
            .arg(&scenario)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// As docs/real-kernel.md shows it: in a kernel tree, `--client linux:.`.
#[test]
fn bisect_finds_the_first_bad_commit_and_skips_the_one_that_does_not_build() {
    let (good, bad, broken) = versions();
    let touched = good.replacen("#include", "/* touched */\n#include", 1);
    let dir = tree_copy("bisect-tree");
    let ids = history(
        &dir,
        "arch/powerpc/platforms/pseries/msi.c",
        &[
            ("good", &good),
            ("good, touched", &touched),
            ("does not compile", &broken),
            ("compiles again", &touched),
            ("bad: no rounding", &bad),
            ("bad, touched", &format!("/* again */\n{bad}")),
        ],
    );
    let out = bisect(&dir, &ids, "linux:.");
    // git tries the commit that does not build first (the middle one), and skips it.
    assert!(out.contains("does not compile"), "{out}");
    assert!(
        out.contains(&format!("{} is the first bad commit", ids[4])),
        "{out}"
    );
    assert!(
        !out.contains(&format!("{} is the first bad commit", ids[2])),
        "{out}"
    );
}

/// With the commit that does not build just before the first bad one, git cannot tell
/// which of the two broke the scenario: it names both and marks neither bad itself.
#[test]
fn a_broken_commit_next_to_the_first_bad_is_skipped_not_called_bad() {
    let (good, bad, broken) = versions();
    let touched = good.replacen("#include", "/* touched */\n#include", 1);
    let dir = scratch("bisect-adjacent");
    let ids = history(
        &dir,
        "msi.c",
        &[
            ("good", &good),
            ("good, touched", &touched),
            ("does not compile", &broken),
            ("bad: no rounding", &bad),
            ("bad, touched", &format!("/* again */\n{bad}")),
        ],
    );
    let out = bisect(&dir, &ids, "linux:msi.c");
    assert!(out.contains("could be any of"), "{out}");
    assert!(out.contains(&ids[2]) && out.contains(&ids[3]), "{out}");
    assert!(!out.contains("is the first bad commit"), "{out}");
}
