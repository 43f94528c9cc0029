//! Suspend and resume: virqs survive a renumbering firmware on random machines; the
//! firmware state blob round-trips and refuses every corruption and truncation.

mod common;

use common::*;
use of_tree::Tree;
use platform::{Kernel, MsiType, ResumeMode};
use proptest::prelude::*;
use pseries_sim::BootOptions;
use rtas::Profile;

fn be(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// A pSeries tree: `phbs[i]` holds the (req#msi, req#msi-x) of PHB i's functions.
fn machine(phbs: &[Vec<(u32, u32)>]) -> Tree {
    let mut t = Tree::new();
    let r = t.root();
    t.set_prop(r, "device_type", b"chrp\0".to_vec());
    t.set_prop(r, "#address-cells", be(2));
    t.set_prop(r, "#size-cells", be(2));
    let rtas = t.add_child(r, "rtas");
    for s in rtas::Service::ALL {
        t.set_prop(rtas, s.name(), be(rtas::service::qemu_token(*s)));
    }
    t.set_prop(rtas, "ibm,change-msix-capable", Vec::new());
    for (p, fns) in phbs.iter().enumerate() {
        let buid = 0x0800_0000_2000_0000u64 + p as u64;
        let phb = t.add_child(r, &format!("pci@{buid:x}"));
        t.set_prop(phb, "device_type", b"pci\0".to_vec());
        t.set_prop(phb, "#address-cells", be(3));
        t.set_prop(phb, "#size-cells", be(2));
        t.set_prop(
            phb,
            "reg",
            [be((buid >> 32) as u32), be(buid as u32), be(0), be(0)].concat(),
        );
        t.set_prop(phb, "ibm,pe-total-#msi", be(4096));
        for (i, &(msi, msix)) in fns.iter().enumerate() {
            let devfn = (i as u32) << 3;
            let f = t.add_child(phb, &format!("dev@{:x}", i));
            t.set_prop(
                f,
                "reg",
                [be(devfn << 8), be(0), be(0), be(0), be(0)].concat(),
            );
            t.set_prop(f, "interrupts", be(1));
            if msi > 0 {
                t.set_prop(f, "ibm,req#msi", be(msi));
            }
            if msix > 0 {
                t.set_prop(f, "ibm,req#msi-x", be(msix));
            }
        }
    }
    t
}

#[derive(Debug, Clone)]
enum Op {
    Request(usize, bool, u32),
    Free(usize),
    Unbind(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0usize..128, any::<bool>(), 1u32..40).prop_map(|(d, x, n)| Op::Request(d, x, n)),
            1 => (0usize..128).prop_map(Op::Free),
            1 => (0usize..128).prop_map(Op::Unbind),
        ],
        1..24,
    )
}

fn funcs() -> impl Strategy<Value = Vec<Vec<(u32, u32)>>> {
    prop::collection::vec(
        prop::collection::vec(
            (
                prop_oneof![Just(0u32), 1u32..33],
                prop_oneof![Just(0u32), 1u32..65],
            ),
            1..33,
        ),
        1..5,
    )
}

fn check_invariants(k: &Kernel) -> Result<(), TestCaseError> {
    let fw = pseries_sim::harness::firmware(k);
    let m = &fw.machine;
    let problems = m.ownership_problems();
    prop_assert!(problems.is_empty(), "{:?}", problems);
    let assigned: u64 = m
        .phbs
        .iter()
        .flat_map(|p| p.msi.values())
        .map(|b| b.reserved as u64)
        .sum();
    let held: u64 = fw.held.iter().map(|h| h.count as u64).sum();
    prop_assert_eq!(
        m.pools.free_count() + assigned + held,
        m.pools.capacity(),
        "pool not conserved"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]
    #[test]
    fn virqs_survive_a_renumbering_resume(phbs in funcs(), ops in ops(), qemu in any::<bool>(), rounds in 1usize..3) {
        let profile = if qemu { Profile::Qemu } else { Profile::Papr };
        let opts = BootOptions { profile, trace: false, rtas_log: false, ..Default::default() };
        let mut k = pseries_sim::harness::boot(machine(&phbs), opts).unwrap();
        let n = k.devices.len();
        for op in ops {
            match op {
                Op::Request(d, x, count) => {
                    let d = d % n;
                    let kind = if x { MsiType::Msix } else { MsiType::Msi };
                    let _ = k.request(d, kind, count, 1);
                }
                Op::Free(d) => {
                    let _ = k.free(d % n);
                }
                Op::Unbind(d) => k.unbind(d % n),
            }
        }
        check_invariants(&k)?;
        for _ in 0..rounds {
            let before = k.held_virqs();
            k.suspend().unwrap();
            pseries_sim::harness::resume(&mut k, ResumeMode::Renumber).unwrap();
            check_invariants(&k)?;
            let problems = pseries_sim::scenario::virqs_stable(&mut k);
            prop_assert!(problems.is_empty(), "{:?}", problems);
            let after = k.held_virqs();
            prop_assert_eq!(before.len(), after.len());
            for (b, a) in before.iter().zip(&after) {
                prop_assert_eq!((b.virq, b.dev, b.vector), (a.virq, a.dev, a.vector), "virq moved");
                if !before.is_empty() {
                    prop_assert_ne!(b.source, a.source, "a renumbering resume kept source {:#x}", b.source);
                }
            }
        }
    }
}

#[test]
fn state_blob_round_trips() {
    for rel in ["linux-guest/qemu-initial.dtb", "qemu/b_devices.dtb"] {
        for profile in [Profile::Qemu, Profile::Papr] {
            let opts = BootOptions {
                profile,
                ..Default::default()
            };
            let mut rep = pseries_sim::boot::boot_all(fixture_tree(rel), opts).unwrap();
            let k = &mut rep.kernel;
            let d = k.devices.iter().position(|d| d.msi.is_some()).unwrap();
            pseries_sim::harness::fire(k, d, 0).unwrap();
            let blob = pseries_sim::harness::save(k);
            let mut fresh = firmware(rel, profile);
            assert!(fresh.machine != pseries_sim::harness::firmware(k).machine);
            fresh.restore(&blob).unwrap();
            assert!(
                fresh.machine == pseries_sim::harness::firmware(k).machine,
                "{rel} {profile}: restored machine differs"
            );
            assert_eq!(fresh.save(), blob, "save, restore, save: identical bytes");
        }
    }
}

#[test]
fn every_corruption_and_truncation_is_refused() {
    let opts = BootOptions {
        profile: Profile::Qemu,
        ..Default::default()
    };
    let rep = pseries_sim::boot::boot_all(fixture_tree("qemu/a_default.dtb"), opts).unwrap();
    let blob = pseries_sim::harness::save(&rep.kernel);
    let mut target = firmware("qemu/a_default.dtb", Profile::Qemu);
    let before = target.machine.clone();
    for len in 0..blob.len() {
        assert!(
            target.restore(&blob[..len]).is_err(),
            "truncation to {len} accepted"
        );
    }
    let mut b = blob.clone();
    for i in 0..b.len() {
        for delta in [1u8, 0x80] {
            b[i] ^= delta;
            assert!(target.restore(&b).is_err(), "corruption at {i} accepted");
            b[i] ^= delta;
        }
    }
    assert!(
        target.machine == before,
        "a refused blob changed the machine"
    );
    let mut longer = blob.clone();
    longer.push(0);
    assert!(target.restore(&longer).is_err());
    // Another tree, another profile.
    let mut other = firmware("qemu/b_devices.dtb", Profile::Qemu);
    let e = other.restore(&blob).unwrap_err().to_string();
    assert!(e.contains("another machine"), "{e}");
    let mut papr = firmware("qemu/a_default.dtb", Profile::Papr);
    assert!(papr.restore(&blob).is_err());
    target.restore(&blob).unwrap();
}

#[test]
fn the_fixture_scenario_passes() {
    let mut out = Vec::new();
    let k = pseries_sim::scenario::run_file(
        &fixture("suspend-renumber.scenario"),
        Default::default(),
        &mut out,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap();
    assert!(pseries_sim::harness::firmware(&k).renumbers >= 2);
    assert!(out.iter().any(|l| l.starts_with("remap")));
}
