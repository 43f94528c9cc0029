//! The replay, run, boot and check commands as a user runs them.

mod common;

use common::*;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

fn out(c: &mut Command) -> (Option<i32>, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn replay_reports_and_exits() {
    let log = fixture("linux-guest/rtas-calls.jsonl");
    let tree = fixture("linux-guest/qemu-initial.dtb");
    let (code, stdout, _) = out(sim()
        .arg("replay")
        .arg(&log)
        .arg("--machine")
        .arg(&tree)
        .args(["--profile", "qemu"]));
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout.lines().last(),
        Some("replayed 88 calls: 88 identical, 0 differ")
    );
    // The papr profile differs from QEMU on this log, and says where.
    let (code, stdout, _) = out(sim().arg("replay").arg(&log).arg("--machine").arg(&tree));
    assert_eq!(code, Some(1));
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("replayed 88 calls: ") && !last.ends_with(" 0 differ"),
        "{last}"
    );
    assert!(
        stdout.lines().next().unwrap().starts_with("line "),
        "{stdout}"
    );
    // A broken log names its line.
    let dir = scratch("cli-replay");
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"service\":\"ibm,change-msi\",\"args\":[1],\"rets\":[0]}\nnot json\n",
    )
    .unwrap();
    let (code, _, stderr) = out(sim().arg("replay").arg(&bad).arg("--machine").arg(&tree));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn run_passes_the_fixture_and_stops_at_a_failed_expectation() {
    let (code, stdout, _) = out(sim().arg("run").arg(fixture("linux-guest/boot.scenario")));
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("scenario passed"));
    let dir = scratch("cli-run");
    std::fs::copy(fixture("linux-guest/qemu-initial.dtb"), dir.join("m.dtb")).unwrap();
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    let sc = dir.join("s.scenario");
    std::fs::write(&sc, "machine m.dtb\nprofile qemu\nboot\nrequest 0000:00:01.0 msix 3\nfire 0000:00:01.0 2\nexpect rtas-log empty.jsonl\n").unwrap();
    let (code, _, stderr) = out(sim().arg("run").arg(&sc));
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("s.scenario:6:") && stderr.contains("more calls than expected"),
        "{stderr}"
    );
    std::fs::write(&sc, "machine m.dtb\nboot\nfire 0000:00:01.0 0\n").unwrap();
    let (code, _, stderr) = out(sim().arg("run").arg(&sc));
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("s.scenario:3:") && stderr.contains("handler did not run"),
        "{stderr}"
    );
    std::fs::write(&sc, "machine m.dtb\nboot\nrequest 0000:00:01.0 msiz 3\n").unwrap();
    let (code, _, stderr) = out(sim().arg("run").arg(&sc));
    assert_eq!(code, Some(1));
    assert!(stderr.contains("s.scenario:3:"), "{stderr}");
    let (code, stdout, _) = out(sim()
        .arg("run")
        .arg("--json")
        .arg(fixture("linux-guest/boot.scenario")));
    assert_eq!(code, Some(0));
    for l in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
        assert!(v.get("event").is_some());
    }
}

#[test]
fn boot_prints_the_interrupt_table() {
    let (code, stdout, _) = out(sim().arg("boot"));
    assert_eq!(code, Some(0));
    let rows = stdout.lines().filter(|l| l.starts_with("000")).count();
    assert!(rows > 100, "{rows} rows");
    assert!(stdout.contains("12 functions, 12 asked for vectors, 0 fell back to LSI"));
    let (code, stdout, _) = out(sim().args(["boot", "--json", "--profile", "qemu"]));
    assert_eq!(code, Some(0));
    let vectors: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["event"] == "vector")
        .collect();
    assert_eq!(vectors.len(), 122);
    for v in &vectors {
        assert_eq!(
            v["source"], v["data"],
            "QEMU's message data is the source number"
        );
        assert_eq!(v["address"], 0x400_0000_0000u64);
    }
    let (code, stdout, _) = out(sim()
        .args(["boot", "--quiet", "--backend", "generic"])
        .arg(fixture("qemu/b_devices.dtb")));
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("booted 11 functions"), "{stdout}");
    let (code, _, stderr) = out(sim().args(["boot", "--profile", "nope"]));
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn check_exit_status() {
    let (code, stdout, _) = out(sim().arg("check").arg(fixture("qemu/b_devices.dtb")));
    assert_eq!(code, Some(0));
    assert!(stdout.contains("0000:00:04.0") && stdout.contains("warning:"));
    let dir = scratch("cli-check");
    let bad = dir.join("bad.dts");
    std::fs::write(
        &bad,
        "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; device_type = \"chrp\";\n pci@800000020000000 { device_type = \"pci\"; #address-cells = <3>; #size-cells = <2>; reg = <0x8000000 0x20000000 0 0>;\n  eth@1 { reg = <0x800 0 0 0 0>; ibm,req#msi-x = <0>; };\n }; };\n",
    )
    .unwrap();
    let (code, stdout, _) = out(sim().arg("check").arg(&bad));
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("error: /pci@800000020000000/eth@1: 'ibm,req#msi-x' is 0"),
        "{stdout}"
    );
}

#[test]
fn a_boots_rtas_log_replays_identically() {
    let dir = scratch("cli-bootlog");
    let log = dir.join("boot.jsonl");
    for profile in ["papr", "qemu"] {
        let tree = fixture("qemu/b_devices.dtb");
        let (code, _, _) = out(sim()
            .arg("boot")
            .arg(&tree)
            .args(["--quiet", "--profile", profile, "--rtas-log"])
            .arg(&log));
        assert_eq!(code, Some(0));
        let lines = std::fs::read_to_string(&log).unwrap().lines().count();
        assert!(lines > 100, "{lines} calls logged");
        let (code, stdout, _) = out(sim()
            .arg("replay")
            .arg(&log)
            .arg("--machine")
            .arg(&tree)
            .args(["--profile", profile]));
        assert_eq!(code, Some(0), "{stdout}");
        assert_eq!(
            stdout.lines().last().unwrap(),
            format!("replayed {lines} calls: {lines} identical, 0 differ")
        );
    }
}

#[test]
fn usage_errors_exit_2_and_conflicting_flags_are_refused() {
    for args in [
        vec!["gen", "--phbs", "0"],
        vec!["gen", "--msix", "4096"],
        vec!["boot", "--json", "--quiet"],
        vec!["boot", "--trace", "qemu", "--json"],
        vec!["run", "x.scenario", "--json", "--trace", "qemu"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
}

/// What only the command (not its parser) can refuse is a usage error all the same:
/// exit 2, with the message that says why.
#[test]
fn options_the_command_refuses_exit_2_with_their_message() {
    let tree = fixture("linux-guest/qemu-initial.dtb");
    let tree = tree.to_str().unwrap();
    for (args, says) in [
        (vec!["gen", "--ims", "0"], "--ims 0: give 1 to"),
        (vec!["gen", "--msi-devices", "257"], "--msi-devices 257:"),
        (
            vec!["gen", "--platform", "mpic", "--phbs", "17"],
            "--platform: an MPIC machine",
        ),
        (vec!["run", "-j", "0", "a.scenario"], "-j takes a number"),
        (
            vec!["run", "-j", "0", "a.scenario", "b.scenario"],
            "-j takes",
        ),
        (vec!["diff-clients", "x.scenario"], "needs --client"),
        (vec!["boot", "--client", "bogus"], "unknown client `bogus`"),
        (
            vec!["boot", "--client-timeout", "0"],
            "--client-timeout 0: give seconds",
        ),
        (
            vec![
                "call",
                "--machine",
                tree,
                "--service",
                "ibm,change-msi",
                "--args",
                "zz",
            ],
            "--args: 'zz' is not a number",
        ),
    ] {
        let (code, stdout, stderr) = out(sim().args(&args).env_remove("PSERIES_SIM_MSI_C"));
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("pseries-sim: "), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
    // A client that cannot be built, here a file that does not exist (a commit without
    // it, to `git bisect run`), is neither: 125, git bisect's "skip".
    let (code, _, stderr) = out(sim().args(["boot", "--client", "linux:/no/such/msi.c"]));
    assert_eq!(code, Some(125), "{stderr}");
}

#[test]
fn completions_man_page_and_the_scenario_grammar() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}");
        String::from_utf8(o.stdout).unwrap()
    };
    for shell in ["bash", "zsh", "fish"] {
        let s = run(&["completions", shell]);
        assert!(s.contains("pseries-sim") && s.contains("boot"), "{shell}");
    }
    let man = run(&["man"]);
    assert!(man.contains(".TH pseries-sim 1"), "{man}");
    let help = run(&["run", "--help"]);
    for cmd in [
        "expect request-fails DEV",
        "expect granted DEV N",
        "resume keep|renumber",
    ] {
        assert!(help.contains(cmd), "run --help lacks {cmd}");
    }
    // The quiet summary counts the RTAS calls; replay runs on the built-in machine.
    assert!(run(&["boot", "--quiet"])
        .trim_end()
        .ends_with(" RTAS calls"));
    let r = run(&[
        "replay",
        &fixture("linux-guest/rtas-calls.jsonl")
            .display()
            .to_string(),
        "--profile",
        "qemu",
    ]);
    assert!(r.contains("88 identical, 0 differ"), "{r}");
}

#[test]
fn json_traces_close_with_a_summary() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .args(args)
            .output()
            .unwrap();
        let out = String::from_utf8(o.stdout).unwrap();
        let last = out.lines().last().unwrap_or_default().to_string();
        (
            o.status.code(),
            serde_json::from_str::<serde_json::Value>(&last).unwrap(),
        )
    };
    let (code, s) = run(&["boot", "--json"]);
    assert_eq!(code, Some(0));
    // Driver events carry their fields, not only words.
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(["boot", "--json"])
        .output()
        .unwrap();
    let drivers: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "driver")
        .collect();
    assert_eq!(drivers.len(), 12);
    let got: u64 = drivers.iter().map(|d| d["got"].as_u64().unwrap()).sum();
    assert_eq!(got, 122, "the vectors the table holds");
    assert!(drivers
        .iter()
        .all(|d| d["action"] == "request" && (d["kind"] == "msix" || d["kind"] == "msi")));
    assert_eq!(s["event"], "summary");
    assert_eq!(
        (s["functions"].as_u64(), s["vectors"].as_u64()),
        (Some(12), Some(122))
    );
    assert!(s["rtas_calls"].as_u64().unwrap() > 100);
    let sc = fixture("linux-guest/boot.scenario").display().to_string();
    let (code, s) = run(&["run", &sc, "--json"]);
    assert_eq!((code, s["passed"].as_bool()), (Some(0), Some(true)), "{s}");
    let dir = scratch("json-summary");
    let bad = dir.join("bad.scenario");
    std::fs::write(
        &bad,
        format!(
            "machine {}\nboot\nfire 0000:00:01.0 0\n",
            fixture("linux-guest/qemu-initial.dtb").display()
        ),
    )
    .unwrap();
    let (code, s) = run(&["run", &bad.display().to_string(), "--json"]);
    assert_eq!((code, s["passed"].as_bool()), (Some(1), Some(false)), "{s}");
    assert!(
        s["error"].as_str().unwrap().contains("bad.scenario:3:1"),
        "{s}"
    );
}

#[test]
fn the_trace_log_prints_statuses_signed() {
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(["boot", "--quiet"])
        .env("RUST_LOG", "rtas=trace")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("rtas ibm,change-msi [2048, 134217728, 536870912, 3, 0, 1] -> [-3,"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(!err.contains("4294967293"), "no unsigned statuses");
}

#[test]
fn a_dash_is_stdin_or_stdout() {
    use std::io::Write;
    use std::process::Stdio;
    let pipe = |args: &[&str], input: &[u8]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input).unwrap();
        c.wait_with_output().unwrap()
    };
    let blob = std::fs::read(fixture("qemu/b_devices.dtb")).unwrap();
    // dt writes a blob to a pipe; reads one from stdin.
    let o = pipe(&["dt", "-", "--to", "dtb"], &blob);
    assert!(o.status.success());
    let want =
        of_tree::dtb::write(&of_tree::dtb::read(&blob).unwrap(), &Default::default()).unwrap();
    assert_eq!(o.stdout, want);
    let o = pipe(&["dt", "-", "-o", "-"], &blob);
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .starts_with("/dts-v1/;"));
    let o = pipe(&["boot", "-", "--quiet"], &blob);
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("booted 11 functions"),
        "{o:?}"
    );
    let o = pipe(&["check", "-"], &blob);
    assert!(o.status.success());
    let o = pipe(&["boot", "-"], b"\x00\x01\x02 not a tree");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("neither a DTB (no magic 0xd00dfeed) nor DTS text"));
}

#[test]
fn errors_name_the_file_once_and_count_bytes_right() {
    let dir = scratch("errors-name");
    let f = dir.join("bad.dts");
    std::fs::write(
        &f,
        "/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>; pci@1 { device_type = \"pci\"; reg = <0 1 0 0>; #address-cells = <3>; #size-cells = <2>; eth@1 { reg = <0x800 0 0 0 0>; ibm,req#msi-x = [05]; }; }; };\n",
    )
    .unwrap();
    let run = |cmd: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .arg(cmd)
            .arg(&f)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (_, err) = run("boot");
    let want = "bad.dts: /pci@1/eth@1: property 'ibm,req#msi-x': expected one cell (4 bytes), found 1 byte";
    assert!(err.contains(want), "{err}");
    assert_eq!(err.matches("/pci@1/eth@1").count(), 1, "{err}");
    let (out, _) = run("check");
    let line = out.lines().find(|l| l.starts_with("error:")).unwrap();
    assert_eq!(
        line,
        "error: /pci@1/eth@1: property 'ibm,req#msi-x': expected one cell (4 bytes), found 1 byte"
    );
    let noise = dir.join("noise.dtb");
    std::fs::write(&noise, [0xffu8, 0xfe, 0x00, 0x01]).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .arg("check")
        .arg(&noise)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("noise.dtb: neither a DTB (no magic 0xd00dfeed) nor DTS text"),
        "{err}"
    );
}

/// `--trace-filter` takes `irq`, the word the human trace prints handler events with, as
/// well as `handler`.
#[test]
fn the_trace_filter_takes_irq_as_the_trace_prints_it() {
    for kind in ["irq", "handler", "irq,msg"] {
        let (code, stdout, stderr) = out(sim().args(["boot", "--trace-filter", kind]));
        assert_eq!(code, Some(0), "{kind}: {stderr}");
        assert!(stdout.contains("vectors"), "{kind}: {stdout}");
    }
    let (code, _, stderr) = out(sim().args(["boot", "--trace-filter", "irqs"]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("handler (or irq), driver"), "{stderr}");
}

/// A machine that makes no client-architecture-support (MPIC) says so in one sensible
/// line: the controller it found, never that "no CAS" was negotiated at CAS.
#[test]
fn a_machine_without_cas_names_its_controller() {
    let dir = scratch("cli-no-cas");
    let tree = dir.join("mpic.dtb");
    let (code, _, stderr) = out(sim().args(["gen", "--platform", "mpic", "-o"]).arg(&tree));
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = out(sim().arg("boot").arg(&tree));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.contains("negotiated"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l
            == "interrupt controller /interrupt-controller@f8040000 (mpic machine, no client-architecture-support)"),
        "{stdout}"
    );
    // A pseries machine still says what CAS negotiated.
    let (_, stdout, _) = out(sim().arg("boot"));
    assert!(
        stdout
            .lines()
            .any(|l| l == "XIVE interrupt controller (negotiated at client-architecture-support)"),
        "{stdout}"
    );
}
