//! LoPAPR R1-7 to R1-13 of `ibm,change-msi` (LoPAR 7.3.10.5.1, in "MSI Support"), in
//! the papr profile: sequences of calls (R1-7 to R1-10), isolation (R1-11) and reset
//! (R1-13). `r1_N_*` is requirement N of that section; R1-12 is the OS's and has no
//! test (see the README).

use crate::common::lopapr::*;
use crate::common::*;
use rtas::faults::{Fault, FaultRule};
use rtas::{Firmware, Profile, Service, Signal};

/// R1-7 (the caller's): a sequence starts with number 1. The firmware refuses a
/// first call with another number (-3, nothing changed), and the OS's calls all
/// start at 1, busy answers or not.
#[test]
fn r1_7_a_sequence_starts_at_1() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let before = fw.machine.clone();
    for seq in [0, 2, 7] {
        assert_eq!(
            change_msi(&mut fw, x, 4, 2, seq, 4)[0],
            -3,
            "sequence {seq}"
        );
    }
    assert!(fw.machine == before);
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4)[..2], [0, 2]);
    // The OS (the project's model of Linux), told at CAS busy answers may come.
    let mut k = busy_os(&[FaultRule::new(Service::ChangeMsi, 0, 2, Fault::Busy)]);
    let d = k.device("0000:00:04.0").unwrap();
    let _ = k.free(d);
    let from = pseries_sim::harness::call_log(&k).len();
    assert!(k.request(d, platform::MsiType::Msix, 2, 2).is_ok());
    let calls: Vec<_> = pseries_sim::harness::call_log(&k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi")
        .collect();
    assert!(calls.len() >= 3, "{calls:?}");
    let mut first = true;
    for c in &calls {
        if first {
            assert_eq!(c.args[5], 1, "a first call: {c:?}");
        }
        first = !matches!(c.rets[0], -2 | 9900..=9905);
    }
}

/// R1-8 (the caller's): after -2 or 990x the next call repeats the inputs with the
/// returned sequence number, or aborts with function 2 and number 1. The firmware
/// completes the first, honours the second, refuses anything else (-3), and the OS
/// continues as the requirement says.
#[test]
fn r1_8_a_busy_call_is_continued_or_aborted() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy));
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 1, 1, Fault::Delay(2)));
    let r = change_msi(&mut fw, x, 4, 4, 1, 4);
    assert_eq!(r[0], -2);
    assert_eq!(fw.machine.block(x), None, "nothing assigned yet");
    let r = change_msi(&mut fw, x, 4, 4, r[2] as u32, 4);
    assert_eq!(r[0], 9902, "busy again, differently");
    let next = r[2] as u32;
    assert_eq!(change_msi(&mut fw, x, 4, 5, next, 4)[0], -3, "other inputs");
    assert_eq!(
        change_msi(&mut fw, x, 3, 4, next, 4)[0],
        -3,
        "another function"
    );
    assert_eq!(
        change_msi(&mut fw, x, 4, 4, next, 4),
        vec![0, 4, next as i64 + 1, 2]
    );
    // An abort.
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy));
    let r = change_msi(&mut fw, x, 4, 8, 1, 4);
    assert_eq!(r[0], -2);
    assert_eq!(
        fw.machine.block(x).unwrap().count,
        4,
        "unchanged while busy"
    );
    assert_eq!(change_msi(&mut fw, x, 2, 8, 1, 4)[..2], [0, 0], "aborted");
    assert_eq!(
        change_msi(&mut fw, x, 4, 8, r[2] as u32, 4)[0],
        -3,
        "nothing to continue"
    );
    // The OS continues with the number it was given, the other inputs the same.
    let mut k = busy_os(&[
        FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy),
        FaultRule::new(Service::ChangeMsi, 1, 1, Fault::Delay(1)),
    ]);
    let d = k.device("0000:00:04.0").unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    let _ = k.free(d);
    assert!(k.request(d, platform::MsiType::Msix, 4, 4).is_ok());
    let calls: Vec<_> = pseries_sim::harness::call_log(&k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi")
        .collect();
    let busy: Vec<_> = calls
        .windows(2)
        .filter(|w| matches!(w[0].rets[0], -2 | 9900..=9905))
        .collect();
    assert!(busy.len() >= 2, "{calls:?}");
    for w in busy {
        assert_eq!(w[1].args[..5], w[0].args[..5], "the same inputs");
        assert_eq!(w[1].args[5] as i64, w[0].rets[2], "the returned number");
    }
}

/// R1-9 (the caller's): after a non-zero final number the sources are read again,
/// even when the number did not change. The firmware does hand out new numbers for
/// an unchanged count, and the OS queries every vector after each change.
#[test]
fn r1_9_sources_are_queried_after_every_change() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let sources = |fw: &mut Firmware| (0..4).map(|i| query(fw, x, i)[1]).collect::<Vec<_>>();
    assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
    let s1 = sources(&mut fw);
    assert_eq!(
        change_msi(&mut fw, x, 4, 4, 1, 4)[..2],
        [0, 4],
        "the same number"
    );
    let s2 = sources(&mut fw);
    assert!(
        s1.iter().all(|s| !s2.contains(s)),
        "new numbers: {s1:?} {s2:?}"
    );
    for i in 0..4 {
        assert_eq!(
            fw.machine.signal(x, i),
            Signal::Delivered {
                source: s2[i as usize] as u32
            }
        );
    }
    // The OS: each successful change-msi is followed by one query per vector.
    let mut k = pseries_sim::harness::boot(fixture_tree(B), Default::default()).unwrap();
    let d = k.device("0000:00:04.0").unwrap();
    for _ in 0..2 {
        let _ = k.free(d);
        let from = pseries_sim::harness::call_log(&k).len();
        assert!(k.request(d, platform::MsiType::Msix, 4, 4).is_ok());
        let log = &pseries_sim::harness::call_log(&k)[from..];
        let last = log
            .iter()
            .rposition(|r| r.service == "ibm,change-msi" && r.rets[0] == 0)
            .unwrap();
        assert_eq!(log[last].rets[1], 4);
        let asked: Vec<u32> = log[last..]
            .iter()
            .filter(|r| r.service == "ibm,query-interrupt-source-number")
            .map(|r| r.args[3])
            .collect();
        assert_eq!(asked, vec![0, 1, 2, 3]);
    }
}

/// R1-10: never -2 or 990x for a count of 0, function 0 or function 2, even while
/// every other call is answered busy.
#[test]
fn r1_10_no_busy_for_count_0_query_or_default() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    for fault in [Fault::Busy, Fault::Delay(3)] {
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
        fw.faults.rules.clear();
        fw.faults
            .add(FaultRule::new(Service::ChangeMsi, 0, 1000, fault));
        assert_eq!(
            change_msi(&mut fw, x, 0, 0, 1, 4),
            vec![0, 4, 2, 2],
            "query"
        );
        assert_eq!(change_msi(&mut fw, x, 0, 9, 1, 4)[0], 0, "query, any count");
        assert_eq!(change_msi(&mut fw, x, 4, 0, 1, 4)[..2], [0, 0], "count 0");
        assert_eq!(change_msi(&mut fw, x, 1, 0, 1, 4)[..2], [0, 0], "count 0");
        assert_eq!(change_msi(&mut fw, x, 3, 0, 1, 4)[..2], [0, 0], "count 0");
        assert_eq!(change_msi(&mut fw, x, 2, 5, 1, 4)[..2], [0, 0], "default");
        let r = change_msi(&mut fw, x, 4, 2, 1, 4);
        assert!(matches!(r[0], -2 | 9900..=9905), "the fault is live: {r:?}");
        assert_eq!(change_msi(&mut fw, x, 2, 2, 1, 4)[..2], [0, 0], "abort");
        fw.faults.rules.clear();
    }
}

/// R1-13: after `ibm,set-slot-reset` the function holds exactly what change-msi
/// assigned, in the window it was assigned with (the 32-bit one for functions 5 and
/// 6), its capability enabled and INTx off, and every vector reaches its source;
/// unless a DR isolate and unisolate came between, after which a reset gives the
/// boot-time state.
#[test]
fn r1_13_reset_restores_the_msi_configuration() {
    for (func, msix, n) in [
        (3u32, false, 1u32),
        (5, false, 1),
        (4, true, 4),
        (6, true, 3),
    ] {
        let mut fw = firmware(B, Profile::Papr);
        let r = if msix {
            find_fn(&fw, |m, x| m.is_none() && x.is_some_and(|x| x >= 8))
        } else {
            find_fn(&fw, |m, x| m.is_some() && x.is_none())
        };
        assert_eq!(
            change_msi(&mut fw, r, func, n, 1, 4)[..2],
            [0, n as i64],
            "func {func}"
        );
        if msix {
            let f = fw.machine.function_mut(r);
            let o = f.msix.unwrap().offset as u32 + 2;
            let c = f.config.read(o, 2).unwrap();
            f.config_write(o, 2, c | 0x8000).unwrap();
        }
        let before = seen(&mut fw, r, n);
        assert_eq!(
            before.2[0].0 < 1 << 32,
            func >= 5,
            "func {func}: the window"
        );
        assert_ne!(before.1 & 0x400, 0, "func {func}: INTx off while MSI is on");
        let [c, h, l] = cells(&fw, r);
        // A freeze and the reset the OS makes to recover from it.
        fw.machine.function_mut(r).freeze();
        for reset in [1u32, 0] {
            assert_eq!(
                fw.call(Service::SetSlotReset, &[c, h, l, reset], 1)
                    .unwrap(),
                vec![0]
            );
        }
        assert_eq!(seen(&mut fw, r, n), before, "func {func}: restored exactly");
        let first = fw.machine.block(r).unwrap().first;
        for i in 0..n {
            assert_eq!(
                fw.machine.signal(r, i),
                Signal::Delivered { source: first + i },
                "func {func} vector {i}"
            );
        }
        // Unless the function was isolated and unisolated since: then a reset leaves
        // it as at boot (no MSI, INTx on).
        let slot = 0x4000_0000 | fw.machine.function(r).addr.devfn as u32;
        for state in [0, 1] {
            let out = fw.call(Service::SetIndicator, &[9001, slot, state], 1);
            assert_eq!(
                out.unwrap(),
                vec![0],
                "func {func}: isolation-state {state}"
            );
        }
        for reset in [1u32, 0] {
            let out = fw.call(Service::SetSlotReset, &[c, h, l, reset], 1);
            assert_eq!(out.unwrap(), vec![0]);
        }
        let f = fw.machine.function(r);
        assert_eq!(fw.machine.block(r), None, "func {func}: boot-time state");
        assert!(f.msi.is_none_or(|c| !c.enabled(&f.config)), "func {func}");
        assert!(f.msix.is_none_or(|c| !c.enabled(&f.config)), "func {func}");
        assert!(!f.intx_disabled(), "func {func}: INTx on");
    }
}

/// R1-11: `set-indicator` isolation-state 0 on the function's slot frees its block (the pool
/// is whole again, the sources unclaimed), its queries answer no interrupt, change-msi
/// function 0 counts 0, and its MSI-X capability is off with INTx back on.
#[test]
fn r1_11_isolation_releases_msis() {
    let mut fw = firmware(B, Profile::Papr);
    let r = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let pools = fw.machine.pools.clone();
    let ics = fw.machine.ics.clone();
    assert_eq!(change_msi(&mut fw, r, 4, 8, 1, 4)[..2], [0, 8]);
    assert_ne!(fw.machine.pools, pools);
    let slot = 0x4000_0000 | fw.machine.function(r).addr.devfn as u32;
    assert_eq!(
        fw.call(Service::SetIndicator, &[9001, slot, 0], 1).unwrap(),
        vec![0]
    );
    assert_eq!(fw.machine.block(r), None);
    let m = &fw.machine;
    assert_eq!(
        m.pools.free_count(),
        m.pools.capacity(),
        "every source free"
    );
    let mut whole = m.pools.clone();
    let all = whole.alloc(
        r.phb,
        m.pools.capacity() as u32,
        rtas::alloc::BlockKind::Msix,
    );
    assert_eq!(
        all,
        pools.clone().alloc(
            r.phb,
            m.pools.capacity() as u32,
            rtas::alloc::BlockKind::Msix
        ),
        "the pool is whole again: one block of all of it"
    );
    assert!(all.is_some());
    assert_eq!(fw.machine.ics, ics, "every source unclaimed");
    for i in 0..8 {
        assert_eq!(
            query(&mut fw, r, i)[0],
            1,
            "vector {i}: no interrupt assigned"
        );
    }
    assert_eq!(change_msi(&mut fw, r, 0, 0, 1, 4)[..2], [0, 0]);
    let f = fw.machine.function(r);
    assert!(!f.msix.unwrap().enabled(&f.config));
    assert!(!f.intx_disabled());
}
