//! LoPAPR's MSI requirements, one test each, named after the requirement, in the papr
//! profile. Only the requirements whose numbers this project has a source for are
//! here (the README's table says which and why).

mod common;

use common::*;
use rtas::{Firmware, FnRef, Profile, Service, Signal};

const B: &str = "qemu/b_devices.dtb";

fn cells(fw: &Firmware, r: FnRef) -> [u32; 3] {
    let (hi, lo) = buid_cells(fw, r);
    [cfg_addr(fw, r), hi, lo]
}

/// What the OS can see of a function's MSI state: the capability's control word, the
/// command register, every message, and each vector's source.
fn seen(fw: &mut Firmware, r: FnRef, n: u32) -> (u32, u32, Vec<(u64, u32)>, Vec<i64>) {
    let f = fw.machine.function(r);
    let (ctl, msgs) = match (f.msi, f.msix, f.msix_table.as_ref()) {
        (Some(cap), _, _)
            if f.msix.is_none_or(|c| !c.enabled(&f.config)) && cap.enabled(&f.config) =>
        {
            (
                f.config.read(cap.offset as u32 + 2, 2).unwrap(),
                (0..n).map(|i| cap.message(&f.config, i)).collect(),
            )
        }
        (_, Some(cap), Some(t)) => (
            f.config.read(cap.offset as u32 + 2, 2).unwrap(),
            (0..n).map(|i| t.message(i).unwrap()).collect(),
        ),
        _ => panic!("no MSI enabled"),
    };
    let cmd = f.config.read(4, 2).unwrap();
    let sources = (0..n).map(|i| query(fw, r, i)[1]).collect();
    (ctl, cmd, msgs, sources)
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
