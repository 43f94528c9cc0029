//! PCI hotplug: QEMU's device_add / device_del on a running machine's DR
//! connectors and Linux's add and removal paths, checked against the firmware's own
//! MSI pool and QEMU's function-0 and bridge rules (hw/ppc/spapr_pci.c, QEMU 7.2).

mod common;

use common::*;
use platform::kernel::Kernel;
use pseries_sim::harness::{self, BootOptions};
use rtas::pci::PciAddr;
use rtas::Profile;

const B: &str = "qemu/b_devices.dtb";
const NIC: &str = "hotplug-virtio-net.dts";

fn boot(rel: &str) -> Kernel {
    let opts = BootOptions {
        profile: Profile::Papr,
        ..Default::default()
    };
    harness::boot(fixture_tree(rel), opts).unwrap()
}

fn nic() -> of_tree::Tree {
    of_tree::read_file(&fixture(NIC)).unwrap()
}

/// The fixture's node moved to another address of slot 0x10 (its `reg` and DRC).
fn nic_at(devfn: u8) -> of_tree::Tree {
    let text = std::fs::read_to_string(fixture(NIC)).unwrap();
    let text = text
        .replace(
            "ethernet@10",
            &format!("ethernet@{:x},{}", devfn >> 3, devfn & 7),
        )
        .replace("<0x8000 ", &format!("<{:#x} ", (devfn as u32) << 8))
        .replace("0x40000080", &format!("{:#x}", 0x4000_0000 | devfn as u32));
    of_tree::dts::parse_str(&text, "nic.dts").unwrap()
}

fn free_sources(k: &Kernel) -> u64 {
    harness::firmware(k).machine.pools.free_count()
}

#[test]
fn the_fixture_scenario_passes() {
    let mut out: Vec<String> = Vec::new();
    let k =
        pseries_sim::scenario::run_file(&fixture("hotplug.scenario"), Default::default(), &mut out)
            .unwrap()
            .unwrap();
    let d = (0..k.devices.len())
        .find(|&d| k.devices[d].name == "0000:00:10.0")
        .unwrap();
    assert!(k.devices[d].removed);
    assert!(k.device("0000:00:10.0").is_err(), "gone by name");
    assert!(out.iter().any(|l| l.contains("dlpar: added 0000:00:10.0")));
}

#[test]
fn an_added_functions_vectors_fire_and_removal_makes_the_pool_whole() {
    let mut k = boot(B);
    let pool_before = free_sources(&k);
    let devices_before = k.devices.len();
    let added = harness::hotplug_add(&mut k, "0000:00:10.0", &nic(), NIC).unwrap();
    assert_eq!(added.len(), 1);
    let d = added[0];
    assert_eq!(k.devices[d].name, "0000:00:10.0");
    assert_eq!(d, devices_before, "appended: no other device renumbered");
    // The OS's tree got the node through configure-connector, with QEMU's properties.
    let node = k.tree().find("/pci@800000020000000/ethernet@10").unwrap();
    assert_eq!(k.tree().at(node).u32("ibm,req#msi-x").unwrap(), Some(5));
    let held = k.devices[d].msi.clone().expect("its driver got vectors");
    assert_eq!(held.virqs.len(), 5);
    for v in 0..5 {
        assert_eq!(harness::fire(&mut k, d, v).unwrap(), held.virqs[v as usize]);
    }
    let m = &harness::firmware(&k).machine;
    let addr = PciAddr {
        bus: 0,
        devfn: 0x80,
    };
    let f = m.find(m.phbs[0].buid, addr).expect("the machine holds it");
    let block = m.block(f).unwrap();
    assert_eq!(free_sources(&k), pool_before - block.reserved as u64);
    // Its BARs do not overlap any other function's.
    let bars: Vec<(u64, u64)> = m.phbs[0]
        .functions
        .iter()
        .flat_map(|f| f.bars.iter())
        .filter(|b| b.address != 0)
        .map(|b| (b.address, b.address + b.size))
        .collect();
    for (i, a) in bars.iter().enumerate() {
        for b in &bars[i + 1..] {
            assert!(a.1 <= b.0 || b.1 <= a.0, "{a:x?} overlaps {b:x?}");
        }
    }
    let removed = harness::hotplug_remove(&mut k, d).unwrap();
    assert_eq!(removed, vec![d]);
    assert!(k.devices[d].removed && k.devices[d].msi.is_none());
    let m = &harness::firmware(&k).machine;
    assert!(m.find(m.phbs[0].buid, addr).is_none(), "released");
    assert!(m.phbs[0].block_of(addr).is_none(), "no block left");
    assert_eq!(free_sources(&k), pool_before, "the pool is whole again");
    assert!(m.ownership_problems().is_empty());
    assert!(k.tree().find("/pci@800000020000000/ethernet@10").is_err());
    // Every other device still fires through the same ids.
    let other = k.device("0000:00:02.0").unwrap();
    assert!(other < d);
}

#[test]
fn removal_of_a_function_holding_vectors_releases_them_all() {
    let mut k = boot(B);
    let before = free_sources(&k);
    let d = harness::hotplug_add(&mut k, "0000:00:10.0", &nic(), NIC).unwrap()[0];
    let sources = k.devices[d].msi.as_ref().unwrap().sources.clone();
    assert_eq!(sources.len(), 5);
    harness::hotplug_remove(&mut k, d).unwrap();
    let m = &harness::firmware(&k).machine;
    for s in sources {
        assert_eq!(
            m.ics.source(s).map(|x| x.kind),
            Some(rtas::ics::SourceKind::Free),
            "source {s:#x} released"
        );
    }
    assert_eq!(free_sources(&k), before);
}

#[test]
fn function_0_comes_last_and_goes_first_as_in_qemu() {
    let mut k = boot(B);
    let before = free_sources(&k);
    // Function 1 first: QEMU holds its event until function 0 comes.
    let f1 = harness::hotplug_add(&mut k, "0000:00:10.1", &nic_at(0x81), "f1").unwrap();
    assert!(f1.is_empty());
    assert!(k.device("0000:00:10.1").is_err(), "not signalled yet");
    let both = harness::hotplug_add(&mut k, "0000:00:10.0", &nic_at(0x80), "f0").unwrap();
    let names: Vec<&str> = both.iter().map(|&d| k.devices[d].name.as_str()).collect();
    assert_eq!(names, ["0000:00:10.0", "0000:00:10.1"]);
    // Another function once function 0 is in: QEMU's refusal.
    let e = harness::hotplug_add(&mut k, "0000:00:10.2", &nic_at(0x82), "f2").unwrap_err();
    assert!(
        e.starts_with(
            "PCI: slot 16 function 0 already occupied by /pci@800000020000000/ethernet@10,0"
        ) && e.ends_with("additional functions can no longer be exposed to guest."),
        "{e}"
    );
    // Removing function 1 alone does nothing yet: QEMU removes the slot with function 0.
    let f1 = k.device("0000:00:10.1").unwrap();
    assert!(harness::hotplug_remove(&mut k, f1).unwrap().is_empty());
    assert!(!k.devices[f1].removed);
    let f0 = k.device("0000:00:10.0").unwrap();
    let gone = harness::hotplug_remove(&mut k, f0).unwrap();
    assert_eq!(gone, vec![f1, f0], "the highest function first");
    assert_eq!(free_sources(&k), before);
}

#[test]
fn a_bridge_is_not_removed() {
    let mut k = boot("qemu/e_bridge.dtb");
    let b = (0..k.devices.len())
        .find(|&d| k.devices[d].is_bridge)
        .unwrap();
    let e = harness::hotplug_remove(&mut k, b).unwrap_err();
    assert_eq!(e, "PCI: Hot unplug of PCI bridges not supported");
    assert!(!k.devices[b].removed);
}

#[test]
fn bad_additions_say_why_and_change_nothing() {
    let mut k = boot(B);
    let before = harness::firmware(&k).machine.clone();
    // Its reg names 00:10.0, not 00:11.0.
    let e = harness::hotplug_add(&mut k, "0000:00:11.0", &nic(), NIC).unwrap_err();
    assert!(
        e.contains("'reg' (0x00008000) names 0000:00:10.0, not 0000:00:11.0"),
        "{e}"
    );
    let two = of_tree::dts::parse_str("/dts-v1/; / { a@1 { }; b@2 { }; };", "two.dts").unwrap();
    let e = harness::hotplug_add(&mut k, "0000:00:10.0", &two, "two.dts").unwrap_err();
    assert!(
        e.contains("two.dts: the root must hold exactly one node"),
        "{e}"
    );
    // A slot that is taken.
    let e = harness::hotplug_add(&mut k, "0000:00:02.0", &nic_at(0x10), "n").unwrap_err();
    assert!(e.contains("a function is there already"), "{e}");
    assert_eq!(harness::firmware(&k).machine, before);
}

#[test]
fn save_and_restore_keep_the_hotplugged_function() {
    let mut k = boot(B);
    let d = harness::hotplug_add(&mut k, "0000:00:10.0", &nic(), NIC).unwrap()[0];
    let blob = harness::save(&k);
    let saved = harness::firmware(&k).machine.clone();
    // Changed after the save: the restore must bring the blob's function back.
    harness::freeze(&mut k, d).unwrap();
    assert!(harness::fire(&mut k, d, 0).is_err(), "frozen: dropped");
    harness::restore(&mut k, &blob).expect("restore accepts the hotplugged function");
    let m = &harness::firmware(&k).machine;
    assert_eq!(*m, saved);
    let f = m
        .find(
            m.phbs[0].buid,
            PciAddr {
                bus: 0,
                devfn: 0x80,
            },
        )
        .unwrap();
    assert!(
        !m.function(f).frozen,
        "the blob's function, not the live one"
    );
    assert_eq!(m.block(f).map(|b| b.count), Some(5));
    for v in 0..5 {
        harness::fire(&mut k, d, v).unwrap();
    }
    harness::hotplug_remove(&mut k, d).unwrap();
}

#[test]
fn a_refused_hotplug_line_names_its_line() {
    let dir = scratch("hotplug-lines");
    std::fs::copy(fixture(NIC), dir.join(NIC)).unwrap();
    std::fs::copy(fixture("qemu/e_bridge.dtb"), dir.join("m.dtb")).unwrap();
    let file = dir.join("h.scenario");
    std::fs::write(&file, "machine m.dtb\nboot\nhotplug remove 0000:00:02.0\n").unwrap();
    let mut out: Vec<String> = Vec::new();
    let e = pseries_sim::scenario::run_file(&file, Default::default(), &mut out)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("h.scenario:3:1: hotplug remove 0000:00:02.0: PCI: Hot unplug of PCI bridges not supported"),
        "{e}"
    );
    std::fs::write(
        &file,
        "machine m.dtb\nboot\nhotplug add 0000:00:10.0 none.dts\n",
    )
    .unwrap();
    let e = pseries_sim::scenario::run_file(&file, Default::default(), &mut out)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("h.scenario:3:1: ") && e.contains("none.dts"),
        "{e}"
    );
}

#[test]
fn a_cold_plugged_function_goes_and_a_new_one_takes_its_slot() {
    let mut k = boot(B);
    let before = free_sources(&k);
    let eth = k.device("0000:00:02.0").unwrap();
    assert!(k.request(eth, platform::ops::MsiType::Msix, 5, 5).is_ok());
    harness::hotplug_remove(&mut k, eth).unwrap();
    assert_eq!(free_sources(&k), before);
    assert!(k.device("0000:00:02.0").is_err());
    // The same slot again, twice over: each time a new device, the old ids kept.
    for round in 0..2 {
        let d = harness::hotplug_add(&mut k, "0000:00:02.0", &nic_at(0x10), "n").unwrap()[0];
        assert_eq!(k.device("0000:00:02.0").unwrap(), d, "round {round}");
        assert_ne!(d, eth);
        for v in 0..5 {
            harness::fire(&mut k, d, v).unwrap();
        }
        harness::hotplug_remove(&mut k, d).unwrap();
        assert_eq!(free_sources(&k), before, "round {round}");
    }
}
