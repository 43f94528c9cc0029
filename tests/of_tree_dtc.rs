//! The `dt` command checked against dtc: it prints a blob as dtc prints it and compiles
//! with `-@` as dtc compiles (of-tree's own checks against dtc are in of-tree/tests/).

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
