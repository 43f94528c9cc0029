//! The OS learns only what a real OS learns: RTAS from the tree's `/rtas`, devices and
//! LSIs from the tree, the MSI-X table from its capability and BAR, and the quota walk
//! Linux makes. Checked against the real guest's log where it speaks.

mod common;

use common::*;
use platform::trace::Event;
use pseries_sim::boot::boot_all;
use pseries_sim::BootOptions;
use rtas::Profile;
use std::collections::BTreeSet;

fn be(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn boot_tree(tree: of_tree::Tree, profile: Profile) -> pseries_sim::boot::BootReport {
    let opts = BootOptions {
        profile,
        ..Default::default()
    };
    boot_all(tree, opts).unwrap()
}

fn msgs(k: &platform::Kernel) -> Vec<String> {
    k.trace
        .iter()
        .filter_map(|e| match e {
            Event::Msg { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn no_rtas_node_means_no_rtas() {
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let rtas = tree.find("/rtas").unwrap();
    tree.remove_node(rtas).unwrap();
    let rep = boot_tree(tree, Profile::Qemu);
    let k = &rep.kernel;
    assert!(
        msgs(k).iter().any(|m| m.contains("no RTAS")),
        "{:?}",
        msgs(k)
    );
    assert!(pseries_sim::harness::call_log(k).is_empty(), "0 RTAS calls");
    assert!(!k.trace.iter().any(|e| matches!(e, Event::Rtas { .. })));
    assert!(!k.msi_enabled);
    assert_eq!(rep.failed, rep.requested, "every driver stays on its LSI");
    assert!(rep.requested > 0);
    assert!(k.devices.iter().all(|d| d.msi.is_none()));
    assert!(k.devices.iter().filter(|d| d.lsi_virq.is_some()).count() >= 9);
}

#[test]
fn calls_carry_the_trees_tokens() {
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let rtas = tree.find("/rtas").unwrap();
    // Renumber every service: token + 0x100.
    let names: Vec<String> = rtas::Service::ALL
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    let mut want = std::collections::BTreeMap::new();
    for n in &names {
        if let Ok(Some(t)) = tree.at(rtas).u32(n) {
            tree.set_prop(rtas, n, be(t + 0x100));
            want.insert(n.clone(), t + 0x100);
        }
    }
    let rep = boot_tree(tree, Profile::Qemu);
    let mut seen = 0;
    for e in &rep.kernel.trace {
        if let Event::Rtas { service, token, .. } = e {
            assert_eq!(Some(token), want.get(service), "{service}");
            seen += 1;
        }
    }
    assert!(seen > 100, "{seen} calls");
    let json = rep
        .kernel
        .trace
        .iter()
        .find(|e| matches!(e, Event::Rtas { .. }))
        .unwrap()
        .to_json();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let svc = v["service"].as_str().unwrap();
    assert_eq!(
        v["token"].as_u64(),
        want.get(svc).map(|&t| t as u64),
        "{json}"
    );
    assert!(rep.vectors > 100, "the renumbered firmware still grants");
}

#[test]
fn no_query_token_no_msi() {
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let rtas = tree.find("/rtas").unwrap();
    assert!(tree.remove_prop(rtas, "ibm,query-interrupt-source-number"));
    let rep = boot_tree(tree, Profile::Qemu);
    let m = msgs(&rep.kernel);
    assert!(
        m.iter()
            .any(|t| t == "rtas_msi: no RTAS tokens, no MSI support."),
        "{m:?}"
    );
    assert!(pseries_sim::harness::call_log(&rep.kernel)
        .iter()
        .all(|r| r.service != "ibm,change-msi"));
    assert_eq!(rep.vectors, 0);
}

const NVME: &str = "/pci@800000020000000/mass-storage@4";
const E1000E: &str = "/pci@800000020000000/ethernet@2";

/// b_devices with a function's MSI-X table moved to `bir` at `offset`.
fn moved_table(path: &str, bir: u32, offset: u32) -> of_tree::Tree {
    let mut tree = fixture_tree("qemu/b_devices.dtb");
    let n = tree.find(path).unwrap();
    tree.set_prop(n, "pseries-sim,msix-table", [be(bir), be(offset)].concat());
    tree
}

#[test]
fn msix_table_in_another_bar_or_at_an_offset() {
    // The nvme has one BAR (0, 16 KiB): its table at 0x1000 and 0x800 in it. The
    // e1000e's table would go to its smallest BAR (1, 4 KiB): put it in BAR 4 (64-bit,
    // 16 KiB) at 0x2000, and in BAR 1 at 0x100.
    for (path, bir, offset) in [
        (NVME, 0u32, 0x1000u32),
        (NVME, 0, 0x800),
        (E1000E, 4, 0x2000),
        (E1000E, 1, 0x100),
    ] {
        for profile in [Profile::Papr, Profile::Qemu] {
            let rep = boot_tree(moved_table(path, bir, offset), profile);
            let mut k = rep.kernel;
            let d = k.devices.iter().position(|d| d.path == path).unwrap();
            let m = k.devices[d]
                .msi
                .clone()
                .expect("the function holds vectors");
            assert_eq!(m.kind, platform::MsiType::Msix);
            // What the OS read back through the BAR is what the firmware wrote.
            for (i, msg) in m.messages.iter().enumerate() {
                assert_eq!(msg.address, 0x400_0000_0000, "vector {i}");
                assert_eq!(msg.data, m.sources[i], "vector {i}");
            }
            let fw = pseries_sim::harness::firmware(&k);
            let r = fw
                .machine
                .find(k.devices[d].buid, k.devices[d].addr)
                .unwrap();
            let cap = fw.machine.function(r).msix.unwrap();
            assert_eq!((cap.table_bir as u32, cap.table_offset), (bir, offset));
            for v in 0..m.virqs.len() as u32 {
                pseries_sim::harness::fire(&mut k, d, v).unwrap();
            }
        }
    }
}

#[test]
fn counting_lines_name_the_nodes_linux_counted() {
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    let counted = |lines: &mut dyn Iterator<Item = String>| -> BTreeSet<String> {
        lines
            .filter_map(|l| {
                l.split("rtas_msi: counting ")
                    .nth(1)
                    .map(|s| s.trim().to_string())
            })
            .collect()
    };
    let real = counted(&mut log.lines().map(str::to_string));
    assert!(real.len() >= 9, "{real:?}");
    let tree = fixture_tree("linux-guest/guest-fdt.dtb");
    let rep = boot_tree(tree, Profile::Qemu);
    let ours = counted(&mut msgs(&rep.kernel).into_iter());
    assert_eq!(ours, real);
}

/// What boot granted each function whose driver asked equals what check says Linux
/// grants it.
fn check_and_boot_agree(tree: of_tree::Tree, what: &str) -> usize {
    let report = pseries_sim::check::check(&tree);
    let rep = boot_tree(tree, Profile::Papr);
    let k = &rep.kernel;
    let mut compared = 0;
    for line in &report.functions {
        let Some(name) = &line.name else { continue };
        let Ok(d) = k.device(name) else { continue };
        if line.grant == 0 {
            continue;
        }
        let held = k.devices[d]
            .msi
            .as_ref()
            .map_or(0, |m| m.virqs.len() as u32);
        assert_eq!(held, line.grant, "{what}: {name}");
        compared += 1;
    }
    // Every function boot gave vectors to is one check says Linux grants some.
    let granted = k.devices.iter().filter(|d| d.msi.is_some()).count();
    assert_eq!(compared, granted, "{what}");
    compared
}

#[test]
fn check_and_boot_agree_on_every_fixture() {
    let compared: usize = fixture_rels()
        .iter()
        .map(|rel| check_and_boot_agree(fixture_tree(rel), rel))
        .sum();
    assert!(compared >= 30, "{compared} functions compared");
}

#[test]
fn check_and_boot_agree_without_pe_total() {
    let mut tree = fixture_tree("qemu/b_devices.dtb");
    for n in tree.walk() {
        tree.remove_prop(n, "ibm,pe-total-#msi");
    }
    // Linux 5.13+: the PHB gets no MSI domain; check grants nothing, boot gives no
    // function vectors (each driver falls back to its LSI).
    let report = pseries_sim::check::check(&tree);
    assert!(report.functions.len() >= 5);
    assert!(report.functions.iter().all(|f| f.grant == 0));
    let n = check_and_boot_agree(tree, "b_devices without ibm,pe-total-#msi");
    assert_eq!(n, 0);
}

#[test]
fn the_os_reaches_no_firmware_internals() {
    // Outside the harness, no file of the OS side names the firmware's machine, its
    // token table or the rtas crate's machine module.
    let pat = ["fw.machine", "fw.tokens", "rtas::machine"];
    let mut leaks = Vec::new();
    let mut stack = vec![root().join("platform/src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().contains("harness") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, l) in text.lines().enumerate() {
                    if pat.iter().any(|s| l.contains(s)) {
                        leaks.push(format!("{}:{}: {l}", p.display(), i + 1));
                    }
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}

#[test]
fn windows_and_msi_ranges_from_the_tree_cannot_wrap() {
    // A 64-bit window ending past 2^64, and an MSI range past 2^32 and huge: refused
    // or ignored, never an overflow (the ci profile checks arithmetic).
    let mut tree = fixture_tree("qemu/b_devices.dtb");
    let phb = tree.find("/pci@800000020000000").unwrap();
    let cells = |v: &[u32]| v.iter().flat_map(|c| c.to_be_bytes()).collect::<Vec<u8>>();
    tree.set_prop(
        phb,
        "ranges",
        cells(&[
            0x300_0000,
            0xffff_ffff,
            0xffff_0000,
            0xffff_ffff,
            0xffff_0000,
            0xffff_ffff,
            0,
        ]),
    );
    tree.set_prop(phb, "ibm,opal-msi-ranges", cells(&[0xffff_ff00, 0x1000]));
    for backend in [None, platform::ops::description("generic")] {
        let opts = BootOptions {
            force: backend,
            ..Default::default()
        };
        let rep = boot_all(tree.clone(), opts).unwrap();
        if backend.is_some() {
            assert!(msgs(&rep.kernel)
                .iter()
                .any(|m| m.contains("MSI range 0xffffff00")));
        }
    }
}
