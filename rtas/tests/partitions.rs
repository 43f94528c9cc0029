//! Partitions: a partition cannot read, write, allocate, free, query, mask or fire
//! anything of another, and a frozen PE does not disturb its neighbours. (That an OS
//! booted in a partition sees only its PHBs is the root package's `tests/partitions.rs`.)

mod common;

use common::*;
use rtas::{Firmware, FnRef, MachineConfig, Profile, Service, Signal};

/// c_phb1 (two PHBs) with the second PHB given to partition 1.
fn two_partitions(profile: Profile) -> Firmware {
    let mut tree = fixture_tree("qemu/c_phb1.dtb");
    let phb1 = tree.find("/pci@800000020000001").unwrap();
    tree.set_prop(phb1, "pseries-sim,partition", 1u32.to_be_bytes().to_vec());
    Firmware::new(
        &tree,
        &MachineConfig {
            profile,
            pool_size: None,
            bare_metal: false,
        },
    )
    .unwrap()
}

fn msix_fn(fw: &Firmware, phb: usize) -> FnRef {
    fw.machine
        .functions()
        .find(|r| r.phb == phb && fw.machine.function(*r).msix.is_some())
        .expect("an MSI-X function")
}

fn cells(fw: &Firmware, r: FnRef) -> (u32, u32, u32) {
    let b = fw.machine.phbs[r.phb].buid;
    (
        fw.machine.function(r).addr.config_addr(),
        (b >> 32) as u32,
        b as u32,
    )
}

#[test]
fn nothing_of_another_partition_can_be_touched() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut fw = two_partitions(profile);
        let mine = msix_fn(&fw, 1);
        let theirs = msix_fn(&fw, 0);
        // Partition 0 sets up vectors on its own function.
        let (c, h, l) = cells(&fw, theirs);
        let r = fw
            .call_as(0, Service::ChangeMsi, &[c, h, l, 4, 2, 1], 4)
            .unwrap();
        assert_eq!(r[0], 0, "{profile}");
        let src = fw.machine.block(theirs).unwrap().first;
        fw.call_as(0, Service::SetXive, &[src, 0, 5], 1).unwrap();
        let lsi0 = fw
            .machine
            .function(theirs)
            .lsi
            .map(|l| l.source)
            .unwrap_or(0x1200);
        let before = fw.machine.clone();
        // Partition 1 tries everything on partition 0's function and sources.
        let calls: Vec<(Service, Vec<u32>, usize)> = vec![
            (Service::ChangeMsi, vec![c, h, l, 4, 4, 1], 4),
            (Service::ChangeMsi, vec![c, h, l, 4, 0, 1], 4),
            (Service::ChangeMsi, vec![c, h, l, 3, 0, 1], 4),
            (Service::QueryInterruptSourceNumber, vec![c, h, l, 0], 3),
            (Service::IbmReadPciConfig, vec![c, h, l, 4], 2),
            (Service::IbmWritePciConfig, vec![c | 4, h, l, 2, 0], 1),
            (Service::SetXive, vec![src, 0, 0xff], 1),
            (Service::GetXive, vec![src], 3),
            (Service::IntOff, vec![src], 1),
            (Service::IntOn, vec![src], 1),
            (Service::SetXive, vec![lsi0, 0, 1], 1),
            (Service::SetSlotReset, vec![c, h, l, 1], 1),
        ];
        for (s, args, nret) in calls {
            let r = fw.call_as(1, s, &args, nret).unwrap();
            assert_eq!(
                r[0] as i32, -3,
                "{profile}: partition 1 reached {s} of partition 0"
            );
        }
        assert!(
            fw.machine == before,
            "{profile}: a refused call changed something"
        );
        // The legacy config calls reach the caller's own first PHB.
        let own = fw.machine.phbs[1].functions[0].clone();
        let r = fw
            .call_as(1, Service::ReadPciConfig, &[own.addr.config_addr(), 2], 2)
            .unwrap();
        if profile == Profile::Papr {
            assert_eq!(r, vec![0, own.info.vendor_id as u32]);
        }
        // Its own function works.
        let (c1, h1, l1) = cells(&fw, mine);
        let r = fw
            .call_as(1, Service::ChangeMsi, &[c1, h1, l1, 4, 1, 1], 4)
            .unwrap();
        assert_eq!(r[0], 0, "{profile}: partition 1 on its own function");
    }
}

#[test]
fn a_message_into_another_partition_freezes_the_pe_and_only_it() {
    let mut fw = two_partitions(Profile::Papr);
    let victim = msix_fn(&fw, 0);
    let rogue = msix_fn(&fw, 1);
    let neighbour = fw
        .machine
        .functions()
        .find(|r| r.phb == 1 && *r != rogue && fw.machine.function(*r).msix.is_some())
        .expect("a second MSI-X function on PHB 1");
    for (who, part) in [(victim, 0), (rogue, 1), (neighbour, 1)] {
        let (c, h, l) = cells(&fw, who);
        assert_eq!(
            fw.call_as(part, Service::ChangeMsi, &[c, h, l, 4, 2, 1], 4)
                .unwrap()[0],
            0
        );
        let b = fw.machine.block(who).unwrap();
        for s in b.first..b.first + b.count {
            fw.call_as(part, Service::SetXive, &[s, 0, 5], 1).unwrap();
        }
        let f = fw.machine.function_mut(who);
        let o = f.msix.unwrap().offset as u32 + 2;
        let ctl = f.config.read(o, 2).unwrap();
        f.config_write(o, 2, ctl | 0x8000).unwrap();
    }
    let target = fw.machine.block(victim).unwrap().first;
    // The rogue OS points its vector 0 at partition 0's source.
    let cap = fw.machine.function(rogue).msix.unwrap();
    fw.machine
        .bar_write(rogue, cap.table_bir, cap.table_offset + 8, 4, target as u64)
        .unwrap();
    let presented = fw.machine.ics.presented.len();
    assert_eq!(fw.machine.signal(rogue, 0), Signal::Dropped);
    assert_eq!(fw.machine.drops.cross_partition, 1);
    assert_eq!(
        fw.machine.ics.presented.len(),
        presented,
        "nothing reached partition 0"
    );
    assert!(fw.machine.function(rogue).frozen);
    // Frozen: config reads all ones, writes ignored, its other vectors dropped.
    let (c, h, l) = cells(&fw, rogue);
    assert_eq!(
        fw.call_as(1, Service::IbmReadPciConfig, &[c, h, l, 4], 2)
            .unwrap(),
        vec![0, u32::MAX]
    );
    assert_eq!(
        fw.call_as(1, Service::IbmWritePciConfig, &[c | 4, h, l, 2, 0], 1)
            .unwrap(),
        vec![0]
    );
    assert_eq!(fw.machine.signal(rogue, 1), Signal::Dropped);
    // The neighbours keep working: the same PHB, and the other partition.
    let nb = fw.machine.block(neighbour).unwrap().first;
    assert_eq!(
        fw.machine.signal(neighbour, 0),
        Signal::Delivered { source: nb }
    );
    assert_eq!(
        fw.machine.signal(victim, 1),
        Signal::Delivered { source: target + 1 }
    );
    // A slot reset thaws it; its assignments are restored, its vectors fire again.
    assert_eq!(
        fw.call_as(1, Service::SetSlotReset, &[c, h, l, 1], 1)
            .unwrap(),
        vec![0]
    );
    assert!(!fw.machine.function(rogue).frozen);
    let own = fw.machine.block(rogue).unwrap().first;
    assert_eq!(
        fw.machine.signal(rogue, 0),
        Signal::Delivered { source: own }
    );
    assert_ne!(
        fw.call_as(1, Service::IbmReadPciConfig, &[c, h, l, 4], 2)
            .unwrap()[1],
        u32::MAX
    );
}
