//! RTAS services change-msi and query: each LoPAPR requirement in the papr profile and
//! each QEMU difference in the qemu profile, with malformed calls.

mod common;

use common::services::*;
use common::*;
use rtas::faults::{Fault, FaultRule};
use rtas::{Firmware, MachineConfig, Profile, Service};

const B: &str = "qemu/b_devices.dtb";

// ------------------------------------------------------------------- papr profile

#[test]
fn papr_parameter_errors_change_nothing() {
    let mut fw = firmware(B, Profile::Papr);
    let (mo, xo, no) = (msi_only(&fw), msix_only(&fw), neither(&fw));
    let before = fw.machine.clone();
    assert_eq!(
        change_msi(&mut fw, xo, 3, 1, 1, 4)[0],
        -3,
        "function 3 without ibm,req#msi"
    );
    assert_eq!(
        change_msi(&mut fw, mo, 4, 1, 1, 4)[0],
        -3,
        "function 4 without ibm,req#msi-x"
    );
    assert_eq!(
        change_msi(&mut fw, no, 1, 1, 1, 3)[0],
        -3,
        "function 1 with neither"
    );
    assert_eq!(change_msi(&mut fw, mo, 7, 1, 1, 4)[0], -3, "no function 7");
    assert_eq!(
        change_msi(&mut fw, mo, 3, 1, 5, 4)[0],
        -3,
        "sequence number continuing nothing"
    );
    let (hi, lo) = buid_cells(&fw, mo);
    let c = cfg_addr(&fw, mo);
    let r = fw
        .call(Service::ChangeMsi, &[c, hi, lo + 77, 3, 1, 1], 4)
        .unwrap();
    assert_eq!(r[0] as i32, -3, "unknown BUID");
    let r = fw
        .call(Service::ChangeMsi, &[c | 0x10, hi, lo, 3, 1, 1], 4)
        .unwrap();
    assert_eq!(r[0] as i32, -3, "register bits set");
    let r = fw.call(Service::ChangeMsi, &[c, hi, lo, 3, 1], 4).unwrap();
    assert_eq!(r[0] as i32, -3, "five arguments");
    assert!(fw.machine == before, "state changed");
}

#[test]
fn papr_without_change_msix_capable() {
    let mut tree = fixture_tree(B);
    let rtas_node = tree.find("/rtas").unwrap();
    tree.remove_prop(rtas_node, "ibm,change-msix-capable");
    let mut fw = rtas::Firmware::new(&tree, &Default::default()).unwrap();
    let mo = msi_only(&fw);
    for f in [3, 4, 5] {
        assert_eq!(change_msi(&mut fw, mo, f, 1, 1, 3)[0], -3, "function {f}");
    }
    assert_eq!(change_msi(&mut fw, mo, 1, 1, 1, 4)[0], -3, "4 outputs");
    let r = change_msi(&mut fw, mo, 1, 1, 1, 3);
    assert_eq!(r, vec![0, 1, 2]);
}

/// change-msi's base form without `ibm,change-msix-capable` (LoPAPR R1-1 of
/// `ibm,change-msi`: functions 0 to 2 with 3 outputs): function 0 queries.
#[test]
fn function_0_queries_without_change_msix_capable() {
    let mut tree = fixture_tree(B);
    let rtas_node = tree.find("/rtas").unwrap();
    tree.remove_prop(rtas_node, "ibm,change-msix-capable");
    let mut fw = Firmware::new(&tree, &MachineConfig::default()).unwrap();
    assert!(!fw.tokens.change_msix_capable);
    let r = fw
        .machine
        .functions()
        .find(|&r| fw.machine.function(r).msi.is_some())
        .unwrap();
    let c = fw.machine.function(r).addr.config_addr();
    let b = fw.machine.phbs[r.phb].buid;
    let (hi, lo) = ((b >> 32) as u32, b as u32);
    let call = |fw: &mut Firmware, f: u32, n: u32, nret: usize| {
        fw.call(Service::ChangeMsi, &[c, hi, lo, f, n, 1], nret)
            .unwrap()
    };
    assert_eq!(call(&mut fw, 0, 0, 3), vec![0, 0, 2], "nothing yet");
    assert_eq!(call(&mut fw, 1, 1, 3), vec![0, 1, 2]);
    assert_eq!(call(&mut fw, 0, 0, 3), vec![0, 1, 2], "one now");
    assert_eq!(
        call(&mut fw, 0, 0, 4)[0] as i32,
        -3,
        "4 outputs need the flag"
    );
    assert_eq!(call(&mut fw, 3, 1, 3)[0] as i32, -3, "function 3 needs it");
    assert_eq!(call(&mut fw, 2, 0, 3), vec![0, 0, 2]);
}

#[test]
fn papr_count_zero_removes_both_kinds_and_restores_the_lsi() {
    let mut fw = firmware(B, Profile::Papr);
    let r = both(&fw);
    assert!(fw.machine.function(r).lsi.is_some());
    assert_eq!(change_msi(&mut fw, r, 4, 4, 1, 4), vec![0, 4, 2, 2]);
    assert!(
        fw.machine.function(r).intx_disabled(),
        "LSI off while MSIs are on"
    );
    let msix_cap = fw.machine.function(r).msix.unwrap();
    assert!(msix_cap.enabled(&fw.machine.function(r).config));
    assert_eq!(
        change_msi(&mut fw, r, 3, 0, 1, 4),
        vec![0, 0, 2, 0],
        "function 3 count 0"
    );
    assert_eq!(
        fw.machine.block(r),
        None,
        "MSI-X removed by a function 3 release"
    );
    assert!(
        !fw.machine.function(r).intx_disabled(),
        "the same LSI is back"
    );
    assert!(!msix_cap.enabled(&fw.machine.function(r).config));
    assert_eq!(
        fw.machine.pools.free_count(),
        firmware(B, Profile::Papr).machine.pools.free_count()
    );
}

#[test]
fn papr_function_3_disables_msix_and_4_disables_msi() {
    let mut fw = firmware(B, Profile::Papr);
    let r = both(&fw);
    assert_eq!(change_msi(&mut fw, r, 4, 2, 1, 4)[..2], [0, 2]);
    let old = fw.machine.block(r).unwrap();
    assert_eq!(change_msi(&mut fw, r, 3, 1, 1, 4), vec![0, 1, 2, 1]);
    let f = fw.machine.function(r);
    assert!(f.msi.unwrap().enabled(&f.config));
    assert!(!f.msix.unwrap().enabled(&f.config), "MSI-X off");
    let new = fw.machine.block(r).unwrap();
    assert_ne!(
        new.first, old.first,
        "new block allocated before the old one is freed"
    );
    assert_eq!(change_msi(&mut fw, r, 4, 2, 1, 4), vec![0, 2, 2, 2]);
    let f = fw.machine.function(r);
    assert!(!f.msi.unwrap().enabled(&f.config), "MSI off");
    assert!(fw.machine.ownership_problems().is_empty());
}

#[test]
fn papr_function_0_queries_and_2_resets() {
    let mut fw = firmware(B, Profile::Papr);
    let r = both(&fw);
    assert_eq!(change_msi(&mut fw, r, 0, 0, 1, 4), vec![0, 0, 2, 0]);
    change_msi(&mut fw, r, 4, 3, 1, 4);
    assert_eq!(change_msi(&mut fw, r, 0, 0, 1, 4), vec![0, 3, 2, 2]);
    assert_eq!(change_msi(&mut fw, r, 2, 0, 1, 4), vec![0, 0, 2, 0]);
    assert_eq!(fw.machine.block(r), None);
    assert!(!fw.machine.function(r).intx_disabled());
}

#[test]
fn papr_busy_continuation_and_abort() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_only(&fw);
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 2, Fault::Busy));
    let first = change_msi(&mut fw, r, 4, 4, 1, 4);
    assert_eq!(first[0], -2);
    assert_eq!(fw.machine.block(r), None, "nothing done while busy");
    let seq = first[2] as u32;
    let second = change_msi(&mut fw, r, 4, 4, seq, 4);
    assert_eq!(second[0], -2, "busy twice");
    let third = change_msi(&mut fw, r, 4, 4, second[2] as u32, 4);
    assert_eq!(third[..2], [0, 4], "completed on the continuation");
    assert_eq!(fw.machine.block(r).unwrap().count, 4);

    // Extended delay, then function 2 with sequence 1 aborts the change.
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Delay(2)));
    let before = fw.machine.block(r);
    let d = change_msi(&mut fw, r, 4, 8, 1, 4);
    assert_eq!(d[0], 9902);
    assert_eq!(change_msi(&mut fw, r, 2, 0, 1, 4)[0], 0, "abort");
    assert_eq!(
        change_msi(&mut fw, r, 4, 8, d[2] as u32, 4)[0],
        -3,
        "aborted change cannot continue"
    );
    assert_ne!(before, None);
}

#[test]
fn papr_no_busy_for_count_0_function_0_or_2() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_only(&fw);
    change_msi(&mut fw, r, 4, 2, 1, 4);
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 100, Fault::Busy));
    assert_eq!(change_msi(&mut fw, r, 0, 0, 1, 4)[0], 0);
    assert_eq!(change_msi(&mut fw, r, 4, 0, 1, 4)[0], 0);
    assert_eq!(change_msi(&mut fw, r, 2, 0, 1, 4)[0], 0);
    assert_eq!(
        change_msi(&mut fw, r, 4, 1, 1, 4)[0],
        -2,
        "but a real request is busy"
    );
}

/// LoPAPR: busy and extended-delay answers go only to an OS that said at boot
/// (client-architecture-support, option vector 4) that it handles them; an OS that made
/// no CAS call gets the old behaviour, which allowed them. Told it does not, the
/// request completes at once.
#[test]
fn papr_busy_only_for_an_os_that_said_it_copes() {
    use rtas::cas::{CasOutcome, IntcMode};
    for (cas, busy) in [(None, true), (Some(false), false), (Some(true), true)] {
        for fault in [Fault::Busy, Fault::Delay(1)] {
            let mut fw = firmware(B, Profile::Papr);
            let x = msix_only(&fw);
            fw.cas = cas.map(|msi_busy| CasOutcome {
                mode: IntcMode::Xics,
                msi_busy,
            });
            fw.faults
                .add(FaultRule::new(Service::ChangeMsi, 0, 1, fault));
            let r = change_msi(&mut fw, x, 4, 2, 1, 4);
            if busy {
                let status = if fault == Fault::Busy { -2 } else { 9901 };
                assert_eq!((r[0], r[2]), (status, 2), "CAS {cas:?}: {fault:?}");
                assert_eq!(change_msi(&mut fw, x, 4, 2, 2, 4), vec![0, 2, 3, 2]);
            } else {
                assert_eq!(r, vec![0, 2, 2, 2], "CAS {cas:?}: {fault:?}");
            }
            assert_eq!(fw.machine.block(x).map(|b| b.count), Some(2));
        }
    }
}

#[test]
fn papr_final_count_lower_than_asked() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_only(&fw);
    let max = fw.machine.function(r).info.req_msix.unwrap();
    let got = change_msi(&mut fw, r, 4, max + 5, 1, 4);
    assert_eq!(
        got[..2],
        [0, max as i64],
        "more than the table: the table's size, status 0"
    );
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Fewer(3)));
    let got = change_msi(&mut fw, r, 4, 8, 1, 4);
    assert_eq!(got[..2], [0, 3]);
    assert_eq!(fw.machine.block(r).unwrap().count, 3);
    // A pool too small for the request grants what fits.
    let tree = fixture_tree(B);
    let cfg = rtas::MachineConfig {
        profile: Profile::Papr,
        pool_size: Some(64),
        bare_metal: false,
    };
    let mut small = rtas::Firmware::new(&tree, &cfg).unwrap();
    let big = find_fn(&small, |_, x| x == Some(65));
    let got = change_msi(&mut small, big, 4, 65, 1, 4);
    assert_eq!(got[0], 0);
    assert!(got[1] < 65 && got[1] > 0, "{got:?}");
}

#[test]
fn papr_query_statuses() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_only(&fw);
    assert_eq!(query(&mut fw, r, 0)[0], 1, "nothing assigned: status 1");
    change_msi(&mut fw, r, 4, 2, 1, 4);
    let q = query(&mut fw, r, 1);
    let b = fw.machine.block(r).unwrap();
    assert_eq!(q, vec![0, (b.first + 1) as i64, 1]);
    assert_eq!(query(&mut fw, r, 2)[0], 1, "beyond the block: status 1");
    let (hi, lo) = buid_cells(&fw, r);
    let bad = fw
        .call(
            Service::QueryInterruptSourceNumber,
            &[0x00ff_ff00, hi, lo, 0],
            3,
        )
        .unwrap();
    assert_eq!(bad[0] as i32, -3);
}

// ------------------------------------------------------------------- qemu profile

#[test]
fn qemu_allocator_numbers() {
    let mut fw = firmware(B, Profile::Qemu);
    let x = msix_only(&fw);
    let m = msi_only(&fw);
    let x2 = find_fn(&fw, |m, x| m.is_some() && x.is_some_and(|n| n >= 3));
    assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4), vec![0, 4, 2, 2]);
    assert_eq!(
        (query(&mut fw, x, 0)[1], query(&mut fw, x, 3)[1]),
        (0x1300, 0x1303)
    );
    assert_eq!(change_msi(&mut fw, m, 3, 1, 1, 4), vec![0, 1, 2, 1]);
    assert_eq!(query(&mut fw, m, 0)[1], 0x1304);
    assert_eq!(change_msi(&mut fw, x2, 4, 3, 1, 4), vec![0, 3, 2, 2]);
    assert_eq!(
        (query(&mut fw, x2, 0)[1], query(&mut fw, x2, 2)[1]),
        (0x1306, 0x1308)
    );
    // A second request for the same function: allocated before the old block goes.
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4)[..2], [0, 2]);
    assert_eq!(query(&mut fw, x, 0)[1], 0x130a);
    change_msi(&mut fw, x, 4, 4, 1, 4);
    assert_eq!(
        query(&mut fw, x, 0)[1],
        0x1300,
        "the first block was freed and is reused"
    );
}

#[test]
fn qemu_differences() {
    let mut fw = firmware(B, Profile::Qemu);
    let (x, m, n) = (msix_only(&fw), msi_only(&fw), neither(&fw));
    assert_eq!(
        change_msi(&mut fw, x, 3, 0, 1, 4)[0],
        -3,
        "type checked first, even for count 0"
    );
    for f in [0, 2, 5, 6] {
        assert_eq!(
            change_msi(&mut fw, m, f, 1, 1, 4)[0],
            -3,
            "function {f} not implemented"
        );
    }
    assert_eq!(change_msi(&mut fw, n, 1, 0, 1, 3)[0], -3);
    assert_eq!(
        change_msi(&mut fw, m, 3, 0, 1, 4),
        vec![-1, 0, 0, 0],
        "releasing nothing: -1"
    );
    assert_eq!(
        change_msi(&mut fw, m, 3, 1, 7, 4),
        vec![0, 1, 8, 1],
        "next seq = input + 1"
    );
    let f = fw.machine.function(m);
    assert_ne!(f.msi.unwrap().address(&f.config), 0);
    assert_eq!(
        change_msi(&mut fw, m, 1, 0, 1, 4),
        vec![0, 0, 0, 0],
        "release writes only rets 0..1"
    );
    let f = fw.machine.function(m);
    assert_eq!(
        (
            f.msi.unwrap().address(&f.config),
            f.msi.unwrap().data(&f.config)
        ),
        (0, 0)
    );
    // MSI-X release leaves the table as it was.
    change_msi(&mut fw, x, 4, 2, 1, 4);
    let table = fw.machine.function(x).msix_table.clone();
    assert_eq!(change_msi(&mut fw, x, 1, 0, 1, 3)[..2], [0, 0]);
    assert!(
        fw.machine.function(x).msix_table == table,
        "MSI-X table changed"
    );
    // More than the device has: status 0, the maximum, nothing allocated.
    let max = fw.machine.function(x).info.req_msix.unwrap() as i64;
    let free = fw.machine.pools.free_count();
    assert_eq!(change_msi(&mut fw, x, 4, 4096, 1, 4), vec![0, max, 2, 2]);
    assert_eq!(fw.machine.pools.free_count(), free);
    assert_eq!(fw.machine.block(x), None);
    // MSI count is limited by the enabled count (MME), not the capability.
    let mm = find_fn(&fw, |m, _| m.is_some());
    assert_eq!(change_msi(&mut fw, mm, 3, 2, 1, 4)[..2], [0, 1]);
    // Query beyond the block or with nothing: -1 (not 1).
    assert_eq!(query(&mut fw, x, 0)[0], -1);
    // Busy is never returned, even with a busy fault planned.
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 10, Fault::Busy));
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4)[0], 0);
    assert_eq!(query(&mut fw, x, 2)[0], -1);
    // Legacy config access looks for BUID 0: always -1.
    let r = fw
        .call(Service::ReadPciConfig, &[cfg_addr(&fw, x), 4], 2)
        .unwrap();
    assert_eq!(r[0] as i32, -1);
}

// ------------------------------------------------------- messages reach the sources

/// QEMU 7.2 draws every PHB's MSIs from one first-fit pool of 3328 sources from
/// 0x1300 (the real guest's log: PHB 1's first block follows PHB 0's); the papr
/// profile gives each PHB a pool of its own, in a controller of its own.
#[test]
fn qemus_pool_is_shared_by_every_phb_and_papr_gives_each_its_own() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware("qemu/c_phb1.dtb", profile);
        let on = |fw: &Firmware, phb: usize| {
            fw.machine
                .functions()
                .find(|r| r.phb == phb && fw.machine.function(*r).msix.is_some())
                .expect("an MSI-X function")
        };
        let (a, b) = (on(&fw, 0), on(&fw, 1));
        assert_eq!(change_msi(&mut fw, a, 4, 2, 1, 4)[..2], [0, 2]);
        assert_eq!(change_msi(&mut fw, b, 4, 2, 1, 4)[..2], [0, 2]);
        let (sa, sb) = (
            query(&mut fw, a, 0)[1] as u32,
            query(&mut fw, b, 0)[1] as u32,
        );
        let ics = &fw.machine.ics;
        if profile == Profile::Qemu {
            assert_eq!((sa, sb), (0x1300, 0x1302));
            assert_eq!(fw.machine.pools.capacity(), 3328);
            assert_eq!(ics.split(sa).unwrap().0, ics.split(0x1200).unwrap().0);
        } else {
            let (ca, cb) = (ics.split(sa).unwrap().0, ics.split(sb).unwrap().0);
            let lsis = ics.split(0x1200).unwrap().0;
            assert!(ca != cb && ca != lsis && cb != lsis, "{sa:#x} {sb:#x}");
        }
    }
}

/// With the pool spent, a request answers -1 (QEMU: `spapr_irq_msi_alloc` fails, a
/// hardware error; papr: nothing left to grant, not even one) and the function keeps
/// the block it held: the new block is taken before the old one goes.
#[test]
fn a_spent_pool_answers_hardware_error_and_the_old_block_stays() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware(B, profile);
        let x = msix_only(&fw);
        assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4)[..2], [0, 2]);
        let held = fw.machine.block(x);
        let sources = (query(&mut fw, x, 0), query(&mut fw, x, 1));
        while fw
            .machine
            .pools
            .alloc(x.phb, 1, rtas::alloc::BlockKind::Msi)
            .is_some()
        {}
        assert_eq!(fw.machine.pools.free_count(), 0);
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[0], -1, "{profile}");
        assert_eq!(fw.machine.block(x), held, "{profile}");
        assert_eq!((query(&mut fw, x, 0), query(&mut fw, x, 1)), sources);
        // Giving the block back still works.
        assert_eq!(change_msi(&mut fw, x, 4, 0, 1, 4)[..2], [0, 0], "{profile}");
        assert_eq!(fw.machine.block(x), None);
    }
}
