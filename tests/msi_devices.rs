//! Non-PCI MSI devices (HPET-like timers, consolidators): found by their binding, their
//! drivers served by pseries (the hypervisor call) and generic (the OS's bitmap) through
//! the same message-store interface as PCI, every vector firing end to end; a message
//! the firmware did not hand out is dropped and counted; a bad `msi-parent` is refused
//! naming the node.

mod common;

use common::*;
use platform::kernel::prom_init::CasRequest;
use platform::{DevId, Kernel, MsiError, MsiType, ResumeMode};
use pseries_sim::gen::{generate, GenSpec};
use pseries_sim::gen_msi::add_msi_devices;
use pseries_sim::harness;
use pseries_sim::BootOptions;

fn tree(devices: u32) -> of_tree::Tree {
    let spec = GenSpec {
        phbs: 2,
        functions: 2,
        msix: 4,
        msi: 0,
    };
    let mut t = generate(&spec);
    add_msi_devices(&mut t, devices).unwrap();
    t
}

fn boot(t: of_tree::Tree, opts: BootOptions) -> Kernel {
    pseries_sim::boot::boot_all(t, opts).unwrap().kernel
}

fn msi_devices(k: &Kernel) -> Vec<DevId> {
    (0..k.devices.len())
        .filter(|&d| k.is_msi_device(d))
        .collect()
}

/// Every vector of every device fires and reaches its own virq; returns how many.
fn fire_all(k: &mut Kernel) -> u32 {
    let mut fired = 0;
    for d in 0..k.devices.len() {
        let Some(m) = k.devices[d].msi.clone() else {
            continue;
        };
        for (v, &virq) in m.virqs.iter().enumerate() {
            let got = harness::fire(k, d, v as u32);
            assert_eq!(got, Ok(virq), "{} vector {v}", k.devices[d].name);
            fired += 1;
        }
    }
    fired
}

#[test]
fn the_generated_tree_goes_through_dtc() {
    let dir = scratch("msi-devices");
    generated_tree_round_trips(&tree(3), &dir.join("devices.dtb"));
}

#[test]
fn every_vector_fires_on_pseries_and_generic() {
    let generic = BootOptions {
        force: Some(&platform::generic::GENERIC),
        ..Default::default()
    };
    let xics = BootOptions {
        cas: CasRequest::Xics,
        ..Default::default()
    };
    for (what, opts) in [("xics", xics), ("generic", generic)] {
        let mut k = boot(tree(4), opts);
        let devs = msi_devices(&k);
        let names: Vec<&str> = devs.iter().map(|&d| k.devices[d].name.as_str()).collect();
        assert_eq!(
            names,
            [
                "/hpet@f0000000",
                "/consolidator@f0001000",
                "/hpet@f0002000",
                "/consolidator@f0003000"
            ],
            "{what}"
        );
        for &d in &devs {
            let m = k.devices[d].msi.as_ref().expect(what);
            let want = if k.devices[d].name.starts_with("/hpet") {
                4
            } else {
                16
            };
            assert_eq!(m.virqs.len(), want, "{what}");
            // The message in each slot is the one the OS read back: window and source.
            for (i, msg) in m.messages.iter().enumerate() {
                assert_eq!(msg.address, rtas::machine::MSI_WINDOW, "{what}");
                assert_eq!(msg.data, m.sources[i], "{what}");
            }
        }
        // 4 PCI functions of 4 vectors, 2 timers of 4, 2 consolidators of 16.
        assert_eq!(fire_all(&mut k), 16 + 8 + 32, "{what}");
        if what != "generic" {
            assert!(
                k.trace
                    .iter()
                    .any(|e| format!("{e:?}").contains("H_SIM_MSI_DEVICE")),
                "{what}: the hypervisor call is traced"
            );
        }
    }
}

#[test]
fn every_vector_fires_under_xive_on_qemus_tree() {
    let mut t = fixture_tree("linux-guest/qemu-initial.dtb");
    add_msi_devices(&mut t, 2).unwrap();
    let opts = BootOptions {
        cas: CasRequest::Xive,
        ..Default::default()
    };
    let mut k = boot(t, opts);
    assert!(k.xive.is_some());
    let devs = msi_devices(&k);
    assert_eq!(devs.len(), 2);
    let held: usize = devs
        .iter()
        .map(|&d| k.devices[d].msi.as_ref().map_or(0, |m| m.virqs.len()))
        .sum();
    assert_eq!(held, 4 + 16);
    let pci: usize = (0..k.devices.len())
        .filter(|&d| !k.is_msi_device(d))
        .map(|d| k.devices[d].msi.as_ref().map_or(0, |m| m.virqs.len()))
        .sum();
    assert_eq!(fire_all(&mut k) as usize, pci + 20);
}

#[test]
fn a_message_the_firmware_did_not_hand_out_is_dropped_and_counted() {
    let mut k = boot(tree(1), Default::default());
    let d = msi_devices(&k)[0];
    let m = k.devices[d].msi.clone().unwrap();
    // Another source than the one handed out for vector 1, written by the guest.
    let fw = harness::firmware_mut(&mut k);
    let before = fw.machine.drops.not_owner;
    let rogue = m.sources[3] + 100;
    fw.machine.msg_devices[0].slots.0[1].data = rogue;
    let e = harness::fire(&mut k, d, 1).unwrap_err();
    assert!(e.contains("dropped"), "{e}");
    assert_eq!(harness::firmware(&k).machine.drops.not_owner, before + 1);
    // The other vectors are untouched.
    assert_eq!(harness::fire(&mut k, d, 2), Ok(m.virqs[2]));
}

#[test]
fn masking_goes_through_the_slot_control_word() {
    let mut k = boot(tree(1), Default::default());
    let d = msi_devices(&k)[0];
    let m = k.devices[d].msi.clone().unwrap();
    assert!(k.pci_msi_mask(m.sources[0], true));
    let ctrl = harness::firmware(&k).machine.msg_devices[0].slots.0[0].control;
    assert_eq!(ctrl & rtas::msgdev::SLOT_MASKED, 1);
    let e = harness::fire(&mut k, d, 0).unwrap_err();
    assert!(e.contains("pending"), "{e}");
    // Unmasking sends what was held.
    assert!(k.pci_msi_mask(m.sources[0], false));
    let ran = k.handle_interrupts();
    assert!(
        ran.iter().any(|h| h.virq == m.virqs[0]),
        "the held message ran its handler at the unmask: {ran:?}"
    );
    assert_eq!(harness::fire(&mut k, d, 0), Ok(m.virqs[0]));
}

#[test]
fn free_gives_the_sources_back_and_a_new_request_gets_them() {
    let mut k = boot(tree(1), Default::default());
    let d = msi_devices(&k)[0];
    let held = k.devices[d].msi.clone().unwrap();
    k.free(d).unwrap();
    assert!(harness::firmware(&k).machine.msg_devices[0]
        .handed
        .is_empty());
    assert_eq!(k.request(d, MsiType::Msi, 2, 1), Ok(2));
    assert_eq!(
        k.devices[d].msi.as_ref().unwrap().sources,
        held.sources[..2]
    );
    assert_eq!(
        k.request(d, MsiType::Msi, 2, 1),
        Err(MsiError::Inval),
        "held already"
    );
}

#[test]
fn vectors_survive_suspend_and_resume() {
    let mut k = boot(tree(2), Default::default());
    let before = k.held_virqs();
    k.suspend().unwrap();
    harness::resume(&mut k, ResumeMode::Keep).unwrap();
    assert_eq!(k.held_virqs(), before);
    assert_eq!(fire_all(&mut k), 16 + 4 + 16);
}

#[test]
fn a_missing_or_wrong_msi_parent_is_refused_naming_the_node() {
    let mut t = tree(2);
    let hpet = t.find("/hpet@f0000000").unwrap();
    t.remove_prop(hpet, "msi-parent");
    let cons = t.find("/consolidator@f0001000").unwrap();
    // The interrupt presentation controller is no MSI controller.
    t.set_prop(cons, "msi-parent", 0x1111u32.to_be_bytes().to_vec());
    for opts in [
        BootOptions::default(),
        BootOptions {
            force: Some(&platform::generic::GENERIC),
            ..Default::default()
        },
    ] {
        let mut k = boot(t.clone(), opts);
        for (path, why) in [
            ("/hpet@f0000000", "/hpet@f0000000: no 'msi-parent'"),
            (
                "/consolidator@f0001000",
                "/consolidator@f0001000: 'msi-parent' names /interrupt-controller, which is not an MSI controller",
            ),
        ] {
            let d = k.device(path).unwrap();
            assert!(k.devices[d].msi.is_none());
            let texts: Vec<String> = k.trace.iter().map(|e| format!("{e:?}")).collect();
            assert!(texts.iter().any(|t| t.contains(why)), "{why}");
            assert_eq!(k.request(d, MsiType::Msi, 1, 1), Err(MsiError::NoMsiParent));
        }
        // The PCI functions are served as before.
        assert_eq!(fire_all(&mut k), 16);
    }
}

#[test]
fn vectors_survive_a_renumbering_resume() {
    let mut k = boot(tree(2), Default::default());
    let before = k.held_virqs();
    k.suspend().unwrap();
    harness::resume(&mut k, ResumeMode::Renumber).unwrap();
    assert_eq!(k.held_virqs().len(), before.len());
    let virqs = |h: &[platform::kernel::HeldVirq]| h.iter().map(|v| v.virq).collect::<Vec<_>>();
    assert_eq!(virqs(&k.held_virqs()), virqs(&before));
    assert_eq!(fire_all(&mut k), 16 + 4 + 16);
}

#[test]
fn a_scenario_names_a_device_by_its_node_path() {
    let dir = scratch("msi-devices-scenario");
    let blob = of_tree::dtb::write(&tree(2), &Default::default()).unwrap();
    std::fs::write(dir.join("devices.dtb"), blob).unwrap();
    let text = "machine devices.dtb\nboot\nrequest /consolidator@f0001000 msi 8 min 2\n\
        expect granted /consolidator@f0001000 8\nfire /consolidator@f0001000 7\n\
        free /consolidator@f0001000\nrequest /consolidator@f0001000 msix 2\n\
        expect request-fails /consolidator@f0001000\nrequest /hpet@f0000000 msi 4\n\
        expect fires /hpet@f0000000 3\n";
    let f = dir.join("devices.scenario");
    std::fs::write(&f, text).unwrap();
    let mut out = Vec::new();
    let r = pseries_sim::scenario::run_file(&f, platform::trace::TraceFormat::Human, &mut out);
    let out = out.join("\n");
    if let Err(e) = &r {
        panic!("{e}\n{out}");
    }
    assert!(
        out.contains("driver /consolidator@f0001000: request msi 8 (min 2): got 8"),
        "{out}"
    );
}

#[test]
fn the_hypervisor_call_answers_bad_arguments_with_papr_statuses() {
    use rtas::hcall::*;
    let mut t = tree(2);
    let cons = t.find("/consolidator@f0001000").unwrap();
    t.remove_prop(cons, "msi-parent");
    let mut k = boot(t, Default::default());
    let fw = harness::firmware_mut(&mut k);
    let held = fw.machine.msg_devices[0].handed.clone();
    assert_eq!(held.len(), 4);
    let hpet = 0xf000_0000;
    let cases: [(&[u64], i64); 6] = [
        (&[7, hpet, 1], H_P1),
        (&[MSI_DEVICE_ALLOC, 0x1234, 1], H_P2),
        (&[MSI_DEVICE_ALLOC, 0xf000_1000, 1], H_P2), // no usable msi-parent
        (&[MSI_DEVICE_ALLOC, hpet, 0], H_P3),
        (&[MSI_DEVICE_ALLOC, hpet, 5], H_P3),   // 4 slots
        (&[MSI_DEVICE_MESSAGE, hpet, 4], H_P3), // 4 held
    ];
    for (args, want) in cases {
        assert_eq!(fw.hcall(H_SIM_MSI_DEVICE, args), vec![want], "{args:x?}");
    }
    assert_eq!(fw.machine.msg_devices[0].handed, held, "nothing changed");
    let m = fw.hcall(H_SIM_MSI_DEVICE, &[MSI_DEVICE_MESSAGE, hpet, 3]);
    assert_eq!(
        m,
        vec![H_SUCCESS, rtas::machine::MSI_WINDOW as i64, held[3] as i64]
    );
}
