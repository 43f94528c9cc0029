//! change-msi and set-xive at their edges, where cargo-mutants found the other tests
//! silent: injected faults in both profiles, the grant-less loop when the pool is short,
//! sources held over a renumbering resume taken back when the pool runs short, function
//! 1 on an MSI-X-only function, a function-2 call that continues nothing, QEMU's
//! exact-maximum request and one trace line for an MSI block, and priority 0xff.

mod common;

use common::services::*;
use common::*;
use rtas::alloc::BlockKind;
use rtas::faults::{Fault, FaultRule};
use rtas::{Firmware, FnRef, Profile, Service};

const B: &str = "qemu/b_devices.dtb";

fn fault(fw: &mut Firmware, f: Fault) {
    fw.faults.add(FaultRule::new(Service::ChangeMsi, 0, 1, f));
}

/// Takes every free source of `r`'s PHB one at a time, then frees `keep` consecutive
/// ones starting at a multiple of `keep` (so the buddy pool can hand them out as one).
fn leave_free(fw: &mut Firmware, r: FnRef, keep: u32) {
    let mut taken = Vec::new();
    while let Some(s) = fw.machine.pools.alloc(r.phb, 1, BlockKind::Msix) {
        taken.push(s);
    }
    taken.sort_unstable();
    let start = taken
        .windows(keep as usize)
        .find(|w| w[0] % keep == 0 && w[keep as usize - 1] == w[0] + keep - 1)
        .expect("an aligned run")[0];
    for s in start..start + keep {
        fw.machine.pools.free(r.phb, s, 1);
    }
    assert_eq!(fw.machine.pools.free_count(), keep as u64);
}

#[test]
fn injected_faults_answer_in_both_profiles() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware(B, profile);
        let x = msix_only(&fw);
        fault(&mut fw, Fault::HwError);
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[0], -1, "{profile}");
        assert_eq!(fw.machine.block(x), None, "{profile}: nothing allocated");
        fault(&mut fw, Fault::Status(-9001));
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[0], -9001, "{profile}");
        assert_eq!(fw.machine.block(x), None, "{profile}: nothing allocated");
        fault(&mut fw, Fault::Fewer(2));
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 2], "{profile}");
        assert_eq!(fw.machine.block(x).unwrap().count, 2, "{profile}");
    }
}

#[test]
fn a_short_pool_grants_the_largest_power_of_two_that_fits() {
    for (ask, got) in [(8, 4), (6, 4), (3, 2)] {
        let mut fw = firmware(B, Profile::Papr);
        let x = msix_only(&fw);
        leave_free(&mut fw, x, 4);
        if ask == 3 {
            // Only two left in one piece.
            let s = fw.machine.pools.alloc(x.phb, 2, BlockKind::Msix).unwrap();
            assert!(s.is_multiple_of(2), "a 2-aligned pair");
        }
        assert_eq!(
            change_msi(&mut fw, x, 4, ask, 1, 4)[..2],
            [0, got as i64],
            "{ask} asked"
        );
        assert_eq!(fw.machine.block(x).unwrap().count, got);
    }
}

#[test]
fn held_sources_come_back_when_the_pool_runs_short() {
    let mut fw = firmware(B, Profile::Papr);
    let x = msix_only(&fw);
    assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
    fw.resume(true);
    assert!(!fw.held.is_empty(), "the block is held over the resume");
    // Nothing free but what is held: the request gets the held sources.
    while fw.machine.pools.alloc(x.phb, 1, BlockKind::Msix).is_some() {}
    assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
    assert!(fw.held.is_empty());
}

#[test]
fn function_1_on_an_msix_only_function_sets_msix() {
    let mut fw = firmware(B, Profile::Papr);
    let x = msix_only(&fw);
    assert_eq!(change_msi(&mut fw, x, 1, 2, 1, 4), vec![0, 2, 2, 2]);
    assert_eq!(fw.machine.block(x).unwrap().kind, BlockKind::Msix);
}

#[test]
fn function_2_with_a_later_sequence_number_continues_nothing() {
    let mut fw = firmware(B, Profile::Papr);
    let x = msix_only(&fw);
    fault(&mut fw, Fault::Busy);
    let busy = change_msi(&mut fw, x, 4, 4, 1, 4);
    assert_eq!(busy[0], -2);
    assert_eq!(
        change_msi(&mut fw, x, 2, 0, busy[2] as u32 + 3, 4)[0],
        -3,
        "a reset is a new call (sequence 1) or nothing"
    );
    assert_eq!(change_msi(&mut fw, x, 4, 4, busy[2] as u32, 4)[..2], [0, 4]);
}

#[test]
fn qemu_grants_a_request_of_exactly_the_maximum() {
    let mut fw = firmware(B, Profile::Qemu);
    let x = msix_only(&fw);
    let max = fw.machine.function(x).msix.unwrap().table_size as u32;
    assert_eq!(change_msi(&mut fw, x, 4, max, 1, 4)[..2], [0, max as i64]);
    assert_eq!(fw.machine.block(x).unwrap().count, max, "allocated");
}

/// QEMU-profile firmware for [`B`] with its first MSI-only function asking for `msi`
/// MSI vectors (`ibm,req#msi`, which sizes the function's MSI capability).
fn msi_function_asking_for(msi: u32) -> Firmware {
    let mut tree = fixture_tree(B);
    let node = tree
        .walk()
        .into_iter()
        .find(|&n| {
            let node = tree.node(n);
            node.prop("ibm,req#msi").is_some() && node.prop("ibm,req#msi-x").is_none()
        })
        .expect("an MSI-only function in the fixture");
    tree.set_prop(node, "ibm,req#msi", msi.to_be_bytes().to_vec());
    firmware_of(&tree, Profile::Qemu)
}

#[test]
fn qemu_functions_1_3_and_4_without_a_capability_are_refused() {
    let mut fw = firmware(B, Profile::Qemu);
    let r = neither(&fw);
    let f = fw.machine.function(r);
    assert!(
        f.msi.is_none() && f.msix.is_none(),
        "no MSI capability at all"
    );
    for f in [1, 3, 4] {
        assert_eq!(change_msi(&mut fw, r, f, 1, 1, 4)[0], -3, "function {f}");
        assert_eq!(
            change_msi(&mut fw, r, f, 0, 1, 4)[0],
            -3,
            "function {f}: release"
        );
    }
}

#[test]
fn qemu_traces_one_setup_line_for_an_msi_block() {
    // QEMU's spapr_msi_setmsg: one spapr_pci_msi_setup for MSI, one per vector for
    // MSI-X. The fixtures' MSI functions take one message: this one is made to offer four.
    let mut fw = msi_function_asking_for(4);
    let m = find_fn(&fw, |m, _| m == Some(4));
    assert!(fw.machine.function(m).msi.unwrap().capable() >= 2);
    let f = fw.machine.function_mut(m);
    let cap = f.msi.unwrap();
    let ctl = f.config.read(cap.offset as u32 + 2, 2).unwrap();
    // Multiple Message Enable: 2 vectors.
    f.config_write(cap.offset as u32 + 2, 2, (ctl & !0x70) | 0x10)
        .unwrap();
    fw.qemu_tracing = true;
    assert_eq!(change_msi(&mut fw, m, 3, 2, 1, 4)[..2], [0, 2]);
    let setup: Vec<_> = fw
        .qemu_trace
        .iter()
        .filter(|l| l.starts_with("spapr_pci_msi_setup"))
        .collect();
    assert_eq!(setup.len(), 1, "{setup:?}");
    assert!(setup[0].contains("vector 0,"), "{}", setup[0]);
}

#[test]
fn set_xive_takes_priority_0xff_and_no_higher() {
    let mut fw = firmware(B, Profile::Papr);
    let x = msix_only(&fw);
    assert_eq!(change_msi(&mut fw, x, 4, 1, 1, 4)[..2], [0, 1]);
    let src = query(&mut fw, x, 0)[1] as u32;
    assert_eq!(
        fw.call(Service::SetXive, &[src, 0, 0xff], 1).unwrap(),
        vec![0]
    );
    assert_eq!(
        fw.call(Service::SetXive, &[src, 0, 0x100], 1).unwrap()[0] as i32,
        -3
    );
}
