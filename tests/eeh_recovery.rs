//! The OS's EEH recovery against the firmware: a frozen device recovers with the same
//! virqs, all firing, five times in a row; its neighbours are not disturbed; the
//! scenario lines `eeh freeze`, `eeh recover`, `expect frozen`.

mod common;

use common::*;
use platform::kernel::Kernel;
use platform::ops::MsiType;
use platform::trace::TraceFormat;
use pseries_sim::harness::{self, BootOptions};
use rtas::Profile;

fn boot(profile: Profile) -> Kernel {
    let opts = BootOptions {
        profile,
        eeh: true,
        ..Default::default()
    };
    harness::boot(fixture_tree("linux-guest/qemu-initial.dtb"), opts).unwrap()
}

fn virqs(k: &Kernel, d: usize) -> Vec<u32> {
    k.devices[d]
        .msi
        .as_ref()
        .map(|m| m.virqs.clone())
        .unwrap_or_default()
}

#[test]
fn five_freeze_recover_cycles_keep_the_virqs_and_spare_the_neighbours() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut k = boot(profile);
        let a = k.device("0000:00:01.0").unwrap();
        let b = k.device("0000:00:05.0").unwrap();
        assert_eq!(k.request(a, MsiType::Msix, 4, 4).unwrap(), 4);
        assert_eq!(k.request(b, MsiType::Msi, 1, 1).unwrap(), 1);
        let held = virqs(&k, a);
        let held_b = virqs(&k, b);
        for cycle in 1..=5u32 {
            harness::freeze(&mut k, a).unwrap();
            assert!(harness::frozen(&k, a).unwrap());
            let dropped = harness::firmware(&k).machine.drops.frozen;
            assert!(
                harness::fire(&mut k, a, 0).is_err(),
                "a frozen PE sends nothing"
            );
            assert_eq!(harness::firmware(&k).machine.drops.frozen, dropped + 1);
            // The neighbour fires through it all.
            assert_eq!(harness::fire(&mut k, b, 0), Ok(held_b[0]));
            let rec = k
                .eeh_recover(a)
                .unwrap_or_else(|e| panic!("{profile} cycle {cycle}: {e}"));
            assert_eq!(rec.state, 2, "detected as stopped");
            assert_eq!(rec.vectors, 4);
            assert!(
                rec.log.is_some_and(|w| w >> 24 == 6),
                "a version-6 error log"
            );
            assert!(!harness::frozen(&k, a).unwrap());
            assert_eq!(
                virqs(&k, a),
                held,
                "{profile} cycle {cycle}: the same virqs"
            );
            for v in 0..4 {
                assert_eq!(
                    harness::fire(&mut k, a, v),
                    Ok(held[v as usize]),
                    "{profile} cycle {cycle}: vector {v}"
                );
            }
            assert_eq!(virqs(&k, b), held_b);
            assert_eq!(harness::fire(&mut k, b, 0), Ok(held_b[0]));
        }
        let f = harness::firmware(&k);
        let r = f
            .machine
            .functions()
            .find(|&r| f.machine.function(r).info.path.ends_with("ethernet@1"))
            .unwrap();
        assert_eq!(f.machine.function(r).eeh.freezes, 5);
        assert!(
            f.machine.function(r).eeh.enabled,
            "the OS enabled EEH on it"
        );
        assert_eq!(k.devices[a].eeh.as_ref().unwrap().recoveries, 5);
    }
}

#[test]
fn a_sixth_freeze_disables_the_device_for_good_as_linux_does() {
    let mut k = boot(Profile::Papr);
    let a = k.device("0000:00:01.0").unwrap();
    k.request(a, MsiType::Msix, 2, 2).unwrap();
    for _ in 0..5 {
        harness::freeze(&mut k, a).unwrap();
        k.eeh_recover(a).unwrap();
    }
    harness::freeze(&mut k, a).unwrap();
    let e = k.eeh_recover(a).unwrap_err().to_string();
    assert!(
        e.contains("PE#800 has failed 6 times in the last hour and has been permanently disabled"),
        "{e}"
    );
    assert!(harness::frozen(&k, a).unwrap(), "left frozen");
    let log = harness::call_log(&k).last().unwrap().clone();
    assert_eq!(log.service, "ibm,slot-error-detail");
    assert_eq!(log.args.last(), Some(&2), "the permanent log");
    assert!(k.devices[a].eeh.as_ref().unwrap().failed);
}

#[test]
fn recovery_of_a_device_that_is_not_frozen_fails_and_says_so() {
    let mut k = boot(Profile::Papr);
    let a = k.device("0000:00:01.0").unwrap();
    let e = k.eeh_recover(a).unwrap_err().to_string();
    assert!(e.contains("not all ones: no freeze"), "{e}");
    let opts = BootOptions::default();
    let mut k = harness::boot(fixture_tree("linux-guest/qemu-initial.dtb"), opts).unwrap();
    harness::freeze(&mut k, a).unwrap();
    let e = k.eeh_recover(a).unwrap_err().to_string();
    assert!(e.contains("has no EEH enabled"), "{e}");
}

#[test]
fn busy_and_delay_answers_are_retried_a_hardware_error_fails_recovery() {
    use rtas::faults::{Fault, FaultRule};
    use rtas::Service;
    let mut k = boot(Profile::Papr);
    let a = k.device("0000:00:01.0").unwrap();
    k.request(a, MsiType::Msix, 2, 2).unwrap();
    let held = virqs(&k, a);
    harness::freeze(&mut k, a).unwrap();
    harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ConfigurePe, 0, 3, Fault::Delay(2)))
        .add(FaultRule::new(Service::SetSlotReset, 0, 1, Fault::Busy));
    let rec = k.eeh_recover(a).unwrap();
    assert_eq!(rec.retries, 4);
    assert_eq!(virqs(&k, a), held);
    assert_eq!(harness::fire(&mut k, a, 1), Ok(held[1]));
    harness::freeze(&mut k, a).unwrap();
    harness::firmware_mut(&mut k).faults.add(FaultRule::new(
        Service::ConfigurePe,
        0,
        1,
        Fault::HwError,
    ));
    let e = k.eeh_recover(a).unwrap_err().to_string();
    assert!(e.contains("configure-pe answered -1"), "{e}");
}

/// Runs a scenario on the guest tree; the error's text, if any.
fn run(body: &str) -> Result<(), String> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let f = scratch("eeh-scenario").join(format!("s{n}.scenario"));
    let text = format!(
        "machine {}\n{body}",
        fixture("linux-guest/qemu-initial.dtb").display()
    );
    std::fs::write(&f, text).unwrap();
    let mut out: Vec<String> = Vec::new();
    pseries_sim::scenario::run_file(&f, TraceFormat::Human, &mut out)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn scenario_lines() {
    let cycle = "eeh freeze 0000:00:01.0\nexpect frozen 0000:00:01.0\neeh recover 0000:00:01.0\nexpect fires 0000:00:01.0 0\nexpect fires 0000:00:01.0 3\nexpect fires 0000:00:05.0 0\n";
    let body = format!(
        "boot\nrequest 0000:00:01.0 msix 4\nrequest 0000:00:05.0 msi 1\nsuspend\nresume keep\n{}expect virqs-stable\n",
        cycle.repeat(5)
    );
    assert_eq!(run(&body), Ok(()));
    let e = run("boot\nexpect frozen 0000:00:01.0\n").unwrap_err();
    assert!(e.contains(":3:1:") && e.contains("is not frozen"), "{e}");
    let e = run("boot\neeh recover 0000:00:01.0\n").unwrap_err();
    assert!(e.contains(":3:1:") && e.contains("no freeze"), "{e}");
    let e = run("boot\neeh freeze 0000:00:01.0\nexpect fires 0000:00:01.0 0\n").unwrap_err();
    assert!(e.contains(":4:1:"), "{e}");
    let e = run("boot\neeh freeze 0000:00:1f.0\n").unwrap_err();
    assert!(e.contains("no device 0000:00:1f.0"), "{e}");
}

#[test]
fn a_frozen_pe_survives_save_and_restore_and_recovers_after() {
    let mut k = boot(Profile::Papr);
    let a = k.device("0000:00:01.0").unwrap();
    k.request(a, MsiType::Msix, 3, 3).unwrap();
    let held = virqs(&k, a);
    harness::freeze(&mut k, a).unwrap();
    let blob = harness::save(&k);
    k.eeh_recover(a).unwrap();
    assert!(!harness::frozen(&k, a).unwrap());
    harness::restore(&mut k, &blob).unwrap();
    assert!(
        harness::frozen(&k, a).unwrap(),
        "the blob holds the frozen PE"
    );
    let f = harness::firmware(&k);
    let r = f
        .machine
        .functions()
        .find(|&r| {
            f.machine.function(r).addr == k.devices[a].addr
                && f.machine.phbs[r.phb].buid == k.devices[a].buid
        })
        .unwrap();
    assert!(
        f.machine.function(r).eeh.log_pending,
        "and its waiting error log"
    );
    let rec = k.eeh_recover(a).unwrap();
    assert!(rec.log.is_some());
    assert_eq!(virqs(&k, a), held);
    for v in 0..3 {
        assert_eq!(harness::fire(&mut k, a, v), Ok(held[v as usize]));
    }
}
