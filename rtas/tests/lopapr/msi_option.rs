//! LoPAPR R1-1 to R1-6 of the MSI option (LoPAR 6.2.3, "MSI Option"), in the papr
//! profile: the option, its calls and the assignment of interrupts. `opt_r1_N_*` is
//! requirement N of that section; R1-7 to R1-11 are in `msi_option_setup`.

use crate::common::lopapr::*;
use crate::common::*;
use rtas::machine::{MSI_WINDOW, MSI_WINDOW_32};
use rtas::{FnRef, Profile, Service, Signal};

/// Every QEMU fixture.
const TREES: &[&str] = &[
    "qemu/a_default.dtb",
    "qemu/b_devices.dtb",
    "qemu/c_phb1.dtb",
    "qemu/d_smp4_xics.dtb",
    "qemu/e_bridge.dtb",
    "qemu/e_bridge_nested.dtb",
    "qemu/e_bridge_phb1.dtb",
    "qemu/e_multifunction.dtb",
];

/// R1-1: a platform with a PCI host bridge implements the MSI option. (The QEMU trees
/// describe conventional PCI host bridges, as QEMU's sPAPR PHB is; PCI Express host
/// bridges are not modelled, so this checks the option is there on every tree.)
#[test]
fn opt_r1_1_every_platform_with_a_phb_has_the_msi_option() {
    let mut with_functions = 0;
    for rel in TREES {
        let mut fw = firmware(rel, Profile::Papr);
        assert!(!fw.machine.phbs.is_empty(), "{rel}");
        for s in [Service::ChangeMsi, Service::QueryInterruptSourceNumber] {
            assert!(fw.tokens.token(s).is_some(), "{rel}: {s}");
        }
        let capable = fw.machine.functions().find(|&r| {
            let i = &fw.machine.function(r).info;
            i.req_msi.is_some() || i.req_msix.is_some()
        });
        // Trees without an MSI-capable function still publish the calls.
        if let Some(r) = capable {
            assert_eq!(one_vector(&mut fw, r), 1, "{rel}");
            assert_eq!(query(&mut fw, r, 0)[0], 0, "{rel}");
            with_functions += 1;
        }
    }
    assert!(
        with_functions >= 5,
        "{with_functions} trees with MSI-capable functions"
    );
}

/// R1-2: with the PowerPC External Interrupt option: the presentation controller's
/// node, the four XIVE calls, and MSIs that are that controller's sources.
#[test]
fn opt_r1_2_with_the_powerpc_external_interrupt_option() {
    let tree = fixture_tree(B);
    let icp = tree
        .walk()
        .into_iter()
        .filter(|&n| {
            tree.at(n).string("device_type").ok().flatten()
                == Some("PowerPC-External-Interrupt-Presentation")
        })
        .count();
    assert_eq!(icp, 1, "the presentation controller's node");
    let mut fw = firmware(B, Profile::Papr);
    for s in [
        Service::SetXive,
        Service::GetXive,
        Service::IntOff,
        Service::IntOn,
    ] {
        assert!(fw.tokens.token(s).is_some(), "{s}");
    }
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    assert_eq!(change_msi(&mut fw, x, 4, 2, 1, 4)[..2], [0, 2]);
    for i in 0..2 {
        let src = query(&mut fw, x, i)[1] as u32;
        let s = fw.machine.ics.source(src).expect("a controller's source");
        assert_eq!(s.kind, rtas::ics::SourceKind::Msi);
        assert_eq!(call(&mut fw, Service::SetXive, &[src, 0, 5], 1), vec![0]);
    }
}

/// R1-3: both calls are implemented: published in the `/rtas` the OS is given, and
/// answering through the call buffer by those tokens.
#[test]
fn opt_r1_3_change_msi_and_query_are_implemented() {
    let tree = fixture_tree(B);
    let mut fw = firmware(B, Profile::Papr);
    let os_tree = fw.client_tree(&tree, 0).into_owned();
    let rtas_node = os_tree.find("/rtas").unwrap();
    let token = |name: &str| os_tree.at(rtas_node).u32(name).unwrap().expect(name);
    let (change, query_tok) = (
        token("ibm,change-msi"),
        token("ibm,query-interrupt-source-number"),
    );
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let [c, h, l] = cells(&fw, x);
    let r = fw.call_token(change, &[c, h, l, 4, 2, 1], 4).unwrap();
    assert_eq!(r, vec![0, 2, 2, 2]);
    let first = fw.machine.block(x).unwrap().first;
    let r = fw.call_token(query_tok, &[c, h, l, 1], 3).unwrap();
    assert_eq!(r, vec![0, first + 1, 1]);
}

/// R1-4: the initial assignment is the table's: the QEMU PHB is a conventional PCI
/// one, so every function starts on its LSI, enabled in config space (INTx on, MSI
/// and MSI-X off), and held at the controller (priority 0xff) until `ibm,set-xive`
/// and `ibm,int-on`.
#[test]
fn opt_r1_4_initially_the_lsi_enabled_in_the_function_masked_at_the_controller() {
    for rel in [B, "qemu/e_bridge_nested.dtb", "qemu/e_multifunction.dtb"] {
        let mut fw = firmware(rel, Profile::Papr);
        let all: Vec<FnRef> = fw.machine.functions().collect();
        for &r in &all {
            let f = fw.machine.function(r);
            let what = format!("{rel} {}", f.info.path);
            assert_eq!(fw.machine.block(r), None, "{what}: no MSI yet");
            assert!(f.msi.is_none_or(|c| !c.enabled(&f.config)), "{what}");
            assert!(f.msix.is_none_or(|c| !c.enabled(&f.config)), "{what}");
            if f.info.req_msi.is_some() || f.info.req_msix.is_some() {
                assert_eq!(change_msi(&mut fw, r, 0, 0, 1, 4)[..2], [0, 0], "{what}");
            }
            let f = fw.machine.function(r);
            let Some(lsi) = f.lsi else { continue };
            assert!(!f.intx_disabled(), "{what}: INTx enabled");
            assert_eq!(get_xive(&mut fw, lsi.source)[2], 0xff, "{what}: masked");
        }
        let r = *all
            .iter()
            .find(|&&r| fw.machine.function(r).lsi.is_some())
            .unwrap();
        let src = fw.machine.function(r).lsi.unwrap().source;
        let n = fw.machine.ics.presented.len();
        assert!(matches!(fw.machine.pulse_lsi(r), Signal::Delivered { .. }));
        assert_eq!(
            fw.machine.ics.presented.len(),
            n,
            "{rel}: held while masked"
        );
        assert_eq!(call(&mut fw, Service::SetXive, &[src, 0, 5], 1), vec![0]);
        assert_eq!(call(&mut fw, Service::IntOn, &[src], 1), vec![0]);
        let _ = fw.machine.pulse_lsi(r);
        assert!(
            fw.machine.ics.presented[n..]
                .iter()
                .any(|p| p.source == src),
            "{rel}: presented once enabled"
        );
    }
}

/// R1-5: every function can hold at least one MSI at once, and no MSI or source is
/// shared, between functions (of one multifunction device too) or within one: a
/// function sending another's data reaches nothing.
#[test]
fn opt_r1_5_one_msi_per_function_and_none_shared() {
    for rel in [B, "qemu/e_multifunction.dtb", "qemu/e_bridge_nested.dtb"] {
        let mut fw = firmware(rel, Profile::Papr);
        let capable: Vec<FnRef> = fw
            .machine
            .functions()
            .filter(|&r| {
                fw.machine.function(r).msi.is_some() || fw.machine.function(r).msix.is_some()
            })
            .collect();
        assert!(capable.len() >= 2, "{rel}");
        let mut all = Vec::new();
        for &r in &capable {
            assert_eq!(one_vector(&mut fw, r), 1, "{rel}");
            all.push(query(&mut fw, r, 0)[1]);
        }
        let x = capable
            .iter()
            .copied()
            .find(|&r| {
                fw.machine
                    .function(r)
                    .msix
                    .is_some_and(|c| c.table_size >= 4)
            })
            .unwrap();
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
        let mine: Vec<i64> = (0..4).map(|i| query(&mut fw, x, i)[1]).collect();
        let old = all[capable.iter().position(|&r| r == x).unwrap()];
        all.retain(|&s| s != old);
        all.extend(&mine);
        let mut uniq = all.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), all.len(), "{rel}: shared sources in {all:?}");
        // Another function's data is not this function's interrupt.
        let other = capable.iter().copied().find(|&r| r != x).unwrap();
        let (addr, data) = messages(&fw, other, 1)[0];
        let drops = fw.machine.drops.not_owner;
        assert_eq!(fw.machine.deliver(x, addr, data), Signal::Dropped, "{rel}");
        assert_eq!(fw.machine.drops.not_owner, drops + 1);
        assert_eq!(
            fw.machine.deliver(other, addr, data),
            Signal::Delivered { source: data }
        );
    }
}

/// R1-6: every PE (each function is its own) has an MSI port: the address its
/// messages go to is one the PHB takes (the 64-bit window, or the 32-bit one for
/// functions 5 and 6), where they reach its sources; anywhere else they are dropped.
#[test]
fn opt_r1_6_an_msi_port_for_every_pe() {
    let mut fw = firmware(B, Profile::Papr);
    let capable: Vec<FnRef> = fw
        .machine
        .functions()
        .filter(|&r| fw.machine.function(r).msi.is_some() || fw.machine.function(r).msix.is_some())
        .collect();
    for (k, &r) in capable.iter().enumerate() {
        let msix = fw.machine.function(r).msix.is_some();
        let f = match (msix, k % 2) {
            (true, 0) => 4,
            (true, _) => 6,
            (false, 0) => 3,
            (false, _) => 5,
        };
        assert_eq!(change_msi(&mut fw, r, f, 1, 1, 4)[..2], [0, 1]);
        let (addr, data) = messages(&fw, r, 1)[0];
        let port = if f >= 5 { MSI_WINDOW_32 } else { MSI_WINDOW };
        assert_eq!(addr, port, "{}", fw.machine.function(r).info.path);
        assert_eq!(fw.machine.signal(r, 0), Signal::Delivered { source: data });
        let drops = fw.machine.drops.bad_address;
        assert_eq!(fw.machine.deliver(r, addr + 0x1000, data), Signal::Dropped);
        assert_eq!(fw.machine.drops.bad_address, drops + 1, "not a port");
    }
}
