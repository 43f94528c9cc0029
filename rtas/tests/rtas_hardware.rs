//! The simulated hardware against the real QEMU trees, checked through RTAS config
//! reads by code that knows only the PCI specification.

mod common;

use common::*;
use of_tree::Tree;
use rtas::{Profile, Service};

/// Functions below a PHB node, counted from the tree alone.
fn tree_functions(t: &Tree, phb: of_tree::NodeId, out: &mut Vec<of_tree::NodeId>) {
    for &c in t.node(phb).children() {
        if t.node(c).prop("reg").is_some() {
            out.push(c);
            // A bridge by class code (QEMU writes no device_type on its bridges).
            let class = t.at(c).u32("class-code").ok().flatten().unwrap_or(0) >> 8;
            if class == 0x0604 || t.at(c).string("device_type").ok().flatten() == Some("pci") {
                tree_functions(t, c, out);
            }
        }
    }
}

fn read_cfg(fw: &mut rtas::Firmware, buid: u64, cfg: u32, reg: u32, size: u32) -> u32 {
    let addr = ((reg & 0xf00) << 20) | cfg | (reg & 0xff);
    let r = fw
        .call(
            Service::IbmReadPciConfig,
            &[addr, (buid >> 32) as u32, buid as u32, size],
            2,
        )
        .unwrap();
    assert_eq!(r[0], 0, "read of {cfg:#x} reg {reg:#x} failed");
    r[1]
}

#[test]
fn machines_have_the_trees_phbs_functions_and_capabilities() {
    let mut checked_msi = 0;
    let mut checked_msix = 0;
    for rel in fixture_rels() {
        let tree = fixture_tree(&rel);
        for profile in [Profile::Qemu, Profile::Papr] {
            let mut fw = firmware(&rel, profile);
            let phbs: Vec<_> = tree
                .node(tree.root())
                .children()
                .iter()
                .copied()
                .filter(|&c| tree.at(c).string("device_type").unwrap() == Some("pci"))
                .collect();
            assert_eq!(fw.machine.phbs.len(), phbs.len(), "{rel}");
            for (pi, &pn) in phbs.iter().enumerate() {
                let mut fns = Vec::new();
                tree_functions(&tree, pn, &mut fns);
                let buid = fw.machine.phbs[pi].buid;
                assert_eq!(fw.machine.phbs[pi].functions.len(), fns.len(), "{rel}");
                for fnode in fns {
                    let at = tree.at(fnode);
                    let hi = at.cells("reg").unwrap().unwrap()[0];
                    let cfg = hi & 0x00ff_ff00;
                    // Identity as the tree gives it.
                    let ids = read_cfg(&mut fw, buid, cfg, 0, 4);
                    assert_eq!(
                        ids & 0xffff,
                        at.u32("vendor-id").unwrap().unwrap_or(0xffff),
                        "{}",
                        at.path()
                    );
                    // Walk the capability list as the PCI spec describes it.
                    let status = read_cfg(&mut fw, buid, cfg, 6, 2);
                    let mut msi_mmc = None;
                    let mut msix_size = None;
                    if status & 0x10 != 0 {
                        let mut ptr = read_cfg(&mut fw, buid, cfg, 0x34, 1) & 0xfc;
                        let mut hops = 0;
                        while ptr != 0 {
                            hops += 1;
                            assert!(hops < 48, "capability list loops");
                            let id = read_cfg(&mut fw, buid, cfg, ptr, 1);
                            let ctrl = read_cfg(&mut fw, buid, cfg, ptr + 2, 2);
                            match id {
                                0x05 => msi_mmc = Some((ctrl >> 1) & 7),
                                0x11 => msix_size = Some((ctrl & 0x7ff) + 1),
                                _ => {}
                            }
                            ptr = read_cfg(&mut fw, buid, cfg, ptr + 1, 1) & 0xfc;
                        }
                    }
                    match at.u32("ibm,req#msi").unwrap() {
                        Some(n) if n > 0 => {
                            let cap = 1u32 << msi_mmc.expect("MSI capability");
                            assert!(
                                cap >= n && cap < 2 * n.max(1),
                                "{}: MMC {cap} for req {n}",
                                at.path()
                            );
                            checked_msi += 1;
                        }
                        _ => assert_eq!(msi_mmc, None, "{}", at.path()),
                    }
                    match at.u32("ibm,req#msi-x").unwrap() {
                        Some(n) if n > 0 => {
                            assert_eq!(msix_size, Some(n), "{}", at.path());
                            checked_msix += 1;
                        }
                        _ => assert_eq!(msix_size, None, "{}", at.path()),
                    }
                }
            }
        }
    }
    assert!(
        checked_msi >= 10 && checked_msix >= 10,
        "{checked_msi} MSI, {checked_msix} MSI-X checked"
    );
}

#[test]
fn extended_config_space_only_with_type_1() {
    let mut fw = firmware("qemu/b_devices.dtb", Profile::Papr);
    for r in fw.machine.functions().collect::<Vec<_>>() {
        let (hi, lo) = buid_cells(&fw, r);
        let ext = fw.machine.function(r).config.size() == 4096;
        let addr = (0x100 << 20) | cfg_addr(&fw, r);
        let got = fw
            .call(Service::IbmReadPciConfig, &[addr, hi, lo, 4], 2)
            .unwrap();
        assert_eq!(got[0] == 0, ext, "{}", fw.machine.function(r).info.path);
    }
}

#[test]
fn lsis_are_claimed_at_qemu_numbers() {
    let fw = firmware("qemu/c_phb1.dtb", Profile::Qemu);
    for (i, p) in fw.machine.phbs.iter().enumerate() {
        assert_eq!(p.index as usize, i);
        for pin in 0..4 {
            let s = fw.machine.ics.source(0x1200 + 4 * i as u32 + pin).unwrap();
            assert_eq!(s.kind, rtas::ics::SourceKind::Lsi);
        }
    }
    // Every function's LSI is the source the PHB's interrupt-map gives its slot and
    // pin, read here straight from the tree (7 cells an entry: child address, pin,
    // parent phandle, source, sense).
    let tree = fixture_tree("qemu/c_phb1.dtb");
    let mut checked = 0;
    for (pi, p) in fw.machine.phbs.iter().enumerate() {
        let node = tree.find(&p.path).unwrap();
        let map = tree.at(node).cells("interrupt-map").unwrap().unwrap();
        let mask = tree.at(node).cells("interrupt-map-mask").unwrap().unwrap();
        for (fi, f) in p.functions.iter().enumerate() {
            let Some(l) = f.lsi else { continue };
            let key = (f.addr.config_addr() & mask[0], l.pin as u32 & mask[3]);
            let want = map
                .chunks_exact(7)
                .find(|e| (e[0] & mask[0], e[3] & mask[3]) == key)
                .map(|e| e[5])
                .unwrap();
            assert_eq!(l.source, want, "PHB {pi} function {fi}");
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} LSIs checked");
}

#[test]
fn a_broken_interrupt_map_names_the_function_and_the_reason() {
    let mut tree = fixture_tree("qemu/c_phb1.dtb");
    let cfg = rtas::MachineConfig {
        profile: Profile::Papr,
        pool_size: None,
        bare_metal: false,
    };
    let good = rtas::Machine::from_tree(&tree, &cfg).unwrap();
    let phb = tree.find(&good.phbs[0].path).unwrap();
    let phb_path = good.phbs[0].path.clone();
    let pinned: Vec<&str> = good.phbs[0]
        .functions
        .iter()
        .filter(|f| f.lsi.is_some())
        .map(|f| f.info.path.as_str())
        .collect();
    assert!(!pinned.is_empty(), "a function with a pin");
    // Every entry's parent becomes a phandle no node has.
    let original = tree.at(phb).cells("interrupt-map").unwrap().unwrap();
    let mut map = original.clone();
    for e in map.chunks_exact_mut(7) {
        e[4] = 0xdead;
    }
    let bytes: Vec<u8> = map.iter().flat_map(|c| c.to_be_bytes()).collect();
    tree.set_prop(phb, "interrupt-map", bytes);
    let e = rtas::Machine::from_tree(&tree, &cfg)
        .unwrap_err()
        .to_string();
    // "<function path>: pin N maps to no interrupt source: <PHB path>: 'interrupt-map' ..."
    assert!(
        pinned.iter().any(|p| e.starts_with(&format!("{p}: pin "))),
        "{e}"
    );
    assert!(
        e.contains(&format!(": {phb_path}: 'interrupt-map' names")),
        "{e}"
    );
    assert!(e.contains("phandle 0xdead, which no node has"), "{e}");
    // A map cut inside its first entry.
    let mut map = original;
    map.truncate(6);
    let bytes: Vec<u8> = map.iter().flat_map(|c| c.to_be_bytes()).collect();
    tree.set_prop(phb, "interrupt-map", bytes);
    let e = rtas::Machine::from_tree(&tree, &cfg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("runs past the end"), "{e}");
}

/// An MSI-X table (moved by `pseries-sim,msix-table`) that its BAR cannot hold refuses
/// the machine, naming the property and the BAR.
#[test]
fn a_table_bar_too_small_is_refused_naming_the_node() {
    // nvme's MSI-X table (65 vectors, 16 bytes each) at 0x3800 of its 16 KiB BAR 0: the
    // table fits, its PBA (the next 2 KiB boundary, 0x4000) does not.
    let mut tree = fixture_tree("qemu/b_devices.dtb");
    let n = tree.find("/pci@800000020000000/mass-storage@4").unwrap();
    let cells: Vec<u8> = [0u32, 0x3800]
        .iter()
        .flat_map(|c| c.to_be_bytes())
        .collect();
    tree.set_prop(n, "pseries-sim,msix-table", cells);
    let e = rtas::Firmware::new(&tree, &Default::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("pseries-sim,msix-table") && e.contains("BAR 0"),
        "{e}"
    );
}
