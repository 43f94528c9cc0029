//! LoPAPR R1-1 to R1-6 of `ibm,change-msi` (LoPAR 7.3.10.5.1, in "MSI Support"), in
//! the papr profile: what one call answers and does. `r1_N_*` is requirement N of
//! that section; R1-7 to R1-13 are in the root package's
//! `tests/lopapr/change_msi_sequences.rs`.

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
