//! EEH through the RTAS entry point: argument counts and statuses of each call, the
//! frozen PE (loads all ones, stores and messages dropped and counted, neighbours
//! untouched), the thaw options, the reset that restores what was assigned, and the
//! error log in the caller's buffer.

mod common;

use common::*;
use rtas::memory::Memory;
use rtas::{Firmware, FnRef, Profile, Service, Signal};

const B: &str = "qemu/b_devices.dtb";

fn msix_fn(fw: &Firmware) -> FnRef {
    find_fn(fw, |m, x| m.is_none() && x.is_some_and(|n| n >= 8))
}
fn msi_fn(fw: &Firmware) -> FnRef {
    find_fn(fw, |m, x| m.is_some() && x.is_none())
}

fn pe(fw: &Firmware, r: FnRef) -> [u32; 3] {
    let (hi, lo) = buid_cells(fw, r);
    [cfg_addr(fw, r), hi, lo]
}

fn call(fw: &mut Firmware, s: Service, args: &[u32], nret: usize) -> Vec<i64> {
    let cells = fw.call(s, args, nret).unwrap();
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

fn state(fw: &mut Firmware, r: FnRef) -> i64 {
    let v = call(fw, Service::ReadSlotResetState2, &pe(fw, r), 4);
    assert_eq!(v[0], 0);
    assert_eq!(v[2], 1, "EEH is supported");
    v[1]
}

/// A function with 4 MSI-X vectors, source numbers programmed, capability enabled.
fn armed(fw: &mut Firmware, r: FnRef) -> u32 {
    assert_eq!(change_msi(fw, r, 4, 4, 1, 4)[..2], [0, 4]);
    let f = fw.machine.function_mut(r);
    let o = f.msix.unwrap().offset as u32 + 2;
    let ctl = f.config.read(o, 2).unwrap();
    f.config_write(o, 2, ctl | 0x8000).unwrap();
    fw.machine.block(r).unwrap().first
}

#[test]
fn argument_counts_and_unknown_pes_answer_minus_3() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let [c, h, l] = pe(&fw, r);
    let cases: [(Service, Vec<u32>, usize); 6] = [
        (Service::SetEehOption, vec![c, h, l, 1], 1),
        (Service::GetConfigAddrInfo2, vec![c, h, l, 0], 2),
        (Service::ReadSlotResetState2, vec![c, h, l], 4),
        (Service::SetSlotReset, vec![c, h, l, 1], 1),
        (Service::ConfigurePe, vec![c, h, l], 1),
        (
            Service::SlotErrorDetail,
            vec![c, h, l, 0, 0, 0x1100, 0x100, 1],
            1,
        ),
    ];
    for (s, args, nret) in cases {
        let before = fw.machine.clone();
        let mut short = args.clone();
        short.pop();
        assert_eq!(
            call(&mut fw, s, &short, nret)[0],
            -3,
            "{s}: one argument short"
        );
        assert_eq!(
            call(&mut fw, s, &args, nret + 1)[0],
            -3,
            "{s}: one output too many"
        );
        let mut other = args.clone();
        other[0] = 0x00ff_f800; // bus ff, device 31: nothing there
        assert_eq!(call(&mut fw, s, &other, nret)[0], -3, "{s}: no such PE");
        let mut bad_buid = args.clone();
        bad_buid[2] ^= 0x55;
        assert_eq!(call(&mut fw, s, &bad_buid, nret)[0], -3, "{s}: no such PHB");
        assert!(fw.machine == before, "{s}: a refused call changed nothing");
    }
    assert_eq!(
        call(&mut fw, Service::SetEehOption, &[c, h, l, 5], 1)[0],
        -3
    );
    assert_eq!(
        call(&mut fw, Service::GetConfigAddrInfo2, &[c, h, l, 2], 2)[0],
        -3
    );
    assert_eq!(
        call(&mut fw, Service::SetSlotReset, &[c, h, l, 2], 1)[0],
        -3
    );
}

#[test]
fn config_addr_info2_names_the_function_as_its_own_pe() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let [c, h, l] = pe(&fw, r);
    // Linux asks with register bits set too: the PE address is register 0's.
    assert_eq!(
        call(
            &mut fw,
            Service::GetConfigAddrInfo2,
            &[c | 0x40, h, l, 0],
            2
        ),
        vec![0, c as i64]
    );
    assert_eq!(
        call(&mut fw, Service::GetConfigAddrInfo2, &[c, h, l, 1], 2),
        vec![0, 1],
        "mode 1: not shared"
    );
}

#[test]
fn a_frozen_pe_reads_ones_drops_stores_and_messages_and_spares_its_neighbours() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let nb = msi_fn(&fw);
    let first = armed(&mut fw, r);
    assert_eq!(change_msi(&mut fw, nb, 3, 1, 1, 4)[..2], [0, 1]);
    let nb_first = fw.machine.block(nb).unwrap().first;
    assert_eq!(state(&mut fw, r), 0);
    fw.machine.function_mut(r).freeze();
    assert_eq!(state(&mut fw, r), 2, "frozen: MMIO and DMA stopped");
    let [c, h, l] = pe(&fw, r);
    assert_eq!(
        call(&mut fw, Service::IbmReadPciConfig, &[c, h, l, 4], 2),
        vec![0, u32::MAX as i64]
    );
    for (size, ones) in [(1, 0xff), (2, 0xffff)] {
        assert_eq!(
            call(&mut fw, Service::IbmReadPciConfig, &[c, h, l, size], 2),
            vec![0, ones],
            "a {size}-byte load reads {size} bytes of ones"
        );
    }
    let cmd = fw.machine.function(r).config.read(4, 2).unwrap();
    assert_eq!(
        call(&mut fw, Service::IbmWritePciConfig, &[c | 4, h, l, 2, 0], 1),
        vec![0]
    );
    assert_eq!(
        fw.machine.function(r).config.read(4, 2).unwrap(),
        cmd,
        "store dropped"
    );
    assert_eq!(fw.machine.drops.frozen_writes, 1);
    assert_eq!(fw.machine.signal(r, 0), Signal::Dropped);
    assert_eq!(fw.machine.signal(r, 3), Signal::Dropped);
    assert_eq!(fw.machine.drops.frozen, 2);
    // The neighbour on the same PHB goes on as before.
    let [nc, nh, nl] = pe(&fw, nb);
    assert_eq!(state(&mut fw, nb), 0);
    let v = call(&mut fw, Service::IbmReadPciConfig, &[nc, nh, nl, 2], 2);
    assert_ne!(v[1], 0xffff);
    assert_eq!(
        fw.machine.signal(nb, 0),
        Signal::Delivered { source: nb_first }
    );
    // Thaw MMIO: loads work, messages still dropped; thaw DMA too: normal again.
    assert_eq!(
        call(&mut fw, Service::SetEehOption, &[c, h, l, 2], 1),
        vec![0]
    );
    assert_eq!(state(&mut fw, r), 4, "MMIO enabled, DMA stopped");
    let v = call(&mut fw, Service::IbmReadPciConfig, &[c, h, l, 2], 2);
    assert_ne!(v[1], 0xffff);
    assert_eq!(fw.machine.signal(r, 0), Signal::Dropped);
    assert_eq!(
        call(&mut fw, Service::SetEehOption, &[c, h, l, 3], 1),
        vec![0]
    );
    assert_eq!(state(&mut fw, r), 0);
    assert!(!fw.machine.function(r).frozen);
    assert_eq!(
        fw.machine.signal(r, 1),
        Signal::Delivered { source: first + 1 }
    );
}

#[test]
fn reset_restores_the_msix_table_and_ends_with_function_0() {
    for func in [1u32, 3] {
        let mut fw = firmware(B, Profile::Papr);
        let r = msix_fn(&fw);
        let first = armed(&mut fw, r);
        let table: Vec<_> = (0..4)
            .map(|i| {
                fw.machine
                    .function(r)
                    .msix_table
                    .as_ref()
                    .unwrap()
                    .message(i)
            })
            .collect();
        fw.machine.function_mut(r).freeze();
        let [c, h, l] = pe(&fw, r);
        assert_eq!(
            call(&mut fw, Service::SetSlotReset, &[c, h, l, func], 1),
            vec![0]
        );
        assert_eq!(state(&mut fw, r), 1, "reset active until function 0");
        assert_eq!(
            call(&mut fw, Service::SetSlotReset, &[c, h, l, 0], 1),
            vec![0]
        );
        assert_eq!(state(&mut fw, r), 0);
        assert_eq!(call(&mut fw, Service::ConfigurePe, &[c, h, l], 1), vec![0]);
        let after: Vec<_> = (0..4)
            .map(|i| {
                fw.machine
                    .function(r)
                    .msix_table
                    .as_ref()
                    .unwrap()
                    .message(i)
            })
            .collect();
        assert_eq!(after, table, "function {func}: the same messages");
        for i in 0..4 {
            assert_eq!(
                fw.machine.signal(r, i),
                Signal::Delivered { source: first + i },
                "function {func}: vector {i} after the reset"
            );
        }
    }
}

#[test]
fn slot_error_detail_writes_one_log_per_freeze_into_the_buffer() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let [c, h, l] = pe(&fw, r);
    let mut mem = Memory::new(0x10_0000, 0x1000);
    let buf = 0x10_0800u64;
    let args = [c, h, l, 0, 0, buf as u32, 0x400, 1];
    let token = fw.tokens.token(Service::SlotErrorDetail).unwrap();
    let run = |fw: &mut Firmware, mem: &mut Memory, args: &[u32]| -> i32 {
        mem.write_call(0x10_0000, token, args, 1).unwrap();
        fw.call_buffer(mem, 0x10_0000).unwrap();
        mem.read_u32(0x10_0000 + 12 + 4 * args.len() as u64)
            .unwrap() as i32
    };
    assert_eq!(run(&mut fw, &mut mem, &args), 1, "no freeze, no log");
    fw.machine.function_mut(r).freeze();
    assert_eq!(
        run(&mut fw, &mut mem, &[c, h, l, 0, 0, buf as u32, 4, 1]),
        -3,
        "too short"
    );
    assert_eq!(
        run(&mut fw, &mut mem, &[c, h, l, 0, 0, 0x20_0000, 0x400, 1]),
        -3,
        "outside"
    );
    assert_eq!(
        run(&mut fw, &mut mem, &[c, h, l, 0, 0, buf as u32, 0x400, 3]),
        -3,
        "severity"
    );
    assert_eq!(run(&mut fw, &mut mem, &args), 0);
    let head = mem.read_u32(buf).unwrap().to_be_bytes();
    assert_eq!(head[0], 6, "version 6");
    assert_eq!(head[1] >> 5, 4, "severity error");
    assert_eq!(
        head[1], 0x90,
        "severity error, disposition not recovered, no extension"
    );
    assert_eq!(head[2], 0x22, "initiator and target PCI");
    assert_eq!(mem.read_u32(buf + 4), Some(0), "no extended log");
    assert_eq!(run(&mut fw, &mut mem, &args), 1, "the log was taken");
}

#[test]
fn eeh_calls_take_injected_faults() {
    use rtas::faults::{Fault, FaultRule};
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let [c, h, l] = pe(&fw, r);
    fw.faults
        .add(FaultRule::new(Service::ConfigurePe, 0, 2, Fault::Delay(1)));
    assert_eq!(
        call(&mut fw, Service::ConfigurePe, &[c, h, l], 1),
        vec![9901]
    );
    assert_eq!(
        call(&mut fw, Service::ConfigurePe, &[c, h, l], 1),
        vec![9901]
    );
    assert_eq!(call(&mut fw, Service::ConfigurePe, &[c, h, l], 1), vec![0]);
}

#[test]
fn eeh_options_on_a_live_pe_succeed_and_leave_it_running() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let first = armed(&mut fw, r);
    let [c, h, l] = pe(&fw, r);
    for (option, enabled) in [(0, false), (1, true), (2, true), (3, true)] {
        assert_eq!(
            call(&mut fw, Service::SetEehOption, &[c, h, l, option], 1),
            vec![0],
            "option {option}"
        );
        assert_eq!(
            fw.machine.function(r).eeh.enabled,
            enabled,
            "option {option}"
        );
        assert_eq!(state(&mut fw, r), 0, "option {option}: still running");
    }
    // Thawing a running PE leaves nothing behind: after a freeze, one half thawed is
    // not enough.
    fw.machine.function_mut(r).freeze();
    assert_eq!(
        call(&mut fw, Service::SetEehOption, &[c, h, l, 3], 1),
        vec![0]
    );
    assert_eq!(
        state(&mut fw, r),
        2,
        "DMA thawed only: still stopped for MMIO"
    );
    assert_eq!(
        call(&mut fw, Service::IbmReadPciConfig, &[c, h, l, 4], 2),
        vec![0, u32::MAX as i64],
        "loads still read all ones"
    );
    assert_eq!(
        call(&mut fw, Service::SetEehOption, &[c, h, l, 2], 1),
        vec![0]
    );
    assert_eq!(state(&mut fw, r), 0);
    assert_eq!(fw.machine.signal(r, 0), Signal::Delivered { source: first });
}

#[test]
fn a_slot_reset_puts_what_the_os_wrote_back_to_power_on() {
    let mut fw = firmware(B, Profile::Papr);
    let r = msix_fn(&fw);
    let fresh = fw.machine.function(r).config.read(0x3c, 1).unwrap();
    armed(&mut fw, r);
    let f = fw.machine.function_mut(r);
    f.config_write(0x3c, 1, fresh ^ 0x5a).unwrap();
    assert_eq!(
        f.config.read(0x3c, 1).unwrap(),
        fresh ^ 0x5a,
        "interrupt line written"
    );
    let [c, h, l] = pe(&fw, r);
    assert_eq!(
        call(&mut fw, Service::SetSlotReset, &[c, h, l, 1], 1),
        vec![0]
    );
    assert_eq!(
        fw.machine.function(r).config.read(0x3c, 1).unwrap(),
        fresh,
        "the interrupt line register back at its power-on value"
    );
}
