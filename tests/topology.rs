//! PCI topologies: bridges recognised by class code, LSIs swizzled at every bridge and
//! mapped through the PHB's interrupt-map, shared LSIs with every owner's handler.

mod common;

use common::*;
use of_tree::{NodeId, Tree};
use pseries_sim::BootOptions;
use rtas::Profile;

fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

/// QEMU's map on a PHB: slot s, pin p -> 0x1200 + (s + p - 1) % 4.
fn qemu_map(t: &mut Tree, phb: NodeId, ics: u32) {
    let mut map = Vec::new();
    for slot in 0..32u32 {
        for pin in 1..=4u32 {
            map.extend([slot << 11, 0, 0, pin, ics, 0x1200 + (slot + pin - 1) % 4, 1]);
        }
    }
    t.set_prop(phb, "interrupt-map", cells(&map));
    t.set_prop(phb, "interrupt-map-mask", cells(&[0xf800, 0, 0, 7]));
}

fn node(t: &mut Tree, parent: NodeId, name: &str, bus: u32, dev: u32, fun: u32) -> NodeId {
    let n = t.add_child(parent, name);
    t.set_prop(
        n,
        "reg",
        cells(&[bus << 16 | dev << 11 | fun << 8, 0, 0, 0, 0]),
    );
    t.set_prop(n, "vendor-id", cells(&[0x1af4]));
    t.set_prop(n, "device-id", cells(&[0x1000]));
    n
}

fn bridge(t: &mut Tree, parent: NodeId, bus: u32, dev: u32, secondary: u32) -> NodeId {
    let b = node(t, parent, &format!("pci@{dev:x}"), bus, dev, 0);
    t.set_prop(b, "class-code", cells(&[0x60400]));
    t.set_prop(b, "#address-cells", cells(&[3]));
    t.set_prop(b, "#size-cells", cells(&[2]));
    t.set_prop(b, "bus-range", cells(&[secondary, secondary]));
    b
}

fn device(t: &mut Tree, parent: NodeId, bus: u32, dev: u32, pin: u32) -> NodeId {
    let d = node(t, parent, &format!("ethernet@{dev:x}"), bus, dev, 0);
    t.set_prop(d, "class-code", cells(&[0x20000]));
    t.set_prop(d, "interrupts", cells(&[pin]));
    t.set_prop(d, "ibm,req#msi-x", cells(&[2]));
    d
}

/// Three bridges deep: 00:02.0 -> bus 1, 01:03.0 -> bus 2, 02:01.0 -> bus 3, and a
/// device on each bus. Returns the tree and (name, LSI computed by hand) per device.
fn three_levels() -> (Tree, Vec<(&'static str, u32)>) {
    let mut t = fixture_tree("qemu/a_default.dtb");
    let phb = t.find("/pci@800000020000000").unwrap();
    for c in t.node(phb).children().to_vec() {
        t.remove_node(c).unwrap();
    }
    let ics = t
        .at(phb)
        .cells("interrupt-map")
        .unwrap()
        .map(|m| m[4])
        .unwrap();
    qemu_map(&mut t, phb, ics);
    device(&mut t, phb, 0, 1, 1);
    let b1 = bridge(&mut t, phb, 0, 2, 1);
    device(&mut t, b1, 1, 4, 2);
    let b2 = bridge(&mut t, b1, 1, 3, 2);
    device(&mut t, b2, 2, 5, 1);
    let b3 = bridge(&mut t, b2, 2, 1, 3);
    device(&mut t, b3, 3, 6, 3);
    // By hand, swizzle(pin, slot) = (pin - 1 + slot) % 4 + 1 at each bridge:
    // 00:01.0 pin 1: slot 1 pin 1 -> 0x1201.
    // 01:04.0 pin 2 -> at 00:02: pin (2-1+4)%4+1 = 2 -> slot 2 pin 2 -> 0x1203.
    // 02:05.0 pin 1 -> at 01:03: 2 -> at 00:02: (2-1+3)%4+1 = 1 -> slot 2 pin 1 -> 0x1202.
    // 03:06.0 pin 3 -> at 02:01: (3-1+6)%4+1 = 1 -> at 01:03: 2 -> at 00:02: 1 -> 0x1202.
    let want = vec![
        ("0000:00:01.0", 0x1201),
        ("0000:01:04.0", 0x1203),
        ("0000:02:05.0", 0x1202),
        ("0000:03:06.0", 0x1202),
    ];
    (t, want)
}

#[test]
fn lsis_swizzle_at_every_bridge_level() {
    let (t, want) = three_levels();
    for profile in [Profile::Papr, Profile::Qemu] {
        let opts = BootOptions {
            profile,
            ..Default::default()
        };
        let mut rep = pseries_sim::boot::boot_all(t.clone(), opts).unwrap();
        let k = &mut rep.kernel;
        assert_eq!(k.devices.len(), 7, "three bridges and four devices");
        for (name, lsi) in &want {
            let d = k.device(name).unwrap();
            assert_eq!(k.devices[d].lsi, Some(*lsi), "{name}: the OS's LSI");
            let fw = pseries_sim::harness::firmware(k);
            let r = fw
                .machine
                .find(k.devices[d].buid, k.devices[d].addr)
                .unwrap();
            let hw = fw.machine.function(r).lsi.map(|l| l.source);
            assert_eq!(hw, Some(*lsi), "{name}: the hardware's wiring");
            // Every function behind the bridges gets its vectors, and they fire.
            let n = k.devices[d]
                .msi
                .as_ref()
                .map_or(0, |m| m.virqs.len() as u32);
            assert!(n > 0, "{name}");
            for v in 0..n {
                pseries_sim::harness::fire(k, d, v).unwrap();
            }
        }
        assert!(pseries_sim::check::check(&t)
            .findings
            .iter()
            .all(|f| f.severity != pseries_sim::check::Severity::Error));
    }
}

#[test]
fn a_shared_lsi_runs_every_owners_handler_once() {
    let (t, _) = three_levels();
    let k = pseries_sim::harness::boot(t, BootOptions::default());
    let mut k = k.unwrap();
    let a = k.device("0000:02:05.0").unwrap();
    let b = k.device("0000:03:06.0").unwrap();
    assert_eq!(
        k.devices[a].lsi_virq, k.devices[b].lsi_virq,
        "one virq per line"
    );
    assert!(k.request_lsi(a) && k.request_lsi(b));
    let other = k.device("0000:00:01.0").unwrap();
    assert_ne!(k.devices[other].lsi_virq, k.devices[a].lsi_virq);
    for round in 1..=3u32 {
        let ran = pseries_sim::harness::fire_lsi(&mut k, b).unwrap();
        let devs: Vec<usize> = ran.iter().map(|h| h.dev).collect();
        assert_eq!(devs, [a, b], "both handlers, in request order, once");
        let virq = k.devices[a].lsi_virq.unwrap();
        assert_eq!(k.irq.get(virq).unwrap().count, round);
    }
}
