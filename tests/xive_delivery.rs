//! Under XIVE: every vector delivered through the OS's event queue, the state blob
//! carrying source and queue state, a renumbering resume keeping every virq firing,
//! and the hcall traces in their JSON and QEMU forms (values checked against the real
//! guest's excerpt).

mod common;

use common::*;
use platform::kernel::prom_init::CasRequest;
use platform::trace::Event;
use platform::{Kernel, ResumeMode};
use pseries_sim::BootOptions;
use rtas::cas::IntcMode;

fn boot(rel: &str, cas: CasRequest, qemu_trace: bool) -> Kernel {
    let opts = BootOptions {
        cas,
        qemu_trace,
        profile: rtas::Profile::Qemu,
        ..Default::default()
    };
    pseries_sim::boot::boot_all(fixture_tree(rel), opts)
        .unwrap()
        .kernel
}

fn fire_all(k: &mut Kernel) -> usize {
    let mut n = 0;
    for d in 0..k.devices.len() {
        let virqs = k.devices[d]
            .msi
            .as_ref()
            .map_or(vec![], |m| m.virqs.clone());
        for (v, &virq) in virqs.iter().enumerate() {
            let got = pseries_sim::harness::fire(k, d, v as u32)
                .unwrap_or_else(|e| panic!("{} vector {v}: {e}", k.devices[d].name));
            assert_eq!(got, virq);
            n += 1;
        }
    }
    n
}

#[test]
fn every_vector_is_delivered_through_the_queue_under_xive_and_xics() {
    for (rel, cas, mode) in [
        (
            "linux-guest/qemu-initial.dtb",
            CasRequest::Auto,
            IntcMode::Xive,
        ),
        ("qemu/b_devices.dtb", CasRequest::Auto, IntcMode::Xive),
        (
            "linux-guest/qemu-initial.dtb",
            CasRequest::Xics,
            IntcMode::Xics,
        ),
    ] {
        let mut k = boot(rel, cas, false);
        assert_eq!(k.intc_mode, Some(mode), "{rel}");
        let n = fire_all(&mut k);
        assert!(n > 20, "{rel}: {n}");
        assert_eq!(k.spurious, 0);
        let fw = pseries_sim::harness::firmware(&k);
        match mode {
            IntcMode::Xive => {
                let x = fw.machine.xive.as_ref().unwrap();
                let q = x.queues[&(0, 6)];
                assert_eq!(
                    q.index as usize,
                    n % q.entries() as usize,
                    "{rel}: one entry a vector"
                );
                assert_eq!(x.lost, 0);
            }
            IntcMode::Xics => assert!(fw.machine.xive.is_none()),
        }
        // Fired twice: the queue keeps going, and nothing was left pending.
        assert_eq!(fire_all(&mut k), n);
    }
}

#[test]
fn a_source_off_drops_triggers_and_fires_again_after_unmask() {
    let mut k = boot("linux-guest/qemu-initial.dtb", CasRequest::Auto, false);
    let d = k.device("0000:00:01.0").unwrap();
    let src = k.devices[d].msi.as_ref().unwrap().sources[0];
    k.mask(src);
    assert!(
        pseries_sim::harness::fire(&mut k, d, 0).is_err(),
        "masked: no handler"
    );
    let pq = pseries_sim::harness::firmware(&k)
        .xive_source(src)
        .unwrap()
        .esb
        .pq;
    assert_eq!(pq, rtas::xive::PQ_OFF);
    k.unmask(src);
    pseries_sim::harness::fire(&mut k, d, 0).unwrap();
}

#[test]
fn the_state_blob_round_trips_xive_state() {
    let mut k = boot("linux-guest/qemu-initial.dtb", CasRequest::Auto, false);
    fire_all(&mut k);
    let blob = pseries_sim::harness::save(&k);
    let mut fresh = firmware("linux-guest/qemu-initial.dtb", rtas::Profile::Qemu);
    fresh.restore(&blob).unwrap();
    let fw = pseries_sim::harness::firmware(&k);
    assert_eq!(fresh.machine.xive, fw.machine.xive);
    assert!(fresh.xive_active());
    let x = fresh.machine.xive.as_ref().unwrap();
    assert!(x.queues[&(0, 6)].index > 0, "queue position kept");
    let src = k.devices[k.device("0000:00:01.0").unwrap()]
        .msi
        .as_ref()
        .unwrap()
        .sources[0];
    let s = x.source(src);
    assert_eq!((s.priority, s.masked), (6, false));
    assert_eq!(s.eisn, k.irq.find(src).unwrap());
    assert_eq!(fresh.save(), blob);
    // Restored into the running machine, every vector still fires.
    pseries_sim::harness::restore(&mut k, &blob).unwrap();
    fire_all(&mut k);
}

#[test]
fn a_renumbering_resume_under_xive_keeps_every_virq_firing() {
    let mut k = boot("linux-guest/qemu-initial.dtb", CasRequest::Auto, false);
    let before = k.held_virqs();
    k.suspend().unwrap();
    pseries_sim::harness::resume(&mut k, ResumeMode::Renumber).unwrap();
    let after = k.held_virqs();
    assert!(before.iter().zip(&after).all(|(b, a)| b.virq == a.virq));
    assert!(before.iter().zip(&after).any(|(b, a)| b.source != a.source));
    assert!(pseries_sim::scenario::virqs_stable(&mut k).is_empty());
    fire_all(&mut k);
    assert_eq!(k.spurious, 0);
}

#[test]
fn hcall_traces_in_json_and_qemu_forms() {
    let k = boot("linux-guest/qemu-initial.dtb", CasRequest::Auto, true);
    let info = k
        .trace
        .iter()
        .find(|e| matches!(e, Event::Hcall { name, .. } if name == "H_INT_GET_SOURCE_INFO"))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&info.to_json()).unwrap();
    assert_eq!(v["event"], "hcall");
    assert_eq!(v["name"], "H_INT_GET_SOURCE_INFO");
    let lisn = v["args"][1].as_u64().unwrap();
    // status, flags, EOI page, trigger page, shift: the real guest's values for an MSI.
    let trig = 0x6010000000000u64 + (lisn << 17);
    assert_eq!(
        v["rets"],
        serde_json::json!([0, 0, trig + 0x10000, trig, 16])
    );
    let set = k
        .trace
        .iter()
        .find_map(|e| match e {
            Event::Hcall { name, args, .. }
                if name == "H_INT_SET_SOURCE_CONFIG" && args[3] == 6 =>
            {
                Some(args.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(set[0], 2, "flags SET_EISN");
    let q = pseries_sim::harness::qemu_trace(&k);
    let want = format!("spapr_xive_get_source_info flags=0x0 lisn={lisn:#x}");
    assert!(q.contains(&want), "{want}");
    let want = format!(
        "spapr_xive_set_source_config flags=0x2 lisn={:#x} target=0x0 priority=0x6 eisn={:#x}",
        set[1], set[4]
    );
    assert!(q.contains(&want), "{want}");
    assert!(q
        .iter()
        .any(|l| l == "spapr_xive_set_queue_config flags=0x1 target=0x0 priority=0x6 qpage=0x3000000 qsize=0x10"));
    // The ESB load that turns the source off at allocation: the old PQ 01.
    let off = (lisn << 17) + 0x10000 + 0xd00;
    let want = format!("xive_source_esb_read @{off:#x} IRQ {lisn:#x} val=0x1");
    assert!(q.contains(&want), "{want}");
}
