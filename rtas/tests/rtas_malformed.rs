//! Malformed RTAS calls: random buffers through the entry point never panic, a refused
//! call changes nothing, and the spec's statuses come back.

mod common;

use common::*;
use proptest::prelude::*;
use rtas::memory::Memory;
use rtas::{Profile, Service};

const BASE: u64 = 0x10_0000;
const LEN: usize = 256;

fn interesting(fw: &rtas::Firmware) -> Vec<u32> {
    let mut v = vec![
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        0xff,
        0x100,
        0xffff_ffff,
        0x1200,
        0x1300,
        0x1000_0000,
    ];
    for p in &fw.machine.phbs {
        v.push((p.buid >> 32) as u32);
        v.push(p.buid as u32);
        for f in &p.functions {
            v.push(f.addr.config_addr());
            v.push(f.addr.config_addr() | 0x44);
        }
    }
    v
}

fn run(
    profile: Profile,
    token_pick: usize,
    raw_token: u32,
    nargs: u32,
    nret: u32,
    picks: Vec<(bool, usize, u32)>,
    at: i64,
) -> Result<(), TestCaseError> {
    let mut fw = firmware("qemu/b_devices.dtb", profile);
    let tokens: Vec<u32> = Service::ALL
        .iter()
        .filter_map(|&s| fw.tokens.token(s))
        .collect();
    let token = if token_pick < tokens.len() {
        tokens[token_pick]
    } else {
        raw_token
    };
    let vals = interesting(&fw);
    let mut mem = Memory::new(BASE, LEN);
    let addr = (BASE as i64 + at) as u64;
    let cells: Vec<u32> = [token, nargs, nret]
        .into_iter()
        .chain(
            picks
                .iter()
                .map(|&(raw, i, r)| if raw { r } else { vals[i % vals.len()] }),
        )
        .collect();
    for (i, c) in cells.iter().enumerate() {
        mem.write_u32(addr + 4 * i as u64, *c);
    }
    let before_machine = fw.machine.clone();
    let before_mem = mem.clone();
    let result = fw.call_buffer(&mut mem, addr);
    let fits = addr >= BASE && addr + 12 + 4 * (nargs as u64 + nret as u64) <= BASE + LEN as u64;
    match result {
        Err(_) => {
            prop_assert!(!fits, "a buffer inside memory was refused");
            prop_assert!(mem == before_mem, "refused buffer changed memory");
            prop_assert!(
                fw.machine == before_machine,
                "refused buffer changed the machine"
            );
        }
        Ok(()) => {
            prop_assert!(fits);
            if nret > 0 {
                let st = mem.read_u32(addr + 12 + 4 * nargs as u64).unwrap() as i32;
                if profile == Profile::Papr && nargs + nret > 16 {
                    prop_assert_eq!(st, -3);
                }
                if !tokens.contains(&token) {
                    prop_assert_eq!(st, -3);
                }
                if st != 0 {
                    prop_assert!(
                        fw.machine == before_machine,
                        "status {} but the machine changed",
                        st
                    );
                }
            } else {
                prop_assert!(
                    fw.machine == before_machine,
                    "a call with no outputs changed the machine"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn random_buffers(
        qemu in any::<bool>(),
        token_pick in 0usize..20,
        raw_token in any::<u32>(),
        nargs in prop_oneof![0u32..8, 0u32..24, Just(u32::MAX)],
        nret in prop_oneof![0u32..6, 0u32..20, Just(0x4000_0000u32)],
        picks in prop::collection::vec((any::<bool>(), any::<usize>(), any::<u32>()), 0..24),
        at in prop_oneof![0i64..120, -16i64..300, Just(-4i64)],
    ) {
        let profile = if qemu { Profile::Qemu } else { Profile::Papr };
        run(profile, token_pick, raw_token, nargs, nret, picks, at & !3)?;
    }
}

#[test]
fn config_access_rules() {
    let mut fw = firmware("qemu/b_devices.dtb", Profile::Papr);
    let r = find_fn(&fw, |_, x| x.is_some());
    let (hi, lo) = buid_cells(&fw, r);
    let c = cfg_addr(&fw, r);
    let rd = |fw: &mut rtas::Firmware, a: u32, size: u32| {
        fw.call(Service::IbmReadPciConfig, &[a, hi, lo, size], 2)
            .unwrap()
    };
    assert_eq!(rd(&mut fw, c, 3)[0] as i32, -3, "size 3");
    assert_eq!(rd(&mut fw, c | 2, 4)[0] as i32, -3, "misaligned");
    assert_eq!(rd(&mut fw, c | 1, 2)[0] as i32, -3, "misaligned");
    assert_eq!(rd(&mut fw, c | 2, 2)[0], 0);
    let absent = (c & 0xff_0000) | (31 << 11);
    assert_eq!(
        rd(&mut fw, absent, 4),
        vec![0, 0xffff_ffff],
        "absent device reads all ones"
    );
    assert_eq!(rd(&mut fw, absent, 1), vec![0, 0xff]);
    let bad_buid = fw
        .call(Service::IbmReadPciConfig, &[c, hi, lo ^ 0x55, 4], 2)
        .unwrap();
    assert_eq!(bad_buid[0] as i32, -3);
    let wr = fw
        .call(Service::IbmWritePciConfig, &[c | 4, hi, lo, 2, 0x0006], 1)
        .unwrap();
    assert_eq!(wr, vec![0]);
    assert_eq!(rd(&mut fw, c | 4, 2)[1], 6);
    let wr = fw
        .call(Service::IbmWritePciConfig, &[c | 4, hi, lo, 2], 1)
        .unwrap();
    assert_eq!(wr[0] as i32, -3, "wrong argument count");
    // Legacy calls use the first PHB in the papr profile.
    let first = fw.machine.phbs[0].functions[0].addr.config_addr();
    let v = fw.call(Service::ReadPciConfig, &[first, 2], 2).unwrap();
    assert_eq!(v[0], 0);
    assert_eq!(v[1], fw.machine.phbs[0].functions[0].info.vendor_id as u32);
    // QEMU answers -1 for every failure.
    let mut q = firmware("qemu/b_devices.dtb", Profile::Qemu);
    let r = q
        .call(Service::IbmReadPciConfig, &[c | 2, hi, lo, 4], 2)
        .unwrap();
    assert_eq!(r[0] as i32, -1);
    let r = q
        .call(Service::IbmReadPciConfig, &[absent, hi, lo, 4], 2)
        .unwrap();
    assert_eq!(r[0] as i32, -1);
}

#[test]
fn too_many_cells_and_unwritten_rets() {
    let mut fw = firmware("qemu/b_devices.dtb", Profile::Papr);
    let r = fw.call(Service::GetXive, &[0x1200; 15], 2).unwrap();
    assert_eq!(r[0] as i32, -3);
    // Outputs the firmware does not write keep what the OS left there.
    let mut mem = Memory::new(BASE, LEN);
    let tok = fw.tokens.token(Service::IntOn).unwrap();
    for (i, c) in [tok, 1, 3, 0x1200, 0xaaaa, 0xbbbb, 0xcccc]
        .iter()
        .enumerate()
    {
        mem.write_u32(BASE + 4 * i as u64, *c);
    }
    fw.call_buffer(&mut mem, BASE).unwrap();
    assert_eq!(
        mem.read_u32(BASE + 16).unwrap() as i32,
        -3,
        "int-on wants one output"
    );
    assert_eq!(mem.read_u32(BASE + 20), Some(0xbbbb));
    assert_eq!(mem.read_u32(BASE + 24), Some(0xcccc));
}
