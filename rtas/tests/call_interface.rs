//! The call interface as the OS meets it: services by the tokens its tree's `/rtas`
//! publishes (QEMU's numbers in QEMU's trees, whatever numbers another tree gives), the
//! call buffer inside OS memory, QEMU's change-msi and query that read their cells
//! whatever the counts say, and the log of calls as the OS made them.

mod common;

use common::services::msix_only;
use common::*;
use rtas::memory::Memory;
use rtas::service::qemu_token;
use rtas::{CallError, Profile, Service};

const B: &str = "qemu/b_devices.dtb";
const BUF: u64 = 0x10_0000;

/// Every fixture's `/rtas`: a service is there exactly when its property is, by the
/// number the property holds; QEMU's trees hold QEMU's numbers (from 0x2000, in its
/// fixed order). A service the tree does not publish cannot be called.
#[test]
fn every_fixture_publishes_the_services_its_tree_names() {
    let mut qemu_trees = 0;
    for rel in fixture_rels() {
        let tree = fixture_tree(&rel);
        let node = tree
            .find("/rtas")
            .unwrap_or_else(|e| panic!("{rel}: no /rtas: {e}"));
        let mut fw = firmware(&rel, Profile::Papr);
        let mut published = 0;
        for &s in Service::ALL {
            let prop = tree.at(node).u32(s.name()).unwrap();
            assert_eq!(fw.tokens.token(s), prop, "{rel}: {s}");
            match prop {
                Some(t) => {
                    assert_eq!(fw.tokens.service(t), Some(s), "{rel}: {t:#x}");
                    if rel.starts_with("qemu/") {
                        assert_eq!(t, qemu_token(s), "{rel}: {s}");
                    }
                    published += 1;
                }
                None => assert_eq!(
                    fw.call(s, &[], 1),
                    Err(CallError::NoService(s)),
                    "{rel}: {s}"
                ),
            }
        }
        assert!(published >= 10, "{rel}: {published} services");
        qemu_trees += usize::from(rel.starts_with("qemu/"));
    }
    assert!(qemu_trees >= 5, "{qemu_trees} QEMU trees");
}

/// Real firmware numbers its services otherwise than QEMU, so the tree is the only
/// source of tokens: with every token of `/rtas` renumbered, the calls answer by the
/// new numbers, through the call buffer too, and QEMU's numbers reach nothing (an
/// unknown token: -3).
#[test]
fn tokens_are_the_trees_whatever_their_numbers() {
    let mut tree = fixture_tree(B);
    let node = tree.find("/rtas").unwrap();
    let published: Vec<Service> = Service::ALL
        .iter()
        .copied()
        .filter(|s| tree.at(node).u32(s.name()).unwrap().is_some())
        .collect();
    // Reversed order, far from QEMU's 0x2000 range.
    let renumbered = |i: usize| 0x7000 + (published.len() - i) as u32;
    for (i, s) in published.iter().enumerate() {
        tree.set_prop(node, s.name(), renumbered(i).to_be_bytes().to_vec());
    }
    let mut fw = firmware_of(&tree, Profile::Papr);
    for (i, &s) in published.iter().enumerate() {
        assert_eq!(fw.tokens.token(s), Some(renumbered(i)), "{s}");
    }
    let get_xive = fw.tokens.token(Service::GetXive).unwrap();
    assert_eq!(fw.call_token(get_xive, &[0x1200], 3).unwrap()[0], 0);
    assert_eq!(
        fw.call_token(qemu_token(Service::GetXive), &[0x1200], 3)
            .unwrap()[0] as i32,
        -3,
        "QEMU's number is no token here"
    );
    let mut mem = Memory::new(BUF, 0x100);
    let tod = fw.tokens.token(Service::GetTimeOfDay).unwrap();
    let rets = mem.write_call(BUF, tod, &[], 8).unwrap();
    fw.call_buffer(&mut mem, BUF).unwrap();
    assert_eq!(mem.read_u32(rets), Some(0), "status");
    assert_eq!(mem.read_u32(rets + 4), Some(2026), "the year");
}

/// A buffer whose header, or whose announced cells, do not lie in OS memory is
/// refused without a status (there is nowhere to write one): memory unchanged,
/// nothing logged.
#[test]
fn a_call_buffer_outside_os_memory_is_refused_untouched() {
    let mut fw = firmware(B, Profile::Papr);
    let mut mem = Memory::new(BUF, 64);
    let tod = fw.tokens.token(Service::GetTimeOfDay).unwrap();
    // A header 12 bytes long from 8 bytes before the end.
    assert_eq!(
        fw.call_buffer(&mut mem, BUF + 56),
        Err(CallError::BufferOutside {
            addr: BUF + 56,
            len: 12
        })
    );
    assert_eq!(
        fw.call_buffer(&mut mem, BUF - 4),
        Err(CallError::BufferOutside {
            addr: BUF - 4,
            len: 12
        }),
        "below OS memory"
    );
    // The header inside; its 8 outputs run 12 bytes past the end.
    let at = BUF + 32;
    for (i, c) in [tod, 0, 8].into_iter().enumerate() {
        mem.write_u32(at + 4 * i as u64, c);
    }
    let before = mem.clone();
    assert_eq!(
        fw.call_buffer(&mut mem, at),
        Err(CallError::BufferOutside { addr: at, len: 44 })
    );
    assert!(mem == before, "nothing written");
    assert!(fw.log.is_empty(), "nothing logged");
}

/// QEMU's change-msi and query-interrupt-source-number read their six and four input
/// cells and write their outputs whatever nargs and nret say (`spapr_pci.c` checks
/// neither): an extra input is ignored, outputs past the fourth keep what the OS left
/// there. The papr profile holds the calls to their counts (-3).
#[test]
fn qemu_msi_calls_do_not_check_their_counts() {
    for profile in [Profile::Qemu, Profile::Papr] {
        let mut fw = firmware(B, profile);
        let x = msix_only(&fw);
        let (hi, lo) = buid_cells(&fw, x);
        let c = cfg_addr(&fw, x);
        let mut mem = Memory::new(BUF, 0x100);
        let token = fw.tokens.token(Service::ChangeMsi).unwrap();
        // Seven inputs (one extra) and six outputs the OS filled with a marker.
        let rets = mem
            .write_call(BUF, token, &[c, hi, lo, 4, 2, 1, 0x77], 6)
            .unwrap();
        for i in 0..6 {
            mem.write_u32(rets + 4 * i, 0xdead_0000 | i as u32);
        }
        fw.call_buffer(&mut mem, BUF).unwrap();
        let out: Vec<u32> = (0..6)
            .map(|i| mem.read_u32(rets + 4 * i).unwrap())
            .collect();
        if profile == Profile::Qemu {
            assert_eq!(out, vec![0, 2, 2, 2, 0xdead_0004, 0xdead_0005]);
            assert_eq!(fw.machine.block(x).map(|b| b.count), Some(2));
            // query with three inputs reads a fourth cell all the same: vector 1.
            let token = fw
                .tokens
                .token(Service::QueryInterruptSourceNumber)
                .unwrap();
            let first = fw.machine.block(x).unwrap().first;
            let rets = mem.write_call(BUF, token, &[c, hi, lo], 3).unwrap();
            // The cell after the three inputs is the first output, which the OS zeroed
            // (vector 0); set it to 1 to see it read as the index.
            mem.write_u32(rets, 1);
            fw.call_buffer(&mut mem, BUF).unwrap();
            assert_eq!(mem.read_u32(rets), Some(0));
            assert_eq!(mem.read_u32(rets + 4), Some(first + 1));
        } else {
            assert_eq!(out[0] as i32, -3, "{profile}");
            assert_eq!(fw.machine.block(x), None, "{profile}: nothing allocated");
        }
    }
}

/// Every call through the entry point is counted and, while the log is on, logged as
/// the OS made it: the service's name (or the token no service has), the input cells,
/// and the outputs as the OS reads them back, the status signed.
#[test]
fn calls_are_logged_as_the_os_made_them() {
    let mut fw = firmware(B, Profile::Papr);
    fw.call(Service::GetXive, &[0x1200], 3).unwrap();
    fw.call(Service::SetXive, &[0x1200, 7, 5], 1).unwrap();
    fw.call_token(0x7777, &[1, 2], 1).unwrap();
    let log: Vec<(String, Vec<u32>, Vec<i64>)> = fw
        .log
        .iter()
        .map(|r| (r.service.clone(), r.args.clone(), r.rets.clone()))
        .collect();
    assert_eq!(
        log,
        vec![
            ("ibm,get-xive".into(), vec![0x1200], vec![0, 0, 0xff]),
            ("ibm,set-xive".into(), vec![0x1200, 7, 5], vec![-3]),
            ("token:0x7777".into(), vec![1, 2], vec![-3]),
        ]
    );
    assert_eq!(fw.calls, 3);
    // Off: counted, not logged.
    fw.log_enabled = false;
    fw.call(Service::GetXive, &[0x1200], 3).unwrap();
    assert_eq!((fw.calls, fw.log.len()), (4, 3));
    // The log written as JSON Lines reads back the same.
    let text = rtas::calllog::to_jsonl(&fw.log);
    assert_eq!(rtas::calllog::from_jsonl(&text).unwrap(), fw.log);
}
