//! The commands' error messages: a file named once, the same words for the same fault,
//! and what is really wrong.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// Exit status, stdout, stderr.
fn sim(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A missing or malformed file is named once, whatever reads it.
#[test]
fn a_file_is_named_once() {
    let dir = scratch("messages-named-once");
    let missing = dir.join("missing.dts");
    let (code, _, err) = sim(&["check", s(&missing)]);
    assert_eq!(code, Some(1));
    assert_eq!(err.matches("missing.dts").count(), 1, "{err}");

    // Several scenarios: the FAILED line names the scenario once, at its line.
    let typo = dir.join("typo.scenario");
    std::fs::write(&typo, "machine x.dts\nboot\n\nbogus\n").unwrap();
    let (code, out, _) = sim(&["run", s(&typo), s(&typo)]);
    assert_eq!(code, Some(1));
    let failed = out.lines().next().unwrap();
    assert!(
        failed.starts_with(&format!(
            "FAILED {}:4:1: expected a command",
            typo.display()
        )),
        "{out}"
    );
    assert_eq!(failed.matches("typo.scenario").count(), 1, "{out}");
    // A failure about another file still names the scenario first.
    let other = dir.join("other.scenario");
    std::fs::write(&other, "machine nowhere.dts\nboot\n").unwrap();
    let (_, out, _) = sim(&["run", s(&other), s(&typo)]);
    let failed = out.lines().next().unwrap();
    assert!(
        failed.starts_with(&format!("FAILED {}:1:1: ", other.display())),
        "{out}"
    );
    assert_eq!(failed.matches("nowhere.dts").count(), 1, "{out}");

    // A hotplugged device's file, missing or malformed.
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let bad = dir.join("bad.dts");
    std::fs::write(&bad, "/dts-v1/;\n/ { x = <1 ; };\n").unwrap();
    for (file, what) in [("gone.dts", "No such file"), ("bad.dts", "bad.dts:2:")] {
        let sc = dir.join("hotplug.scenario");
        std::fs::write(
            &sc,
            format!(
                "machine {}\nprofile qemu\nboot\nhotplug add 0000:00:10.0 {file}\n",
                machine.display()
            ),
        )
        .unwrap();
        let (code, _, err) = sim(&["run", s(&sc)]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains(what), "{err}");
        assert_eq!(err.matches(file).count(), 1, "{err}");
    }
}

/// `import` says of a binary file what `replay` says, with its name.
#[test]
fn import_and_replay_refuse_binary_data_alike() {
    let dtb = fixture("qemu/a_default.dtb");
    let (code, _, replay) = sim(&["replay", s(&dtb)]);
    assert_eq!(code, Some(1));
    let (code, _, import) = sim(&["import", s(&dtb)]);
    assert_eq!(code, Some(1));
    let want = format!("pseries-sim: {}: not text (binary data)\n", dtb.display());
    assert_eq!(replay, want);
    assert_eq!(import, want);
}

/// `call` on an empty memory image says the image is empty, not that the buffer is
/// outside memory.
#[test]
fn call_on_an_empty_image_says_so() {
    let dir = scratch("messages-empty-image");
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let machine = fixture("qemu/a_default.dtb");
    let (code, _, err) = sim(&["call", s(&empty), "--machine", s(&machine)]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("empty.bin: the memory image is empty"),
        "{err}"
    );
    assert!(!err.contains("outside"), "{err}");
}

/// An empty field of `--args` is a usage error naming its position, not a dropped input.
#[test]
fn call_refuses_an_empty_argument_field() {
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let call = |args: &str| {
        sim(&[
            "call",
            "--service",
            "ibm,change-msi",
            "--args",
            args,
            "--machine",
            s(&machine),
        ])
    };
    let (code, out, err) = call("2048,,3");
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("--args: field 2 of '2048,,3' is empty"),
        "{err}"
    );
    assert!(out.is_empty(), "no call is made: {out}");
    let (code, _, err) = call("2048,0,");
    assert_eq!(code, Some(2));
    assert!(err.contains("field 3 "), "{err}");
    // Whole fields still work, and none at all is a call without inputs.
    let (code, out, _) = call("2048,0x8000000,0x20000000,4,4,1");
    assert_eq!(code, Some(0));
    assert!(out.starts_with("ibm,change-msi [2048, "), "{out}");
    let (code, out, _) = call("");
    assert_eq!(code, Some(0));
    assert!(out.starts_with("ibm,change-msi [] -> "), "{out}");
}

/// The value lists keep the spellings and the messages of before.
#[test]
fn enumerated_options_keep_their_spellings_and_messages() {
    let (code, _, err) = sim(&["boot", "--profile", "x"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains(
            "invalid value 'x' for '--profile <PROFILE>': unknown profile 'x': use papr or qemu"
        ),
        "{err}"
    );
    let (code, _, err) = sim(&["boot", "--sanitize", "foo"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--sanitize foo: the sanitizers are address and undefined"),
        "{err}"
    );
    let (code, _, err) = sim(&[
        "boot",
        "--trace-filter",
        "msg:rtas_msi,irq",
        "--trace",
        "json",
        "--cas",
        "xics",
    ]);
    assert_eq!(code, Some(0), "{err}");
}
