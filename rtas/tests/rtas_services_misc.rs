//! RTAS services beyond change-msi and query: the messages written into config space and
//! MSI-X tables and where they lead, masking, the XICS and miscellaneous services,
//! system-reboot, set-slot-reset, suspend-me and config space reads at its edges.

mod common;

use common::services::*;
use common::*;
use rtas::{Profile, Service, Signal};

const B: &str = "qemu/b_devices.dtb";

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
fn a_renumbering_resume_gives_the_last_ones_held_sources_back() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware(B, profile);
        let all = fw.machine.pools.capacity();
        let x = msix_only(&fw);
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
        fw.resume(true);
        let held: u64 = fw.held.iter().map(|h| h.count as u64).sum();
        assert!(held >= 4, "{profile}: the block is held, not free");
        assert_eq!(fw.machine.pools.free_count() + held, all);
        fw.resume(true);
        assert!(
            fw.held.is_empty(),
            "{profile}: nothing assigned, nothing held"
        );
        assert_eq!(fw.machine.pools.free_count(), all, "{profile}: all back");
    }
}

#[test]
fn system_reboot_and_renumbering_resume_are_counted() {
    let mut fw = firmware(B, Profile::Papr);
    for n in 1..=3 {
        assert_eq!(fw.call(Service::SystemReboot, &[], 1).unwrap(), vec![0]);
        assert_eq!(fw.reboots, n);
        fw.resume(n % 2 == 1);
    }
    assert_eq!(fw.renumbers, 2, "resumes 1 and 3 renumbered");
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

/// `get-time-of-day`: status, then year, month, day, hour, minute, second and
/// nanosecond of the firmware's clock (UTC), carried over month, year and a leap day.
#[test]
fn get_time_of_day_reads_the_clock_to_the_nanosecond() {
    let mut fw = firmware(B, Profile::Papr);
    let tod = |fw: &mut rtas::Firmware| fw.call(Service::GetTimeOfDay, &[], 8).unwrap();
    assert_eq!(tod(&mut fw), vec![0, 2026, 11, 21, 0, 0, 0, 0]);
    const S: u64 = 1_000_000_000;
    const DAY: u64 = 86_400 * S;
    // 40 days on is New Year's Eve; its last nanosecond, then the next.
    fw.clock.advance(40 * DAY + 86_399 * S + 999_999_999);
    assert_eq!(tod(&mut fw), vec![0, 2026, 12, 31, 23, 59, 59, 999_999_999]);
    fw.clock.advance(1);
    assert_eq!(tod(&mut fw), vec![0, 2027, 1, 1, 0, 0, 0, 0]);
    // 2028 is a leap year: 28 February is followed by the 29th.
    fw.clock
        .advance((365 + 31 + 27) * DAY + 12 * 3600 * S + 61 * S + 5);
    assert_eq!(tod(&mut fw), vec![0, 2028, 2, 28, 12, 1, 1, 5]);
    fw.clock.advance(DAY);
    assert_eq!(tod(&mut fw), vec![0, 2028, 2, 29, 12, 1, 1, 5]);
}

/// The papr profile holds `display-character` (1 input), `power-off` (2),
/// `system-reboot` and `get-time-of-day` (none) to their cells, one output each but
/// get-time-of-day's eight: any other shape answers -3 and does nothing.
#[test]
fn misc_services_take_exactly_their_cells() {
    let mut fw = firmware(B, Profile::Papr);
    let x = msix_only(&fw);
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4)[..2], [0, 2]);
    let calls: &[(Service, &[u32], usize)] = &[
        (Service::DisplayCharacter, &[], 1),
        (Service::DisplayCharacter, &[b'x' as u32, 0], 1),
        (Service::DisplayCharacter, &[b'x' as u32], 2),
        (Service::PowerOff, &[0], 1),
        (Service::PowerOff, &[0, 0, 0], 1),
        (Service::PowerOff, &[0, 0], 2),
        (Service::SystemReboot, &[0], 1),
        (Service::SystemReboot, &[], 2),
        (Service::GetTimeOfDay, &[0], 8),
        (Service::GetTimeOfDay, &[], 7),
        (Service::GetTimeOfDay, &[], 1),
    ];
    for (s, args, nret) in calls {
        let r = fw.call(*s, args, *nret).unwrap();
        assert_eq!(
            r[0] as i32,
            -3,
            "{s} with {} inputs, {nret} outputs",
            args.len()
        );
        assert!(
            r[1..].iter().all(|&c| c == 0),
            "{s}: only the status: {r:?}"
        );
    }
    assert_eq!(fw.console, "", "nothing displayed");
    assert!(!fw.powered_off);
    assert_eq!(fw.reboots, 0);
    assert_eq!(
        fw.machine.block(x).map(|b| b.count),
        Some(2),
        "not rebooted"
    );
}

/// The legacy `read-pci-config` (config address, size) and `write-pci-config` (config
/// address, size, value) name no PHB: in the papr profile they reach the first one,
/// and what one writes the other and `ibm,read-pci-config` read back. QEMU looks them
/// up at BUID 0, which no PHB has: -1 for both, nothing written.
#[test]
fn legacy_config_calls_reach_the_first_phb() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut fw = firmware(B, profile);
        let r = fw.machine.functions().next().unwrap();
        assert_eq!(r.phb, 0);
        let c = cfg_addr(&fw, r);
        let (hi, lo) = buid_cells(&fw, r);
        let before = fw.machine.clone();
        let w = fw
            .call(Service::WritePciConfig, &[c | 4, 2, 0x0006], 1)
            .unwrap();
        let rd = fw.call(Service::ReadPciConfig, &[c | 4, 2], 2).unwrap();
        let ibm = fw
            .call(Service::IbmReadPciConfig, &[c | 4, hi, lo, 2], 2)
            .unwrap();
        if profile == Profile::Papr {
            assert_eq!(w, vec![0]);
            assert_eq!(rd, vec![0, 6]);
            assert_eq!(ibm, vec![0, 6]);
            assert_eq!(
                fw.call(Service::WritePciConfig, &[c | 4, 2], 1).unwrap()[0] as i32,
                -3,
                "two inputs"
            );
            assert_eq!(
                fw.call(Service::ReadPciConfig, &[c | 4, 2, 0], 2).unwrap()[0] as i32,
                -3,
                "three inputs"
            );
        } else {
            assert_eq!(w[0] as i32, -1);
            assert_eq!(rd[0] as i32, -1);
            assert_eq!(ibm[0], 0);
            assert!(fw.machine == before, "QEMU wrote nothing");
        }
    }
}

/// XICS as QEMU keeps it (`xics_spapr.c`): `ibm,set-xive` sets the priority and the
/// saved priority, `ibm,int-off` masks and saves the priority it finds (so a second
/// int-off saves the mask), `ibm,int-on` puts the saved one back.
#[test]
fn int_off_saves_the_priority_it_finds_and_int_on_restores_it() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware("qemu/d_smp4_xics.dtb", profile);
        let src = 0x1200;
        let mut op = |s: Service, args: &[u32]| {
            assert_eq!(fw.call(s, args, 1).unwrap(), vec![0], "{profile}: {s}");
            fw.call(Service::GetXive, &[src], 3).unwrap()
        };
        assert_eq!(op(Service::SetXive, &[src, 2, 5]), vec![0, 2, 5]);
        assert_eq!(op(Service::IntOff, &[src]), vec![0, 2, 0xff]);
        assert_eq!(op(Service::IntOn, &[src]), vec![0, 2, 5]);
        // Off twice: the second int-off saves 0xff, and int-on leaves the source masked.
        op(Service::IntOff, &[src]);
        op(Service::IntOff, &[src]);
        assert_eq!(op(Service::IntOn, &[src]), vec![0, 2, 0xff], "{profile}");
        // set-xive while off unmasks at once, and is what int-on puts back.
        assert_eq!(op(Service::SetXive, &[src, 1, 3]), vec![0, 1, 3]);
        assert_eq!(op(Service::IntOff, &[src]), vec![0, 1, 0xff]);
        assert_eq!(op(Service::SetXive, &[src, 1, 6]), vec![0, 1, 6]);
        assert_eq!(op(Service::IntOn, &[src]), vec![0, 1, 6]);
    }
}

/// The four XICS calls take exactly their cells (set-xive 3 inputs, the others 1; get-xive
/// 3 outputs, the others 1) and a number some controller has: else -3 and the source as
/// it was. QEMU's check is the controller's range (`ics_valid_irq`): a number no
/// device holds is still accepted.
#[test]
fn xics_calls_hold_their_cells_and_the_controllers_range() {
    let mut fw = firmware("qemu/d_smp4_xics.dtb", Profile::Qemu);
    let src = 0x1200;
    assert_eq!(fw.call(Service::SetXive, &[src, 1, 4], 1).unwrap(), vec![0]);
    let shapes: &[(Service, &[u32], usize)] = &[
        (Service::SetXive, &[src, 0], 1),
        (Service::SetXive, &[src, 0, 5, 0], 1),
        (Service::SetXive, &[src, 0, 5], 2),
        (Service::GetXive, &[src], 2),
        (Service::GetXive, &[src, 0], 3),
        (Service::IntOff, &[], 1),
        (Service::IntOff, &[src], 2),
        (Service::IntOn, &[src, 0], 1),
        (Service::IntOn, &[src], 3),
    ];
    for (s, args, nret) in shapes {
        assert_eq!(
            fw.call(*s, args, *nret).unwrap()[0] as i32,
            -3,
            "{s}: {} inputs, {nret} outputs",
            args.len()
        );
    }
    // QEMU's one controller: 0x1000 sources from 0x1000.
    for n in [0, 0xfff, 0x2000, u32::MAX] {
        assert_eq!(
            fw.call(Service::SetXive, &[n, 0, 5], 1).unwrap()[0] as i32,
            -3
        );
        assert_eq!(fw.call(Service::GetXive, &[n], 3).unwrap()[0] as i32, -3);
        assert_eq!(fw.call(Service::IntOff, &[n], 1).unwrap()[0] as i32, -3);
        assert_eq!(fw.call(Service::IntOn, &[n], 1).unwrap()[0] as i32, -3);
    }
    assert_eq!(
        fw.call(Service::GetXive, &[src], 3).unwrap(),
        vec![0, 1, 4],
        "untouched by the refused calls"
    );
    // Inside the range, held by no device: accepted.
    let unheld = 0x1f00;
    assert_eq!(
        fw.machine.ics.source(unheld).map(|s| s.kind),
        Some(rtas::ics::SourceKind::Free)
    );
    assert_eq!(
        fw.call(Service::SetXive, &[unheld, 3, 7], 1).unwrap(),
        vec![0]
    );
    assert_eq!(
        fw.call(Service::GetXive, &[unheld], 3).unwrap(),
        vec![0, 3, 7]
    );
}
