//! Helpers shared by the firmware's integration tests: the workspace's fixtures, firmware
//! built from them, and the MSI calls through the typed API. Only `rtas`, `of_tree` and
//! the standard library (and dtc, for `canonical`): these tests boot no OS.

#![allow(dead_code)]

pub mod lopapr;
pub mod services;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's root folder (this crate sits one below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("rtas sits inside the workspace")
        .to_path_buf()
}

/// A fixture path under the workspace's `fixtures/`.
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

/// A tree read from a fixture file.
pub fn fixture_tree(rel: &str) -> of_tree::Tree {
    of_tree::read_file(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Firmware for a tree in a profile.
pub fn firmware_of(tree: &of_tree::Tree, profile: rtas::Profile) -> rtas::Firmware {
    let cfg = rtas::MachineConfig {
        profile,
        pool_size: None,
        bare_metal: false,
    };
    rtas::Firmware::new(tree, &cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// Firmware for a fixture tree in a profile.
pub fn firmware(rel: &str, profile: rtas::Profile) -> rtas::Firmware {
    let cfg = rtas::MachineConfig {
        profile,
        pool_size: None,
        bare_metal: false,
    };
    rtas::Firmware::new(&fixture_tree(rel), &cfg).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// BUID cells of a function's PHB.
pub fn buid_cells(fw: &rtas::Firmware, r: rtas::FnRef) -> (u32, u32) {
    let b = fw.machine.phbs[r.phb].buid;
    ((b >> 32) as u32, b as u32)
}

/// The config address (register 0) of a function.
pub fn cfg_addr(fw: &rtas::Firmware, r: rtas::FnRef) -> u32 {
    fw.machine.function(r).addr.config_addr()
}

/// change-msi through the typed API: (config, buid hi, buid lo, func, count, seq).
pub fn change_msi(
    fw: &mut rtas::Firmware,
    r: rtas::FnRef,
    func: u32,
    count: u32,
    seq: u32,
    nret: usize,
) -> Vec<i64> {
    let (hi, lo) = buid_cells(fw, r);
    let cells = fw
        .call(
            rtas::Service::ChangeMsi,
            &[cfg_addr(fw, r), hi, lo, func, count, seq],
            nret,
        )
        .expect("change-msi exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// query-interrupt-source-number through the typed API.
pub fn query(fw: &mut rtas::Firmware, r: rtas::FnRef, i: u32) -> Vec<i64> {
    let (hi, lo) = buid_cells(fw, r);
    let cells = fw
        .call(
            rtas::Service::QueryInterruptSourceNumber,
            &[cfg_addr(fw, r), hi, lo, i],
            3,
        )
        .expect("query exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// The first function whose req# properties satisfy a test.
pub fn find_fn(
    fw: &rtas::Firmware,
    test: impl Fn(Option<u32>, Option<u32>) -> bool,
) -> rtas::FnRef {
    fw.machine
        .functions()
        .find(|&r| {
            let i = &fw.machine.function(r).info;
            test(i.req_msi, i.req_msix)
        })
        .expect("a function like that in the fixture")
}
