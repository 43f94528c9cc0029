//! client-architecture-support against real data: the mode each QEMU machine negotiates
//! with Linux 6.1's vectors, and the tree the OS runs on afterwards compared with the
//! tree the real guest received (`guest-fdt.dtb`).

mod common;

use common::*;
use of_tree::{NodeId, Tree};
use platform::kernel::prom_init::CasRequest;
use platform::Kernel;
use pseries_sim::BootOptions;
use rtas::cas::IntcMode;

fn boot(tree: Tree, cas: CasRequest) -> Result<Kernel, pseries_sim::Error> {
    let opts = BootOptions {
        cas,
        ..Default::default()
    };
    pseries_sim::boot::boot_all(tree, opts).map(|r| r.kernel)
}

/// A node's properties, less what SLOF adds (its own phandles, `slof,*`).
fn props(t: &Tree, n: NodeId) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = t
        .node(n)
        .props
        .iter()
        .filter(|p| !p.name().starts_with("slof,") && !p.name().contains("phandle"))
        .map(|p| (p.name().to_string(), p.value.to_vec()))
        .collect();
    v.sort();
    v
}

type Node = (String, Vec<(String, Vec<u8>)>);

/// Every node marked `interrupt-controller`, by path.
fn controllers(t: &Tree) -> Vec<Node> {
    let mut v: Vec<Node> = t
        .walk()
        .into_iter()
        .filter(|&n| t.node(n).prop("interrupt-controller").is_some())
        .map(|n| (t.path(n), props(t, n)))
        .collect();
    v.sort();
    v
}

/// The service tokens of `/rtas` (one-cell properties named after a service).
fn tokens(t: &Tree) -> Vec<(String, Vec<u8>)> {
    let rtas = t.find("/rtas").unwrap();
    props(t, rtas)
        .into_iter()
        .filter(|(n, v)| {
            v.len() == 4
                && !n.starts_with("linux,")
                && !n.contains("associativity")
                && !n.starts_with("rtas-")
        })
        .collect()
}

#[test]
fn the_dual_guest_machine_negotiates_xive_and_runs_on_the_guests_tree() {
    let k = boot(
        fixture_tree("linux-guest/qemu-initial.dtb"),
        CasRequest::Auto,
    )
    .unwrap();
    assert_eq!(k.intc_mode, Some(IntcMode::Xive));
    let guest = fixture_tree("linux-guest/guest-fdt.dtb");
    assert_eq!(controllers(k.tree()), controllers(&guest));
    assert_eq!(tokens(k.tree()), tokens(&guest));
    for t in ["ibm,set-xive", "ibm,get-xive", "ibm,int-on", "ibm,int-off"] {
        assert!(
            tokens(k.tree()).iter().any(|(n, _)| n == t),
            "dual keeps {t}"
        );
    }
    let prio = |t: &Tree| {
        t.node(t.root())
            .prop("ibm,plat-res-int-priorities")
            .map(|p| p.value.to_vec())
    };
    assert_eq!(prio(k.tree()), prio(&guest));
    assert!(k
        .intc
        .as_ref()
        .unwrap()
        .path
        .starts_with("/interrupt-controller@"));
}

#[test]
fn each_qemu_machine_gets_the_mode_it_offers() {
    let mode = |rel: &str| boot(fixture_tree(rel), CasRequest::Auto).unwrap().intc_mode;
    assert_eq!(mode("qemu/a_xive.dtb"), Some(IntcMode::Xive));
    assert_eq!(mode("qemu/d_smp4_xics.dtb"), Some(IntcMode::Xics));
    assert_eq!(mode("qemu/a_default.dtb"), Some(IntcMode::Xive));
    // A dual machine on POWER8 offers XICS only (byte 23 = 0): it stays on XICS.
    let mut t = fixture_tree("linux-guest/qemu-initial.dtb");
    let chosen = t.find("/chosen").unwrap();
    t.set_prop(
        chosen,
        "ibm,arch-vec-5-platform-support",
        vec![0x17, 0x00, 0x18, 0xc0],
    );
    let k = boot(t.clone(), CasRequest::Auto).unwrap();
    assert_eq!(k.intc_mode, Some(IntcMode::Xics));
    assert_eq!(
        controllers(k.tree()),
        controllers(&t),
        "the tree stays XICS"
    );
    assert!(k.tree().find("/interrupt-controller").is_ok());
}

#[test]
fn a_mode_the_machine_lacks_fails_the_boot_as_qemu_does() {
    let e = boot(fixture_tree("qemu/d_smp4_xics.dtb"), CasRequest::Xive)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("Guest requested unavailable interrupt mode (XIVE)"),
        "{e}"
    );
    let e = boot(fixture_tree("qemu/a_xive.dtb"), CasRequest::Xics)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("Guest requested unavailable interrupt mode (XICS)"),
        "{e}"
    );
    // Asked for XICS, the dual machine keeps its tree and the RTAS XICS path.
    let k = boot(
        fixture_tree("linux-guest/qemu-initial.dtb"),
        CasRequest::Xics,
    )
    .unwrap();
    assert_eq!(k.intc_mode, Some(IntcMode::Xics));
    assert!(pseries_sim::harness::call_log(&k)
        .iter()
        .any(|r| r.service == "ibm,set-xive"));
}

#[test]
fn under_xive_the_fixture_scenario_makes_the_same_rtas_calls() {
    let mut out: Vec<String> = Vec::new();
    let path = fixture("linux-guest/boot.scenario");
    let text = std::fs::read_to_string(&path).unwrap();
    let steps = pseries_sim::scenario::parse(&text, "boot.scenario").unwrap();
    let mut r = pseries_sim::scenario::Runner::new(&path, Default::default(), &mut out);
    for s in &steps {
        r.step(s).unwrap();
    }
    r.finish().unwrap();
    let k = r.kernel.as_ref().unwrap();
    assert_eq!(k.intc_mode, Some(IntcMode::Xive));
    assert!(!pseries_sim::harness::call_log(k)
        .iter()
        .any(|c| c.service == "ibm,set-xive" || c.service == "ibm,int-on"));
}

#[test]
fn the_busy_bit_is_only_honoured_when_the_os_sets_it() {
    use rtas::faults::{Fault, FaultRule};
    let tree = fixture_tree("linux-guest/qemu-initial.dtb");
    for busy in [false, true] {
        let opts = BootOptions {
            msi_busy: busy,
            request_irqs: false,
            ..Default::default()
        };
        let mut k = pseries_sim::harness::boot(tree.clone(), opts).unwrap();
        pseries_sim::harness::firmware_mut(&mut k)
            .faults
            .add(FaultRule::new(rtas::Service::ChangeMsi, 0, 1, Fault::Busy));
        let d = k.device("0000:00:01.0").unwrap();
        let from = pseries_sim::harness::call_log(&k).len();
        k.request(d, platform::MsiType::Msix, 2, 1).unwrap();
        let busy_answers = pseries_sim::harness::call_log(&k)[from..]
            .iter()
            .filter(|c| c.service == "ibm,change-msi" && c.rets[0] == -2)
            .count();
        assert_eq!(busy_answers, busy as usize, "busy bit {busy}");
    }
}
