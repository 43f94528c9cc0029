//! RTAS services: each LoPAPR requirement of change-msi and query in the papr profile,
//! each QEMU difference in the qemu profile, the messages written into config space
//! and MSI-X tables, and malformed calls.

mod common;

use common::*;
use rtas::faults::{Fault, FaultRule};
use rtas::{Profile, Service, Signal};

const B: &str = "qemu/b_devices.dtb";

fn msi_only(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_some() && x.is_none())
}
fn msix_only(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_none() && x.is_some_and(|n| n >= 8))
}
fn both(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_some() && x.is_some())
}
fn neither(fw: &rtas::Firmware) -> rtas::FnRef {
    find_fn(fw, |m, x| m.is_none() && x.is_none())
}

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

#[test]
fn programmed_messages_lead_to_the_queried_sources() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware(B, profile);
        let funcs: Vec<_> = fw.machine.functions().collect();
        for r in funcs {
            let info = fw.machine.function(r).info.clone();
            for (func, n) in [
                (4u32, info.req_msix.map(|n| n.min(8))),
                (3, info.req_msi.map(|_| 1)),
            ] {
                let Some(n) = n else { continue };
                let got = change_msi(&mut fw, r, func, n, 1, 4);
                assert_eq!(got[0], 0, "{profile} {} func {func}", info.path);
                let granted = got[1] as u32;
                if fw.machine.block(r).is_none() {
                    continue; // qemu answered "ask again with fewer"
                }
                let (hi, lo) = buid_cells(&fw, r);
                let cfg = cfg_addr(&fw, r);
                for i in 0..granted {
                    let q = query(&mut fw, r, i);
                    assert_eq!(q[0], 0);
                    let src = q[1] as u32;
                    let f = fw.machine.function(r).clone();
                    let (addr, data) = if func == 4 {
                        let cap = f.msix.unwrap();
                        let off = cap.table_offset + 16 * i;
                        let lo32 = fw.machine.bar_read(r, cap.table_bir, off, 4).unwrap();
                        let hi32 = fw.machine.bar_read(r, cap.table_bir, off + 4, 4).unwrap();
                        let data = fw.machine.bar_read(r, cap.table_bir, off + 8, 4).unwrap();
                        (hi32 << 32 | lo32, data as u32)
                    } else {
                        let cap = f.msi.unwrap();
                        let rd = |fw: &mut rtas::Firmware, reg: u32| {
                            let v = fw
                                .call(Service::IbmReadPciConfig, &[cfg | reg, hi, lo, 4], 2)
                                .unwrap();
                            assert_eq!(v[0], 0);
                            v[1]
                        };
                        let o = cap.offset as u32;
                        let a = (rd(&mut fw, o + 8) as u64) << 32 | rd(&mut fw, o + 4) as u64;
                        let ctrl = rd(&mut fw, o) >> 16;
                        let d = rd(&mut fw, o + 12);
                        let d = if ctrl & 0x400 != 0 { d } else { d & 0xffff };
                        (a, d + i)
                    };
                    assert_eq!(addr, rtas::machine::MSI_WINDOW);
                    assert_eq!(data, src, "{profile} {} vector {i}", info.path);
                    // The OS turns the capability on (QEMU leaves that to it), then fires.
                    let f = fw.machine.function_mut(r);
                    if func == 4 {
                        let o = f.msix.unwrap().offset as u32 + 2;
                        let c = f.config.read(o, 2).unwrap();
                        f.config_write(o, 2, c | 0x8000).unwrap();
                    } else {
                        let o = f.msi.unwrap().offset as u32 + 2;
                        let c = f.config.read(o, 2).unwrap();
                        f.config_write(o, 2, c | 1).unwrap();
                    }
                    fw.machine.ics.write_xive(src, 0, 5, 5);
                    let before = fw.machine.ics.presented.len();
                    assert_eq!(fw.machine.signal(r, i), Signal::Delivered { source: src });
                    assert_eq!(fw.machine.ics.presented.len(), before + 1);
                    assert_eq!(fw.machine.ics.presented.last().unwrap().source, src);
                }
                change_msi(&mut fw, r, 1, 0, 1, 3);
            }
        }
        assert_eq!(fw.machine.drops, Default::default());
    }
}

#[test]
fn masking_pending_and_enable_rules() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_only(&fw);
    change_msi(&mut fw, r, 4, 2, 1, 4);
    let src = fw.machine.block(r).unwrap().first;
    fw.machine.ics.write_xive(src, 0, 5, 5);
    let cap = fw.machine.function(r).msix.unwrap();
    // Mask entry 0 through the table: the vector goes pending.
    fw.machine.bar_write(r, cap.table_bir, 12, 4, 1).unwrap();
    assert_eq!(fw.machine.signal(r, 0), Signal::PendingInDevice);
    assert_eq!(
        fw.machine
            .bar_read(r, cap.pba_bir, cap.pba_offset, 8)
            .unwrap()
            & 1,
        1
    );
    // Unmask: delivered now.
    let sent = fw.machine.bar_write(r, cap.table_bir, 12, 4, 0).unwrap();
    assert_eq!(sent, vec![Signal::Delivered { source: src }]);
    // Function mask holds everything.
    let f = fw.machine.function_mut(r);
    let c = f.config.read(cap.offset as u32 + 2, 2).unwrap();
    f.config_write(cap.offset as u32 + 2, 2, c | 0x4000)
        .unwrap();
    assert_eq!(fw.machine.signal(r, 1), Signal::PendingInDevice);
    let f = fw.machine.function_mut(r);
    f.config_write(cap.offset as u32 + 2, 2, c).unwrap();
    assert_eq!(
        fw.machine.flush_pending(r),
        vec![Signal::Delivered { source: src + 1 }]
    );
    // Disabled MSI-X: dropped and counted.
    let f = fw.machine.function_mut(r);
    f.config_write(cap.offset as u32 + 2, 2, c & !0x8000)
        .unwrap();
    assert_eq!(fw.machine.signal(r, 0), Signal::Dropped);
    assert_eq!(fw.machine.drops.disabled, 1);
    // A message the function does not own, or outside the window, is dropped.
    assert_eq!(
        fw.machine.deliver(r, rtas::machine::MSI_WINDOW, 0x1200),
        Signal::Dropped
    );
    assert_eq!(fw.machine.deliver(r, 0xdead_0000, src), Signal::Dropped);
    assert_eq!(
        (fw.machine.drops.not_owner, fw.machine.drops.bad_address),
        (1, 1)
    );
    // A source masked at the controller holds the message until set-xive unmasks it.
    let f = fw.machine.function_mut(r);
    f.config_write(cap.offset as u32 + 2, 2, c | 0x8000)
        .unwrap();
    let (hi, lo) = buid_cells(&fw, r);
    let _ = (hi, lo);
    assert_eq!(fw.call(Service::IntOff, &[src], 1).unwrap(), vec![0]);
    let before = fw.machine.ics.presented.len();
    assert_eq!(fw.machine.signal(r, 0), Signal::Delivered { source: src });
    assert_eq!(fw.machine.ics.presented.len(), before, "held while masked");
    assert_eq!(fw.call(Service::IntOn, &[src], 1).unwrap(), vec![0]);
    assert_eq!(fw.machine.ics.presented.len(), before + 1, "sent on int-on");
    assert_eq!(fw.call(Service::GetXive, &[src], 3).unwrap(), vec![0, 0, 5]);
}

#[test]
fn xics_and_misc_services() {
    let mut fw = firmware("qemu/d_smp4_xics.dtb", Profile::Papr);
    assert_eq!(fw.machine.servers, 4);
    assert_eq!(
        fw.call(Service::SetXive, &[0x1200, 3, 4], 1).unwrap(),
        vec![0]
    );
    assert_eq!(
        fw.call(Service::SetXive, &[0x1200, 4, 4], 1).unwrap()[0] as i32,
        -3,
        "server 4 of 4"
    );
    assert_eq!(
        fw.call(Service::SetXive, &[0x1200, 0, 256], 1).unwrap()[0] as i32,
        -3
    );
    assert_eq!(
        fw.call(Service::SetXive, &[0x9999, 0, 1], 1).unwrap()[0] as i32,
        -3
    );
    assert_eq!(
        fw.call(Service::GetXive, &[0x1200], 3).unwrap(),
        vec![0, 3, 4]
    );
    assert_eq!(fw.call(Service::IntOff, &[0x1200], 1).unwrap(), vec![0]);
    assert_eq!(
        fw.call(Service::GetXive, &[0x1200], 3).unwrap(),
        vec![0, 3, 0xff]
    );
    assert_eq!(fw.call(Service::IntOn, &[0x1200], 1).unwrap(), vec![0]);
    assert_eq!(
        fw.call(Service::GetXive, &[0x1200], 3).unwrap(),
        vec![0, 3, 4]
    );
    let t = fw.call(Service::GetTimeOfDay, &[], 8).unwrap();
    assert_eq!(t[..4], [0, 2026, 11, 21]);
    for c in b"hi\n" {
        fw.call(Service::DisplayCharacter, &[*c as u32], 1).unwrap();
    }
    assert_eq!(fw.console, "hi\n");
    assert_eq!(fw.call(Service::SuspendMe, &[], 1).unwrap(), vec![0]);
    assert_eq!(fw.call(Service::PowerOff, &[0, 0], 1).unwrap(), vec![0]);
    assert!(fw.powered_off);
    // The XIVE-only tree publishes no XICS services.
    let mut x = firmware("qemu/a_xive.dtb", Profile::Papr);
    assert!(x.call(Service::SetXive, &[0x1200, 0, 5], 1).is_err());
    assert_eq!(
        x.call_token(0x200a, &[0x1200, 0, 5], 1).unwrap()[0] as i32,
        -3,
        "unknown token: -3"
    );
}

#[test]
fn system_reboot_frees_every_msi() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware(B, profile);
        let fresh = fw.machine.clone();
        let x = msix_only(&fw);
        change_msi(&mut fw, x, 4, 4, 1, 4);
        let f = fw.machine.function_mut(x);
        f.config_write(4, 2, 0x6).unwrap();
        assert!(fw.machine != fresh);
        assert_eq!(fw.call(Service::SystemReboot, &[], 1).unwrap(), vec![0]);
        assert!(
            fw.machine == fresh,
            "{profile}: not back to the state at power-on"
        );
    }
}

#[test]
fn slot_reset_restores_the_window_that_was_assigned() {
    for (func, kind_msix) in [(5u32, false), (6, true), (3, false), (4, true)] {
        let mut fw = firmware(B, Profile::Papr);
        let r = if kind_msix {
            msix_only(&fw)
        } else {
            msi_only(&fw)
        };
        let got = change_msi(&mut fw, r, func, 1, 1, 4);
        assert_eq!(got[0], 0, "func {func}");
        let read = |fw: &rtas::Firmware| {
            let f = fw.machine.function(r);
            match (f.msi, f.msix_table.as_ref()) {
                (Some(cap), _) if !kind_msix => cap.message(&f.config, 0),
                (_, Some(t)) => t.message(0).unwrap(),
                _ => panic!("no capability"),
            }
        };
        let before = read(&fw);
        assert_eq!(
            before.0 < 1 << 32,
            func >= 5,
            "func {func} assigns a 32-bit window only for 5 and 6: {:#x}",
            before.0
        );
        let (hi, lo) = buid_cells(&fw, r);
        let cfg = cfg_addr(&fw, r);
        let v = fw
            .call(Service::SetSlotReset, &[cfg, hi, lo, 1], 1)
            .unwrap();
        assert_eq!(v[0], 0);
        assert_eq!(
            read(&fw),
            before,
            "func {func}: the reset restores what was assigned"
        );
    }
}

#[test]
fn suspend_me_takes_no_inputs_and_one_output() {
    let mut fw = firmware(B, Profile::Papr);
    for (args, nret) in [(&[0u32][..], 1), (&[][..], 2)] {
        let r = fw.call(Service::SuspendMe, args, nret).unwrap();
        assert_eq!(r[0] as i32, -3, "{} inputs, {nret} outputs", args.len());
        assert!(!fw.suspended, "a refused call does not suspend");
    }
    assert_eq!(fw.call(Service::SuspendMe, &[], 1).unwrap(), vec![0]);
    assert!(fw.suspended);
}

#[test]
fn config_reads_reach_the_last_bytes_and_no_further() {
    let mut fw = firmware(B, Profile::Papr);
    let r = both(&fw);
    let limit = fw.machine.function(r).config.size();
    let (hi, lo) = buid_cells(&fw, r);
    let at = |reg: u32| {
        let ext = (reg & 0xf00) << 20 | (reg & 0xff);
        cfg_addr(&fw, r) | ext
    };
    let last = at(limit - 4);
    let ok = fw
        .call(Service::IbmReadPciConfig, &[last, hi, lo, 4], 2)
        .unwrap();
    assert_eq!(ok[0], 0, "the last dword of {limit} bytes");
    // Past 256 bytes of conventional config space (4096 cannot be encoded past).
    let conventional = fw
        .machine
        .functions()
        .find(|&f| fw.machine.function(f).config.size() == 256);
    let c = conventional.expect("the tree has a conventional PCI function");
    let (hi, lo) = buid_cells(&fw, c);
    let past = cfg_addr(&fw, c) | (0x100 & 0xf00) << 20;
    let bad = fw
        .call(Service::IbmReadPciConfig, &[past, hi, lo, 4], 2)
        .unwrap();
    assert_eq!(bad[0] as i32, -3, "past the end");
}
