//! LoPAPR R1-7 to R1-11 of the MSI option (LoPAR 6.2.3, "MSI Option"), in the papr
//! profile: what the platform sets up and keeps (partitions, config registers,
//! bridges, properties, error recovery). `opt_r1_N_*` is requirement N of that section.

use crate::common::lopapr::*;
use crate::common::*;
use rtas::machine::MSI_WINDOW;
use rtas::pci::PciAddr;
use rtas::{Firmware, FnRef, MachineConfig, Profile, Service, Signal};

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

/// The PHB source a function's pin reaches, worked out from the tree alone: the pin
/// swizzled at each bridge (PCI-to-PCI bridge spec: `(pin - 1 + device) % 4 + 1`),
/// then looked up in the PHB's `interrupt-map`.
fn swizzled_lsi(tree: &of_tree::Tree, path: &str) -> Option<u32> {
    let mut n = tree.at(tree.find(path).ok()?);
    let mut pin = n.u32("interrupts").ok()??;
    loop {
        let hi = n.cells("reg").ok()??[0];
        let parent = n.parent()?;
        if let Some(map) = parent.cells("interrupt-map").ok()? {
            let mask = parent.cells("interrupt-map-mask").ok()??;
            return map
                .chunks(7)
                .find(|e| e[0] == hi & mask[0] && e[3] == pin & mask[3])
                .map(|e| e[5]);
        }
        pin = (pin - 1 + (hi >> 11 & 0x1f)) % 4 + 1;
        n = parent;
    }
}

/// R1-9: interrupts are routed through PCI-PCI bridges: every function below one or
/// two bridges gets vectors that reach their sources, and its LSI is the PHB source
/// its pin reaches through the bridges' swizzle and the PHB's `interrupt-map`, and a
/// pulse of the line reaches it.
#[test]
fn opt_r1_9_interrupts_are_routed_through_bridges() {
    for rel in [
        "qemu/e_bridge.dtb",
        "qemu/e_bridge_nested.dtb",
        "qemu/e_bridge_phb1.dtb",
    ] {
        let tree = fixture_tree(rel);
        let mut fw = firmware(rel, Profile::Papr);
        let below: Vec<FnRef> = fw
            .machine
            .functions()
            .filter(|&r| fw.machine.function(r).addr.bus != 0)
            .collect();
        assert!(!below.is_empty(), "{rel}");
        let mut swizzled = 0;
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
            let want = swizzled_lsi(&tree, &fw.machine.function(r).info.path);
            swizzled += want.is_some() as u32;
            assert_eq!(fw.machine.function(r).lsi.map(|l| l.source), want, "{what}");
            if let Some(lsi) = fw.machine.function(r).lsi {
                assert_eq!(
                    fw.machine.pulse_lsi(r),
                    Signal::Delivered { source: lsi.source },
                    "{what}"
                );
                fw.machine.ics.deassert(lsi.source);
            }
        }
        assert!(swizzled > 0, "{rel}: no LSI below a bridge");
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
