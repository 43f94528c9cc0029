//! Helpers shared by the integration tests: running dtc and comparing trees with it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
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

/// Compiles a DTS file with dtc into a blob.
pub fn dtc_compile(dts: &Path, out: &Path) {
    let o = Command::new(dtc())
        .args(["-q", "-I", "dts", "-O", "dtb", "-o"])
        .arg(out)
        .arg(dts)
        .output()
        .expect("run dtc");
    assert!(
        o.status.success(),
        "dtc failed on {}: {}",
        dts.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pseries-sim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}
