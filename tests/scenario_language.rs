//! The scenario language catches mistakes: expectations of grants, failures and
//! firing; a failed request nothing expected; commands in the wrong place.

mod common;

use common::*;
use platform::trace::TraceFormat;

/// Runs a scenario text on the built-in machine; the error's text, if any.
fn run(body: &str) -> Result<(), String> {
    // Tests run at once: each scenario its own file.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| scratch("scenario-lang"));
    let f = dir.join(format!("s{n}.scenario"));
    let text = format!(
        "machine {}\nprofile qemu\n{body}",
        fixture("linux-guest/qemu-initial.dtb").display()
    );
    std::fs::write(&f, text).unwrap();
    let mut out: Vec<String> = Vec::new();
    pseries_sim::scenario::run_file(&f, TraceFormat::Human, &mut out)
        .map(|_| ())
        .map_err(|e| e.to_string())
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
}
