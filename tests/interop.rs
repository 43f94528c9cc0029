//! Interop: importing the real QEMU + Linux log, QEMU-style traces, the interrupt map
//! picture, debug logging in Linux's words, and every command's help.

mod common;

use common::*;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

#[test]
fn import_reproduces_the_guests_calls_and_a_passing_scenario() {
    let dir = scratch("import");
    let calls = dir.join("calls.jsonl");
    let sc = dir.join("guest.scenario");
    let o = sim()
        .arg("import")
        .arg(fixture("linux-guest/msi-log.txt"))
        .arg("-o")
        .arg(&calls)
        .arg("--scenario")
        .arg(&sc)
        .arg("--machine")
        .arg(fixture("linux-guest/qemu-initial.dtb"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("dmesg dump"),
        "the replayed kernel log is noticed: {stderr}"
    );
    assert_eq!(
        std::fs::read(&calls).unwrap(),
        std::fs::read(fixture("linux-guest/rtas-calls.jsonl")).unwrap()
    );
    let actions = |p: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| {
                !l.starts_with('#')
                    && !l.starts_with("machine")
                    && !l.starts_with("expect")
                    && !l.trim().is_empty()
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(actions(&sc), actions(&fixture("linux-guest/boot.scenario")));
    let o = sim().arg("run").arg(&sc).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Without a machine, BUIDs follow QEMU's numbering and a note says so.
    let o = sim()
        .arg("import")
        .arg(fixture("linux-guest/msi-log.txt"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        o.stdout,
        std::fs::read(fixture("linux-guest/rtas-calls.jsonl")).unwrap()
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("inferred"));
    // A log missing what is needed stops, naming the line.
    let bad = dir.join("bad.log");
    std::fs::write(&bad, "[ 1.0] rtas_msi: Registering RTAS MSI callbacks.\n[ 2.0] rtas_msi: ibm,change_msi(func=3,num=0), got 0 rc = -3\n").unwrap();
    let o = sim().arg("import").arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn qemu_trace_matches_qemus_own_lines() {
    let o = sim()
        .args(["run", "--trace", "qemu"])
        .arg(fixture("linux-guest/boot.scenario"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let ours: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("spapr_pci_rtas_"))
        .map(str::to_string)
        .collect();
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    let theirs: Vec<String> = log
        .lines()
        .filter(|l| l.starts_with("spapr_pci_rtas_"))
        .map(str::to_string)
        .collect();
    assert!(theirs.len() > 40);
    assert_eq!(ours, theirs);
    // The other spapr_pci lines (message set-up, releases, retries) match too.
    let other = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| {
                l.starts_with("spapr_pci")
                    && !l.starts_with("spapr_pci_lsi_set")
                    && !l.starts_with("spapr_pci_msi_write")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(other(&String::from_utf8_lossy(&o.stdout)), other(&log));
}

#[test]
fn the_map_renders_and_labels_every_block() {
    let dir = scratch("map");
    let svg = dir.join("map.svg");
    let o = sim()
        .arg("map")
        .arg(fixture("linux-guest/boot.scenario"))
        .arg("-o")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    let blocks = text.matches(r#"<rect class="block""#).count();
    assert_eq!(
        blocks, 6,
        "the fixture ends with six devices holding vectors"
    );
    for title in text.split("<title>").skip(1) {
        let label = title.split("</title>").next().unwrap();
        assert!(
            text.contains(&format!(">{label}</text>")),
            "block {label} has no label"
        );
    }
    assert!(text.contains("LSIs 0x1200..0x1207"));
    assert!(text.contains(" free</text>"), "holes are shown");
    let (_, _, pixels) = render_svg(&svg);
    let non_white = pixels
        .iter()
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    let mut colours: Vec<&Vec<u8>> = pixels.iter().collect();
    colours.sort();
    colours.dedup();
    assert!(
        non_white * 100 > pixels.len(),
        "the picture is (nearly) blank: {non_white} of {} pixels",
        pixels.len()
    );
    assert!(colours.len() > 8, "only {} colours", colours.len());
}

#[test]
fn debug_log_speaks_linuxs_words() {
    let o = sim()
        .arg("boot")
        .env("RUST_LOG", "debug")
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rtas_msi: calc quota for 0000:00:01.0, request 5"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(err.contains("rtas_msi: ibm,change_msi(func=4,num=8)"));
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        "boot", "check", "dt", "gen", "import", "map", "replay", "run",
    ] {
        let o = sim().arg(cmd).arg("--help").output().unwrap();
        assert!(o.status.success(), "{cmd}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("Example: pseries-sim "),
            "{cmd} --help has no example:\n{text}"
        );
    }
}
