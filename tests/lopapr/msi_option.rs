//! LoPAPR's requirements of the MSI option (LoPAR 6.2.3, "MSI Option"), in the papr
//! profile: `opt_r1_N_*` is requirement N of that section.

use crate::common::lopapr::*;
use crate::common::*;
use rtas::machine::{MSI_WINDOW, MSI_WINDOW_32};
use rtas::pci::PciAddr;
use rtas::{Firmware, FnRef, MachineConfig, Profile, Service, Signal};

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

/// The function's vectors' (address, data) as it would send them.
fn messages(fw: &Firmware, r: FnRef, n: u32) -> Vec<(u64, u32)> {
    let f = fw.machine.function(r);
    match (f.msix, f.msix_table.as_ref()) {
        (Some(c), Some(t)) if c.enabled(&f.config) => {
            (0..n).map(|i| t.message(i).unwrap()).collect()
        }
        _ => (0..n)
            .map(|i| f.msi.unwrap().message(&f.config, i))
            .collect(),
    }
}

/// One vector for a function, of the kind it has (MSI-X first): the count granted.
fn one_vector(fw: &mut Firmware, r: FnRef) -> i64 {
    let f = if fw.machine.function(r).msix.is_some() {
        4
    } else {
        3
    };
    let out = change_msi(fw, r, f, 1, 1, 4);
    assert_eq!(out[0], 0, "{}", fw.machine.function(r).info.path);
    out[1]
}

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
                == Some("PowerPC-External-Interrupt-Presentation".into())
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

/// R1-7 (with LPAR): a PE cannot interrupt a partition it is not given to: its
/// message naming another partition's source is dropped (and its PE frozen).
#[test]
fn opt_r1_7_a_pe_cannot_interrupt_another_partition() {
    let mut tree = fixture_tree("qemu/c_phb1.dtb");
    let phb1 = tree.find("/pci@800000020000001").unwrap();
    tree.set_prop(phb1, "pseries-sim,partition", 1u32.to_be_bytes().to_vec());
    let cfg = MachineConfig {
        profile: Profile::Papr,
        pool_size: None,
        bare_metal: false,
    };
    let mut fw = Firmware::new(&tree, &cfg).unwrap();
    let msix_on = |fw: &Firmware, phb: usize| {
        fw.machine
            .functions()
            .find(|r| r.phb == phb && fw.machine.function(*r).msix.is_some())
            .unwrap()
    };
    let (theirs, mine) = (msix_on(&fw, 0), msix_on(&fw, 1));
    for (p, r) in [(0, theirs), (1, mine)] {
        let [c, h, l] = cells(&fw, r);
        let out = fw
            .call_as(p, Service::ChangeMsi, &[c, h, l, 4, 1, 1], 4)
            .unwrap();
        assert_eq!(out[..2], [0, 1], "partition {p}");
    }
    let (_, their_data) = messages(&fw, theirs, 1)[0];
    let (_, my_data) = messages(&fw, mine, 1)[0];
    assert_eq!(
        fw.machine.deliver(mine, MSI_WINDOW, my_data),
        Signal::Delivered { source: my_data },
        "its own partition's source"
    );
    let drops = fw.machine.drops.cross_partition;
    assert_eq!(
        fw.machine.deliver(mine, MSI_WINDOW, their_data),
        Signal::Dropped
    );
    assert_eq!(fw.machine.drops.cross_partition, drops + 1);
    assert!(fw.machine.function(mine).frozen, "its PE frozen");
    assert_eq!(
        fw.machine.signal(theirs, 0),
        Signal::Delivered { source: their_data },
        "the other partition's PE is not disturbed"
    );
}

/// MSI and MSI-X off, every MSI-X entry masked: the registers as at boot.
fn msi_registers_at_rest(fw: &Firmware, r: FnRef, what: &str) {
    let f = fw.machine.function(r);
    if let Some(c) = f.msi {
        assert!(!c.enabled(&f.config), "{what}: MSI off");
    }
    if let (Some(c), Some(t)) = (f.msix, f.msix_table.as_ref()) {
        assert!(!c.enabled(&f.config), "{what}: MSI-X off");
        assert!(
            (0..t.len() as u32).all(|i| t.masked(i)),
            "{what}: entries masked"
        );
    }
}

/// R1-8: the function's MSI registers are right at boot (at rest: the LSI is the
/// initial assignment), after `ibm,configure-connector` (a new function's, and one
/// isolated and configured again), and after change-msi (each vector's message, the
/// capability on, MSI's multiple-message enable matching the count).
#[test]
fn opt_r1_8_msi_registers_at_boot_configure_connector_and_change_msi() {
    let mut fw = firmware(B, Profile::Papr);
    let all: Vec<FnRef> = fw.machine.functions().collect();
    for &r in &all {
        msi_registers_at_rest(
            &fw,
            r,
            &format!("boot {}", fw.machine.function(r).info.path),
        );
    }
    // change-msi: MSI-X, then MSI.
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let m = find_fn(&fw, |m, x| m.is_some() && x.is_none());
    assert_eq!(change_msi(&mut fw, x, 4, 3, 1, 4)[..2], [0, 3]);
    assert_eq!(change_msi(&mut fw, m, 3, 1, 1, 4)[..2], [0, 1]);
    for (r, n) in [(x, 3u32), (m, 1)] {
        let first = fw.machine.block(r).unwrap().first;
        let want: Vec<(u64, u32)> = (0..n).map(|i| (MSI_WINDOW, first + i)).collect();
        assert_eq!(messages(&fw, r, n), want);
        let f = fw.machine.function(r);
        match (f.msix, f.msi) {
            (Some(c), _) => assert!(c.enabled(&f.config)),
            (None, Some(c)) => {
                assert!(c.enabled(&f.config));
                assert_eq!(c.vectors_enabled(&f.config), n, "multiple-message enable");
            }
            _ => unreachable!(),
        }
        assert!(f.intx_disabled());
    }
    // configure-connector of a configured slot isolated and unisolated again.
    let slot = 0x4000_0000 | fw.machine.function(x).addr.devfn as u32;
    for state in [0, 1] {
        assert_eq!(
            call(&mut fw, Service::SetIndicator, &[9001, slot, state], 1),
            vec![0]
        );
    }
    assert!(configure_connector(&mut fw, slot).is_ok());
    msi_registers_at_rest(&fw, x, "configured again");
    assert!(!fw.machine.function(x).intx_disabled(), "its LSI back");
    // configure-connector of a new function (QEMU's device_add).
    let nic = of_tree::read_file(&fixture("hotplug-virtio-net.dts")).unwrap();
    let addr = PciAddr {
        bus: 0,
        devfn: 0x80,
    };
    fw.machine.plug(0, addr, &nic, "nic").unwrap();
    let index = 0x4000_0080;
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, index, 1], 1),
        vec![0]
    );
    let nodes = configure_connector(&mut fw, index).unwrap();
    assert_eq!(nodes.len(), 1);
    let r = fw.machine.find(fw.machine.phbs[0].buid, addr).unwrap();
    msi_registers_at_rest(&fw, r, "hot-plugged");
    assert_eq!(change_msi(&mut fw, r, 4, 5, 1, 4)[..2], [0, 5]);
    let first = fw.machine.block(r).unwrap().first;
    assert_eq!(
        messages(&fw, r, 5),
        (0..5).map(|i| (MSI_WINDOW, first + i)).collect::<Vec<_>>()
    );
}

/// R1-9: interrupts are routed through PCI-PCI bridges: every function below one or
/// two bridges gets vectors that reach their sources, and its LSI (swizzled through
/// the bridges to the PHB's four) reaches a source too.
#[test]
fn opt_r1_9_interrupts_are_routed_through_bridges() {
    for rel in [
        "qemu/e_bridge.dtb",
        "qemu/e_bridge_nested.dtb",
        "qemu/e_bridge_phb1.dtb",
    ] {
        let mut fw = firmware(rel, Profile::Papr);
        let below: Vec<FnRef> = fw
            .machine
            .functions()
            .filter(|&r| fw.machine.function(r).addr.bus != 0)
            .collect();
        assert!(!below.is_empty(), "{rel}");
        for r in below {
            let what = format!("{rel} {}", fw.machine.function(r).info.path);
            if fw.machine.function(r).msi.is_some() || fw.machine.function(r).msix.is_some() {
                assert_eq!(one_vector(&mut fw, r), 1, "{what}");
                let src = query(&mut fw, r, 0)[1] as u32;
                assert_eq!(
                    fw.machine.signal(r, 0),
                    Signal::Delivered { source: src },
                    "{what}"
                );
                assert_eq!(change_msi(&mut fw, r, 2, 0, 1, 4)[..2], [0, 0], "{what}");
            }
            if let Some(lsi) = fw.machine.function(r).lsi {
                assert!(
                    (0x1200..0x1208).contains(&lsi.source),
                    "{what}: {:#x}",
                    lsi.source
                );
                assert_eq!(
                    fw.machine.pulse_lsi(r),
                    Signal::Delivered { source: lsi.source },
                    "{what}"
                );
                fw.machine.ics.deassert(lsi.source);
            }
        }
    }
}

/// R1-10: `ibm,req#msi` (and `ibm,req#msi-x`) for every function whose config space
/// has the capability, in the tree the OS boots with and in what
/// `ibm,configure-connector` hands out.
#[test]
fn opt_r1_10_req_msi_for_every_function_requesting_msis() {
    for rel in [B, "qemu/e_bridge_nested.dtb", "qemu/e_multifunction.dtb"] {
        let tree = fixture_tree(rel);
        let fw = firmware(rel, Profile::Papr);
        let os = fw.client_tree(&tree, 0).into_owned();
        for r in fw.machine.functions() {
            let f = fw.machine.function(r);
            let node = os.find(&f.info.path).unwrap();
            let ids = capability_ids(&fw, r);
            let msi = os.at(node).u32("ibm,req#msi").unwrap();
            let msix = os.at(node).u32("ibm,req#msi-x").unwrap();
            let what = format!("{rel} {}", f.info.path);
            assert_eq!(
                ids.contains(&0x05),
                msi.is_some_and(|n| n >= 1),
                "{what}: MSI"
            );
            assert_eq!(
                ids.contains(&0x11),
                msix.is_some_and(|n| n >= 1),
                "{what}: MSI-X"
            );
        }
    }
    let mut fw = firmware(B, Profile::Papr);
    let nic = of_tree::read_file(&fixture("hotplug-virtio-net.dts")).unwrap();
    let addr = PciAddr {
        bus: 0,
        devfn: 0x80,
    };
    fw.machine.plug(0, addr, &nic, "nic").unwrap();
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, 0x4000_0080, 1], 1),
        vec![0]
    );
    let nodes = configure_connector(&mut fw, 0x4000_0080).unwrap();
    let r = fw.machine.find(fw.machine.phbs[0].buid, addr).unwrap();
    assert!(capability_ids(&fw, r).contains(&0x11));
    let req = nodes[0].1.iter().find(|(n, _)| n == "ibm,req#msi-x");
    assert_eq!(
        req.map(|(_, v)| v.clone()),
        Some(5u32.to_be_bytes().to_vec())
    );
}

/// R1-11: error recovery keeps what the platform set up: after a freeze and the
/// OS's recovery (`ibm,set-slot-reset` 1 then 0, `ibm,configure-pe`), the block, each
/// source's server and priority (and the LSI's), and every vector's delivery.
#[test]
fn opt_r1_11_error_recovery_keeps_the_interrupt_setup() {
    let mut fw = firmware(B, Profile::Papr);
    let r = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    assert_eq!(change_msi(&mut fw, r, 4, 3, 1, 4)[..2], [0, 3]);
    let srcs: Vec<u32> = (0..3).map(|i| query(&mut fw, r, i)[1] as u32).collect();
    for (k, &s) in srcs.iter().enumerate() {
        assert_eq!(
            call(&mut fw, Service::SetXive, &[s, 0, 3 + k as u32], 1),
            vec![0]
        );
    }
    assert_eq!(call(&mut fw, Service::IntOff, &[srcs[2]], 1), vec![0]);
    let lsi = fw.machine.function(r).lsi.map(|l| l.source);
    if let Some(l) = lsi {
        assert_eq!(call(&mut fw, Service::SetXive, &[l, 0, 9], 1), vec![0]);
    }
    let xives = |fw: &mut Firmware| {
        let mut v: Vec<Vec<i64>> = srcs.iter().map(|&s| get_xive(fw, s)).collect();
        v.extend(lsi.map(|l| get_xive(fw, l)));
        v
    };
    let (block, before) = (fw.machine.block(r), xives(&mut fw));
    fw.machine.function_mut(r).freeze();
    assert_eq!(fw.machine.signal(r, 0), Signal::Dropped, "frozen");
    let [c, h, l] = cells(&fw, r);
    for reset in [1u32, 0] {
        assert_eq!(
            call(&mut fw, Service::SetSlotReset, &[c, h, l, reset], 1),
            vec![0]
        );
    }
    assert_eq!(call(&mut fw, Service::ConfigurePe, &[c, h, l], 1), vec![0]);
    assert_eq!(fw.machine.block(r), block, "the same block");
    assert_eq!(xives(&mut fw), before, "servers and priorities kept");
    for (i, &s) in srcs.iter().enumerate() {
        assert_eq!(query(&mut fw, r, i as u32)[1], s as i64);
        assert_eq!(
            fw.machine.signal(r, i as u32),
            Signal::Delivered { source: s }
        );
    }
}
