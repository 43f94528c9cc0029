//! The tree client under XIVE: the tree's own XIVE driver (`sysdev/xive/common.c` and
//! `spapr.c`, unmodified) is the OS's interrupt-controller driver. Its hypervisor calls
//! are the trace's `hcall` events, its `pr_debug` lines the trace's messages, and every
//! vector fired is taken by its queue scan and EOIed by it (docs/real-kernel.md).

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{scratch, sim, text, tree};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    kernels::project()
}

/// Runs a scenario with a client (`model` or a tree); its trace. Fails with the output
/// if the run fails.
fn run(scenario: &Path, client: &str) -> String {
    let o = sim(&["run", &scenario.display().to_string(), "--client", client]);
    let t = text(&o);
    assert!(o.status.success(), "{client}: {}\n{t}", scenario.display());
    t
}

fn tree_client(t: &Path) -> String {
    format!("linux:{}", t.display())
}

/// The fixture guest's scenario (on XIVE: the machine offers it, Linux asks for it)
/// without its RTAS log, then every vector its drivers still hold fired.
fn boot_and_fire(dir: &Path) -> PathBuf {
    let mut body = kernels::boot_without_log_text();
    let held = [
        ("0000:00:01.0", 3),
        ("0001:00:01.0", 3),
        ("0000:00:04.0", 4),
        ("0000:00:05.0", 1),
        ("0001:00:03.0", 1),
        ("0000:00:06.0", 1),
    ];
    for (dev, n) in held {
        for v in 0..n {
            body.push_str(&format!("fire {dev} {v}\n"));
        }
    }
    let out = dir.join("boot-fire.scenario");
    std::fs::write(&out, body).unwrap();
    out
}

fn count(trace: &str, prefix: &str) -> usize {
    trace.lines().filter(|l| l.starts_with(prefix)).count()
}

/// The hypervisor calls of a trace, sorted (the same calls whatever their order).
fn hcalls(trace: &str) -> Vec<&str> {
    let mut v: Vec<&str> = trace.lines().filter(|l| l.starts_with("hcall")).collect();
    v.sort_unstable();
    v
}

fn the_driver_runs(version: &str) {
    let dir = scratch(&format!("xive-{version}"));
    let scenario = boot_and_fire(&dir);
    let t = run(&scenario, &tree_client(&tree(version)));
    assert!(
        t.contains("msg    xive: Interrupt handling initialized with spapr backend"),
        "{version}: xive_core_init ran\n{t}"
    );
    // Every source-info and source-config call is the driver's: its pr_debug line
    // is beside each.
    for call in ["H_INT_GET_SOURCE_INFO", "H_INT_SET_SOURCE_CONFIG"] {
        let made = count(&t, &format!("hcall  {call} "));
        let said = count(&t, &format!("msg    xive: {call} "));
        assert!(made > 0, "{version}: no {call}");
        assert_eq!(made, said, "{version}: {call} calls and the driver's lines");
    }
    // 13 vectors fired, each taken by the driver's queue scan and handled once.
    assert_eq!(count(&t, "irq    "), 13, "{version}\n{t}");
    assert!(!t.contains("WARNING"), "{version}: the driver warned\n{t}");
}

#[test]
fn the_6_1_tree_s_xive_driver_makes_the_hcalls_and_takes_every_vector() {
    the_driver_runs("6.1");
}

#[test]
fn the_7_2_tree_s_xive_driver_makes_the_hcalls_and_takes_every_vector() {
    the_driver_runs("7.2");
}

/// The model's XIVE calls are the real 6.1 driver's: per vector its source info, per
/// started vector its source config at priority 6, at free the same target at 0xff
/// with the EISN XIVE_BAD_IRQ.
#[test]
fn the_model_makes_the_6_1_driver_s_xive_calls() {
    let scenario = root().join("fixtures/linux-guest/boot.scenario");
    let real = run(&scenario, &tree_client(&tree("6.1")));
    let model = run(&scenario, "model");
    assert!(!hcalls(&real).is_empty());
    assert_eq!(hcalls(&model), hcalls(&real));
    assert!(
        real.contains("hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x130c, 0x0, 0xff, 0x7fffffff] -> [0]")
    );
}

/// A copy of 6.1 (its files linked, not copied) whose spapr.c routes every source at
/// priority 5, in the scratch folder `name`.
fn priority_5_copy(name: &str) -> PathBuf {
    let real = tree("6.1");
    let copy = scratch(&format!("{name}/linux"));
    let _ = std::fs::remove_dir_all(&copy);
    let link_all = |from: &Path, to: &Path, keep: &str| {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_name() != keep {
                std::os::unix::fs::symlink(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    };
    link_all(&real, &copy, "arch");
    link_all(&real.join("arch"), &copy.join("arch"), "powerpc");
    let (rp, cp) = (real.join("arch/powerpc"), copy.join("arch/powerpc"));
    link_all(&rp, &cp, "sysdev");
    link_all(&rp.join("sysdev"), &cp.join("sysdev"), "xive");
    link_all(&rp.join("sysdev/xive"), &cp.join("sysdev/xive"), "spapr.c");
    let spapr = std::fs::read_to_string(rp.join("sysdev/xive/spapr.c")).unwrap();
    let from = "\t\t\t\t\ttarget, prio, sw_irq);";
    assert!(spapr.contains(from), "6.1's plpar_int_set_source_config");
    let edited = spapr.replace(from, "\t\t\t\t\ttarget, prio == 0xff ? prio : 5, sw_irq);");
    std::fs::write(cp.join("sysdev/xive/spapr.c"), edited).unwrap();
    copy
}

/// A request of 3 vectors on the fixture machine.
fn request_scenario(dir: &Path) -> PathBuf {
    let scenario = dir.join("request.scenario");
    let machine = root().join("fixtures/linux-guest/qemu-initial.dtb");
    std::fs::write(
        &scenario,
        format!(
            "machine {}\nprofile qemu\nboot\nrequest 0000:00:01.0 msix 3\n",
            machine.display()
        ),
    )
    .unwrap();
    scenario
}

/// The edited driver's priority shows in the trace.
#[test]
fn an_edited_spapr_c_s_priority_reaches_the_firmware() {
    let copy = priority_5_copy("xive-prio5");
    let scenario = request_scenario(&scratch("xive-prio5"));
    let t = run(&scenario, &tree_client(&copy));
    for (lisn, virq) in [(0x1300, 0x17), (0x1301, 0x18), (0x1302, 0x19)] {
        let want =
            format!("hcall  H_INT_SET_SOURCE_CONFIG [0x2, {lisn:#x}, 0x0, 0x5, {virq:#x}] -> [0]");
        assert!(t.contains(&want), "{want}\n{t}");
    }
    assert_eq!(count(&t, "hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x130"), 3);
    let unedited = run(&scenario, &tree_client(&tree("6.1")));
    assert!(
        unedited.contains("hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x1300, 0x0, 0x6, 0x17] -> [0]")
    );
}

/// `diff-clients` compares the XIVE calls for each source: the unedited tree agrees
/// with the model, and the edited one differs first at its first source config.
#[test]
fn diff_clients_finds_the_edited_priority() {
    let copy = priority_5_copy("xive-prio5-diff");
    let scenario = request_scenario(&scratch("xive-prio5-diff"));
    let s = scenario.display().to_string();
    let real = tree_client(&tree("6.1"));
    let o = sim(&["diff-clients", &s, "--client", &real]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("the clients agree"), "{t}");
    let o = sim(&[
        "diff-clients",
        &s,
        "--client",
        &real,
        "--client",
        &tree_client(&copy),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("(line 4): hcall H_INT_SET_SOURCE_CONFIG args [0x2, 0x1300, 0x0, 0x6, 0x17]")
            && t.contains(
                "(line 4): hcall H_INT_SET_SOURCE_CONFIG args [0x2, 0x1300, 0x0, 0x5, 0x17]"
            ),
        "{t}"
    );
}

/// The firmware's state saved and restored under the real driver: the vectors still
/// reach it (its queue, its EOI), before and after a free and a new request.
#[test]
fn a_save_and_restore_keeps_the_driver_s_vectors() {
    let dir = scratch("xive-save");
    let machine = root().join("fixtures/linux-guest/qemu-initial.dtb");
    let state = dir.join("machine.state");
    let scenario = dir.join("save.scenario");
    std::fs::write(
        &scenario,
        format!(
            "machine {}\nprofile qemu\nboot\nrequest 0000:00:01.0 msix 3\nfire 0000:00:01.0 0\n\
             save {s}\nrestore {s}\nfire 0000:00:01.0 0\nfire 0000:00:01.0 1\n\
             free 0000:00:01.0\nrequest 0000:00:01.0 msix 3\nfire 0000:00:01.0 2\n",
            machine.display(),
            s = state.display()
        ),
    )
    .unwrap();
    let t = run(&scenario, &tree_client(&tree("6.1")));
    assert_eq!(count(&t, "irq    "), 4, "{t}");
}

/// `start K` under XIVE: every vector's source info is asked for at allocation, but
/// only the started vectors' sources are configured (routed at request, unrouted at
/// free); the model makes the real 6.1 driver's calls.
#[test]
fn only_started_vectors_get_a_source_config() {
    let dir = scratch("xive-start");
    let machine = root().join("fixtures/linux-guest/qemu-initial.dtb");
    for (start, configured) in [("start 0", 0), ("start 1", 1), ("", 3)] {
        let scenario = dir.join(format!("start{configured}.scenario"));
        std::fs::write(
            &scenario,
            format!(
                "machine {}\nprofile qemu\nboot\nrequest 0000:00:01.0 msix 3 {start}\nfree 0000:00:01.0\n",
                machine.display()
            ),
        )
        .unwrap();
        let real = run(&scenario, &tree_client(&tree("6.1")));
        let model = run(&scenario, "model");
        assert_eq!(hcalls(&model), hcalls(&real), "{start:?}");
        for t in [&real, &model] {
            for lisn in 0x1300..0x1303 {
                let info = format!("hcall  H_INT_GET_SOURCE_INFO [0x0, {lisn:#x}]");
                assert_eq!(count(t, &info), 1, "{start:?} {lisn:#x}\n{t}");
            }
            let routed = "hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x130";
            // At request, then at free.
            assert_eq!(count(t, routed), 2 * configured, "{start:?}\n{t}");
        }
        if configured == 1 {
            let want = "hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x1300, 0x0, 0x6, 0x17] -> [0]";
            assert!(real.contains(want), "{real}");
        }
    }
}

/// Under the real driver a resume with the same sources keeps every vector; a renumbering
/// resume loses them. Neither 6.1 nor 7.2 asks the firmware again after a resume: not
/// `msi.c`, not the XIVE driver, and `post_mobility_fixup` re-reads only the tree. Linux
/// counts on the firmware keeping its source numbers.
#[test]
fn a_resume_keeps_the_driver_s_vectors_and_a_renumbering_one_loses_them() {
    let dir = scratch("xive-resume");
    let machine = root().join("fixtures/linux-guest/qemu-initial.dtb");
    let scenario = dir.join("resume.scenario");
    std::fs::write(
        &scenario,
        format!(
            "machine {}\nprofile papr\nboot\nrequest 0000:00:01.0 msix 3\nfire 0000:00:01.0 0\n\
             suspend\nresume keep\nfire 0000:00:01.0 1\nsuspend\nresume renumber\n\
             fire 0000:00:01.0 2\n",
            machine.display()
        ),
    )
    .unwrap();
    for version in ["6.1", "7.2"] {
        let o = sim(&[
            "run",
            &scenario.display().to_string(),
            "--client",
            &tree_client(&tree(version)),
        ]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{version}\n{t}");
        assert_eq!(
            count(&t, "irq    "),
            2,
            "{version}: both vectors before the renumbering\n{t}"
        );
        assert!(
            t.contains(":11:1: fire 0000:00:01.0 2: the handler did not run: the message reached no source"),
            "{version}\n{t}"
        );
    }
    // The model's resume hook asks for the new sources: the same scenario passes.
    run(&scenario, "model");
}

/// `start DEV V|all` under XIVE: the real 6.1 driver and the model make the same calls,
/// in the same order. A start makes its vector's source config (priority 6, the virq as
/// EISN) and only that; the free unroutes exactly the three vectors started. A fire
/// before the start fails alike under both, naming the line that would start it.
#[test]
fn a_vector_started_later_gets_its_source_config_then() {
    let dir = scratch("xive-start-later");
    let machine = root().join("fixtures/linux-guest/qemu-initial.dtb");
    let head = format!(
        "machine {}\nprofile qemu\nboot\nrequest 0000:00:01.0 msix 3 start 0\n",
        machine.display()
    );
    let scenario = dir.join("start-later.scenario");
    std::fs::write(
        &scenario,
        format!(
            "{head}start 0000:00:01.0 1\nfire 0000:00:01.0 1\nstart 0000:00:01.0 all\n\
             fire 0000:00:01.0 2\nfire 0000:00:01.0 0\nfree 0000:00:01.0\n"
        ),
    )
    .unwrap();
    let real = run(&scenario, &tree_client(&tree("6.1")));
    let model = run(&scenario, "model");
    let configs = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("hcall  H_INT_SET_SOURCE_CONFIG [0x2, 0x130"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(hcalls(&model), hcalls(&real));
    assert_eq!(configs(&model), configs(&real));
    let c = |lisn: u32, prio: u32, eisn: u32| {
        format!("hcall  H_INT_SET_SOURCE_CONFIG [0x2, {lisn:#x}, 0x0, {prio:#x}, {eisn:#x}] -> [0]")
    };
    let bad = 0x7fff_ffff;
    assert_eq!(
        configs(&real),
        [
            c(0x1301, 6, 0x18),
            c(0x1300, 6, 0x17),
            c(0x1302, 6, 0x19),
            c(0x1300, 0xff, bad),
            c(0x1301, 0xff, bad),
            c(0x1302, 0xff, bad),
        ],
        "{real}"
    );
    for t in [&real, &model] {
        assert_eq!(count(t, "irq    "), 3, "{t}");
    }
    // The fire before any start: refused under both, with the same words.
    let early = dir.join("fire-early.scenario");
    std::fs::write(&early, format!("{head}fire 0000:00:01.0 0\n")).unwrap();
    for client in [tree_client(&tree("6.1")), "model".into()] {
        let o = sim(&["run", &early.display().to_string(), "--client", &client]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{client}\n{t}");
        assert!(
            t.contains(":5:1: vector 0 of 0000:00:01.0 was never started (its request at line 4 starts 0; `start 0000:00:01.0 0` starts it later): no handler"),
            "{client}\n{t}"
        );
        assert!(
            !t.contains("H_INT_SET_SOURCE_CONFIG [0x2, 0x130"),
            "{client}\n{t}"
        );
    }
}
