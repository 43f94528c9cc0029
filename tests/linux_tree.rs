//! The tree client (`--client linux:TREE`): Debian's kernel trees 6.1, 6.12, 7.2 and 7.3,
//! taken from Debian's packages at test time (scripts/test.sh runs
//! scripts/fetch-kernels.sh), each compiled with its own MSI core and run against our
//! firmware. What each version does is checked against the fixture guest's calls and
//! against what the version's code computes (docs/real-kernel.md).

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{sim, text, tree};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    kernels::project()
}

/// Runs a scenario with a version's tree; its trace. Fails with the output if it fails.
fn run(scenario: &Path, version: &str) -> String {
    let client = format!("linux:{}", tree(version).display());
    let o = sim(&["run", &scenario.display().to_string(), "--client", &client]);
    let t = text(&o);
    assert!(o.status.success(), "{version}: {}\n{t}", scenario.display());
    t
}

/// fixtures/linux-guest/boot.scenario without its `expect rtas-log` (6.1's calls), for
/// the versions that make other calls by design.
fn boot_without_log() -> PathBuf {
    let dir = root().join("target/linux-tree-test");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("boot-{}.scenario", std::process::id()));
    std::fs::write(&out, kernels::boot_without_log_text()).unwrap();
    out
}

/// The `ibm,change-msi` lines of a trace for one config address and BUID, as
/// (function, num) pairs.
fn change_msi(trace: &str, cfg: &str, buid: &str) -> Vec<(u32, u32)> {
    trace
        .lines()
        .filter(|l| l.starts_with("rtas   ibm,change-msi"))
        .filter(|l| l.contains(&format!("cfg {cfg} buid {buid} ")))
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let at = |k: &str| w.iter().position(|x| *x == k).and_then(|i| w.get(i + 1));
            Some((at("func")?.parse().ok()?, at("num")?.parse().ok()?))
        })
        .collect()
}

const PHB0: &str = "0x800000020000000";
const PHB1: &str = "0x800000020000001";

#[test]
fn the_6_x_trees_reproduce_the_fixture_guest_calls() {
    // boot.scenario ends in `expect rtas-log`: the 88 MSI calls of the real 6.1 guest.
    let boot = root().join("fixtures/linux-guest/boot.scenario");
    for v in ["6.1", "6.12"] {
        let t = run(&boot, v);
        assert!(t.contains("scenario passed"), "{v}: {t}");
        // virtio-net (0000:00:01.0) asks for the driver's count, 3 rounded up to 4.
        assert_eq!(change_msi(&t, "0x800", PHB0).get(2), Some(&(4, 4)), "{v}");
    }
}

#[test]
fn the_7_x_trees_run_the_fixture_boot_to_its_end() {
    let boot = boot_without_log();
    for v in ["7.2", "7.3"] {
        let t = run(&boot, v);
        assert!(t.contains("scenario passed"), "{v}: {t}");
        // The per-device MSI domain is made at the first allocation for the whole
        // MSI-X table (8 entries): change-msi for 8, the firmware grants 5, asked again.
        let calls = change_msi(&t, "0x800", PHB0);
        assert_eq!(calls.get(2), Some(&(4, 8)), "{v}: {calls:?}");
        assert_eq!(calls.get(3), Some(&(4, 5)), "{v}: {calls:?}");
        // Freeing vectors makes no firmware call: the domain, and the firmware's
        // vectors, live until the driver unbinds. 0000:00:03.0 is freed four times.
        let storage = change_msi(&t, "0x1800", PHB0);
        assert!(
            storage.iter().skip(2).all(|&(f, _)| f != 0),
            "{v}: {storage:?}"
        );
    }
    let _ = std::fs::remove_file(boot);
}

#[test]
fn the_6_1_tree_and_its_msi_c_on_the_stand_in_core_make_the_same_calls() {
    // The same msi.c, once on the tree's real core, once on the project's stand-in
    // core: every line of the trace but config-space accesses (the real scan reads the
    // capabilities), the XIVE driver's messages (the tree's own driver runs under the
    // tree client, the model's under the file client: their hypervisor calls are
    // alike) and the final count must be the same.
    let boot = root().join("fixtures/linux-guest/boot.scenario");
    let real = run(&boot, "6.1");
    let file = tree("6.1").join("arch/powerpc/platforms/pseries/msi.c");
    let o = sim(&[
        "run",
        &boot.display().to_string(),
        "--client",
        &format!("linux:{}", file.display()),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let keep = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains("pci-config") && !l.starts_with("scenario passed"))
            .filter(|l| !l.starts_with("msg    xive: "))
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (keep(&real), keep(&text(&o)));
    let first = a.iter().zip(&b).position(|(x, y)| x != y);
    assert!(
        first.is_none() && a.len() == b.len(),
        "first difference at line {first:?}: {:?} vs {:?}",
        first.map(|i| &a[i]),
        first.map(|i| &b[i])
    );
}

#[test]
fn a_pe_quota_is_enforced_where_each_version_enforces_it() {
    let quota = root().join("fixtures/linux-guest/pe-quota.scenario");
    for v in ["6.1", "6.12", "7.2", "7.3"] {
        let t = run(&quota, v);
        let eth = change_msi(&t, "0x800", PHB1);
        // After the boot's two disabling calls: the calls of the request and the free.
        let calls = &eth[2..];
        // Both clamp 0001:00:01.0's request to its share of the PE's 4 vectors (1) and
        // ask the firmware for no more than that.
        assert!(
            t.contains("driver 0001:00:01.0: request msix 3 (min 1): got 1"),
            "{v}"
        );
        let before_grant = &t[..t.find("driver 0001:00:01.0: request").unwrap()];
        let after_call = &before_grant[before_grant.find("func 4 num 1").unwrap()..];
        if v.starts_with("6.") {
            // 6.x: msi_quota_for_device clamps the driver's 3 before any call; the PCI
            // core retries with 1; one vector is allocated.
            assert!(
                before_grant.contains("calc quota for 0001:00:01.0, request 3"),
                "{v}"
            );
            assert_eq!(
                after_call.matches("pseries_irq_domain_alloc").count(),
                1,
                "{v}"
            );
            assert!(!after_call.contains("pseries_irq_domain_free"), "{v}");
            // The refused first attempt is torn down twice (the MSI core frees its
            // descriptors, then the PCI layer frees again): two rounds of disabling
            // (function 3, then 1), then the call for 1, then the free's disabling.
            let disable = [(3, 0), (1, 0)];
            let want = [&disable[..], &disable, &[(4, 1)], &disable].concat();
            assert_eq!(calls, &want[..], "{v}");
        } else {
            // 7.x: the device domain asks for the hardware count (the table, clipped by
            // ibm,req#msi-x: 3) once; the domain allocates to the quota, the second
            // vector gets -ENOSPC, the first is freed, the PCI core retries with 1.
            assert!(
                before_grant.contains("calc quota for 0001:00:01.0, request 3"),
                "{v}"
            );
            assert_eq!(
                after_call.matches("pseries_irq_domain_alloc").count(),
                2,
                "{v}"
            );
            assert_eq!(
                after_call.matches("pseries_irq_domain_free").count(),
                1,
                "{v}"
            );
            // One call in all: no teardown of a refused attempt, and freeing makes no
            // firmware call.
            assert_eq!(calls, &[(4, 1)], "{v}");
        }
    }
}

#[test]
fn a_folder_that_is_no_supported_tree_gets_one_clear_error() {
    let dir = root().join(format!(
        "target/linux-tree-test/fake-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let boot = root().join("fixtures/linux-guest/boot.scenario");
    let client = format!("linux:{}", dir.display());
    let args = ["run", boot.to_str().unwrap(), "--client", &client];
    // No Makefile at all.
    let o = sim(&args);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("not a kernel source tree"),
        "{}",
        text(&o)
    );
    // An older kernel: its MSI core is named, and the version it needs.
    std::fs::write(
        dir.join("Makefile"),
        "VERSION = 5\nPATCHLEVEL = 15\nSUBLEVEL = 190\n",
    )
    .unwrap();
    let o = sim(&args);
    let t = text(&o);
    assert!(!o.status.success());
    assert!(t.contains("Linux 5.15.190 is not supported yet"), "{t}");
    assert!(
        t.contains("for_each_pci_msi_entry") && t.contains("6.1 or later"),
        "{t}"
    );
    // A 6.12 tree without its MSI core: the missing files, by name.
    std::fs::write(
        dir.join("Makefile"),
        "VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 1\n",
    )
    .unwrap();
    let o = sim(&args);
    let t = text(&o);
    assert!(!o.status.success());
    assert!(
        t.contains("Linux 6.12.1: the tree lacks") && t.contains("kernel/irq/msi.c"),
        "{t}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unbind_tears_the_7_x_device_domain_down_and_is_free_in_6_x() {
    let unbind = root().join("fixtures/unbind.scenario");
    for v in ["6.1", "6.12", "7.2", "7.3"] {
        let t = run(&unbind, v);
        // The calls between the `free` and the `unbind` that follows it, and those of
        // the first `unbind` (of a driver holding its vectors).
        let at = |s: &str| t.find(s).unwrap_or_else(|| panic!("{v}: no {s:?} in\n{t}"));
        let (first_grant, first_unbind) = (
            at("driver 0000:00:01.0: request msix 5 (min 5): got 5"),
            at("driver 0000:00:01.0: unbind: vectors released"),
        );
        let (freed, second_unbind) = (
            at("driver 0000:00:01.0: free: vectors released"),
            at("driver 0000:00:01.0: unbind: no vectors held"),
        );
        let second_grant = at("driver 0000:00:01.0: request msix 5 (min 2): got 5");
        let calls = |a: usize, b: usize| change_msi(&t[a..b], "0x800", PHB0);
        // Disabling MSI (rtas_disable_msi): function 3, then function 1 when the
        // firmware refuses 3 (QEMU answers -3 to it here).
        let disables = |c: &[(u32, u32)]| {
            c.last() == Some(&(1, 0)) && c.iter().all(|&(f, n)| n == 0 && (f == 1 || f == 3))
        };
        // Unbinding a driver that holds its vectors disables MSI in firmware, in every
        // version (6.x: pci_free_irq_vectors; 7.x: the device domain's teardown).
        let c = calls(first_grant, first_unbind);
        assert!(disables(&c), "{v}: {c:?}");
        if v.starts_with("6.") {
            // free disables; the unbind of a driver holding nothing makes no call.
            let c = calls(second_grant, freed);
            assert!(disables(&c), "{v}: {c:?}");
            assert!(calls(freed, second_unbind).is_empty(), "{v}");
        } else {
            // free makes no call; the unbind after it tears the domain down.
            assert!(calls(second_grant, freed).is_empty(), "{v}");
            let c = calls(freed, second_unbind);
            assert!(disables(&c), "{v}: {c:?}");
        }
    }
}

#[test]
fn diff_clients_of_6_12_and_7_2_names_the_first_change_msi_of_virtio_net() {
    let boot = root().join("fixtures/linux-guest/boot.scenario");
    let (a, b) = (tree("6.12"), tree("7.2"));
    let o = sim(&[
        "diff-clients",
        boot.to_str().unwrap(),
        "--client",
        &format!("linux:{}", a.display()),
        "--client",
        &format!("linux:{}", b.display()),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let first = t
        .lines()
        .position(|l| l.starts_with("first difference"))
        .expect(&t);
    let lines: Vec<&str> = t.lines().collect();
    // virtio-net's request (scenario line 5): 6.12 asks for 4, 7.2 for the table's 8.
    assert!(
        lines[first + 1]
            .contains("(line 5): rtas ibm,change-msi args [2048, 134217728, 536870912, 4, 4, 1]"),
        "{t}"
    );
    assert!(
        lines[first + 2]
            .contains("(line 5): rtas ibm,change-msi args [2048, 134217728, 536870912, 4, 8, 1]"),
        "{t}"
    );
}

/// `NAME.dts` (the text `dts`) and `NAME.scenario` in `dir`: the QEMU profile booted on
/// it, then `body`; the scenario, checked to pass with the model.
fn scenario_passing_on_the_model(dir: &Path, name: &str, dts: &str, body: &str) -> PathBuf {
    std::fs::write(dir.join(format!("{name}.dts")), dts).unwrap();
    let scen = dir.join(format!("{name}.scenario"));
    std::fs::write(
        &scen,
        format!("machine {name}.dts\nprofile qemu\nboot\n{body}"),
    )
    .unwrap();
    let model = sim(&["run", &scen.display().to_string()]);
    assert!(model.status.success(), "{}", text(&model));
    scen
}

#[test]
fn without_pe_total_every_tree_crashes_at_the_first_request() {
    // No ibm,pe-total-#msi on the PHBs: pseries_msi_allocate_domains gives them no MSI
    // domain (as the model and 6.1's msi.c on the stand-in core do: the request fails,
    // "MSI not supported"). The real core then finds the interrupt controller's domain
    // for the PHB node instead (XIVE's match takes any node), whose host_data is NULL:
    // the client crashes at the first request, reported as an error, exit status 1.
    let dir = kernels::scratch("no-pe-total");
    let src =
        std::fs::read_to_string(root().join("fixtures/linux-guest/qemu-initial.dts")).unwrap();
    let dts: String = src
        .lines()
        .filter(|l| !l.contains("ibm,pe-total-#msi"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(dts.len() < src.len());
    let scen = scenario_passing_on_the_model(
        &dir,
        "no-pe-total",
        &dts,
        "request 0000:00:01.0 msix 3\nexpect request-fails 0000:00:01.0\n",
    );
    for (v, at) in [
        (
            "6.1",
            ["kernel/irq/msi.c", "msi_domain_alloc_irqs_descs_locked"],
        ),
        (
            "6.12",
            ["drivers/pci/msi/irqdomain.c", "pci_msi_domain_supports"],
        ),
        (
            "7.2",
            ["drivers/pci/msi/irqdomain.c", "pci_msi_domain_supports"],
        ),
        (
            "7.3",
            ["drivers/pci/msi/irqdomain.c", "pci_msi_domain_supports"],
        ),
    ] {
        let client = format!("linux:{}", tree(v).display());
        let o = sim(&["run", &scen.display().to_string(), "--client", &client]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{v}: an error, not a signal\n{t}");
        let err = t
            .lines()
            .find(|l| l.starts_with("pseries-sim: "))
            .unwrap_or_else(|| panic!("{v}: no error line\n{t}"));
        assert!(err.contains("no-pe-total.scenario:4:1: "), "{v}: {err}");
        assert!(err.contains("the client crashed: SIGSEGV"), "{v}: {err}");
        for name in at {
            assert!(err.contains(name), "{v}: {name} in {err}");
        }
        assert!(
            t.contains("PCI: failed to find MSIs for bridge /pci@800000020000000 (domain 0)"),
            "{v}: {t}"
        );
    }
}

#[test]
fn a_hot_removed_function_leaves_the_trees_device_tree() {
    // PHB 0's PE total 8 for its 9 functions: 0000:00:01.0's request of 2 is not limited
    // while usb-xhci@8 is counted (8 / 9 = 0, no limit), is clamped to 8 / 8 = 1 once the
    // function is hot-removed (of_detach_node) and fails, as the model's does.
    let dir = kernels::scratch("hot-removed");
    let src =
        std::fs::read_to_string(root().join("fixtures/linux-guest/qemu-initial.dts")).unwrap();
    let dts = src.replacen(
        "ibm,pe-total-#msi = <0xd00>;",
        "ibm,pe-total-#msi = <8>;",
        1,
    );
    assert_ne!(dts, src);
    let scen = scenario_passing_on_the_model(
        &dir,
        "pe-total-8",
        &dts,
        "request 0000:00:01.0 msix 2\nexpect granted 0000:00:01.0 2\nfree 0000:00:01.0\nhotplug remove 0000:00:08.0\nrequest 0000:00:01.0 msix 2\nexpect request-fails 0000:00:01.0\n",
    );
    let t = run(&scen, "6.1");
    let (before, after) = t
        .split_once("dlpar: removed 0000:00:08.0")
        .unwrap_or_else(|| panic!("{t}"));
    let counting = "rtas_msi: counting /pci@800000020000000/usb-xhci@8";
    assert!(before.contains(counting), "{t}");
    assert!(!after.contains(counting), "{t}");
    assert!(
        after.contains("rtas_msi: request clamped to quota 1"),
        "{t}"
    );
    assert!(t.contains("scenario passed"), "{t}");
}
