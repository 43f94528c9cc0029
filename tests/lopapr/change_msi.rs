//! LoPAPR R1-1 to R1-13 of `ibm,change-msi` (LoPAR 7.3, "MSI Support"), in the papr
//! profile: `r1_N_*` is requirement N of that section.

use crate::common::lopapr::*;
use crate::common::*;
use rtas::faults::{Fault, FaultRule};
use rtas::{Firmware, FnRef, Profile, Service, Signal};

/// Every status change-msi may answer (LoPAPR's table).
fn a_change_msi_status(s: i64) -> bool {
    matches!(s, -3..=0 | 9900..=9905)
}

/// R1-1: the call takes the buffer LoPAPR's table gives: 6 inputs; 3 outputs, or 4
/// with `ibm,change-msix-capable` (status, final count, next sequence number, type);
/// functions 0 to 5; every other shape a parameter error.
#[test]
fn r1_1_the_argument_call_buffer() {
    let mut fw = firmware(B, Profile::Papr);
    assert!(fw.tokens.change_msix_capable);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let m = find_fn(&fw, |m, x| m.is_some() && x.is_none());
    let [c, h, l] = cells(&fw, x);
    let before = fw.machine.clone();
    for (args, nret, why) in [
        (&[c, h, l, 4, 2][..], 4, "5 inputs"),
        (&[c, h, l, 4, 2, 1, 0][..], 4, "7 inputs"),
        (&[c, h, l, 4, 2, 1][..], 2, "2 outputs"),
        (&[c, h, l, 4, 2, 1][..], 5, "5 outputs"),
        (&[c, h, l, 7, 2, 1][..], 4, "function 7"),
        (&[c | 0x40, h, l, 4, 2, 1][..], 4, "register bits"),
        (&[c + 0x100, h, l, 4, 2, 1][..], 4, "no such function"),
        (&[c, h, l ^ 1, 4, 2, 1][..], 4, "no such PHB"),
    ] {
        assert_eq!(
            call(&mut fw, Service::ChangeMsi, args, nret)[0],
            -3,
            "{why}"
        );
    }
    assert!(fw.machine == before, "the refused calls changed nothing");
    // Four outputs: status, final number, next sequence number, type (2: MSI-X).
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4), vec![0, 2, 2, 2]);
    assert_eq!(
        change_msi(&mut fw, x, 0, 0, 1, 4),
        vec![0, 2, 2, 2],
        "query"
    );
    // Three outputs: status, final number, next sequence number.
    assert_eq!(change_msi(&mut fw, m, 3, 1, 1, 3), vec![0, 1, 2]);
    assert_eq!(
        change_msi(&mut fw, m, 0, 0, 1, 4),
        vec![0, 1, 2, 1],
        "type 1: MSI"
    );
    assert_eq!(
        change_msi(&mut fw, m, 5, 1, 1, 4),
        vec![0, 1, 2, 1],
        "32-bit MSI"
    );
    assert_eq!(
        change_msi(&mut fw, m, 1, 1, 1, 4),
        vec![0, 1, 2, 1],
        "function 1"
    );
    assert_eq!(
        change_msi(&mut fw, x, 2, 0, 1, 4)[..2],
        [0, 0],
        "back to default"
    );
    for f in 0..=7 {
        let r = change_msi(&mut fw, x, f, 1, 1, 4);
        assert!(a_change_msi_status(r[0]), "function {f}: {r:?}");
    }
}

/// R1-2: on status 0 the final number and the type are what the function holds,
/// whether the number changed, stayed, or came out below what was asked.
#[test]
fn r1_2_final_number_and_type_are_valid_on_success() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let most = fw.machine.function(x).info.req_msix.unwrap();
    let held = |fw: &Firmware| fw.machine.block(x).map(|b| b.count as i64);
    assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4), vec![0, 4, 2, 2]);
    assert_eq!(held(&fw), Some(4));
    assert_eq!(
        change_msi(&mut fw, x, 4, 4, 1, 4),
        vec![0, 4, 2, 2],
        "unchanged"
    );
    assert_eq!(
        change_msi(&mut fw, x, 0, 0, 1, 4),
        vec![0, 4, 2, 2],
        "query"
    );
    // More than the function asks for: fewer granted, still status 0 and valid.
    let r = change_msi(&mut fw, x, 4, most + 50, 1, 4);
    assert_eq!((r[0], r[3]), (0, 2));
    assert!(r[1] >= 1 && r[1] <= most as i64, "{r:?}");
    assert_eq!(held(&fw), Some(r[1]));
    assert_eq!(
        query(&mut fw, x, r[1] as u32 - 1)[0],
        0,
        "the last one exists"
    );
    assert_eq!(query(&mut fw, x, r[1] as u32)[0], 1, "and no more");
    // The platform grants less than asked (its pool, its policy): still valid.
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Fewer(3)));
    assert_eq!(change_msi(&mut fw, x, 4, 8, 1, 4), vec![0, 3, 2, 2]);
    assert_eq!(held(&fw), Some(3));
    assert_eq!(change_msi(&mut fw, x, 0, 0, 1, 4), vec![0, 3, 2, 2]);
}

/// R1-3: -3, and the assignment untouched, for function 3 on a function without
/// `ibm,req#msi`, function 4 (and 6) without `ibm,req#msi-x`, and function 1 on one
/// with neither.
#[test]
fn r1_3_unsupported_kinds_are_parameter_errors_and_change_nothing() {
    let mut fw = firmware(B, Profile::Papr);
    let mo = find_fn(&fw, |m, x| m.is_some() && x.is_none());
    let xo = find_fn(&fw, |m, x| m.is_none() && x.is_some());
    let none = find_fn(&fw, |m, x| m.is_none() && x.is_none());
    assert_eq!(change_msi(&mut fw, mo, 3, 1, 1, 4)[0], 0);
    assert_eq!(change_msi(&mut fw, xo, 4, 2, 1, 4)[0], 0);
    let before = fw.machine.clone();
    for (r, f, what) in [
        (mo, 4, "MSI-X of an MSI-only function"),
        (mo, 6, "32-bit MSI-X of an MSI-only function"),
        (xo, 3, "MSI of an MSI-X-only function"),
        (xo, 5, "32-bit MSI of an MSI-X-only function"),
        (none, 1, "any MSI of a function with neither"),
        (none, 3, "MSI of a function with neither"),
        (none, 4, "MSI-X of a function with neither"),
    ] {
        assert_eq!(change_msi(&mut fw, r, f, 1, 1, 4)[0], -3, "{what}");
        assert!(fw.machine == before, "{what}: changed the machine");
    }
}

/// A function with an LSI and MSI-X.
fn lsi_and_msix(fw: &Firmware) -> FnRef {
    fw.machine
        .functions()
        .find(|&r| {
            let f = fw.machine.function(r);
            f.lsi.is_some() && f.msix.is_some()
        })
        .expect("a function with an LSI and MSI-X")
}

/// R1-4: the first MSIs of a function with an LSI disable the LSI in its config space
/// (INTx disable set, a pulse reaches nothing) while the LSI's source stays claimed
/// for it, out of the MSI pool.
#[test]
fn r1_4_msis_disable_the_lsi_and_keep_it_reserved() {
    let mut fw = firmware(B, Profile::Papr);
    let r = lsi_and_msix(&fw);
    let lsi = fw.machine.function(r).lsi.unwrap().source;
    assert!(!fw.machine.function(r).intx_disabled());
    assert_eq!(fw.machine.pulse_lsi(r), Signal::Delivered { source: lsi });
    assert_eq!(change_msi(&mut fw, r, 4, 4, 1, 4)[..2], [0, 4]);
    let f = fw.machine.function(r);
    assert!(f.intx_disabled(), "INTx disabled in the command register");
    assert_ne!(f.config.read(4, 2).unwrap() & 0x400, 0);
    assert_eq!(fw.machine.pulse_lsi(r), Signal::Dropped, "the LSI is off");
    let s = fw.machine.ics.source(lsi).unwrap();
    assert_eq!(
        s.kind,
        rtas::ics::SourceKind::Lsi,
        "still the function's LSI"
    );
    assert!(
        !fw.machine
            .ics
            .clone()
            .claim(lsi, rtas::ics::SourceKind::Msi),
        "nobody else can take it"
    );
    let b = fw.machine.block(r).unwrap();
    assert!(!(b.first..b.first + b.count).contains(&lsi));
    assert_eq!(fw.machine.function(r).lsi.unwrap().source, lsi);
}

/// R1-5: removing every MSI (count 0 with functions 1, 3 and 4, or function 2) gives
/// the function back the LSI it had, the same number, enabled in config space.
#[test]
fn r1_5_removing_the_msis_gives_back_the_same_lsi() {
    for (f, n) in [(4u32, 0u32), (3, 0), (1, 0), (2, 0)] {
        let mut fw = firmware(B, Profile::Papr);
        let r = lsi_and_msix(&fw);
        let lsi = fw.machine.function(r).lsi.unwrap().source;
        assert_eq!(change_msi(&mut fw, r, 4, 3, 1, 4)[..2], [0, 3]);
        assert_eq!(
            change_msi(&mut fw, r, f, n, 1, 4)[..2],
            [0, 0],
            "function {f}"
        );
        let fun = fw.machine.function(r);
        assert_eq!(
            fun.lsi.unwrap().source,
            lsi,
            "function {f}: the same number"
        );
        assert!(!fun.intx_disabled(), "function {f}: INTx enabled");
        assert!(!fun.msix.unwrap().enabled(&fun.config), "function {f}");
        assert_eq!(
            fw.machine.pulse_lsi(r),
            Signal::Delivered { source: lsi },
            "function {f}: the LSI works again"
        );
    }
}

/// R1-6: the number can be reduced, down to 0, and what is given up goes back to the
/// pool.
#[test]
fn r1_6_reductions_down_to_zero_are_accepted() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let whole = fw.machine.pools.free_count();
    assert_eq!(change_msi(&mut fw, x, 4, 8, 1, 4), vec![0, 8, 2, 2]);
    assert_eq!(fw.machine.pools.free_count(), whole - 8);
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4), vec![0, 2, 2, 2]);
    assert_eq!(fw.machine.block(x).unwrap().count, 2);
    assert_eq!(fw.machine.pools.free_count(), whole - 2, "6 given back");
    assert_eq!((query(&mut fw, x, 1)[0], query(&mut fw, x, 2)[0]), (0, 1));
    for i in 0..2 {
        assert!(matches!(fw.machine.signal(x, i), Signal::Delivered { .. }));
    }
    assert_eq!(change_msi(&mut fw, x, 4, 0, 1, 4)[..2], [0, 0]);
    assert_eq!(fw.machine.block(x), None);
    assert_eq!(fw.machine.pools.free_count(), whole, "all given back");
}

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
    let opts = platform::BootOptions {
        msi_busy: true,
        ..Default::default()
    };
    let mut k = platform::harness::boot(fixture_tree(B), opts).unwrap();
    let fw = platform::harness::firmware_mut(&mut k);
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 2, Fault::Busy));
    let d = k.device("0000:00:04.0").unwrap();
    let _ = k.free(d);
    let from = platform::harness::call_log(&k).len();
    assert!(k.request(d, platform::MsiType::Msix, 2, 2).is_ok());
    let calls: Vec<_> = platform::harness::call_log(&k)[from..]
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
    let opts = platform::BootOptions {
        msi_busy: true,
        ..Default::default()
    };
    let mut k = platform::harness::boot(fixture_tree(B), opts).unwrap();
    let fw = platform::harness::firmware_mut(&mut k);
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy));
    fw.faults
        .add(FaultRule::new(Service::ChangeMsi, 1, 1, Fault::Delay(1)));
    let d = k.device("0000:00:04.0").unwrap();
    let from = platform::harness::call_log(&k).len();
    let _ = k.free(d);
    assert!(k.request(d, platform::MsiType::Msix, 4, 4).is_ok());
    let calls: Vec<_> = platform::harness::call_log(&k)[from..]
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
    let mut k = platform::harness::boot(fixture_tree(B), Default::default()).unwrap();
    let d = k.device("0000:00:04.0").unwrap();
    for _ in 0..2 {
        let _ = k.free(d);
        let from = platform::harness::call_log(&k).len();
        assert!(k.request(d, platform::MsiType::Msix, 4, 4).is_ok());
        let log = &platform::harness::call_log(&k)[from..];
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

/// R1-13 (cited by issue 19: "after a reset the firmware restores the function's MSI
/// configuration"): after `ibm,set-slot-reset` the function holds exactly what
/// change-msi assigned, in the window it was assigned with (the 32-bit one for
/// functions 5 and 6), its capability enabled and INTx off, and every vector reaches
/// its source.
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
    }
}

/// R1-11 (cited by issue 19: "isolating a function releases every MSI it holds"):
/// `set-indicator` isolation-state 0 on the function's slot frees its block (the pool
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
