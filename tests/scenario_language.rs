//! The scenario language catches mistakes: expectations of grants, failures and
//! firing; a failed request nothing expected; commands in the wrong place.

mod common;

use common::*;
use platform::trace::TraceFormat;
use std::path::{Path, PathBuf};

/// Runs a scenario text on the built-in machine; the error's text, if any.
fn run(body: &str) -> Result<(), String> {
    run_on(
        &fixture("linux-guest/qemu-initial.dtb"),
        body,
        TraceFormat::Human,
    )
    .0
}

/// Runs a scenario text on a machine (QEMU's profile): the error's text, if any, the
/// trace, and the RTAS calls made.
fn run_on(
    machine: &Path,
    body: &str,
    format: TraceFormat,
) -> (Result<(), String>, Vec<String>, Vec<String>) {
    // Tests run at once: each scenario its own file.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let f = dir().join(format!("s{n}.scenario"));
    let text = format!("machine {}\nprofile qemu\n{body}", machine.display());
    std::fs::write(&f, text).unwrap();
    let mut out: Vec<String> = Vec::new();
    let r = pseries_sim::scenario::run_file(&f, format, &mut out);
    let calls = match &r {
        Ok(Some(k)) => pseries_sim::harness::call_log(k)
            .iter()
            .map(|c| c.to_json())
            .collect(),
        _ => Vec::new(),
    };
    (r.map(|_| ()).map_err(|e| e.to_string()), out, calls)
}

/// This test binary's scratch folder.
fn dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| scratch("scenario-lang"))
}

/// The built-in machine with a property of a node set to a cell, written once per
/// edit under `name`.
fn machine_with(name: &str, node: &str, prop: &str, cell: u32) -> PathBuf {
    let f = dir().join(format!("{name}.dtb"));
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let n = tree.find(node).unwrap();
    tree.set_prop(n, prop, cell.to_be_bytes().to_vec());
    let blob = of_tree::dtb::write(&tree, &Default::default()).unwrap();
    // Written under another name, then renamed: tests run at once.
    let tmp = f.with_extension(format!("{:?}.tmp", std::thread::current().id()));
    std::fs::write(&tmp, blob).unwrap();
    std::fs::rename(&tmp, &f).unwrap();
    f
}

/// The built-in machine with PHB 0's `ibm,pe-total-#msi` set to `total` (its 9
/// functions share it).
fn machine_with_pe_total(total: u32) -> PathBuf {
    let phb = "/pci@800000020000000";
    machine_with(
        &format!("pe-total-{total}"),
        phb,
        "ibm,pe-total-#msi",
        total,
    )
}

/// Runs a scenario text on a machine: it must pass, and its trace show each of
/// `lines` (as a line's end).
fn passes_showing(machine: &Path, body: &str, lines: &[&str]) {
    let (r, out, _) = run_on(machine, body, TraceFormat::Human);
    assert_eq!(r, Ok(()), "{body}");
    for want in lines {
        assert!(out.iter().any(|l| l.ends_with(want)), "{want}: {out:?}");
    }
}

#[test]
fn granted_and_fires() {
    // 00:01.0 offers 5 MSI-X: QEMU grants 5 after the rounding retry.
    assert_eq!(
        run("boot\nrequest 0000:00:01.0 msix 5\nexpect granted 0000:00:01.0 5\nexpect fires 0000:00:01.0 4\n"),
        Ok(())
    );
    let e = run("boot\nrequest 0000:00:01.0 msix 5\nexpect granted 0000:00:01.0 4\n").unwrap_err();
    assert!(
        e.contains(":5:1:") && e.contains("holds 5 vectors, not 4"),
        "{e}"
    );
    let e = run("boot\nrequest 0000:00:01.0 msix 5\nexpect fires 0000:00:01.0 5\n").unwrap_err();
    assert!(e.contains(":5:1:") && e.contains("does not fire"), "{e}");
}

/// `start K`: the driver starts only its first K vectors. Firing another fails naming
/// the request; K above the grant is refused.
#[test]
fn a_vector_never_started_has_no_handler() {
    let (r, out, _) = run_on(
        &fixture("linux-guest/qemu-initial.dtb"),
        "cas xics\nboot\nrequest 0000:00:01.0 msix 3 start 1\nfire 0000:00:01.0 0\nexpect granted 0000:00:01.0 3\nfree 0000:00:01.0\n",
        TraceFormat::Human,
    );
    assert_eq!(r, Ok(()));
    // Under XICS request_irq's unmask is ibm,set-xive then ibm,int-on: once, for 0x1300.
    let lines = |what: &str| -> Vec<&String> { out.iter().filter(|l| l.contains(what)).collect() };
    assert_eq!(
        lines("ibm,int-on"),
        ["rtas   ibm,int-on source 0x1300 -> 0"]
    );
    // free_irq's shutdown reaches no firmware under XICS: 6.1's ICS chip has no
    // irq_shutdown, so no ibm,int-off (under XIVE only the started source is shut down:
    // tests/start_later.rs).
    assert!(lines("ibm,int-off").is_empty(), "{out:?}");
    for (v, line) in [(1, 6), (2, 6)] {
        let body = format!("boot\nrequest 0000:00:01.0 msix 3 start 1\nfire 0000:00:01.0 0\nfire 0000:00:01.0 {v}\n");
        let e = run(&body).unwrap_err();
        let want = format!(
            ":{line}:1: vector {v} of 0000:00:01.0 was never started (its request at line 4 starts 1; `start 0000:00:01.0 {v}` starts it later): no handler"
        );
        assert!(e.contains(&want), "{e}");
    }
    let e = run("boot\nrequest 0000:00:01.0 msix 3 start 0\nexpect fires 0000:00:01.0 0\n")
        .unwrap_err();
    assert!(
        e.contains(":5:1: vector 0 of 0000:00:01.0 was never started"),
        "{e}"
    );
    // A new request without `start` starts them all again.
    let body = "boot\nrequest 0000:00:01.0 msix 3 start 0\nfree 0000:00:01.0\nrequest 0000:00:01.0 msix 3\nfire 0000:00:01.0 2\n";
    assert_eq!(run(body), Ok(()));
    let e = run("boot\nrequest 0000:00:01.0 msix 3 start 4\n").unwrap_err();
    assert!(
        e.contains(":4:1: start 4 is more than the 3 vectors 0000:00:01.0 was granted"),
        "{e}"
    );
}

#[test]
fn a_failed_request_fails_the_scenario_unless_expected() {
    // ethernet@1 has no ibm,req#msi: an MSI request fails.
    let e = run("boot\nrequest 0000:00:01.0 msi 1\nfree 0000:00:02.0\n").unwrap_err();
    assert!(
        e.contains(":4:1:") && e.contains("request for 0000:00:01.0 failed"),
        "{e}"
    );
    let e = run("boot\nrequest 0000:00:01.0 msi 1\n").unwrap_err();
    assert!(e.contains(":4:1:"), "also at the end: {e}");
    assert_eq!(
        run("boot\nrequest 0000:00:01.0 msi 1\nexpect request-fails 0000:00:01.0\n"),
        Ok(())
    );
    let e =
        run("boot\nrequest 0000:00:01.0 msix 2\nexpect request-fails 0000:00:01.0\n").unwrap_err();
    assert!(e.contains("did not fail: it got 2"), "{e}");
}

#[test]
fn commands_out_of_place_are_refused() {
    for (body, line, says) in [
        ("boot\nboot\n", 4, "'boot' after 'boot' (line 3)"),
        ("boot\nmachine x.dtb\n", 4, "'machine' after 'boot'"),
        ("boot\nprofile papr\n", 4, "'profile' after 'boot'"),
        ("boot\nsuspend\nsuspend\n", 5, "suspended already"),
        (
            "boot\nsuspend\nrequest 0000:00:01.0 msix 2\n",
            5,
            "a request while suspended",
        ),
    ] {
        let e = run(body).unwrap_err();
        assert!(
            e.contains(&format!(":{line}:1:")) && e.contains(says),
            "{body}: {e}"
        );
    }
}

#[test]
fn binary_input_is_not_a_scenario() {
    let mut out: Vec<String> = Vec::new();
    let e = pseries_sim::scenario::run_file(
        &fixture("qemu/a_default.dtb"),
        TraceFormat::Human,
        &mut out,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.ends_with("a_default.dtb: not a scenario (a device tree blob)"),
        "{e}"
    );
    let dir = scratch("scenario-bin");
    let f = dir.join("noise.scenario");
    std::fs::write(&f, [0x00u8, 0xff, 0x13, 0x37, b'\n']).unwrap();
    let e = pseries_sim::scenario::run_file(&f, TraceFormat::Human, &mut out)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.ends_with("noise.scenario: not a scenario (binary data)"),
        "{e}"
    );
}

#[test]
fn errors_point_at_the_bad_token_and_the_machine_line() {
    let dir = scratch("scenario-where");
    let f = dir.join("s.scenario");
    for (text, at) in [
        ("boot\nrequest 0000:00:01.0 msx 3\n", ":2:22:"),
        ("boot\nrequest 0000:00:01.0 msix\n", ":2:26:"),
        ("fire 0000:00:1.0 3\n", ":1:6:"),
        ("expect granted 0000:00:01.0 many\n", ":1:29:"),
        ("machine nothere.dtb\nprofile qemu\nboot\n", ":1:1:"),
    ] {
        std::fs::write(&f, text).unwrap();
        let mut out: Vec<String> = Vec::new();
        let e = pseries_sim::scenario::run_file(&f, TraceFormat::Human, &mut out)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains(at), "{text:?}: {e}");
    }
}

#[test]
fn fault_lines_reach_the_firmware() {
    // change-msi: a hardware error fails the request; fewer caps the grant.
    assert_eq!(
        run("boot\nfault ibm,change-msi hw-error\nrequest 0000:00:01.0 msix 4\nexpect request-fails 0000:00:01.0\nrequest 0000:00:01.0 msix 4\nexpect granted 0000:00:01.0 4\n"),
        Ok(())
    );
    assert_eq!(
        run("boot\nfault ibm,change-msi fewer 2 times 5\nrequest 0000:00:01.0 msix 4 min 1\nexpect granted 0000:00:01.0 2\nexpect fires 0000:00:01.0 1\n"),
        Ok(())
    );
    // after N lets N calls through first.
    assert_eq!(
        run("boot\nfault ibm,change-msi hw-error after 1\nrequest 0000:00:01.0 msix 2\nfree 0000:00:01.0\nexpect granted 0000:00:01.0 0\n"),
        Ok(())
    );
    // EEH calls: delays are retried, another status stops the recovery at its step.
    let eeh = "boot\nrequest 0000:00:01.0 msix 2\neeh freeze 0000:00:01.0\n";
    assert_eq!(
        run(&format!("{eeh}fault ibm,configure-pe delay 2 times 3\neeh recover 0000:00:01.0\nexpect fires 0000:00:01.0 1\n")),
        Ok(())
    );
    let e = run(&format!(
        "{eeh}fault ibm,configure-pe status -9001\neeh recover 0000:00:01.0\n"
    ))
    .unwrap_err();
    assert!(
        e.contains(":7:1:") && e.contains("configure-pe answered -9001"),
        "{e}"
    );
    let e = run("fault ibm,change-msi busy\nboot\n").unwrap_err();
    assert!(e.contains(":3:1:") && e.contains("not booted yet"), "{e}");
    // change-msi busy needs the OS to say at CAS that it handles it, before boot.
    let e = run("boot\nfault ibm,change-msi busy times 2\n").unwrap_err();
    assert!(e.contains(":4:1:") && e.contains("can never fire"), "{e}");
    assert_eq!(
        run("negotiate change-msi-busy on\nboot\nfault ibm,change-msi busy times 2\nrequest 0000:00:01.0 msix 3\nexpect fires 0000:00:01.0 2\n"),
        Ok(())
    );
    let e = run("boot\nnegotiate change-msi-busy on\n").unwrap_err();
    assert!(e.contains(":4:1: 'negotiate' after 'boot'"), "{e}");
}

#[test]
fn unbind_releases_the_vectors_and_the_driver_binds_again() {
    assert_eq!(
        run("boot\nrequest 0000:00:01.0 msix 5\nunbind 0000:00:01.0\nexpect granted 0000:00:01.0 0\nrequest 0000:00:01.0 msix 5 min 2\nexpect granted 0000:00:01.0 5\nexpect fires 0000:00:01.0 4\n"),
        Ok(())
    );
    // After a free the driver may still unbind; one that never asked for vectors too
    // (a free of nothing is refused).
    assert_eq!(
        run("boot\nrequest 0000:00:04.0 msix 4\nfree 0000:00:04.0\nunbind 0000:00:04.0\nunbind 0000:00:05.0\nrequest 0000:00:05.0 msi 1\nexpect fires 0000:00:05.0 0\n"),
        Ok(())
    );
    let e = run("boot\nfree 0000:00:05.0\n").unwrap_err();
    assert!(
        e.contains(":4:1:") && e.contains("holds no vectors to free"),
        "{e}"
    );
    // A vector of an unbound driver no longer reaches a handler.
    let e = run("boot\nrequest 0000:00:01.0 msix 2\nunbind 0000:00:01.0\nfire 0000:00:01.0 0\n")
        .unwrap_err();
    assert!(
        e.contains(":6:1:") && e.contains("handler did not run"),
        "{e}"
    );
    for (body, says) in [
        (
            "boot\nunbind 0000:00:1f.0\n",
            ":4:8: no device 0000:00:1f.0",
        ),
        (
            "unbind 0000:00:01.0\nboot\n",
            ":3:1: the machine is not booted yet",
        ),
    ] {
        let e = run(body).unwrap_err();
        assert!(e.contains(says), "{body}: {e}");
    }
}

#[test]
fn unbind_makes_the_calls_of_a_free_and_is_traced_as_unbind() {
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let body = |last: &str| {
        format!("boot\nrequest 0000:00:01.0 msix 5\nrequest 0001:00:02.0 msi 1\n{last} 0000:00:01.0\n{last} 0001:00:02.0\nrequest 0000:00:01.0 msix 3\n")
    };
    let (r, freed, free_calls) = run_on(&machine, &body("free"), TraceFormat::Json);
    assert_eq!(r, Ok(()));
    let (r, unbound, unbind_calls) = run_on(&machine, &body("unbind"), TraceFormat::Json);
    assert_eq!(r, Ok(()));
    assert!(free_calls.len() > 50, "{} calls", free_calls.len());
    assert_eq!(free_calls, unbind_calls, "the model: an unbind is a free");
    let driver = |out: &[String], action: &str| {
        out.iter()
            .filter(|l| {
                l.contains(r#""event":"driver""#) && l.contains(&format!(r#""action":"{action}""#))
            })
            .count()
    };
    assert_eq!((driver(&freed, "free"), driver(&freed, "unbind")), (2, 0));
    assert_eq!(
        (driver(&unbound, "free"), driver(&unbound, "unbind")),
        (0, 2)
    );
    assert!(
        unbound
            .iter()
            .any(|l| l.contains(r#""text":"unbind: vectors released""#)),
        "{unbound:?}"
    );
    // Apart from the driver's own lines, the traces are the same.
    let rest = |out: &[String]| {
        out.iter()
            .filter(|l| !l.contains(r#""event":"driver""#))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(rest(&freed), rest(&unbound));
}

#[test]
fn request_min_is_pci_alloc_irq_vectors_min_under_the_pe_quota() {
    // PHB 0's 9 functions share 27 vectors: 3 each, and the 3 functions that want 1
    // leave 6 spare to the 6 that want more, so usb-xhci's request of 16 is clamped
    // to a quota of 4 (Linux: "request clamped to quota 4").
    let machine = machine_with_pe_total(27);
    let dev = "0000:00:08.0";
    passes_showing(
        &machine,
        &format!("boot\nrequest {dev} msix 16 min 2\nexpect granted {dev} 4\nexpect fires {dev} 3\nfree {dev}\nrequest {dev} msix 16 min 4\nexpect granted {dev} 4\n"),
        &["rtas_msi: request clamped to quota 4", "request msix 16 (min 2): got 4"],
    );
    // Below min: the request fails (-ENOSPC), holding nothing, and a later one works.
    passes_showing(
        &machine,
        &format!("boot\nrequest {dev} msix 16 min 5\nexpect request-fails {dev}\nexpect granted {dev} 0\nrequest {dev} msix 16 min 4\nexpect granted {dev} 4\n"),
        &["request msix 16 (min 5) failed: no space (-ENOSPC)"],
    );
    // min defaults to N: the clamped request fails.
    passes_showing(
        &machine,
        &format!("boot\nrequest {dev} msix 16\nexpect request-fails {dev}\n"),
        &[],
    );
    // Without `expect request-fails`, the failure fails the scenario at its line.
    let body = format!("boot\nrequest {dev} msix 16 min 5\n");
    let e = run_on(&machine, &body, TraceFormat::Human).0.unwrap_err();
    assert!(e.contains(":4:1:") && e.contains("no space"), "{e}");
    // A quota of 1 each (9 for 9 functions) is below any min over 1.
    passes_showing(
        &machine_with_pe_total(9),
        &format!("boot\nrequest {dev} msix 16 min 2\nexpect request-fails {dev}\nrequest {dev} msix 16 min 1\nexpect granted {dev} 1\n"),
        &[],
    );
}

#[test]
fn request_min_is_honoured_when_req_msix_clamps() {
    // usb-xhci's ibm,req#msi-x says 6 instead of 16. QEMU sizes the table by it: the
    // MSI core's table check clamps 16 to 6 (Linux's __pci_enable_msix answers the
    // table size), and msi.c is asked for 6.
    let node = "/pci@800000020000000/usb-xhci@8";
    let machine = machine_with("req-msix-6", node, "ibm,req#msi-x", 6);
    let dev = "0000:00:08.0";
    passes_showing(
        &machine,
        &format!("boot\nrequest {dev} msix 16 min 4\nexpect granted {dev} 6\nexpect fires {dev} 5\nfree {dev}\nrequest {dev} msix 16 min 7\nexpect request-fails {dev}\n"),
        &["pseries.msi_check_device 0000:00:08.0 msix 6"],
    );
}

/// A device the machine does not have fails the scenario at the line and column that
/// name it, right after boot and before any of the trace, listing the devices there
/// are (the nearest names on a large machine); a device a `hotplug add` line adds is
/// not unknown.
#[test]
fn an_unknown_device_fails_before_any_output_naming_the_devices() {
    let qemu = fixture("linux-guest/qemu-initial.dtb");
    let body = "boot\nrequest 0000:00:01.0 msix 2\nfire  0000:00:19.0 0\n";
    let (r, out, _) = run_on(&qemu, body, TraceFormat::Human);
    let e = r.unwrap_err();
    assert!(
        e.contains(":5:7: no device 0000:00:19.0: the machine has 0000:00:01.0, 0000:00:02.0, "),
        "{e}"
    );
    assert!(e.ends_with(" and 0001:00:03.0"), "{e}");
    assert!(out.is_empty(), "no trace before the error: {out:?}");
    // Named only after the `hotplug add` that brings it: known.
    std::fs::copy(
        fixture("hotplug-virtio-net.dts"),
        dir().join("hotplug-virtio-net.dts"),
    )
    .unwrap();
    let devices = fixture("qemu/b_devices.dtb");
    let body =
        "boot\nhotplug add 0000:00:10.0 hotplug-virtio-net.dts\nexpect granted 0000:00:10.0 5\n";
    assert_eq!(run_on(&devices, body, TraceFormat::Human).0, Ok(()));
    // A machine of 40 functions: the five nearest names.
    let big = dir().join("forty.dtb");
    let spec = pseries_sim::gen::GenSpec {
        phbs: 1,
        functions: 40,
        msix: 2,
        msi: 0,
    };
    let blob = of_tree::dtb::write(&pseries_sim::gen::generate(&spec), &Default::default());
    std::fs::write(&big, blob.unwrap()).unwrap();
    let e = run_on(
        &big,
        "boot\nexpect granted 0001:00:03.2 0\n",
        TraceFormat::Human,
    )
    .0
    .unwrap_err();
    assert!(
        e.contains(":4:16: no device 0001:00:03.2: the machine has 40 devices, the nearest 0000:00:03.2, 0000:00:00.2, "),
        "{e}"
    );
    assert_eq!(
        e.matches(", 0000:").count() + e.matches(" and 0000:").count(),
        4
    );
}

/// A scenario that plays nothing (empty, or only setup lines) is an error naming the
/// file, not a silent pass.
#[test]
fn a_scenario_without_actions_is_an_error() {
    for (text, why) in [
        (
            "# only a comment\n\n",
            "no line but blank ones and comments",
        ),
        (
            "machine m.dtb\nprofile qemu\ncas xics\n",
            "nothing after its machine, profile, cas and negotiate lines",
        ),
    ] {
        let f = dir().join("idle.scenario");
        std::fs::write(&f, text).unwrap();
        let mut out: Vec<String> = Vec::new();
        let e = pseries_sim::scenario::run_file(&f, TraceFormat::Human, &mut out)
            .err()
            .unwrap_or_else(|| panic!("{text:?} passes"))
            .to_string();
        let want = format!("{}: scenario has no actions ({why})", f.display());
        assert!(e.starts_with(&want), "{e}");
        assert!(out.is_empty());
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .arg("run")
        .arg(dir().join("idle.scenario"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("scenario has no actions"));
}

/// A request for a function whose driver holds vectors (from its probe at `hotplug add`,
/// or an earlier request) says so, from which line, and to free first; after a free
/// the request is granted.
#[test]
fn a_request_while_holding_vectors_says_where_they_came_from() {
    std::fs::copy(
        fixture("hotplug-virtio-net.dts"),
        dir().join("hotplug-virtio-net.dts"),
    )
    .unwrap();
    let devices = fixture("qemu/b_devices.dtb");
    let add = "boot\nhotplug add 0000:00:10.0 hotplug-virtio-net.dts\n";
    let e = run_on(
        &devices,
        &format!("{add}request 0000:00:10.0 msix 2\n"),
        TraceFormat::Human,
    )
    .0
    .unwrap_err();
    assert!(
        e.contains(":5:1: the request for 0000:00:10.0 failed: invalid request (-EINVAL): its driver already holds 5 vectors, from its probe at 'hotplug add' (line 4): 'free 0000:00:10.0' first"),
        "{e}"
    );
    let e = run_on(
        &devices,
        "boot\nrequest 0000:00:02.0 msix 1\nrequest 0000:00:02.0 msix 2\n",
        TraceFormat::Human,
    )
    .0
    .unwrap_err();
    assert!(
        e.contains(":5:1:")
            && e.contains("holds 1 vector, from the request at line 4: 'free 0000:00:02.0' first"),
        "{e}"
    );
    let body = format!(
        "{add}free 0000:00:10.0\nrequest 0000:00:10.0 msix 2\nexpect granted 0000:00:10.0 2\n"
    );
    assert_eq!(run_on(&devices, &body, TraceFormat::Human).0, Ok(()));
}
