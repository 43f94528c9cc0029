//! `start DEV V|all`: a driver that starts (request_irq) its vectors after allocating
//! them, as e1000e starts them when its interface opens. The model's calls and the
//! scenario's refusals; the tree client's calls are in linux_tree_xive.rs.

mod common;

use common::*;
use platform::trace::TraceFormat;
use std::path::{Path, PathBuf};

const DEV: &str = "0000:00:01.0";

/// Runs a scenario text (after `machine` and `profile qemu`, so its first line is line
/// 3) on the built-in machine: the error's text, if any, and the trace.
fn run(body: &str) -> (Result<(), String>, Vec<String>) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let f = dir().join(format!("s{n}.scenario"));
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let text = format!("machine {}\nprofile qemu\n{body}", machine.display());
    std::fs::write(&f, text).unwrap();
    let mut out: Vec<String> = Vec::new();
    let r = pseries_sim::scenario::run_file(&f, TraceFormat::Human, &mut out);
    (r.map(|_| ()).map_err(|e| e.to_string()), out)
}

/// Plays every line of a scenario text (as [`run`] writes it), going on past the lines
/// that fail: their errors (each from its `:LINE:COL:`) and the trace.
fn play_on(body: &str) -> (Vec<String>, Vec<String>) {
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let text = format!("machine {}\nprofile qemu\n{body}", machine.display());
    let file = dir().join("play.scenario");
    let steps = pseries_sim::scenario::parse(&text, "s").unwrap();
    let mut out: Vec<String> = Vec::new();
    let client = platform::linux::Client::Model;
    let mut r = pseries_sim::scenario::Runner::for_steps(
        &file,
        &steps,
        TraceFormat::Human,
        &mut out,
        client,
    );
    let mut errors = Vec::new();
    for s in &steps {
        if let Err(e) = r.step(s) {
            let e = e.to_string();
            errors.push(e[e.find(':').unwrap_or(0)..].to_string());
        }
    }
    let _ = r.finish();
    drop(r);
    (errors, out)
}

fn dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| scratch("start-later"))
}

/// The trace's lines that contain `what`.
fn lines<'a>(out: &'a [String], what: &str) -> Vec<&'a str> {
    out.iter()
        .filter(|l| l.contains(what))
        .map(String::as_str)
        .collect()
}

/// Under XICS a vector started later is unmasked as at a request (ibm,set-xive, then
/// ibm,int-on) when its line comes and fires; the free's shutdown makes no call (as
/// 6.1's); under XIVE the free stops exactly the vectors started.
#[test]
fn a_vector_started_later_fires_and_the_free_stops_it() {
    let body = format!(
        "cas xics\nboot\nrequest {DEV} msix 3 start 0\nstart {DEV} 1\nfire {DEV} 1\nstart {DEV} all\nfire {DEV} 2\nexpect fires {DEV} 0\nfree {DEV}\n"
    );
    let (r, out) = run(&body);
    assert_eq!(r, Ok(()), "{out:#?}");
    assert_eq!(
        lines(&out, "ibm,int-on"),
        [
            "rtas   ibm,int-on source 0x1301 -> 0",
            "rtas   ibm,int-on source 0x1300 -> 0",
            "rtas   ibm,int-on source 0x1302 -> 0",
        ]
    );
    // free_irq's shutdown reaches no firmware under XICS: 6.1's ICS chip has no
    // irq_shutdown.
    assert!(lines(&out, "ibm,int-off").is_empty(), "{out:#?}");
    assert_eq!(
        lines(&out, "request_irq"),
        [
            "driver 0000:00:01.0: request_irq vector 1 virq 24",
            "driver 0000:00:01.0: request_irq vector 0 virq 23",
            "driver 0000:00:01.0: request_irq vector 2 virq 25",
        ]
    );
    // Only what was started is stopped (under XIVE, where the shutdown reaches the
    // firmware): vector 2 never was.
    let body = format!("cas xive\nboot\nrequest {DEV} msix 3 start 0\nstart {DEV} 1\nfree {DEV}\n");
    let (r, out) = run(&body);
    assert_eq!(r, Ok(()));
    assert_eq!(
        lines(&out, ", 0xff, 0x7fffffff]"),
        ["hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x1301, 0x0, 0xff, 0x7fffffff] -> [0]"]
    );
}

/// Under XIVE a start makes the one H_INT_SET_SOURCE_CONFIG of its vector's source, at
/// priority 6 with the virq as EISN.
#[test]
fn under_xive_a_start_configures_its_source_only() {
    let body = format!("boot\nrequest {DEV} msix 3 start 0\nstart {DEV} 2\nfire {DEV} 2\n");
    let (r, out) = run(&body);
    assert_eq!(r, Ok(()), "{out:#?}");
    assert_eq!(
        lines(&out, "H_INT_SET_SOURCE_CONFIG"),
        ["hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x1302, 0x0, 0x6, 0x19] -> [0]"]
    );
}

/// Each refusal at the line and the device's column, the state unchanged: the vector
/// not started still has no handler, the free stops what was started only.
#[test]
fn a_start_is_refused_at_its_device_with_why() {
    let boot = format!("cas xics\nboot\nrequest {DEV} msix 3 start 1\n");
    for (tail, want) in [
        (
            format!("start {DEV} 3\n"),
            format!(":6:7: {DEV} holds 3 vectors: there is no vector 3"),
        ),
        (
            format!("start  {DEV} 0\n"),
            format!(":6:8: vector 0 of {DEV} is already started (by its request at line 5)"),
        ),
        (
            format!("start {DEV} 2\nstart {DEV} 2\n"),
            format!(":7:7: vector 2 of {DEV} is already started (by the start at line 6)"),
        ),
        (
            format!("start {DEV} all\nstart {DEV} all\n"),
            format!(":7:7: every vector of {DEV} is already started"),
        ),
        (
            format!("free {DEV}\nstart {DEV} all\n"),
            format!(":7:7: {DEV} holds no vectors to start"),
        ),
        (
            format!("fire {DEV} 1\n"),
            format!(":6:1: vector 1 of {DEV} was never started (its request at line 5 starts 1; `start {DEV} 1` starts it later): no handler"),
        ),
    ] {
        let (r, _) = run(&format!("{boot}{tail}"));
        let e = r.unwrap_err();
        assert!(e.contains(&want), "{tail:?}: {e}");
    }
    // Refused lines change nothing: played on past them, vector 1 still has no handler
    // and the free stops vectors 0 and 2 only.
    // (Under XIVE, where the free's shutdowns reach the firmware.)
    let body = format!(
        "{}start {DEV} 3\nstart {DEV} 0\nstart {DEV} 2\nstart {DEV} 2\nfire {DEV} 1\nfree {DEV}\nstart {DEV} all\n",
        boot.replace("cas xics", "cas xive")
    );
    let (errors, out) = play_on(&body);
    let at: Vec<&str> = errors
        .iter()
        .map(|e| e.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        at,
        [":6:7:", ":7:7:", ":9:7:", ":10:1:", ":12:7:"],
        "{errors:#?}"
    );
    assert_eq!(
        lines(&out, ", 0xff, 0x7fffffff]"),
        [
            "hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x1300, 0x0, 0xff, 0x7fffffff] -> [0]",
            "hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x1302, 0x0, 0xff, 0x7fffffff] -> [0]",
        ]
    );
    // A hotplugged or unknown device is caught before the run, as on other lines.
    let (r, out) = run(&format!(
        "boot\nrequest {DEV} msix 2\nstart 0000:00:1f.0 1\n"
    ));
    let e = r.unwrap_err();
    assert!(e.contains(":5:7: no device 0000:00:1f.0"), "{e}");
    assert!(lines(&out, "driver").is_empty(), "{out:#?}");
    // A request's vectors started by a start line are its no more after a new request.
    let body = format!(
        "boot\nrequest {DEV} msix 3 start 0\nstart {DEV} 2\nfree {DEV}\nrequest {DEV} msix 3 start 0\nfire {DEV} 2\n"
    );
    let e = run(&body).0.unwrap_err();
    assert!(e.contains(":8:1: vector 2 of"), "{e}");
}
