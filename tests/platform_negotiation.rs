//! Linux's MSI negotiation, branch by branch, through the pseries description, and
//! the generic backend on the same trees.

mod common;

use common::*;
use platform::ops::description;
use platform::{Kernel, MsiError, MsiType};
use pseries_sim::boot::boot_all;
use pseries_sim::BootOptions;
use rtas::faults::{Fault, FaultRule};
use rtas::{Profile, Service};

fn boot(rel: &str, profile: Profile) -> Kernel {
    pseries_sim::harness::boot(
        fixture_tree(rel),
        BootOptions {
            profile,
            ..Default::default()
        },
    )
    .unwrap()
}

/// change-msi calls made since `from`: (function, count, status, granted).
fn changes(k: &Kernel, from: usize) -> Vec<(u32, u32, i64, i64)> {
    pseries_sim::harness::call_log(k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi")
        .map(|r| (r.args[3], r.args[4], r.rets[0], r.rets[1]))
        .collect()
}

fn dev_with(k: &Kernel, test: impl Fn(Option<u32>, Option<u32>) -> bool) -> usize {
    (0..k.devices.len())
        .find(|&d| {
            let at = k.tree().at(k.devices[d].node);
            test(
                at.u32("ibm,req#msi").unwrap(),
                at.u32("ibm,req#msi-x").unwrap(),
            )
        })
        .expect("such a device")
}

#[test]
fn fixture_scenario_makes_exactly_linuxs_calls() {
    let mut out = Vec::new();
    let k = pseries_sim::scenario::run_file(
        &fixture("linux-guest/boot.scenario"),
        Default::default(),
        &mut out,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .expect("booted");
    let msi_calls = pseries_sim::harness::call_log(&k)
        .iter()
        .filter(|r| r.service == "ibm,change-msi" || r.service.contains("query"))
        .count();
    let want = std::fs::read_to_string(fixture("linux-guest/rtas-calls.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(msi_calls, want);
}

#[test]
fn property_checks() {
    let mut k = boot("qemu/b_devices.dtb", Profile::Papr);
    let d = dev_with(&k, |_, x| x == Some(16));
    let node = k.devices[d].node;
    // Fewer than asked: "try this many"; accepted when min allows.
    k.tree_mut()
        .set_prop(node, "ibm,req#msi-x", 4u32.to_be_bytes().to_vec());
    assert_eq!(k.request(d, MsiType::Msix, 8, 8), Err(MsiError::NoSpc));
    assert_eq!(k.request(d, MsiType::Msix, 8, 2), Ok(4));
    k.free(d).unwrap();
    // Zero: -ENOSPC; missing: -ENOENT. No allocation either way, only the core's two
    // teardowns after the failed prepare (as Linux 6.1's code makes them:
    // tests/linux_client.rs checks it against the real msi.c).
    let from = pseries_sim::harness::call_log(&k).len();
    k.tree_mut()
        .set_prop(node, "ibm,req#msi-x", 0u32.to_be_bytes().to_vec());
    assert_eq!(k.request(d, MsiType::Msix, 2, 1), Err(MsiError::NoSpc));
    k.tree_mut().remove_prop(node, "ibm,req#msi-x");
    assert_eq!(k.request(d, MsiType::Msix, 2, 1), Err(MsiError::NoEnt));
    let c = changes(&k, from);
    assert_eq!(c, vec![(3, 0, 0, 0); 4], "two requests, two teardowns each");
}

#[test]
fn quota_without_and_with_spares() {
    let mut k = boot("qemu/b_devices.dtb", Profile::Papr);
    let phb = k.phbs[0].node;
    // 11 devices below the PHB; a total of 44 gives each 4.
    k.tree_mut()
        .set_prop(phb, "ibm,pe-total-#msi", 44u32.to_be_bytes().to_vec());
    let d = dev_with(&k, |_, x| x == Some(65));
    // Spares: devices wanting less than 2 leave theirs to those wanting more.
    let tree = k.tree().clone();
    let want = platform::quota::quota_for(&tree, k.devices[d].node, "", 65, None);
    // Spare: vga 4, three MSI-only devices 3 each = 13, shared by the 6 over quota.
    assert_eq!(want, 4 + 13 / 6, "spares raise the quota");
    let got = k.request(d, MsiType::Msix, 65, 1).unwrap();
    assert_eq!(got, want, "the driver gets the quota with spares");
    // Without spares: every device wants more than the share.
    let mut k = boot("qemu/b_devices.dtb", Profile::Papr);
    let phb = k.phbs[0].node;
    k.tree_mut()
        .set_prop(phb, "ibm,pe-total-#msi", 22u32.to_be_bytes().to_vec());
    let nodes: Vec<_> = k
        .devices
        .iter()
        .filter(|d| d.buid == k.phbs[0].buid)
        .map(|d| d.node)
        .collect();
    for n in nodes {
        k.tree_mut()
            .set_prop(n, "ibm,req#msi-x", 16u32.to_be_bytes().to_vec());
    }
    // usb-xhci has a 16-entry table.
    let d = k.device("0000:00:01.0").unwrap();
    assert_eq!(
        k.request(d, MsiType::Msix, 16, 1),
        Ok(2),
        "22 / 11 = 2, no spare"
    );
    // The total gone after boot: the PHB keeps the MSI domain it got then, and the
    // quota walk assumes 8 for the PE.
    k.tree_mut().remove_prop(phb, "ibm,pe-total-#msi");
    let e = k.device("0000:00:09.0").unwrap();
    // 8 / 11 = 0 each, spare 8 over 11 devices = 0: a quota of 0, which Linux does not
    // enforce (it tests `quota && quota < nvec`).
    let tree = k.tree().clone();
    assert_eq!(
        platform::quota::quota_for(&tree, k.devices[e].node, "", 16, None),
        0
    );
    assert_eq!(k.request(e, MsiType::Msix, 16, 1), Ok(16));
}

#[test]
fn msix_rounding_and_retry() {
    // QEMU: a table of 3 -> Linux asks 4, QEMU says "3", Linux asks 3.
    let mut k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu);
    let d = k.device("0001:00:01.0").unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 3, 3), Ok(3));
    assert_eq!(changes(&k, from), vec![(4, 4, 0, 3), (4, 3, 0, 3)]);
    // A table of 4 asked for 3: rounded to 4 and granted in one call.
    let d = k.device("0000:00:04.0").unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 3, 3), Ok(3));
    assert_eq!(changes(&k, from), vec![(4, 4, 0, 4)]);
    assert_eq!(
        k.devices[d].msi.as_ref().unwrap().virqs.len(),
        3,
        "queries and virqs for the driver's 3 only"
    );
    // No rounding when the quota does not allow it.
    let mut k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu);
    let phb = k.phbs[0].node;
    let n = k
        .devices
        .iter()
        .filter(|x| x.buid == k.phbs[0].buid)
        .count() as u32;
    k.tree_mut()
        .set_prop(phb, "ibm,pe-total-#msi", (3 * n).to_be_bytes().to_vec());
    let nodes: Vec<_> = k
        .devices
        .iter()
        .filter(|x| x.buid == k.phbs[0].buid)
        .map(|x| x.node)
        .collect();
    for nd in nodes {
        k.tree_mut()
            .set_prop(nd, "ibm,req#msi-x", 8u32.to_be_bytes().to_vec());
    }
    let d = k.device("0000:00:04.0").unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 3, 3), Ok(3));
    assert_eq!(changes(&k, from), vec![(4, 3, 0, 3)]);
}

#[test]
fn msi_falls_back_to_function_1_and_32_bit_devices_use_5_and_6() {
    let mut tree = fixture_tree("qemu/b_devices.dtb");
    let r = tree.find("/rtas").unwrap();
    tree.remove_prop(r, "ibm,change-msix-capable");
    let mut k = pseries_sim::harness::boot(tree, BootOptions::default()).unwrap();
    let d = dev_with(&k, |m, x| m.is_some() && x.is_none());
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msi, 1, 1), Ok(1));
    assert_eq!(
        changes(&k, from),
        vec![(3, 1, -3, 0), (1, 1, 0, 1)],
        "old firmware: function 1"
    );

    let mut tree = fixture_tree("qemu/b_devices.dtb");
    let m = tree.find("/pci/raid@a").unwrap();
    tree.set_prop(m, "pseries-sim,no-64bit-msi", Vec::new());
    let mut k = pseries_sim::harness::boot(tree, BootOptions::default()).unwrap();
    let d = k.device("0000:00:0a.0").unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msi, 1, 1), Ok(1));
    assert_eq!(changes(&k, from), vec![(5, 1, 0, 1)]);
    let msg = k.devices[d].msi.as_ref().unwrap().messages[0];
    assert!(msg.address < 1 << 32, "32-bit address {:#x}", msg.address);
    assert!(
        pseries_sim::harness::fire(&mut k, d, 0).is_ok(),
        "the 32-bit window delivers too"
    );
    k.free(d).unwrap();
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 4, 4), Ok(4));
    assert_eq!(changes(&k, from)[0].0, 6);
}

#[test]
fn busy_and_delay_are_retried_with_the_sequence_number() {
    // The OS says at CAS (vector 4) that it handles busy answers.
    let opts = BootOptions {
        msi_busy: true,
        ..Default::default()
    };
    let mut k = pseries_sim::harness::boot(fixture_tree("qemu/b_devices.dtb"), opts).unwrap();
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy));
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ChangeMsi, 1, 1, Fault::Delay(1)));
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(
            Service::QueryInterruptSourceNumber,
            0,
            2,
            Fault::Busy,
        ));
    let d = dev_with(&k, |_, x| x == Some(16));
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 16, 16), Ok(16));
    let calls: Vec<_> = pseries_sim::harness::call_log(&k)[from..]
        .iter()
        .filter(|r| r.service == "ibm,change-msi")
        .collect();
    assert_eq!(calls.len(), 3);
    assert_eq!((calls[0].rets[0], calls[0].args[5]), (-2, 1));
    assert_eq!(
        (calls[1].rets[0], calls[1].args[5]),
        (9901, calls[0].rets[2] as u32)
    );
    assert_eq!(
        (calls[2].rets[0], calls[2].args[5]),
        (0, calls[1].rets[2] as u32)
    );
    let queries: Vec<_> = pseries_sim::harness::call_log(&k)[from..]
        .iter()
        .filter(|r| r.service.contains("query"))
        .collect();
    assert_eq!(queries.len(), 18, "16 vectors, two busy answers retried");
    assert_eq!(queries[0].rets[0], -2);
    for v in 0..16 {
        assert!(pseries_sim::harness::fire(&mut k, d, v).is_ok());
    }
}

#[test]
fn without_the_cas_busy_bit_change_msi_completes() {
    // Linux 6.1 does not set vector 4's busy bit: the firmware completes the call.
    let mut k = boot("qemu/b_devices.dtb", Profile::Papr);
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 1, Fault::Busy));
    let d = dev_with(&k, |_, x| x == Some(16));
    let from = pseries_sim::harness::call_log(&k).len();
    assert_eq!(k.request(d, MsiType::Msix, 16, 16), Ok(16));
    let c = changes(&k, from);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].2, 0);
}

#[test]
fn teardown_all_or_nothing() {
    let mut k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu);
    let d = k.device("0000:00:03.0").unwrap();
    assert_eq!(k.request(d, MsiType::Msix, 2, 2), Ok(2));
    let virqs = k.devices[d].msi.as_ref().unwrap().virqs.clone();
    let from = pseries_sim::harness::call_log(&k).len();
    k.free(d).unwrap();
    assert_eq!(
        changes(&k, from),
        vec![(3, 0, -3, 0), (1, 0, 0, 0)],
        "function 3, then 1"
    );
    for v in virqs {
        assert!(k.irq.get(v).is_none(), "virq {v} disposed");
    }
    // Both failing: "Setting MSIs to 0 failed!".
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 2, Fault::HwError));
    k.request(d, MsiType::Msix, 2, 2).unwrap_err();
    let mut k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu);
    let d = k.device("0000:00:03.0").unwrap();
    k.request(d, MsiType::Msix, 2, 2).unwrap();
    pseries_sim::harness::firmware_mut(&mut k)
        .faults
        .add(FaultRule::new(Service::ChangeMsi, 0, 2, Fault::HwError));
    k.free(d).unwrap();
    assert!(k
        .trace
        .iter()
        .any(|e| e.to_string().contains("Setting MSIs to 0 failed!")));
}

#[test]
fn no_msi_without_both_tokens() {
    let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
    let r = tree.find("/rtas").unwrap();
    tree.remove_prop(r, "ibm,query-interrupt-source-number");
    let mut k = pseries_sim::harness::boot(
        tree,
        BootOptions {
            profile: Profile::Qemu,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!k.msi_enabled);
    assert!(
        pseries_sim::harness::call_log(&k)
            .iter()
            .all(|r| r.service != "ibm,change-msi"),
        "no fix-up calls"
    );
    let d = k.device("0000:00:01.0").unwrap();
    assert_eq!(
        k.request(d, MsiType::Msix, 3, 1),
        Err(MsiError::NotSupported)
    );
    assert!(k.devices[d].lsi_virq.is_some(), "the driver keeps its LSI");
}

#[test]
fn hooks_are_traced_in_boot_order() {
    let k = boot("linux-guest/qemu-initial.dtb", Profile::Qemu);
    let hooks: Vec<String> = k
        .trace
        .iter()
        .filter_map(|e| match e {
            platform::trace::Event::Hook { hook, .. } => Some(hook.to_string()),
            _ => None,
        })
        .collect();
    let first: Vec<&str> = hooks.iter().take(5).map(|s| s.as_str()).collect();
    assert_eq!(
        first,
        [
            "probe",
            "setup_arch",
            "init_irq",
            "discover_phbs",
            "msi_init"
        ]
    );
    assert_eq!(
        hooks.iter().filter(|h| *h == "pci_irq_fixup").count(),
        k.devices.len()
    );
    assert!(k.hypervisor);
    assert_eq!(k.desc.name, "pseries");
}

#[test]
fn every_vector_fires_on_every_tree_and_backend() {
    for rel in fixture_rels() {
        for (backend, profile) in [
            ("pseries", Profile::Papr),
            ("pseries", Profile::Qemu),
            ("generic", Profile::Papr),
        ] {
            let opts = BootOptions {
                profile,
                force: description(backend),
                ..Default::default()
            };
            let mut rep = boot_all(fixture_tree(&rel), opts).unwrap();
            assert_eq!(rep.failed, 0, "{rel} {backend} {profile}");
            if backend == "generic" {
                assert!(
                    pseries_sim::harness::call_log(&rep.kernel).is_empty(),
                    "{rel}: the generic backend made RTAS calls"
                );
            }
            let k = &mut rep.kernel;
            let mut fired = 0;
            for d in 0..k.devices.len() {
                let n = k.devices[d]
                    .msi
                    .as_ref()
                    .map(|m| m.virqs.len())
                    .unwrap_or(0) as u32;
                for v in 0..n {
                    let virq = pseries_sim::harness::fire(k, d, v)
                        .unwrap_or_else(|e| panic!("{rel} {backend} {}: {e}", k.devices[d].name));
                    assert_eq!(virq, k.devices[d].msi.as_ref().unwrap().virqs[v as usize]);
                    assert_eq!(k.irq.get(virq).unwrap().count, 1);
                    fired += 1;
                }
            }
            assert_eq!(fired as u64, rep.vectors, "{rel} {backend}");
            assert_eq!(rep.kernel.spurious, 0);
        }
    }
}

#[test]
fn a_phb_without_pe_total_at_or_above_it_gets_no_msi() {
    let boot_with = |edit: &dyn Fn(&mut of_tree::Tree)| {
        let mut tree = fixture_tree("linux-guest/qemu-initial.dtb");
        edit(&mut tree);
        let k = pseries_sim::harness::boot(
            tree,
            BootOptions {
                profile: Profile::Qemu,
                ..Default::default()
            },
        )
        .unwrap();
        let said = |phb: &str| {
            let line = format!("PCI: failed to find MSIs for bridge {phb}");
            k.trace.iter().any(|e| e.to_string().contains(&line))
        };
        let said = (
            said("/pci@800000020000000 (domain 0)"),
            said("/pci@800000020000001"),
        );
        (k, said)
    };
    let (phb0, phb1) = ("/pci@800000020000000", "/pci@800000020000001");
    // PHB 0's total moved to its first function: PHB 0 has none at or above it.
    let (mut k, said) = boot_with(&|t| {
        let p = t.find(phb0).unwrap();
        let total = t.at(p).u32("ibm,pe-total-#msi").unwrap().unwrap();
        t.remove_prop(p, "ibm,pe-total-#msi");
        let f = t.find(&format!("{phb0}/ethernet@1")).unwrap();
        t.set_prop(f, "ibm,pe-total-#msi", total.to_be_bytes().to_vec());
    });
    assert_eq!(said, (true, false));
    let from = pseries_sim::harness::call_log(&k).len();
    let eth0 = k.device("0000:00:01.0").unwrap();
    assert_eq!(
        k.request(eth0, MsiType::Msix, 3, 1),
        Err(MsiError::NotSupported)
    );
    let sata = k.device("0000:00:05.0").unwrap();
    assert_eq!(
        k.request(sata, MsiType::Msi, 1, 1),
        Err(MsiError::NotSupported)
    );
    assert_eq!(changes(&k, from), [], "refused before any firmware call");
    let eth1 = k.device("0001:00:01.0").unwrap();
    assert_eq!(
        k.request(eth1, MsiType::Msix, 3, 1),
        Ok(3),
        "PHB 1 has its total"
    );
    // The total on the root, above both PHBs: both have a domain.
    let (mut k, said) = boot_with(&|t| {
        let root = t.root();
        for phb in [phb0, phb1] {
            let p = t.find(phb).unwrap();
            t.remove_prop(p, "ibm,pe-total-#msi");
        }
        t.set_prop(root, "ibm,pe-total-#msi", 64u32.to_be_bytes().to_vec());
    });
    assert_eq!(said, (false, false));
    let eth0 = k.device("0000:00:01.0").unwrap();
    assert!(k.request(eth0, MsiType::Msix, 3, 1).is_ok());
}
