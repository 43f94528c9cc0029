//! Debian's kernel trees the tree-client tests run (scripts/fetch-kernels.sh fetches
//! them; scripts/test.sh runs it), and the command run with the tests' own build cache.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where scripts/fetch-kernels.sh put the trees.
pub fn kernels() -> PathBuf {
    if let Some(d) = std::env::var_os("PSERIES_SIM_KERNELS").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/pseries-sim/kernels")
}

/// A version's tree; fails loudly when it was not fetched.
pub fn tree(version: &str) -> PathBuf {
    let t = kernels().join(format!("linux-source-{version}"));
    assert!(
        t.join("Makefile").is_file(),
        "{} is missing: run scripts/fetch-kernels.sh (scripts/test.sh does)",
        t.display()
    );
    t
}

/// The project's root.
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `pseries-sim ARGS` in the project's root, with the tests' own build cache.
pub fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .current_dir(project())
        .env(
            "PSERIES_SIM_CACHE",
            project().join("target/linux-tree-test/cache"),
        )
        .args(args)
        .output()
        .expect("pseries-sim runs")
}

/// Standard output, then standard error.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A scratch folder of the tests' own under target/.
pub fn scratch(name: &str) -> PathBuf {
    let d = project()
        .join("target/linux-tree-test")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A copy of a file with `line` inserted after line `after` (1-based).
pub fn edited(src: &Path, after: usize, line: &str, out: &Path) {
    let text = std::fs::read_to_string(src).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(after, line);
    std::fs::write(out, lines.join("\n") + "\n").unwrap();
}

/// fixtures/linux-guest/boot.scenario with its machine by absolute path and without its
/// `expect rtas-log` (6.1's calls), for runs that make other calls by design.
pub fn boot_without_log_text() -> String {
    let src = project().join("fixtures/linux-guest/boot.scenario");
    let text = std::fs::read_to_string(src).unwrap();
    let machine = project().join("fixtures/linux-guest/qemu-initial.dtb");
    text.lines()
        .filter(|l| !l.starts_with("expect rtas-log"))
        .map(|l| match l.strip_prefix("machine ") {
            Some(_) => format!("machine {}\n", machine.display()),
            None => format!("{l}\n"),
        })
        .collect()
}
