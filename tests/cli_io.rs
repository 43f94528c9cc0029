//! The command's files: `-` reads standard input wherever a file is read, an output that
//! could not be written is refused before any work, and outputs are written whole.

mod common;

use common::*;
use std::io::{Read, Write};
use std::process::{Command, Stdio};

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

/// Runs with `input` on standard input: exit code, stdout, stderr.
fn with_stdin(c: &mut Command, input: &[u8]) -> (Option<i32>, Vec<u8>, String) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading closes the pipe: not an error here.
    let _ = child.stdin.take().unwrap().write_all(input);
    let o = child.wait_with_output().unwrap();
    (
        o.status.code(),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn dt_reads_dts_and_dtb_from_stdin() {
    let dtb = std::fs::read(fixture("qemu/a_default.dtb")).unwrap();
    let (code, dts, err) = with_stdin(sim().args(["dt", "-"]), &dtb);
    assert_eq!(code, Some(0), "{err}");
    assert!(text(&dts).starts_with("/dts-v1/;"));
    // The source back on stdin: a blob again, the one the file makes.
    let (code, back, err) = with_stdin(sim().args(["dt", "-"]), &dts);
    assert_eq!(code, Some(0), "{err}");
    let dir = scratch("io-dt");
    let f = dir.join("a.dts");
    std::fs::write(&f, &dts).unwrap();
    let from_file = sim().arg("dt").arg(&f).output().unwrap();
    assert!(back.starts_with(&[0xd0, 0x0d, 0xfe, 0xed]));
    assert_eq!(back, from_file.stdout);
    // And to a file, as a blob.
    let out = dir.join("a.dtb");
    let (code, _, err) = with_stdin(sim().args(["dt", "-", "-o"]).arg(&out), &dts);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), from_file.stdout);
    // A mistake in the source on stdin is named <stdin> with its line and column.
    let (code, _, err) = with_stdin(
        sim().args(["dt", "-"]),
        b"/dts-v1/;\n/ {\n  a = <1 2;\n};\n",
    );
    assert_eq!(code, Some(1));
    assert!(err.starts_with("pseries-sim: <stdin>:3:11: "), "{err}");
}

#[test]
fn run_reads_a_scenario_from_stdin() {
    let sc = std::fs::read(fixture("unbind.scenario")).unwrap();
    // Its paths resolve against the current folder.
    let (code, out, err) = with_stdin(sim().args(["run", "-"]).current_dir(fixtures()), &sc);
    assert_eq!(code, Some(0), "{err}");
    let out = text(&out);
    assert!(
        out.lines().last().unwrap().starts_with("scenario passed: "),
        "{out}"
    );
    // With other scenarios, it is named <stdin> in its line.
    let (code, out, err) = with_stdin(
        sim()
            .args(["run", "-", "unbind.scenario"])
            .current_dir(fixtures()),
        &sc,
    );
    assert_eq!(code, Some(0), "{err}");
    let out = text(&out);
    assert!(out.starts_with("passed <stdin>: "), "{out}");
    assert!(out.ends_with("2 passed, 0 failed\n"), "{out}");
    // A mistake is named <stdin> with its line.
    let (code, _, err) = with_stdin(sim().args(["run", "-"]), b"boot\nbogus\n");
    assert_eq!(code, Some(1));
    assert!(err.starts_with("pseries-sim: <stdin>:2:1: "), "{err}");
    // Standard input can be read once.
    let (code, _, err) = with_stdin(sim().args(["run", "-", "-"]), b"");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("standard input"), "{err}");
}

#[test]
fn map_reads_a_scenario_or_a_tree_from_stdin() {
    let dir = scratch("io-map");
    let svg = dir.join("m.svg");
    let sc = std::fs::read(fixture("unbind.scenario")).unwrap();
    let (code, _, err) = with_stdin(
        sim()
            .args(["map", "-", "-o"])
            .arg(&svg)
            .current_dir(fixtures()),
        &sc,
    );
    assert_eq!(code, Some(0), "{err}");
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.contains("&lt;stdin&gt; after the scenario"), "{s}");
    let dts = sim()
        .arg("dt")
        .arg(fixture("qemu/a_default.dtb"))
        .output()
        .unwrap()
        .stdout;
    let (code, _, err) = with_stdin(sim().args(["map", "-", "-o"]).arg(&svg), &dts);
    assert_eq!(code, Some(0), "{err}");
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.contains("&lt;stdin&gt; after boot"), "{s}");
}

/// Every output flag: a directory, or a path in a folder that does not exist, is a usage
/// error naming the flag and the path, found before any work (nothing printed).
#[test]
fn unwritable_outputs_are_refused_before_the_work() {
    let dir = scratch("io-outputs");
    let adir = dir.join("adir");
    std::fs::create_dir_all(&adir).unwrap();
    let missing = dir.join("no/such/out");
    let sc = fixture("unbind.scenario");
    let sc = sc.to_str().unwrap();
    let dtb = fixture("qemu/a_default.dtb");
    let dtb = dtb.to_str().unwrap();
    let log = fixture("linux-guest/rtas-calls.jsonl");
    let log = log.to_str().unwrap();
    for bad in [&adir, &missing] {
        let bad = bad.to_str().unwrap();
        let why = if bad.ends_with("adir") {
            "is a directory"
        } else {
            "does not exist"
        };
        for (args, flag) in [
            (vec!["boot", "--rtas-log", bad], "--rtas-log"),
            (vec!["boot", "--dump-tree", bad], "--dump-tree"),
            (vec!["run", sc, "--rtas-log", bad], "--rtas-log"),
            (vec!["run", sc, sc, "--junit", bad], "--junit"),
            (vec!["run", sc, "--junit", bad], "--junit"),
            (vec!["dt", dtb, "-o", bad], "-o"),
            (vec!["dt", dtb, "--to", "dtb", "-o", bad], "-o"),
            (vec!["gen", "-o", bad], "-o"),
            (vec!["map", sc, "-o", bad], "-o"),
            (vec!["import", log, "-o", bad], "-o"),
            (
                vec!["import", log, "--machine", dtb, "--scenario", bad],
                "--scenario",
            ),
        ] {
            let o = sim().args(&args).output().unwrap();
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.starts_with(&format!("pseries-sim: {flag} {bad}: ")) && err.contains(why),
                "{args:?}: {err}"
            );
            assert!(o.stdout.is_empty(), "{args:?}: {}", text(&o.stdout));
        }
    }
    // A scenario whose `save` could not be written fails at that line before its first
    // step: no trace.
    let f = dir.join("save.scenario");
    std::fs::write(
        &f,
        format!(
            "machine {}\nboot\nsave no/such/dir/s.state\n",
            fixture("linux-guest/qemu-initial.dtb").display()
        ),
    )
    .unwrap();
    let o = sim().arg("run").arg(&f).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("save.scenario:3:1: save "), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An output replaces the old file whole (a new file renamed over it): a reader that
/// opened the old file reads it to its end unchanged, and a failed conversion leaves
/// the old file as it was, with no temporary file beside it.
#[test]
fn outputs_replace_the_old_file_whole() {
    let dir = scratch("io-atomic");
    let out = dir.join("t.dts");
    std::fs::write(&out, "old contents\n").unwrap();
    let mut reader = std::fs::File::open(&out).unwrap();
    let dtb = fixture("qemu/a_default.dtb");
    for args in [
        vec!["gen", "--functions", "2", "-o"],
        vec!["dt", dtb.to_str().unwrap(), "-o"],
    ] {
        let o = sim().args(&args).arg(&out).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    let mut old = String::new();
    reader.read_to_string(&mut old).unwrap();
    assert_eq!(old, "old contents\n");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("/dts-v1/;"));
    // A blob that does not convert: the old output stays.
    let dtb = dir.join("o.dtb");
    let good = std::fs::read(fixture("qemu/a_default.dtb")).unwrap();
    std::fs::write(&dtb, &good).unwrap();
    let bad = dir.join("bad.dtb");
    std::fs::write(&bad, &good[..good.len() / 2]).unwrap();
    let o = sim()
        .arg("dt")
        .arg(&bad)
        .args(["--to", "dtb", "-o"])
        .arg(&dtb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&dtb).unwrap(), good);
    let mut left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["bad.dtb", "o.dtb", "t.dts"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn import_reads_its_log_from_stdin() {
    let log = fixture("linux-guest/msi-log.txt");
    let from_file = sim().arg("import").arg(&log).output().unwrap();
    assert!(from_file.status.success());
    let (code, out, err) = with_stdin(sim().args(["import", "-"]), &std::fs::read(&log).unwrap());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, from_file.stdout);
}
