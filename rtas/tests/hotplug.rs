//! PCI hotplug through the firmware's interface, as QEMU's `device_add` and
//! `device_del` work with its DR connectors (`hw/ppc/spapr_pci.c`, `spapr_drc.c`): a
//! function added is present at its connector, isolated until the OS unisolates the
//! slot and builds its node with `ibm,configure-connector`; then it answers config
//! reads and takes MSIs. Its removal asked for, the function stays until the OS
//! isolates the slot, and goes then with its MSIs.

mod common;

use common::lopapr::configure_connector;
use common::*;
use rtas::drc::DrcState;
use rtas::pci::PciAddr;
use rtas::{Firmware, FnRef, Profile, Service};

const B: &str = "qemu/b_devices.dtb";
/// `fixtures/hotplug-virtio-net.dts`: virtio-net for slot 0x10 of PHB 0.
const DTS: &str = "hotplug-virtio-net.dts";
const SLOT: u32 = 0x4000_0080;
const AT: PciAddr = PciAddr {
    bus: 0,
    devfn: 0x80,
};

/// dr-entity-sense of a connector: status, and 1 present or 0 empty.
fn sensor(fw: &mut Firmware, index: u32) -> Vec<u32> {
    fw.call(Service::GetSensorState, &[9003, index], 2).unwrap()
}

/// isolation-state: 0 isolates, 1 unisolates; the status.
fn isolation(fw: &mut Firmware, index: u32, value: u32) -> i32 {
    fw.call(Service::SetIndicator, &[9001, index, value], 1)
        .unwrap()[0] as i32
}

/// The function at slot 0x10, if the machine has one.
fn the_function(fw: &Firmware) -> Option<FnRef> {
    fw.machine
        .functions()
        .find(|&r| fw.machine.function(r).addr == AT)
}

/// [`B`] with the DTS's function added at slot 0x10 (the OS told of its connector).
fn plugged(profile: Profile) -> Firmware {
    let mut fw = firmware(B, profile);
    assert_eq!(
        sensor(&mut fw, SLOT),
        vec![0, 0],
        "{profile}: empty at first"
    );
    let dts = fixture_tree(DTS);
    assert_eq!(fw.machine.plug(0, AT, &dts, DTS), Ok(vec![SLOT]));
    fw
}

#[test]
fn a_plugged_function_is_configured_by_the_os_and_takes_msis() {
    let dts = fixture_tree(DTS);
    let node = dts.find("/ethernet@10").unwrap();
    let want: Vec<(String, Vec<u8>)> = dts
        .node(node)
        .props
        .iter()
        .map(|p| (p.name().to_string(), p.value.to_vec()))
        .collect();
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut fw = plugged(profile);
        assert_eq!(sensor(&mut fw, SLOT), vec![0, 1], "{profile}: present");
        assert_eq!(
            configure_connector(&mut fw, SLOT),
            Err(-9003),
            "{profile}: isolated, not configurable"
        );
        assert_eq!(isolation(&mut fw, SLOT, 1), 0);
        let nodes = configure_connector(&mut fw, SLOT).unwrap();
        assert_eq!(nodes, vec![("ethernet@10".to_string(), want.clone())]);
        let drc = fw.machine.phbs[0]
            .drcs
            .iter()
            .find(|d| d.index == SLOT)
            .unwrap();
        assert_eq!(drc.state, DrcState::Configured);
        let r = the_function(&fw).expect("the new function");
        let (hi, lo) = buid_cells(&fw, r);
        assert_eq!(
            fw.call(Service::IbmReadPciConfig, &[cfg_addr(&fw, r), hi, lo, 4], 2)
                .unwrap(),
            vec![0, 0x1000_1af4],
            "{profile}: virtio-net's device and vendor IDs"
        );
        assert_eq!(change_msi(&mut fw, r, 4, 5, 1, 4)[..2], [0, 5]);
        assert_eq!(query(&mut fw, r, 4)[0], 0, "{profile}: the fifth vector");
    }
}

#[test]
fn an_unplugged_function_leaves_when_the_os_isolates_its_slot() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut fw = plugged(profile);
        assert_eq!(isolation(&mut fw, SLOT, 1), 0);
        configure_connector(&mut fw, SLOT).unwrap();
        let r = the_function(&fw).unwrap();
        let c = cfg_addr(&fw, r);
        let (hi, lo) = buid_cells(&fw, r);
        assert_eq!(change_msi(&mut fw, r, 4, 5, 1, 4)[..2], [0, 5]);
        let free = fw.machine.pools.free_count();
        let functions = fw.machine.functions().count();
        assert_eq!(fw.machine.unplug_request(r), Ok(vec![SLOT]));
        // Asked for, not done: the function is there and works until the OS lets go.
        assert_eq!(query(&mut fw, r, 0)[0], 0, "{profile}");
        assert_eq!(sensor(&mut fw, SLOT), vec![0, 1]);
        assert_eq!(isolation(&mut fw, SLOT, 0), 0);
        assert_eq!(the_function(&fw), None, "{profile}: still there");
        assert_eq!(fw.machine.functions().count(), functions - 1);
        assert_eq!(sensor(&mut fw, SLOT), vec![0, 0], "{profile}: empty");
        assert_eq!(
            fw.machine.pools.free_count(),
            free + 5,
            "{profile}: MSIs back"
        );
        let read = fw
            .call(Service::IbmReadPciConfig, &[c, hi, lo, 4], 2)
            .unwrap();
        match profile {
            Profile::Papr => assert_eq!(read, vec![0, u32::MAX], "nothing answers"),
            Profile::Qemu => assert_eq!(read[0] as i32, -1, "no device"),
        }
        // The connector takes a function again.
        let dts = fixture_tree(DTS);
        assert_eq!(fw.machine.plug(0, AT, &dts, DTS), Ok(vec![SLOT]));
    }
}
