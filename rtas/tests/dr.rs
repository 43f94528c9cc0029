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

/// The configure-connector loop as Linux's `rtas_configure_connector` makes it: the
/// work area's first cell the DRC index, each answer read from it. Returns the nodes
/// (path relative to the slot) with their properties, and the number of calls.
/// A node's path below the slot and its properties.
type Node = (String, Vec<(String, Vec<u8>)>);

fn configure(fw: &mut Firmware, index: u32) -> Result<Vec<Node>, i32> {
    use rtas::memory::Memory;
    let wa = 0x10_1000u64;
    let mut mem = Memory::new(0x10_0000, 0x3000);
    let token = fw.tokens.token(Service::ConfigureConnector).unwrap();
    let mut nodes: Vec<Node> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    mem.write_u32(wa, index);
    mem.write_u32(wa + 4, 0);
    // Just before the work area: the firmware must not write there.
    mem.write_u32(wa - 8, 0x5a5a_5a5a);
    mem.write_u32(wa - 4, 0x5a5a_5a5a);
    for _ in 0..10_000 {
        // Each answer stands alone: the offsets of the last one are gone.
        for i in 2..5 {
            mem.write_u32(wa + 4 * i, 0xdead_beef);
        }
        mem.write_call(0x10_0000, token, &[wa as u32, 0], 1)
            .unwrap();
        fw.call_buffer(&mut mem, 0x10_0000).unwrap();
        assert_eq!(
            (mem.read_u32(wa - 8), mem.read_u32(wa - 4)),
            (Some(0x5a5a_5a5a), Some(0x5a5a_5a5a)),
            "nothing written before the work area"
        );
        let st = mem.read_u32(0x10_0000 + 12 + 8).unwrap() as i32;
        let cell = |i: u64| mem.read_u32(wa + 4 * i).unwrap() as u64;
        let string = |at: u64| {
            let b = mem.read_bytes(wa + at, 256).unwrap();
            String::from_utf8(b[..b.iter().position(|&c| c == 0).unwrap()].to_vec()).unwrap()
        };
        match st {
            0 => return Ok(nodes),
            2 => {
                path.push(string(cell(2)));
                nodes.push((path.join("/"), Vec::new()));
            }
            3 => {
                let name = string(cell(2));
                // QEMU's layout: the name at 20, its value right after its NUL.
                assert_eq!(cell(2), 20, "{name}: name offset");
                assert_eq!(cell(4), 20 + name.len() as u64 + 1, "{name}: value offset");
                let value = mem
                    .read_bytes(wa + cell(4), cell(3) as usize)
                    .unwrap()
                    .to_vec();
                nodes.last_mut().unwrap().1.push((name, value));
            }
            4 => {
                path.pop();
            }
            other => return Err(other),
        }
        assert_eq!(
            mem.read_u32(wa),
            Some(index),
            "the work area keeps its index"
        );
    }
    panic!("configure-connector never finished");
}

#[test]
fn configure_connector_hands_out_the_slots_node() {
    let mut fw = firmware(B, Profile::Papr);
    let tree = fixture_tree(B);
    let r = find_fn(&fw, |_, x| x.is_some_and(|n| n >= 8));
    let path = fw.machine.function(r).info.path.clone();
    let slot = 0x4000_0000 | fw.machine.function(r).addr.devfn as u32;
    // A configured (cold-plugged) slot may be configured again, as in QEMU.
    let nodes = configure(&mut fw, slot).unwrap();
    let node = tree.find(&path).unwrap();
    let want: Vec<(String, Vec<u8>)> = tree
        .node(node)
        .props
        .iter()
        .map(|p| (p.name().to_string(), p.value.to_vec()))
        .collect();
    assert_eq!(nodes.len(), 1 + tree.node(node).children().len());
    assert_eq!(nodes[0].0, tree.node(node).name(), "the slot's node first");
    assert_eq!(nodes[0].1, want, "every property, in order, with its value");
    assert_eq!(
        configure(&mut fw, slot).unwrap(),
        nodes,
        "again from the start"
    );
    // Isolated: not configurable; unisolated: configurable, and configured after.
    assert_eq!(
        fw.call(Service::SetIndicator, &[9001, slot, 0], 1).unwrap(),
        vec![0]
    );
    assert_eq!(configure(&mut fw, slot), Err(-9003));
    assert_eq!(
        fw.call(Service::SetIndicator, &[9001, slot, 1], 1).unwrap(),
        vec![0]
    );
    assert_eq!(configure(&mut fw, slot).unwrap(), nodes);
    let d = fw.machine.phbs[0]
        .drcs
        .iter()
        .find(|d| d.index == slot)
        .unwrap();
    assert_eq!(d.state, DrcState::Configured);
    assert_eq!(configure(&mut fw, 0x1234), Err(-3), "no such DRC");
    assert_eq!(configure(&mut fw, 0x4000_00f8), Err(-9003), "an empty slot");
    assert_eq!(
        call(&mut fw, Service::ConfigureConnector, &[0x7000_0000, 0], 1),
        vec![-3],
        "a work area outside OS memory"
    );
    assert_eq!(
        call(&mut fw, Service::ConfigureConnector, &[0x10_1000], 1),
        vec![-3]
    );
    // An injected configure-connector error.
    fw.faults.add(rtas::faults::FaultRule::new(
        Service::ConfigureConnector,
        1,
        1,
        rtas::faults::Fault::Status(-9003),
    ));
    assert_eq!(configure(&mut fw, slot), Err(-9003));
}

#[test]
fn configure_connector_hands_out_a_bridge_with_the_functions_behind_it() {
    // QEMU's tree: a pci-bridge in slot 2 with two functions behind it.
    let rel = "qemu/e_bridge.dtb";
    let mut fw = firmware(rel, Profile::Papr);
    let tree = fixture_tree(rel);
    let bridge = tree.find("/pci@800000020000000/pci@2").unwrap();
    let props = |id| -> Vec<(String, Vec<u8>)> {
        tree.node(id)
            .props
            .iter()
            .map(|p| (p.name().to_string(), p.value.to_vec()))
            .collect()
    };
    let mut want = vec![("pci@2".to_string(), props(bridge))];
    for &c in tree.node(bridge).children() {
        want.push((format!("pci@2/{}", tree.node(c).name()), props(c)));
    }
    assert_eq!(want.len(), 3, "the bridge and its two functions");
    assert_eq!(configure(&mut fw, 0x4000_0010).unwrap(), want);
}

#[test]
fn configure_connector_takes_the_work_area_address_from_both_cells() {
    use rtas::memory::Memory;
    let mut fw = firmware(B, Profile::Papr);
    let r = find_fn(&fw, |_, x| x.is_some_and(|n| n >= 8));
    let slot = 0x4000_0000 | fw.machine.function(r).addr.devfn as u32;
    let mut mem = Memory::new(0x10_0000, 0x3000);
    let wa = 0x10_1000u64;
    mem.write_u32(wa, slot);
    let token = fw.tokens.token(Service::ConfigureConnector).unwrap();
    // The second cell is the address's high word: 1 << 32 | 0x10_1000 is not OS memory.
    mem.write_call(0x10_0000, token, &[wa as u32, 1], 1)
        .unwrap();
    fw.call_buffer(&mut mem, 0x10_0000).unwrap();
    assert_eq!(mem.read_u32(0x10_0000 + 20), Some(-3i32 as u32));
    mem.write_call(0x10_0000, token, &[wa as u32, 0], 1)
        .unwrap();
    fw.call_buffer(&mut mem, 0x10_0000).unwrap();
    assert_eq!(mem.read_u32(0x10_0000 + 20), Some(2), "the slot's node");
}

#[test]
fn a_connector_position_at_its_nodes_end_reads_nothing_past_it() {
    // A state blob may carry a position up to the node's length (the restore checks
    // no more): the next call answers the node's last step, then it starts over.
    let mut fw = firmware(B, Profile::Papr);
    let r = find_fn(&fw, |_, x| x.is_some_and(|n| n >= 8));
    let slot = 0x4000_0000 | fw.machine.function(r).addr.devfn as u32;
    let whole = configure(&mut fw, slot).unwrap();
    let d = fw.machine.phbs[0]
        .drcs
        .iter_mut()
        .find(|d| d.index == slot)
        .unwrap();
    d.cc_at = d.node.len();
    assert_eq!(
        configure(&mut fw, slot),
        Ok(vec![]),
        "the node's end at once"
    );
    assert_eq!(
        configure(&mut fw, slot).unwrap(),
        whole,
        "then from the start"
    );
}
