//! Helpers every crate's integration tests share (each includes this file by path): the
//! workspace's fixtures, running dtc, scratch folders, a reproducible generator.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root folder: the first folder holding `fixtures/` at or above the
/// crate whose tests these are.
pub fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|d| d.join("fixtures").is_dir())
        .expect("the crate sits inside the workspace, beside fixtures/")
        .to_path_buf()
}

/// The workspace's fixtures folder.
pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

/// A fixture path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// Every DTB fixture.
pub fn fixture_dtbs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["qemu", "linux-guest"] {
        for e in std::fs::read_dir(fixture(dir)).expect("fixtures folder") {
            let p = e.expect("dir entry").path();
            if p.extension().is_some_and(|x| x == "dtb") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 7, "expected the fixture DTBs, found {v:?}");
    v
}

/// Every DTB fixture, as a path relative to `fixtures/`.
pub fn fixture_rels() -> Vec<String> {
    fixture_dtbs()
        .iter()
        .map(|p| {
            p.strip_prefix(fixture(""))
                .expect("under fixtures")
                .display()
                .to_string()
        })
        .collect()
}

/// Fails loudly when dtc is missing: the tests that need it must not skip silently.
pub fn dtc() -> &'static str {
    let ok = Command::new("dtc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "dtc is required (Debian: device-tree-compiler); run scripts/test.sh, which installs it"
    );
    "dtc"
}

/// `dtc -I dtb -O dts -s` of a blob file: the canonical form trees are compared in.
pub fn canonical(dtb: &Path) -> String {
    let out = Command::new(dtc())
        .args(["-q", "-I", "dtb", "-O", "dts", "-s"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert!(
        out.status.success(),
        "dtc failed on {}: {}",
        dtb.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("dtc output is text")
}

/// dtc with `args` on a source: the blob, or dtc's message when it refuses.
pub fn dtc_run(src: &Path, args: &[&str], out: &Path) -> Result<(), String> {
    let o = Command::new(dtc())
        .args(["-q", "-I", "dts", "-O", "dtb", "-o"])
        .arg(out)
        .args(args)
        .arg(src)
        .output()
        .expect("run dtc");
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// `dtc -I dtb -O dts` of a blob, as dtc prints it (not sorted; `-f`: also a blob dtc
/// would not make from source, as an overlay whose `__fixups__` names a path).
pub fn dtc_decompile(dtb: &Path) -> String {
    let out = Command::new(dtc())
        .args(["-q", "-f", "-I", "dtb", "-O", "dts"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert!(out.status.success(), "dtc failed on {}", dtb.display());
    String::from_utf8(out.stdout).expect("dtc output is text")
}

/// Compiles a DTS file with dtc into a blob.
pub fn dtc_compile(dts: &Path, out: &Path) {
    dtc_run(dts, &[], out).unwrap_or_else(|e| panic!("dtc failed on {}: {e}", dts.display()));
}

/// A fresh scratch folder for one test (named by the crate, the test and the process).
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "{}-{name}-{}",
        env!("CARGO_PKG_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// A small deterministic generator (xorshift), so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
