//! The `dt` and `gen` commands as a user runs them.

mod common;

use common::*;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

#[test]
fn dtb_to_dts_on_stdout_and_back() {
    let dir = scratch("cli-dt");
    let f = fixture("qemu/c_phb1.dtb");
    let out = sim().arg("dt").arg(&f).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("/dts-v1/;"));
    let dts = dir.join("c.dts");
    std::fs::write(&dts, &text).unwrap();
    let dtb = dir.join("c.dtb");
    let st = sim()
        .arg("dt")
        .arg(&dts)
        .arg("-o")
        .arg(&dtb)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(canonical(&dtb), canonical(&f));
    // --to keeps the format when asked
    let same = dir.join("same.dtb");
    let st = sim()
        .args(["dt", "--to", "dtb", "-o"])
        .arg(&same)
        .arg(&f)
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(canonical(&same), canonical(&f));
}

#[test]
fn bad_input_exits_1_with_a_located_message() {
    let dir = scratch("cli-dt-bad");
    let bad = dir.join("bad.dts");
    std::fs::write(&bad, "/dts-v1/;\n/ {\n\tp = <1 2;\n};\n").unwrap();
    let out = sim().arg("dt").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.dts:3:") && err.contains("expected"),
        "{err}"
    );
    let mut blob = std::fs::read(fixture("qemu/a_default.dtb")).unwrap();
    blob.truncate(100);
    let trunc = dir.join("t.dtb");
    std::fs::write(&trunc, blob).unwrap();
    let out = sim().arg("dt").arg(&trunc).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("totalsize"));
}

#[test]
fn bad_usage_exits_2() {
    let out = sim().args(["dt", "x", "--to", "yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = sim().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn generated_trees_compile_with_dtc() {
    let dir = scratch("cli-gen");
    let dtb = dir.join("g.dtb");
    let dts = dir.join("g.dts");
    for (out, fmt) in [(&dtb, "dtb"), (&dts, "dts")] {
        let st = sim()
            .args([
                "gen",
                "--phbs",
                "2",
                "--functions",
                "300",
                "--msix",
                "16",
                "--msi",
                "1",
                "-o",
            ])
            .arg(out)
            .status()
            .unwrap();
        assert!(st.success(), "{fmt}");
    }
    let via = dir.join("via.dtb");
    dtc_compile(&dts, &via);
    let c = canonical(&dtb);
    assert_eq!(c, canonical(&via));
    assert_eq!(c.matches("ibm,req#msi-x = <0x10>").count(), 600);
}

/// `dt BLOB --to dtb -o OUT` streams blob to blob: the bytes the tree path writes, the
/// tree path's error for a broken blob, and no output file then.
#[test]
fn blob_to_blob_streams_what_the_tree_path_writes() {
    let dir = scratch("dt-blob");
    for blob in fixture_dtbs() {
        let out = dir.join("out.dtb");
        let st = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .arg("dt")
            .arg(&blob)
            .args(["--to", "dtb", "-o"])
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success(), "{}", blob.display());
        let bytes = std::fs::read(&blob).unwrap();
        let want =
            of_tree::dtb::write(&of_tree::dtb::read(&bytes).unwrap(), &Default::default()).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), want, "{}", blob.display());
    }
    let mut bad = std::fs::read(fixture("qemu/a_default.dtb")).unwrap();
    let n = bad.len();
    bad.truncate(n - 100);
    let broken = dir.join("broken.dtb");
    std::fs::write(&broken, &bad).unwrap();
    let out = dir.join("never.dtb");
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .arg("dt")
        .arg(&broken)
        .args(["--to", "dtb", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let want = of_tree::dtb::read(&bad).unwrap_err().to_string();
    assert!(err.contains(&want), "{err}");
    assert!(!out.exists(), "no output from a broken blob");
}
