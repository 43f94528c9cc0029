//! The Cell blade with Axon MSI end to end: generated trees boot under the probed
//! `axon` description without RTAS, every vector's message goes through the FIFO and
//! reaches its handler, a burst larger than the FIFO loses what Linux's cascade would
//! lose and says so, and a garbage entry is given up on as Linux does.

mod common;

use pseries_sim::gen::GenSpec;
use pseries_sim::gen_axon::{try_generate, MSI_ADDRESS};
use pseries_sim::harness::{self, BootOptions};

fn spec(phbs: u32, functions: u32, msix: u32, msi: u32) -> GenSpec {
    GenSpec {
        phbs,
        functions,
        msix,
        msi,
    }
}

fn shapes() -> Vec<(String, of_tree::Tree)> {
    let mut v: Vec<(String, of_tree::Tree)> = (1..=4)
        .map(|p| {
            (
                format!("{p} bridges"),
                try_generate(&spec(p, 4, 6, 0)).unwrap(),
            )
        })
        .collect();
    v.push(("MSI only".into(), try_generate(&spec(2, 5, 0, 1)).unwrap()));
    let mut mixed = try_generate(&spec(2, 6, 4, 1)).unwrap();
    let nodes: Vec<_> = mixed
        .walk()
        .into_iter()
        .filter(|&n| mixed.node(n).prop("ibm,req#msi-x").is_some())
        .collect();
    for n in nodes.into_iter().step_by(2) {
        mixed.remove_prop(n, "ibm,req#msi-x");
    }
    v.push(("mixed".into(), mixed));
    v
}

#[test]
fn every_vector_goes_through_the_fifo_to_its_handler() {
    for (name, t) in shapes() {
        let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
        let k = &mut rep.kernel;
        assert_eq!(k.desc.name, "axon", "{name}");
        assert_eq!(harness::firmware(k).calls, 0, "{name}");
        assert_eq!(rep.failed, 0, "{name}");
        let mut fired = 0;
        for d in 0..k.devices.len() {
            let m = k.devices[d].msi.clone().unwrap();
            for (v, &virq) in m.virqs.iter().enumerate() {
                assert_eq!(m.messages[v].address, MSI_ADDRESS, "{name}");
                assert_eq!(m.messages[v].data, virq, "{name}: data is the Linux irq");
                assert_eq!(harness::fire(k, d, v as u32), Ok(virq), "{name}");
                fired += 1;
            }
        }
        assert!(fired > 0);
        assert_eq!(k.spurious, 0, "{name}");
        let a = harness::firmware(k).machine.axon.clone().unwrap();
        assert!(a.overwritten.is_empty(), "{name}");
        assert!(
            a.unconsumed(&harness::firmware(k).machine.ram).is_empty(),
            "{name}"
        );
    }
}

#[test]
fn a_burst_within_the_fifo_loses_nothing() {
    let t = try_generate(&spec(1, 1, 2, 0)).unwrap();
    let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    let r = harness::burst(&mut rep.kernel, 0, 1, 4000).unwrap();
    assert_eq!(
        (r.handled, r.overwritten, r.stranded, r.dropped),
        (4000, 0, 0, 0)
    );
}

#[test]
fn a_burst_past_the_fifo_loses_what_linux_loses_and_says_so() {
    let t = try_generate(&spec(1, 1, 2, 0)).unwrap();
    let opts = BootOptions {
        trace: false,
        ..Default::default()
    };
    let mut rep = pseries_sim::boot::boot_all(t, opts).unwrap();
    // 4096 entries of 16 bytes in Linux's 64 KiB FIFO; the MSIC wraps without knowing
    // the OS's read offset, and the cascade drains from its read offset to the write
    // offset: the newest n mod 4096 messages.
    let n = 4096 + 100;
    let r = harness::burst(&mut rep.kernel, 0, 0, n).unwrap();
    assert_eq!(r.handled, n % 4096);
    assert_eq!(
        r.overwritten, 100,
        "the first lap's first 100, written over"
    );
    assert_eq!(r.stranded, 4096 - 100, "left behind the write offset");
    assert_eq!(
        r.handled + r.overwritten + r.stranded,
        n,
        "every message accounted for"
    );
}

#[test]
fn a_garbage_entry_times_out_and_is_skipped() {
    let t = try_generate(&spec(1, 1, 2, 0)).unwrap();
    let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    let k = &mut rep.kernel;
    // A message whose data names no irq of the MSIC, then a good one.
    let r = harness::firmware(k)
        .machine
        .find(k.devices[0].buid, k.devices[0].addr)
        .unwrap();
    harness::firmware_mut(k)
        .machine
        .deliver(r, MSI_ADDRESS, 0xbeef);
    let handled = k.handle_interrupts();
    assert!(handled.is_empty());
    let text: Vec<String> = k.trace.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|l| l.contains("axon_msi: irq timed out (entry at 0x0 holds 0xbeef)")),
        "{text:#?}"
    );
    // The cascade moved past it: the next message is handled.
    let virq = k.devices[0].msi.as_ref().unwrap().virqs[0];
    assert_eq!(harness::fire(k, 0, 0), Ok(virq));
}

#[test]
fn renumbering_is_refused_and_vectors_kept() {
    common::renumbering_is_refused(try_generate(&spec(1, 2, 2, 0)).unwrap(), 1, 1);
}

#[test]
fn generated_trees_round_trip_through_dtc() {
    let dir = common::scratch("axon-dtc");
    for (i, (_, t)) in shapes().into_iter().enumerate() {
        common::generated_tree_round_trips(&t, &dir.join(format!("{i}.dtb")));
    }
}

#[test]
fn a_masked_vector_waits_in_the_device() {
    let t = try_generate(&spec(1, 1, 4, 0)).unwrap();
    let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    let k = &mut rep.kernel;
    let virq = k.devices[0].msi.as_ref().unwrap().virqs[2];
    k.mask(virq);
    assert!(harness::fire(k, 0, 2).is_err(), "masked in the device");
    k.unmask(virq);
    let ran = k.handle_interrupts();
    assert_eq!(ran.iter().map(|h| h.virq).collect::<Vec<_>>(), vec![virq]);
    assert_eq!(harness::fire(k, 0, 2), Ok(virq));
}
