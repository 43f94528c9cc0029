//! The user's kernel code cannot take the simulator down: 6.1's msi.c edited to crash,
//! hang, overrun or fire a BUG_ON in `rtas_change_msi` (when it is asked for 4 vectors:
//! the fixture's first MSI-X request) fails the run at its scenario line, exit 1, never a
//! signal, naming the edited file's line and what happened; other scenarios of the same
//! `run -j` go on.

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{edited, scratch, sim, text, tree};
use std::path::{Path, PathBuf};

/// 6.1's msi.c, and the line of `rtas_change_msi`'s opening brace.
fn msi_c() -> (PathBuf, usize) {
    let f = tree("6.1").join("arch/powerpc/platforms/pseries/msi.c");
    let text = std::fs::read_to_string(&f).unwrap();
    let sig = text
        .lines()
        .position(|l| l.starts_with("static int rtas_change_msi("))
        .expect("rtas_change_msi in 6.1's msi.c");
    (f, sig + 2)
}

/// msi.c with `stmt` as the first statement of rtas_change_msi; its path and that line.
fn edit(dir: &Path, name: &str, stmt: &str) -> (PathBuf, usize) {
    let (src, brace) = msi_c();
    let out = dir.join(name);
    edited(
        &src,
        brace,
        &format!("\tif (num_irqs == 4) {{ {stmt} }} /* the edit */"),
        &out,
    );
    (out, brace + 1)
}

/// Runs the fixture boot with a client; asserts exit 1 (not a signal) and returns the
/// message.
fn fails(client: &str, extra: &[&str]) -> String {
    let boot = kernels::project().join("fixtures/linux-guest/boot.scenario");
    let mut args = vec!["run", boot.to_str().unwrap(), "--client", client];
    args.extend_from_slice(extra);
    let o = sim(&args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    // The scenario line of the first MSI-X request, the edited file and line.
    assert!(t.contains("boot.scenario:5:1: "), "{t}");
    t
}

#[test]
fn a_null_store_is_a_sigsegv_at_the_edited_line() {
    let dir = scratch("null");
    let (f, line) = edit(&dir, "null.c", "*(volatile int *)0 = 1;");
    let t = fails(&format!("linux:{}", f.display()), &[]);
    assert!(t.contains("the client crashed: SIGSEGV"), "{t}");
    assert!(
        t.contains(&format!("in rtas_change_msi at {}:{line}", f.display())),
        "{t}"
    );
}

#[test]
fn an_endless_loop_is_stopped_by_the_watchdog_where_it_loops() {
    let dir = scratch("loop");
    let (f, line) = edit(&dir, "loop.c", "for (;;) ;");
    let t = fails(
        &format!("linux:{}", f.display()),
        &["--client-timeout", "1"],
    );
    assert!(
        t.contains("the client did not return within 1 s (--client-timeout)"),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "stopped in rtas_change_msi at {}:{line}",
            f.display()
        )),
        "{t}"
    );
}

#[test]
fn a_firing_bug_on_fails_the_run_like_an_oops() {
    let dir = scratch("bug");
    let (f, line) = edit(&dir, "bug.c", "BUG_ON(func != 99);");
    let t = fails(&format!("linux:{}", f.display()), &[]);
    assert!(t.contains("SIGABRT"), "{t}");
    assert!(
        t.contains(&format!("kernel BUG at {}:{line}!", f.display())),
        "{t}"
    );
}

#[test]
fn a_heap_overrun_under_address_sanitizer_is_named_with_its_line() {
    let dir = scratch("overrun");
    let (f, line) = edit(
        &dir,
        "overrun.c",
        "char *p = kzalloc(4, GFP_KERNEL); ((volatile char *)p)[8] = 1;",
    );
    let t = fails(
        &format!("linux:{}", f.display()),
        &["--sanitize", "address"],
    );
    assert!(t.contains("AddressSanitizer: heap-buffer-overflow"), "{t}");
    assert!(
        t.contains(&format!("in rtas_change_msi at {}:{line}", f.display())),
        "{t}"
    );
}

#[test]
fn a_crash_in_a_tree_names_the_tree_s_file_and_line() {
    // A tree of links to 6.1's files, but for an edited msi.c.
    let dir = scratch("tree");
    let t61 = tree("6.1");
    let st = std::process::Command::new("cp")
        .arg("-rs")
        .arg(format!("{}/.", t61.display()))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    let msi = dir.join("arch/powerpc/platforms/pseries/msi.c");
    std::fs::remove_file(&msi).unwrap();
    let (src, brace) = msi_c();
    edited(
        &src,
        brace,
        "\tif (num_irqs == 4) *(volatile int *)0 = 1; /* the edit */",
        &msi,
    );
    let t = fails(&format!("linux:{}", dir.display()), &[]);
    assert!(t.contains("SIGSEGV"), "{t}");
    let canon = msi.canonicalize().unwrap();
    assert!(
        t.contains(&format!(
            "in rtas_change_msi at {}:{}",
            canon.display(),
            brace + 1
        )),
        "{t}"
    );
    // A call to a function nothing defines: the link names it and its caller's line.
    std::fs::remove_file(&msi).unwrap();
    edited(
        &src,
        brace,
        "\tpsim_no_such_function(); /* the edit */",
        &msi,
    );
    let boot = kernels::project().join("fixtures/linux-guest/boot.scenario");
    let client = format!("linux:{}", dir.display());
    let o = sim(&["run", boot.to_str().unwrap(), "--client", &client]);
    let t = text(&o);
    // A client that does not link cannot be built: git bisect's "skip".
    assert_eq!(o.status.code(), Some(125), "{t}");
    assert!(
        t.contains("undefined reference to `psim_no_such_function'"),
        "{t}"
    );
    assert!(t.contains(&format!("msi.c:{}", brace + 1)), "{t}");
}

#[test]
fn run_j_2_runs_the_good_scenario_beside_the_crashing_one() {
    let dir = scratch("many");
    let (f, _) = edit(&dir, "null.c", "*(volatile int *)0 = 1;");
    let machine = kernels::project().join("fixtures/linux-guest/qemu-initial.dtb");
    let head = format!("machine {}\nprofile qemu\nboot\n", machine.display());
    // 5 vectors ask the firmware for 8: no call for 4, no crash.
    let good = dir.join("good.scenario");
    std::fs::write(
        &good,
        format!("{head}request 0000:00:01.0 msix 5\nexpect granted 0000:00:01.0 5\n"),
    )
    .unwrap();
    let bad = dir.join("bad.scenario");
    std::fs::write(&bad, format!("{head}request 0000:00:01.0 msix 3\n")).unwrap();
    let client = format!("linux:{}", f.display());
    let o = sim(&[
        "run",
        "-j",
        "2",
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
        "--client",
        &client,
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("SIGSEGV"), "{t}");
    let good_line = t.lines().find(|l| l.contains("good.scenario")).expect(&t);
    assert!(good_line.contains("passed"), "{t}");
}

#[test]
fn linux_clients_learn_hot_plugged_nodes() {
    // The hotplug fixture adds a virtio-net function after boot and asks for its
    // vectors: the client learns its node (OF_RECONFIG_ATTACH_NODE) and serves it.
    let hotplug = kernels::project().join("fixtures/hotplug.scenario");
    let (file, _) = msi_c();
    // And agrees with the model on it.
    let spec = format!("linux:{}", file.display());
    let o = sim(&["diff-clients", hotplug.to_str().unwrap(), "--client", &spec]);
    let t = text(&o);
    assert!(o.status.success() && t.contains("the clients agree"), "{t}");
    for client in [file, tree("6.12"), tree("7.2")] {
        let spec = format!("linux:{}", client.display());
        let o = sim(&["run", hotplug.to_str().unwrap(), "--client", &spec]);
        let t = text(&o);
        assert!(o.status.success(), "{spec}: {t}");
        assert!(
            t.contains("driver 0000:00:10.0: request msix 5 (min 1): got 5"),
            "{spec}: {t}"
        );
    }
}

#[test]
fn warn_on_is_traced_counted_and_fails_under_warn_as_error() {
    let dir = scratch("warn");
    let (f, line) = edit(&dir, "warn.c", "WARN_ON(func != 99);");
    let boot = kernels::project().join("fixtures/linux-guest/boot.scenario");
    let client = format!("linux:{}", f.display());
    let o = sim(&["run", boot.to_str().unwrap(), "--client", &client]);
    let t = text(&o);
    // The scenario's own checks still pass (a warning does not change what the code
    // does); the warning is in the trace with its line, and counted.
    assert!(o.status.success(), "{t}");
    let warning = format!("WARNING: {}:{line}: func != 99", f.display());
    // Each call for 4 vectors warns: as many warnings as traced lines.
    let n = t
        .lines()
        .filter(|l| *l == format!("msg    {warning}"))
        .count();
    assert!(n >= 1, "{t}");
    assert!(
        t.contains(&format!("client warnings: {n} (the first: {warning};")),
        "{t}"
    );
    let o = sim(&[
        "run",
        boot.to_str().unwrap(),
        "--client",
        &client,
        "--warn-as-error",
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains(&format!(
            "boot.scenario:5:1: the client warned (--warn-as-error): {warning}"
        )),
        "{t}"
    );
}
