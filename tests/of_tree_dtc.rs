//! The `dt` command checked against dtc: it prints a blob as dtc prints it and compiles
//! with `-@`, and sources with NULs in their strings, as dtc compiles (of-tree's own
//! checks against dtc are in of-tree/tests/).

mod common;

use common::*;

/// The command line: `dt --to dts` prints dtc's text, `dt -@` compiles as `dtc -@`.
#[test]
fn dt_command_prints_and_compiles_as_dtc() {
    let dir = scratch("dt-cli");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .arg("dt")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    let blob = fixture("linux-guest/guest-fdt.dtb");
    let text = run(&[blob.as_os_str(), "--to".as_ref(), "dts".as_ref()]);
    assert_eq!(String::from_utf8(text).unwrap(), dtc_decompile(&blob));
    let src = root().join("of-tree/tests/dts/40_symbols.dts");
    let ours = dir.join("ours.dtb");
    run(&[
        src.as_os_str(),
        "-@".as_ref(),
        "-o".as_ref(),
        ours.as_os_str(),
    ]);
    let theirs = dir.join("dtc.dtb");
    dtc_run(&src, &["-@"], &theirs).unwrap_or_else(|e| panic!("dtc -@: {e}"));
    assert_eq!(dtc_decompile(&ours), dtc_decompile(&theirs));
    assert!(dtc_decompile(&ours).contains("__symbols__"));
}

/// A source with NULs inside its string and character literals (dtc's embedded_nul and
/// nul-in-escape) is DTS: `dt` compiles it to dtc's blob byte for byte. A blob with a
/// damaged magic, NULs outside any literal, is still refused as binary data.
#[test]
fn dt_takes_nuls_in_strings_as_dtc_and_refuses_binary() {
    use std::process::Command;
    let dir = scratch("dt-nul");
    let src = root().join("of-tree/tests/dts/47_embedded_nul.dts");
    assert!(
        std::fs::read(&src).unwrap().contains(&0),
        "the source holds raw NULs"
    );
    let theirs = dir.join("dtc.dtb");
    dtc_run(&src, &[], &theirs).unwrap_or_else(|e| panic!("dtc: {e}"));
    let dt = |input: &std::path::Path, out: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .arg("dt")
            .arg(input)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap()
    };
    let ours = dir.join("ours.dtb");
    let o = dt(&src, &ours);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&ours).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
    // A small blob with its magic zeroed is valid UTF-8 (every byte below 0x80), its
    // NULs outside any string: binary data, not DTS.
    let small = dir.join("small.dts");
    std::fs::write(&small, "/dts-v1/;\n/ {\n\tmodel = \"x\";\n};\n").unwrap();
    let blob = dir.join("small.dtb");
    dtc_run(&small, &[], &blob).unwrap_or_else(|e| panic!("dtc: {e}"));
    let mut damaged = std::fs::read(&blob).unwrap();
    damaged[..4].fill(0);
    assert!(std::str::from_utf8(&damaged).is_ok());
    let given = dir.join("damaged.dts");
    std::fs::write(&given, &damaged).unwrap();
    let o = dt(&given, &dir.join("x.dtb"));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("damaged.dts: neither a DTB (no magic 0xd00dfeed) nor DTS text (binary data)"),
        "{err}"
    );
}
