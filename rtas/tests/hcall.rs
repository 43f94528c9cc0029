//! Every `H_INT_*` call: its answers before XIVE is negotiated, each argument error,
//! each flag.

mod common;

use common::fixture_tree;
use rtas::cas::{CasOutcome, IntcMode};
use rtas::hcall::*;
use rtas::ics::SourceKind;
use rtas::machine::QUEUE_RAM_BASE;
use rtas::xive::esb;
use rtas::{Firmware, MachineConfig};

/// The dual guest machine with XIVE negotiated; an MSI at 0x1300 claimed.
fn fw() -> Firmware {
    let tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let mut f = Firmware::new(&tree, &MachineConfig::default()).unwrap();
    f.cas = Some(CasOutcome {
        mode: IntcMode::Xive,
        msi_busy: false,
    });
    f.machine.enable_xive();
    assert!(f.machine.ics.claim(0x1300, SourceKind::Msi));
    f
}

const MSI: u64 = 0x1300;
const LSI: u64 = 0x1201;
const FREE: u64 = 0x1400;

#[test]
fn nothing_answers_before_xive_is_negotiated() {
    let tree = fixture_tree("qemu/a_xive.dtb");
    let mut f = Firmware::new(&tree, &MachineConfig::default()).unwrap();
    for op in [
        H_INT_GET_SOURCE_INFO,
        H_INT_SET_SOURCE_CONFIG,
        H_INT_GET_SOURCE_CONFIG,
        H_INT_GET_QUEUE_INFO,
        H_INT_SET_QUEUE_CONFIG,
        H_INT_GET_QUEUE_CONFIG,
        H_INT_ESB,
        H_INT_SYNC,
        H_INT_RESET,
    ] {
        assert_eq!(
            f.hcall(op, &[0, 0x1200, 0, 6, 0]),
            [H_FUNCTION],
            "{}",
            name(op)
        );
    }
    assert_eq!(fw().hcall(0x3a4, &[]), [H_FUNCTION], "unknown opcode");
}

#[test]
fn get_source_info_msi_lsi_and_errors() {
    let mut f = fw();
    let c = H_INT_GET_SOURCE_INFO;
    // The values QEMU 7.2 gave the real guest for 0x130e.
    f.machine.ics.claim(0x130e, SourceKind::Msi);
    assert_eq!(
        f.hcall(c, &[0, 0x130e]),
        [0, 0, 0x60100261d0000, 0x60100261c0000, 16]
    );
    assert_eq!(f.hcall(c, &[0, LSI]), [0, 0xc, -1, -1, 16]);
    assert_eq!(f.hcall(c, &[1, MSI]), [H_PARAMETER]);
    assert_eq!(f.hcall(c, &[0, FREE]), [H_P2], "unclaimed");
    assert_eq!(f.hcall(c, &[0, 1 << 40]), [H_P2]);
}

#[test]
fn set_and_get_source_config() {
    let mut f = fw();
    let (set, get) = (H_INT_SET_SOURCE_CONFIG, H_INT_GET_SOURCE_CONFIG);
    assert_eq!(f.hcall(set, &[XIVE_SRC_SET_EISN, MSI, 0, 6, 0x19]), [0]);
    assert_eq!(f.hcall(get, &[0, MSI]), [0, 0, 6, 0x19]);
    // Without SET_EISN the EISN stays; MASK masks.
    assert_eq!(f.hcall(set, &[XIVE_SRC_MASK, MSI, 0, 5, 0x77]), [0]);
    assert_eq!(f.hcall(get, &[0, MSI]), [0, 0, 0xff, 0x19]);
    // Priority 0xff resets whatever the other arguments say.
    assert_eq!(f.hcall(set, &[0, MSI, 99, 0xff, 0]), [0]);
    assert!(f.xive_source(0x1300).unwrap().masked);
    assert_eq!(f.hcall(set, &[0x4, MSI, 0, 6, 0]), [H_PARAMETER]);
    assert_eq!(f.hcall(set, &[0, FREE, 0, 6, 0]), [H_P2]);
    assert_eq!(f.hcall(set, &[0, MSI, 1, 6, 0]), [H_P3], "one server");
    assert_eq!(f.hcall(set, &[0, MSI, 0, 7, 0]), [H_P4], "7 is reserved");
    assert_eq!(f.hcall(set, &[2, MSI, 0, 6, 1 << 33]), [H_P5]);
    assert_eq!(f.hcall(get, &[1, MSI]), [H_PARAMETER]);
    assert_eq!(f.hcall(get, &[0, FREE]), [H_P2]);
}

#[test]
fn queue_info_and_config() {
    let mut f = fw();
    let (info, set, get) = (
        H_INT_GET_QUEUE_INFO,
        H_INT_SET_QUEUE_CONFIG,
        H_INT_GET_QUEUE_CONFIG,
    );
    // QEMU's END ESB page of target 0 priority 6 (the real guest: cpu 1 at 0x60100401c0000).
    assert_eq!(f.hcall(info, &[0, 0, 6]), [0, 0x60100400c0000, 0]);
    assert_eq!(f.hcall(info, &[1, 0, 6]), [H_PARAMETER]);
    assert_eq!(f.hcall(info, &[0, 1, 6]), [H_P2]);
    assert_eq!(f.hcall(info, &[0, 0, 7]), [H_P3]);
    let qpage = QUEUE_RAM_BASE;
    assert_eq!(f.hcall(set, &[1, 0, 6, qpage, 16]), [0]);
    assert_eq!(f.hcall(info, &[0, 0, 6]), [0, 0x60100400c0000, 16]);
    assert_eq!(f.hcall(get, &[0, 0, 6]), [0, 1, qpage as i64, 16]);
    assert_eq!(
        f.hcall(get, &[XIVE_END_DEBUG, 0, 6]),
        [0, 1, qpage as i64, 16, 1 << 62]
    );
    assert_eq!(f.hcall(set, &[2, 0, 6, qpage, 16]), [H_PARAMETER]);
    assert_eq!(f.hcall(set, &[0, 1, 6, qpage, 16]), [H_P2]);
    assert_eq!(f.hcall(set, &[0, 0, 8, qpage, 16]), [H_P3]);
    assert_eq!(
        f.hcall(set, &[0, 0, 6, qpage + 0x1000, 16]),
        [H_P4],
        "misaligned"
    );
    assert_eq!(
        f.hcall(set, &[0, 0, 6, 0x10_0000_0000, 16]),
        [H_P4],
        "outside RAM"
    );
    assert_eq!(f.hcall(set, &[0, 0, 6, qpage, 13]), [H_P5]);
    assert_eq!(f.hcall(get, &[2, 0, 6]), [H_PARAMETER]);
    assert_eq!(f.hcall(get, &[0, 5, 6]), [H_P2]);
    assert_eq!(f.hcall(get, &[0, 0, 9]), [H_P3]);
    assert_eq!(f.hcall(set, &[0, 0, 6, 0, 0]), [0], "size 0 resets");
    assert_eq!(f.hcall(get, &[0, 0, 6]), [0, 0, 0, 0, 0]);
}

#[test]
fn esb_through_the_hcall_and_delivery_into_the_queue() {
    let mut f = fw();
    let esb_call = H_INT_ESB;
    f.hcall(H_INT_SET_QUEUE_CONFIG, &[1, 0, 6, QUEUE_RAM_BASE, 16]);
    f.hcall(
        H_INT_SET_SOURCE_CONFIG,
        &[XIVE_SRC_SET_EISN, MSI, 0, 6, 0x19],
    );
    assert_eq!(
        f.hcall(esb_call, &[0, MSI, esb::GET, 0]),
        [0, 1],
        "off at reset"
    );
    assert_eq!(f.hcall(esb_call, &[0, MSI, esb::SET_PQ_00, 0]), [0, 1]);
    assert!(f.machine.trigger_source(0x1300));
    assert_eq!(
        f.machine.queue_ram.read_u32(QUEUE_RAM_BASE),
        Some(0x8000_0019)
    );
    assert_eq!(f.hcall(esb_call, &[0, MSI, esb::GET, 0]), [0, 2], "pending");
    assert_eq!(f.hcall(esb_call, &[0, MSI, esb::LOAD_EOI, 0]), [0, 0]);
    assert_eq!(
        f.hcall(esb_call, &[XIVE_ESB_STORE, MSI, esb::STORE_EOI, 0]),
        [0]
    );
    assert_eq!(f.hcall(esb_call, &[2, MSI, 0, 0]), [H_PARAMETER]);
    assert_eq!(f.hcall(esb_call, &[0, FREE, 0, 0]), [H_P2]);
    assert_eq!(f.hcall(esb_call, &[0, MSI, 0x10000, 0]), [H_P3]);
}

#[test]
fn sync_and_reset() {
    let mut f = fw();
    assert_eq!(f.hcall(H_INT_SYNC, &[0, MSI]), [0]);
    assert_eq!(f.hcall(H_INT_SYNC, &[1, MSI]), [H_PARAMETER]);
    assert_eq!(f.hcall(H_INT_SYNC, &[0, FREE]), [H_P2]);
    f.hcall(H_INT_SET_QUEUE_CONFIG, &[1, 0, 6, QUEUE_RAM_BASE, 16]);
    f.hcall(
        H_INT_SET_SOURCE_CONFIG,
        &[XIVE_SRC_SET_EISN, MSI, 0, 6, 0x19],
    );
    assert_eq!(f.hcall(H_INT_RESET, &[1]), [H_PARAMETER]);
    assert_eq!(f.hcall(H_INT_RESET, &[0]), [0]);
    assert_eq!(f.hcall(H_INT_GET_SOURCE_CONFIG, &[0, MSI]), [0, 0, 0xff, 0]);
    assert_eq!(f.hcall(H_INT_GET_QUEUE_CONFIG, &[0, 0, 6]), [0, 0, 0, 0, 0]);
}
