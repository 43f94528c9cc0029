//! IMS under the new interrupt scheme: negotiated at boot by hypervisor call (both
//! switch or both stay), 1..2048 slots per function served through the same
//! message-store interface, masked in each slot's control word, kept over a renumbering
//! resume; without the scheme (never asked, or refused) a request fails saying so and
//! changes nothing; a message the hypervisor did not hand out is dropped and counted.

mod common;

use common::*;
use platform::{DevId, Kernel, MsiError, MsiType, ResumeMode};
use pseries_sim::gen::{generate, GenSpec};
use pseries_sim::gen_ims::add_ims;
use pseries_sim::harness;
use pseries_sim::BootOptions;

fn tree(functions: u32, slots: u32) -> of_tree::Tree {
    let spec = GenSpec {
        phbs: 1,
        functions,
        msix: 2,
        msi: 0,
    };
    let mut t = generate(&spec);
    add_ims(&mut t, slots).unwrap();
    t
}

fn boot(t: of_tree::Tree, negotiate_ims: bool, refuse_ims: bool) -> Kernel {
    let opts = BootOptions {
        negotiate_ims,
        refuse_ims,
        ..Default::default()
    };
    pseries_sim::boot::boot_all(t, opts).unwrap().kernel
}

fn texts(k: &Kernel) -> Vec<String> {
    k.trace.iter().map(|e| format!("{e:?}")).collect()
}

/// Every IMS vector of `dev` fires and reaches its own virq; returns how many.
fn fire_all(k: &mut Kernel, dev: DevId) -> usize {
    let m = k.devices[dev].msi.clone().unwrap();
    assert_eq!(m.kind, MsiType::Ims);
    for (v, &virq) in m.virqs.iter().enumerate() {
        assert_eq!(harness::fire(k, dev, v as u32), Ok(virq), "vector {v}");
    }
    m.virqs.len()
}

#[test]
fn the_generated_tree_goes_through_dtc() {
    let dir = scratch("ims-gen");
    generated_tree_round_trips(&tree(2, 64), &dir.join("ims.dtb"));
}

#[test]
fn one_to_2048_slots_fire_under_the_new_scheme() {
    let mut k = boot(tree(3, 2048), true, false);
    assert!(k.new_irq_scheme);
    assert!(texts(&k)
        .iter()
        .any(|t| t.contains("interrupt scheme: new")));
    // The boot's drivers took their MSI-X vectors as before.
    for d in 0..3 {
        assert_eq!(k.devices[d].msi.as_ref().unwrap().kind, MsiType::Msix);
        k.free(d).unwrap();
    }
    for (d, n) in [(0, 1), (1, 2048), (2, 37)] {
        assert_eq!(k.request(d, MsiType::Ims, n, n), Ok(n));
        let m = k.devices[d].msi.clone().unwrap();
        for (i, msg) in m.messages.iter().enumerate() {
            assert_eq!(msg.address, rtas::machine::MSI_WINDOW);
            assert_eq!(
                msg.data, m.sources[i],
                "the slot holds the message handed out"
            );
        }
        assert_eq!(fire_all(&mut k, d), n as usize);
    }
    // More than the store has: the driver gets what there is (min 1).
    k.free(2).unwrap();
    assert_eq!(k.request(2, MsiType::Ims, 4096, 1), Ok(2048));
}

#[test]
fn masking_goes_through_the_slot_control_word() {
    let mut k = boot(tree(1, 16), true, false);
    k.free(0).unwrap();
    assert_eq!(k.request(0, MsiType::Ims, 4, 4), Ok(4));
    let m = k.devices[0].msi.clone().unwrap();
    assert!(k.pci_msi_mask(m.sources[2], true));
    let r = harness::firmware(&k)
        .machine
        .find(k.devices[0].buid, k.devices[0].addr)
        .unwrap();
    let ctrl = |k: &Kernel, i: usize| harness::firmware(k).machine.ims[&r].slots.0[i].control;
    assert_eq!(ctrl(&k, 2) & rtas::msgdev::SLOT_MASKED, 1);
    assert_eq!(ctrl(&k, 1) & rtas::msgdev::SLOT_MASKED, 0);
    let e = harness::fire(&mut k, 0, 2).unwrap_err();
    assert!(e.contains("pending"), "{e}");
    assert!(k.pci_msi_mask(m.sources[2], false));
    let ran = k.handle_interrupts();
    assert!(
        ran.iter().any(|h| h.virq == m.virqs[2]),
        "sent at the unmask"
    );
    // free masks every slot and gives the sources back.
    k.free(0).unwrap();
    assert!((0..16).all(|i| ctrl(&k, i) & 1 == 1));
    assert!(harness::firmware(&k).machine.ims[&r].handed.is_empty());
}

#[test]
fn vectors_survive_suspend_and_a_renumbering_resume() {
    let mut k = boot(tree(2, 256), true, false);
    k.free(1).unwrap();
    assert_eq!(k.request(1, MsiType::Ims, 200, 1), Ok(200));
    let before = k.held_virqs();
    for mode in [ResumeMode::Keep, ResumeMode::Renumber] {
        k.suspend().unwrap();
        harness::resume(&mut k, mode).unwrap();
        let virqs = |h: &[platform::kernel::HeldVirq]| {
            h.iter()
                .map(|v| (v.virq, v.dev, v.vector))
                .collect::<Vec<_>>()
        };
        assert_eq!(virqs(&k.held_virqs()), virqs(&before), "{mode:?}");
        assert_eq!(fire_all(&mut k, 1), 200);
    }
}

#[test]
fn without_the_new_scheme_ims_fails_and_nothing_changes() {
    // An older guest that never asks, and a hypervisor that refuses.
    for (negotiate, refuse, said) in [
        (false, false, None),
        (true, true, Some("interrupt scheme: old")),
    ] {
        let mut k = boot(tree(1, 64), negotiate, refuse);
        assert!(!k.new_irq_scheme);
        if let Some(said) = said {
            assert!(texts(&k).iter().any(|t| t.contains(said)), "{said}");
        }
        k.free(0).unwrap();
        let calls = harness::firmware(&k).calls;
        let trace_len = k.trace.len();
        let held = k.held_virqs();
        let e = k.request(0, MsiType::Ims, 8, 1).unwrap_err();
        assert_eq!(e, MsiError::ImsNeedsNewScheme);
        assert_eq!(e.to_string(), "IMS needs the new interrupt scheme");
        assert_eq!(harness::firmware(&k).calls, calls, "no firmware call made");
        assert!(k.devices[0].msi.is_none());
        assert_eq!(k.held_virqs(), held);
        let new: Vec<String> = texts(&k)[trace_len..].to_vec();
        assert!(
            !new.iter().any(|t| t.contains("Hcall") || t.contains("Map")),
            "{new:?}"
        );
        // MSI-X as today.
        assert_eq!(k.request(0, MsiType::Msix, 2, 1), Ok(2));
        // The hypervisor answers the IMS call H_FUNCTION in the old scheme.
        let (buid, cfg) = (k.devices[0].buid, k.devices[0].addr.config_addr() as u64);
        let fw = harness::firmware_mut(&mut k);
        let r = fw.hcall(
            rtas::hcall::H_SIM_IMS,
            &[rtas::hcall::IMS_ALLOC, buid, cfg, 1],
        );
        assert_eq!(r, vec![rtas::hcall::H_FUNCTION]);
    }
}

#[test]
fn a_message_the_hypervisor_did_not_hand_out_is_dropped_and_counted() {
    let mut k = boot(tree(1, 16), true, false);
    k.free(0).unwrap();
    assert_eq!(k.request(0, MsiType::Ims, 4, 4), Ok(4));
    let m = k.devices[0].msi.clone().unwrap();
    let r = harness::firmware(&k)
        .machine
        .find(k.devices[0].buid, k.devices[0].addr)
        .unwrap();
    let fw = harness::firmware_mut(&mut k);
    let before = fw.machine.drops.not_owner;
    fw.machine.ims.get_mut(&r).unwrap().slots.0[1].data = m.sources[3] + 1;
    let e = harness::fire(&mut k, 0, 1).unwrap_err();
    assert!(e.contains("dropped"), "{e}");
    assert_eq!(harness::firmware(&k).machine.drops.not_owner, before + 1);
    assert_eq!(harness::fire(&mut k, 0, 3), Ok(m.virqs[3]));
}

#[test]
fn the_ims_call_answers_bad_arguments_with_papr_statuses() {
    use rtas::hcall::*;
    let mut k = boot(tree(1, 16), true, false);
    let (buid, cfg) = (k.devices[0].buid, k.devices[0].addr.config_addr() as u64);
    let fw = harness::firmware_mut(&mut k);
    let cases: [([u64; 4], i64); 6] = [
        ([9, buid, cfg, 1], H_P1),
        ([IMS_ALLOC, 0x1234, cfg, 1], H_P2),
        ([IMS_ALLOC, buid, 0x800, 1], H_P3),
        ([IMS_ALLOC, buid, cfg, 0], H_P4),
        ([IMS_ALLOC, buid, cfg, 17], H_P4),
        ([IMS_MESSAGE, buid, cfg, 0], H_P4), // nothing held
    ];
    for (args, want) in cases {
        assert_eq!(fw.hcall(H_SIM_IMS, &args), vec![want], "{args:x?}");
    }
    assert_eq!(fw.hcall(H_SIM_IRQ_SCHEME, &[2]), vec![H_P1]);
}

#[test]
fn generic_serves_ims_from_its_own_bitmap() {
    let opts = BootOptions {
        force: Some(&platform::generic::GENERIC),
        ..Default::default()
    };
    let mut k = pseries_sim::boot::boot_all(tree(1, 32), opts)
        .unwrap()
        .kernel;
    k.free(0).unwrap();
    assert_eq!(k.request(0, MsiType::Ims, 32, 32), Ok(32));
    assert_eq!(fire_all(&mut k, 0), 32);
}

#[test]
fn a_scenario_negotiates_and_requests_ims() {
    let dir = scratch("ims-scenario");
    let blob = of_tree::dtb::write(&tree(2, 8), &Default::default()).unwrap();
    std::fs::write(dir.join("ims.dtb"), blob).unwrap();
    let run = |text: &str| {
        let f = dir.join(format!("s{}.scenario", text.len()));
        std::fs::write(&f, text).unwrap();
        let mut out = Vec::new();
        let r = pseries_sim::scenario::run_file(&f, platform::trace::TraceFormat::Human, &mut out);
        (r.map(|_| ()).map_err(|e| e.to_string()), out.join("\n"))
    };
    let (r, out) = run(
        "machine ims.dtb\nnegotiate ims on\nboot\nrequest 0000:00:00.0 ims 8\n\
        expect granted 0000:00:00.0 8\nfire 0000:00:00.0 7\n",
    );
    assert_eq!(r, Ok(()), "{out}");
    assert!(
        out.contains("hcall  H_SIM_IRQ_SCHEME [0x1] -> [0, 0x1]"),
        "{out}"
    );
    let (r, out) = run("machine ims.dtb\nboot\nrequest 0000:00:00.0 ims 8\n\
        expect request-fails 0000:00:00.0\n");
    assert_eq!(r, Ok(()), "{out}");
    assert!(
        out.contains("request ims 8 (min 8) failed: IMS needs the new interrupt scheme"),
        "{out}"
    );
    let (r, _) = run("machine ims.dtb\nboot\nnegotiate ims on\n");
    assert!(r.unwrap_err().contains("'negotiate' after 'boot'"));
}

#[test]
fn in_the_new_scheme_msi_and_msix_messages_come_by_call_and_the_guest_writes_them() {
    for (msi, msix) in [(0, 4), (4, 0)] {
        let spec = GenSpec {
            phbs: 1,
            functions: 3,
            msix,
            msi,
        };
        let mut t = generate(&spec);
        add_ims(&mut t, 8).unwrap();
        let mut k = boot(t, true, false);
        let calls = |k: &Kernel| {
            texts(k)
                .iter()
                .filter(|t| t.contains("H_SIM_MSI_MESSAGE"))
                .count()
        };
        // One message per MSI-X vector; MSI's one base message per function.
        assert_eq!(
            calls(&k),
            if msix > 0 { 12 } else { 3 },
            "msi {msi} msix {msix}"
        );
        for d in 0..3 {
            let m = k.devices[d].msi.clone().unwrap();
            for (v, &virq) in m.virqs.iter().enumerate() {
                assert_eq!(harness::fire(&mut k, d, v as u32), Ok(virq));
            }
        }
        // A renumbering resume: change-msi again, the messages asked for again.
        let before: Vec<u32> = k.held_virqs().iter().map(|h| h.virq).collect();
        k.suspend().unwrap();
        harness::resume(&mut k, ResumeMode::Renumber).unwrap();
        let after: Vec<u32> = k.held_virqs().iter().map(|h| h.virq).collect();
        assert_eq!(after, before);
        for d in 0..3 {
            let m = k.devices[d].msi.clone().unwrap();
            for (v, &virq) in m.virqs.iter().enumerate() {
                assert_eq!(harness::fire(&mut k, d, v as u32), Ok(virq), "after resume");
            }
        }
    }
    // The old scheme makes no such call.
    let k = boot(tree(3, 8), false, false);
    assert!(!texts(&k).iter().any(|t| t.contains("H_SIM_MSI_MESSAGE")));
}

#[test]
fn a_bad_store_is_refused_naming_the_node() {
    let cases: [(&[u32], &str); 3] = [
        (
            &[0, 0, 8],
            "the store overlaps the MSI-X table or PBA in BAR 0",
        ),
        (&[2, 0, 4096], "must be <BAR offset slots>"),
        (
            &[2, 0xff0, 8],
            "BAR 2 is no memory BAR holding 8 slots from offset 0xff0",
        ),
    ];
    for (cells, why) in cases {
        let mut t = tree(1, 8);
        let f = t.find("/pci@800000020000000/ethernet@0").unwrap();
        let v: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        t.set_prop(f, rtas::ims::PROP_IMS_STORE, v);
        let e = pseries_sim::boot::boot_all(t, Default::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("/pci@800000020000000/ethernet@0"), "{e}");
        assert!(e.contains(why), "{e}");
    }
}
