//! DR connectors of PCI slots: read from QEMU's trees (checked against dtc's reading of
//! the same blob), `get-sensor-state` dr-entity-sense and `set-indicator` with QEMU's
//! statuses, and isolation releasing every MSI the function holds.

mod common;

use common::*;
use rtas::drc::DrcState;
use rtas::{Firmware, Profile, Service};

const B: &str = "qemu/b_devices.dtb";

fn call(fw: &mut Firmware, s: Service, args: &[u32], nret: usize) -> Vec<i64> {
    let cells = fw.call(s, args, nret).unwrap();
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// The cells of PHB 0's `ibm,drc-indexes` as dtc prints them.
fn dtc_indexes() -> Vec<u32> {
    let text = canonical(&fixture(B));
    let line = text
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("ibm,drc-indexes = <0x100 0x4000")
        })
        .expect("PHB 0's DRC indexes");
    let body = line.split('<').nth(1).unwrap().trim_end_matches(">;");
    body.split_whitespace()
        .skip(1)
        .map(|c| u32::from_str_radix(c.trim_start_matches("0x"), 16).unwrap())
        .collect()
}

#[test]
fn drcs_are_the_trees_and_devices_claim_theirs() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let fw = firmware(B, profile);
        let phb = &fw.machine.phbs[0];
        let ours: Vec<u32> = phb.drcs.iter().map(|d| d.index).collect();
        assert_eq!(ours, dtc_indexes(), "the indexes dtc reads, in order");
        for d in &phb.drcs {
            assert_eq!(d.ty, "28", "PCI slots");
            assert_eq!(d.power_domain, u32::MAX);
            assert_eq!(d.name, format!("C{}", d.index & 0xff), "QEMU's names");
            match d.function {
                Some(f) => {
                    assert_eq!(phb.functions[f].addr.devfn as u32, d.index & 0xff);
                    assert_eq!(d.state, DrcState::Configured);
                }
                None => assert_eq!(d.state, DrcState::PowerOn),
            }
        }
        let present = phb.drcs.iter().filter(|d| d.function.is_some()).count();
        assert_eq!(present, phb.functions.len(), "every function has its slot");
    }
}

#[test]
fn sensor_and_indicator_statuses() {
    let mut fw = firmware(B, Profile::Papr);
    let r = find_fn(&fw, |_, x| x.is_some_and(|n| n >= 8));
    let devfn = fw.machine.function(r).addr.devfn as u32;
    let slot = 0x4000_0000 | devfn;
    let empty = 0x4000_00f8; // device 31, function 0: nothing there
    assert_eq!(
        call(&mut fw, Service::GetSensorState, &[9003, slot], 2),
        vec![0, 1]
    );
    assert_eq!(
        call(&mut fw, Service::GetSensorState, &[9003, empty], 2),
        vec![0, 0]
    );
    assert_eq!(
        call(&mut fw, Service::GetSensorState, &[9001, slot], 2),
        vec![-3, 0],
        "not a sensor"
    );
    assert_eq!(
        call(&mut fw, Service::GetSensorState, &[9003, 0x1234], 2),
        vec![-3, 0],
        "no DRC"
    );
    assert_eq!(
        call(&mut fw, Service::GetSensorState, &[9003], 2)[0],
        -3,
        "counts"
    );
    for v in 0..=3 {
        assert_eq!(
            call(&mut fw, Service::SetIndicator, &[9002, slot, v], 1),
            vec![0]
        );
    }
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9002, slot, 4], 1),
        vec![-3]
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9003, slot, 1], 1),
        vec![-3],
        "physical: no allocation state"
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9000, slot, 1], 1),
        vec![-3]
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, 0x1234, 0], 1),
        vec![-3]
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, empty, 1], 1),
        vec![-3],
        "nothing to unisolate"
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, empty, 0], 1),
        vec![0],
        "isolated already"
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, slot, 2], 1),
        vec![-3]
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, slot], 1),
        vec![-3],
        "counts"
    );
    // Isolate, unisolate, and an unisolated slot cannot be isolated (QEMU).
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, slot, 0], 1),
        vec![0]
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, slot, 1], 1),
        vec![0]
    );
    assert_eq!(
        call(&mut fw, Service::SetIndicator, &[9001, slot, 0], 1),
        vec![-3]
    );
    let d = fw.machine.phbs[0]
        .drcs
        .iter()
        .find(|d| d.index == slot)
        .unwrap();
    assert_eq!((d.state, d.indicator), (DrcState::Unisolate, 3));
}
