//! `gen` beyond 8192 functions per PHB: bridges behind bridges, every function at its
//! own (bus, devfn), each child on its bridge's secondary bus, each `bus-range` covering
//! the buses below it; dtc accepts the tree (and its PCI checks pass), and past the
//! 8-bit bus numbers' limit `gen` refuses, saying the limit. Its PHBs carry QEMU's
//! `interrupt-map`.

mod common;

use common::*;
use of_tree::{NodeId, Tree};
use std::collections::BTreeSet;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

/// What the walk of one PHB found.
#[derive(Default)]
struct Found {
    functions: usize,
    bridges: usize,
    depth: usize,
    addresses: BTreeSet<(u32, u32)>,
    secondaries: BTreeSet<u32>,
}

fn is_bridge(t: &Tree, n: NodeId) -> bool {
    t.at(n).u32("class-code").unwrap() == Some(0x60400)
}

/// Checks the nodes below `bus_node`, whose children sit on bus `bus` and whose
/// `bus-range` is `range`; returns the highest bus number found below it.
fn walk(
    t: &Tree,
    bus_node: NodeId,
    bus: u32,
    range: (u32, u32),
    depth: usize,
    f: &mut Found,
) -> u32 {
    let mut highest = bus;
    f.depth = f.depth.max(depth);
    for &c in t.node(bus_node).children() {
        let at = t.at(c);
        let reg = at.cells("reg").unwrap().expect("every PCI node has reg");
        let (b, devfn) = ((reg[0] >> 16) & 0xff, (reg[0] >> 8) & 0xff);
        assert_eq!(b, bus, "{}: on its parent's secondary bus", at.path());
        assert!(
            f.addresses.insert((b, devfn)),
            "{}: (bus {b:#x}, devfn {devfn:#x}) twice",
            at.path()
        );
        if is_bridge(t, c) {
            let r = at
                .cells("bus-range")
                .unwrap()
                .expect("a bridge has bus-range");
            let (lo, hi) = (r[0], r[1]);
            assert!(lo > bus && lo <= hi, "{}: bus-range {lo}..{hi}", at.path());
            assert!(
                range.0 < lo && hi <= range.1,
                "{}: bus-range {lo}..{hi} outside its parent's {}..{}",
                at.path(),
                range.0,
                range.1
            );
            assert!(f.secondaries.insert(lo), "{}: bus {lo} twice", at.path());
            f.bridges += 1;
            let below = walk(t, c, lo, (lo, hi), depth + 1, f);
            assert_eq!(
                below,
                hi,
                "{}: bus-range ends at the last bus below",
                at.path()
            );
            highest = highest.max(below);
        } else {
            assert!(at.has("ibm,req#msi-x"), "{}", at.path());
            f.functions += 1;
        }
    }
    highest
}

fn check(tree: &Tree) -> Vec<Found> {
    tree.node(tree.root())
        .children()
        .iter()
        .copied()
        .filter(|&c| tree.at(c).string("device_type").unwrap() == Some("pci"))
        .map(|phb| {
            let r = tree.at(phb).cells("bus-range").unwrap().unwrap();
            let mut f = Found::default();
            walk(tree, phb, 0, (r[0], r[1]), 0, &mut f);
            f
        })
        .collect()
}

#[test]
fn twenty_thousand_functions_get_unique_addresses_behind_nested_bridges() {
    let dir = scratch("gen-buses");
    let out = dir.join("big.dtb");
    let o = sim()
        .args([
            "gen",
            "--phbs",
            "1",
            "--functions",
            "20000",
            "--msix",
            "1",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tree = of_tree::read_file(&out).unwrap();
    let found = check(&tree);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.functions, 20_000);
    assert_eq!(f.addresses.len(), 20_000 + f.bridges);
    assert_eq!(f.depth, 2, "bridges behind bridges");
    // 32 root bridges and as many nested ones as 248 more functions each need.
    assert_eq!(f.bridges, 32 + (20_000 - 8192usize).div_ceil(248));

    // dtc reads it, and its PCI checks (bridge, unit address, bus number in the
    // parent's bus-range) find nothing.
    let d = Command::new(dtc())
        .args(["-I", "dtb", "-O", "dts", "-o"])
        .arg(dir.join("big.dts"))
        .arg(&out)
        .output()
        .unwrap();
    let warnings = String::from_utf8_lossy(&d.stderr);
    assert!(d.status.success(), "{warnings}");
    assert!(
        !warnings.to_lowercase().contains("pci"),
        "dtc's PCI checks: {warnings}"
    );
    assert!(canonical(&out).contains("bus-range = <0x01 0x03>;"));

    // The firmware's reading of the tree agrees: every function, at its address.
    let cfg = rtas::MachineConfig {
        profile: rtas::Profile::Qemu,
        pool_size: None,
        bare_metal: false,
    };
    let m = rtas::Machine::from_tree(&tree, &cfg).unwrap();
    let addrs: BTreeSet<u32> = m.phbs[0]
        .functions
        .iter()
        .map(|f| f.addr.config_addr())
        .collect();
    assert_eq!(m.phbs[0].functions.len(), 20_000 + f.bridges);
    assert_eq!(addrs.len(), m.phbs[0].functions.len());
}

#[test]
fn the_limit_is_the_8_bit_bus_numbers() {
    use pseries_sim::gen::{try_generate, GenError, GenSpec, MAX_FUNCTIONS};
    let spec = |functions| GenSpec {
        phbs: 2,
        functions,
        msix: 1,
        msi: 0,
    };
    // Every size up to the limit places every function; around the old 8192 and the
    // points where a bridge is added.
    for n in [8192, 8193, 8440, 8441, 16_128, 40_000, MAX_FUNCTIONS] {
        let found = check(&try_generate(&spec(n)).unwrap());
        assert_eq!(found.len(), 2);
        for f in found {
            assert_eq!(f.functions, n as usize, "{n}");
            assert!(f.secondaries.iter().all(|&b| b <= 255));
        }
    }
    assert_eq!(MAX_FUNCTIONS, 63_496);
    assert_eq!(
        try_generate(&spec(MAX_FUNCTIONS + 1)).unwrap_err(),
        GenError::TooManyFunctions {
            asked: MAX_FUNCTIONS + 1
        }
    );
    let o = sim()
        .args(["gen", "--functions", "63497"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "a usage error");
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("'63497' for '--functions")
            && e.contains("at most 63496")
            && e.contains("256 buses"),
        "{e}"
    );
}

/// `gen --phbs 1 --functions 20000 --msix 1` boots with its 20000 functions, and
/// `check` finds no error in it.
#[test]
fn twenty_thousand_functions_boot() {
    let dir = scratch("gen-20000");
    let out = dir.join("big.dtb");
    let st = sim()
        .args([
            "gen",
            "--phbs",
            "1",
            "--functions",
            "20000",
            "--msix",
            "1",
            "-o",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let tree = of_tree::read_file(&out).unwrap();
    let rep = pseries_sim::check::check(&tree);
    assert!(
        !rep.has_errors(),
        "{:?}",
        &rep.findings[..rep.findings.len().min(5)]
    );
    let opts = pseries_sim::BootOptions {
        trace: false,
        rtas_log: false,
        ..Default::default()
    };
    let boot = pseries_sim::boot::boot_all(tree, opts).unwrap();
    let k = &boot.kernel;
    let functions = k.devices.iter().filter(|d| !d.is_bridge).count();
    assert_eq!(functions, 20000);
    assert_eq!(boot.failed, 0);
    assert_eq!(boot.vectors, 20000);
}

/// gen numbers its buses as firmware enumerates (depth first), so the firmware leaves
/// its trees as they are.
#[test]
fn gen_numbers_buses_as_firmware_does() {
    for functions in ["300", "8192", "20000"] {
        let dir = scratch(&format!("gen-enum-{functions}"));
        let out = dir.join("t.dtb");
        let st = sim()
            .args([
                "gen",
                "--phbs",
                "2",
                "--functions",
                functions,
                "--msix",
                "1",
                "-o",
            ])
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success());
        let tree = of_tree::read_file(&out).unwrap();
        assert!(
            matches!(rtas::enumerated(&tree), std::borrow::Cow::Borrowed(_)),
            "{functions}: firmware would renumber gen's buses"
        );
    }
}

/// `gen`'s PHBs carry QEMU's `interrupt-map`: the firmware gives every function the
/// LSI through it that QEMU's formula gives without it.
#[test]
fn generated_trees_carry_qemus_interrupt_map() {
    use pseries_sim::gen::{generate, GenSpec};
    let spec = GenSpec {
        phbs: 2,
        functions: 300,
        msix: 4,
        msi: 1,
    };
    let mut tree = generate(&spec);
    // The first PHB's map and mask are QEMU's, cell for cell.
    let qemu = fixture_tree("qemu/a_default.dtb");
    let qphb = qemu.find_device_type("pci")[0];
    let gphb = tree.find("/pci@800000020000000").unwrap();
    for p in ["interrupt-map", "interrupt-map-mask"] {
        assert_eq!(
            tree.at(gphb).cells(p).unwrap(),
            qemu.at(qphb).cells(p).unwrap(),
            "{p}"
        );
    }
    // Through the map (bridges swizzled to bus 0) every function gets the LSI that
    // the tree without any map gives by QEMU's formula.
    let cfg = rtas::MachineConfig {
        profile: rtas::Profile::Papr,
        pool_size: None,
        bare_metal: false,
    };
    let mapped = rtas::Machine::from_tree(&tree, &cfg).unwrap();
    for phb in tree.find_device_type("pci") {
        tree.remove_prop(phb, "interrupt-map");
        tree.remove_prop(phb, "interrupt-map-mask");
    }
    let formula = rtas::Machine::from_tree(&tree, &cfg).unwrap();
    let lsis = |m: &rtas::Machine| -> Vec<Option<u32>> {
        m.phbs
            .iter()
            .flat_map(|p| p.functions.iter().map(|f| f.lsi.map(|l| l.source)))
            .collect()
    };
    let (a, b) = (lsis(&mapped), lsis(&formula));
    assert_eq!(a.len(), 2 * (300 + 2));
    assert_eq!(a.iter().filter(|s| s.is_some()).count(), 600);
    assert_eq!(a, b);
    // All four LSIs of each PHB are used.
    let distinct: std::collections::BTreeSet<u32> = a.iter().flatten().copied().collect();
    assert_eq!(distinct.len(), 8, "{distinct:x?}");
}
