//! What a kernel engineer's code under development meets: `diff-clients`
//! never calls a comparison it did not finish an agreement and sets a scenario up as
//! `run` does; a `fault` the firmware may never give this OS is refused with its line,
//! and with busy declared at client-architecture-support Linux's busy retry runs; the
//! file client's build names a function that exists nowhere, with the line that calls
//! it, shows the compiler's warnings and caches nothing broken. With the model and with
//! Debian 6.1's real `msi.c`.

mod common;

use common::linux61::{linux, msi_c};
use common::*;
use platform::linux::Client;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This test binary's folder under target/ for a purpose, made afresh.
fn work(name: &str) -> PathBuf {
    let dir = root().join("target").join("linux-client-safety").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A scenario in `dir` on the built-in machine: `body` after its `machine` line.
fn scenario(dir: &Path, name: &str, body: &str) -> PathBuf {
    let machine = fixture("linux-guest/qemu-initial.dtb");
    let f = dir.join(name);
    std::fs::write(&f, format!("machine {}\n{body}", machine.display())).unwrap();
    f
}

/// The command with these arguments, client builds in `cache`.
fn cli(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(args)
        .env("PSERIES_SIM_CACHE", cache)
        .env("LC_ALL", "C")
        .output()
        .unwrap()
}

/// `pseries-sim CMD SCENARIO --client=linux:FILE`, builds in `cache`.
fn with_client(cmd: &str, scen: &Path, file: &Path, cache: &Path) -> Output {
    let client = format!("--client=linux:{}", file.display());
    cli(&[cmd, scen.to_str().unwrap(), &client], cache)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The shared cache of the 6.1 client's builds (msi_c() points the process there too).
fn cache() -> PathBuf {
    msi_c();
    root()
        .join("target")
        .join("linux-client-test")
        .join("cache")
}

fn spec() -> String {
    format!("--client=linux:{}", msi_c().display())
}

#[test]
fn the_eeh_fixture_passes_under_run_and_diff_clients_with_both_clients() {
    let file = fixture("eeh-recovery.scenario");
    for client in [Client::Model, linux()] {
        let mut out = Vec::new();
        pseries_sim::scenario::run_file_with(&file, Default::default(), &mut out, client)
            .unwrap_or_else(|e| panic!("{}: {e}", client.name()));
    }
    // diff-clients enables EEH as run does: both pass. They part only where the model
    // checks its sources at the resume (line 10), as documented.
    let o = cli(&["diff-clients", file.to_str().unwrap(), &spec()], &cache());
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "model: passed", "{out}");
    assert_eq!(
        lines[1],
        format!("linux:{}: passed", msi_c().display()),
        "{out}"
    );
    assert!(!out.contains("has no EEH enabled"), "{out}");
    assert!(
        lines[3].starts_with("  model (line 10): rtas ibm,query-interrupt-source-number"),
        "{out}"
    );
    // Without the suspend and resume, they agree through the five recoveries.
    let dir = work("eeh");
    let body: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.starts_with("machine") && !l.starts_with("suspend") && !l.starts_with("resume")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let f = scenario(&dir, "eeh.scenario", &body);
    let o = cli(&["diff-clients", f.to_str().unwrap(), &spec()], &cache());
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("the clients agree: "),
        "{out}"
    );
    let (l, r, first) = pseries_sim::scenario::diff_clients(&f, Client::Model, linux()).unwrap();
    assert!(pseries_sim::scenario::agree(&l, &r, first.as_ref()));
    // Five recoveries, each restoring the vectors the firmware kept.
    let recoveries = l
        .observations
        .iter()
        .filter(|(_, o)| o.contains("query"))
        .count();
    assert!(recoveries > 0, "{:?}", l.observations);
}

#[test]
fn a_scenario_both_clients_fail_at_the_same_line_is_no_agreement() {
    let dir = work("both-fail");
    let f = scenario(
        &dir,
        "wrong.scenario",
        "boot\nrequest 0000:00:01.0 msix 3\nexpect granted 0000:00:01.0 7\nrequest 0000:00:05.0 msi 1\n",
    );
    let (l, r, first) = pseries_sim::scenario::diff_clients(&f, Client::Model, linux()).unwrap();
    assert!(first.is_none(), "alike as far as they went: {first:?}");
    assert_eq!((l.stopped_at, r.stopped_at), (Some(4), Some(4)));
    assert!(!pseries_sim::scenario::agree(&l, &r, first.as_ref()));
    let o = cli(&["diff-clients", f.to_str().unwrap(), &spec()], &cache());
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(!out.contains("agree:"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("model: failed: ")
            && lines[0].contains(":4:1: 0000:00:01.0 holds 3 vectors, not 7"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("both clients failed (") && lines[2].ends_with("): not an agreement"),
        "{out}"
    );
    assert_eq!(
        lines[3],
        format!(
            "both clients stopped at {}:4: nothing after that line was compared",
            f.display()
        )
    );
    // The same scenario with the expectation right: they agree, exit 0.
    let f = scenario(&dir, "right.scenario", "boot\nrequest 0000:00:01.0 msix 3\nexpect granted 0000:00:01.0 3\nrequest 0000:00:05.0 msi 1\n");
    let o = cli(&["diff-clients", f.to_str().unwrap(), &spec()], &cache());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}

/// The `ibm,change-msi` calls a request made for MSI-X (function 4): (sequence number
/// given, status, sequence number returned).
fn msix_changes(k: &platform::Kernel) -> Vec<(u32, i64, i64)> {
    pseries_sim::harness::call_log(k)
        .iter()
        .filter(|r| r.service == "ibm,change-msi" && r.args[3] == 4)
        .map(|r| (r.args[5], r.rets[0], r.rets[2]))
        .collect()
}

#[test]
fn busy_declared_at_cas_is_answered_and_retried_with_the_next_sequence_by_both_clients() {
    let file = fixture("change-msi-busy.scenario");
    for client in [Client::Model, linux()] {
        let mut out = Vec::new();
        let k = pseries_sim::scenario::run_file_with(&file, Default::default(), &mut out, client)
            .unwrap_or_else(|e| panic!("{}: {e}", client.name()))
            .unwrap();
        // Busy (seq 1 returns 2), extended delay (seq 2 returns 3), then the grant.
        assert_eq!(
            msix_changes(&k),
            [(1, -2, 2), (2, 9901, 3), (3, 0, 4)],
            "{}",
            client.name()
        );
        let traced: Vec<&String> = out
            .iter()
            .filter(|l| l.starts_with("rtas   ibm,change-msi") && l.contains(" func 4 "))
            .collect();
        assert_eq!(traced.len(), 3, "{traced:?}");
        assert!(traced[0].ends_with("num 4 -> -2"), "{traced:?}");
        assert!(traced[1].ends_with("num 4 seq 2 -> 9901"), "{traced:?}");
        assert!(traced[2].contains("num 4 seq 3 -> 0 num 4"), "{traced:?}");
        assert!(
            out.iter()
                .any(|l| l.contains("client-architecture-support") && l.contains("XIVE")),
            "CAS made"
        );
    }
    let (l, r, first) = pseries_sim::scenario::diff_clients(&file, Client::Model, linux()).unwrap();
    assert!(
        pseries_sim::scenario::agree(&l, &r, first.as_ref()),
        "{first:?}"
    );
}

#[test]
fn a_busy_fault_the_os_did_not_declare_at_cas_is_refused_with_its_line() {
    let dir = work("no-busy");
    let fixture_text = std::fs::read_to_string(fixture("change-msi-busy.scenario")).unwrap();
    let body = |negotiate: &str| -> String {
        fixture_text
            .lines()
            .filter(|l| !l.starts_with("machine"))
            .map(|l| {
                if l.starts_with("negotiate") {
                    format!("{negotiate}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    };
    // The fixture's comment lines, then machine (5), negotiate (6), boot (7), fault (8).
    for (name, negotiate) in [
        ("off.scenario", "negotiate change-msi-busy off"),
        ("none.scenario", "# no negotiate line: off, as Linux"),
    ] {
        let f = scenario(&dir, name, &body(negotiate));
        for client in [Client::Model, linux()] {
            let e = pseries_sim::scenario::run_file_with(
                &f,
                Default::default(),
                &mut Vec::new(),
                client,
            )
            .err()
            .unwrap_or_else(|| panic!("{name} with {} passed", client.name()))
            .to_string();
            assert!(
                e.starts_with(&format!(
                    "{}:8:1: 'fault ibm,change-msi busy' can never fire",
                    f.display()
                )),
                "{e}"
            );
            assert!(e.contains("negotiate change-msi-busy on"), "{e}");
        }
    }
    // An extended delay alone is refused the same way; other faults are not.
    let f = scenario(
        &dir,
        "delay.scenario",
        "boot\nfault ibm,change-msi delay 3 after 2\n",
    );
    let e = pseries_sim::scenario::run_file(&f, Default::default(), &mut Vec::new())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains(":3:1: 'fault ibm,change-msi delay 3' can never fire"),
        "{e}"
    );
    let f = scenario(&dir, "other.scenario", "boot\nfault ibm,change-msi fewer 2 times 5\nfault ibm,configure-pe busy\nrequest 0000:00:01.0 msix 3 min 1\nexpect granted 0000:00:01.0 2\n");
    pseries_sim::scenario::run_file(&f, Default::default(), &mut Vec::new()).unwrap();
    // On the command line: exit 1, the line named on stderr.
    let o = cli(
        &["run", dir.join("off.scenario").to_str().unwrap()],
        &cache(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("off.scenario:8:1: 'fault ibm,change-msi busy' can never fire")
    );
}

/// 6.1's msi.c with `extra` put after rtas_change_msi's `seq_num = 1;`, written to
/// `dir/name`; the number of the line edited.
fn edited(dir: &Path, name: &str, extra: &str) -> (PathBuf, usize) {
    let src = std::fs::read_to_string(msi_c()).unwrap();
    let at = src
        .lines()
        .position(|l| l == "\tseq_num = 1;")
        .expect("6.1's rtas_change_msi sets seq_num = 1");
    let out: Vec<String> = src
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == at {
                format!("{l} {extra}")
            } else {
                l.to_string()
            }
        })
        .collect();
    let f = dir.join(name);
    std::fs::write(&f, out.join("\n") + "\n").unwrap();
    (f, at + 1)
}

fn cached(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache.join("linux-client"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_function_that_exists_nowhere_is_a_build_error_naming_it_and_its_line() {
    let dir = work("undefined");
    let cache = dir.join("cache");
    let scen = fixture("unbind.scenario");
    // Called undeclared: the compiler's error, with the user's path and line.
    let (undeclared, line) = edited(&dir, "undeclared.c", "psim_no_such_function(func);");
    let o = with_client("run", &scen, &undeclared, &cache);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert!(
        err.contains(&format!("{}:{line}:", undeclared.display())),
        "{err}"
    );
    assert!(
        err.contains("implicit declaration of function 'psim_no_such_function'"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing ran: {}", text(&o.stdout));
    // Declared but defined nowhere: the link fails, naming the symbol, the caller and
    // its line (not a load error at run time).
    let (declared, line) = edited(
        &dir,
        "declared.c",
        "{ extern int psim_no_such_function(u32); psim_no_such_function(func); }",
    );
    let o = with_client("run", &scen, &declared, &cache);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(125), "{err}");
    assert_eq!(
        err,
        format!(
            "pseries-sim: {0} does not link ({cc}): it refers to symbols nothing defines:\n  {0}:{line}: in function `rtas_change_msi`: undefined reference to `psim_no_such_function`\n",
            declared.display(),
            cc = std::env::var("CC").ok().filter(|c| !c.is_empty()).unwrap_or("cc".into())
        )
    );
    assert!(o.stdout.is_empty());
    assert_eq!(
        cached(&cache),
        Vec::<String>::new(),
        "nothing broken is cached"
    );
    // diff-clients says the same.
    let o = with_client("diff-clients", &scen, &declared, &cache);
    assert_eq!(o.status.code(), Some(125));
    assert!(text(&o.stderr).contains("undefined reference to `psim_no_such_function`"));
    assert_eq!(cached(&cache), Vec::<String>::new());
}

#[test]
fn compiler_warnings_are_shown_and_the_run_proceeds_cached_or_not() {
    let dir = work("warning");
    let cache = dir.join("cache");
    let scen = fixture("unbind.scenario");
    let (file, line) = edited(&dir, "warn.c", "int unused;");
    for round in ["built", "cached"] {
        let o = with_client("run", &scen, &file, &cache);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{round}: {err}");
        assert!(
            err.contains(&format!(
                "{}:{line}:26: warning: unused variable 'unused' [-Wunused-variable]",
                file.display()
            )),
            "{round}: {err}"
        );
        assert!(
            text(&o.stdout).ends_with("scenario passed: 180 RTAS calls, 10 virqs mapped\n"),
            "{round}"
        );
    }
    let mut c = cached(&cache);
    c.sort();
    assert_eq!(c.len(), 2, "{c:?}");
    assert!(
        c[0].ends_with(".so") && c[1].ends_with(".warnings"),
        "{c:?}"
    );
    // 6.1's own file builds without a word.
    let o = cli(&["run", scen.to_str().unwrap(), &spec()], &cache);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stderr), "");
}
