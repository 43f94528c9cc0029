//! The U3/U4 MPIC machine end to end: generated trees of several shapes boot under the
//! probed `mpic` description without one RTAS call, every vector fires and reaches its
//! handler, masking holds it, the allocator keeps Linux's reservation rules, and the
//! trees round-trip through dtc.

mod common;

use of_tree::Tree;
use platform::ops::MsiType;
use proptest::prelude::*;
use pseries_sim::gen::GenSpec;
use pseries_sim::gen_mpic::{try_generate, MSI_AVAILABLE};
use pseries_sim::harness::{self, BootOptions};

fn spec(phbs: u32, functions: u32, msix: u32, msi: u32) -> GenSpec {
    GenSpec {
        phbs,
        functions,
        msix,
        msi,
    }
}

/// Odd functions lose their MSI-X: half MSI-only, half MSI-X.
fn mixed(mut t: Tree) -> Tree {
    let nodes: Vec<_> = t
        .walk()
        .into_iter()
        .filter(|&n| t.node(n).prop("ibm,req#msi-x").is_some())
        .collect();
    for (i, n) in nodes.into_iter().enumerate() {
        if i % 2 == 1 {
            t.remove_prop(n, "ibm,req#msi-x");
        }
    }
    t
}

fn shapes() -> Vec<(String, Tree)> {
    let mut v = Vec::new();
    for phbs in 1..=4 {
        v.push((
            format!("{phbs} bridges, MSI-X"),
            try_generate(&spec(phbs, 5, 8, 0)).unwrap(),
        ));
    }
    v.push(("MSI only".into(), try_generate(&spec(2, 6, 0, 4)).unwrap()));
    v.push((
        "mixed".into(),
        mixed(try_generate(&spec(3, 6, 4, 2)).unwrap()),
    ));
    v.push((
        "bridges behind the host bridge".into(),
        try_generate(&spec(1, 300, 2, 0)).unwrap(),
    ));
    v
}

#[test]
fn every_vector_of_every_shape_fires_without_rtas() {
    for (name, t) in shapes() {
        let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
        let k = &mut rep.kernel;
        assert_eq!(k.desc.name, "mpic", "{name}");
        assert_eq!(harness::firmware(k).calls, 0, "{name}: no RTAS calls");
        assert_eq!(rep.failed, 0, "{name}");
        let mut fired = 0;
        for d in 0..k.devices.len() {
            let Some(m) = k.devices[d].msi.clone() else {
                continue;
            };
            for (v, &virq) in m.virqs.iter().enumerate() {
                assert_eq!(harness::fire(k, d, v as u32), Ok(virq), "{name}: {d} {v}");
                fired += 1;
            }
            for (s, msg) in m.sources.iter().zip(&m.messages) {
                if m.kind == MsiType::Msix {
                    assert_eq!(msg.data, *s, "{name}: data is the hwirq");
                }
            }
        }
        assert!(fired > 0, "{name}");
        assert_eq!(k.spurious, 0, "{name}");
    }
}

#[test]
fn masked_at_the_mpic_and_in_the_device_then_delivered() {
    let t = try_generate(&spec(2, 2, 4, 0)).unwrap();
    let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    let k = &mut rep.kernel;
    let d = k.devices.iter().position(|d| d.msi.is_some()).unwrap();
    let src = k.devices[d].msi.as_ref().unwrap().sources[1];
    k.mask(src);
    assert!(harness::fire(k, d, 1).is_err(), "masked in the device");
    k.unmask(src);
    // The device sends what it held; the MPIC presents it.
    let handled = k.handle_interrupts();
    assert_eq!(handled.len(), 1);
    assert!(harness::fire(k, d, 1).is_ok());
}

#[test]
fn a_tree_update_keeps_the_allocator_in_step() {
    let t = try_generate(&spec(1, 3, 4, 0)).unwrap();
    let mut rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    let k = &mut rep.kernel;
    let held: Vec<u32> = k.held_virqs().iter().map(|h| h.source).collect();
    // A property update drops what the description derived from the tree.
    let root = k.tree().root();
    k.tree_mut()
        .set_prop(root, "pseries-sim,touched", Vec::new());
    k.free(0).unwrap();
    assert_eq!(k.request(0, MsiType::Msix, 4, 4), Ok(4));
    let again = &k.devices[0].msi.as_ref().unwrap().sources;
    for s in again {
        assert!(!held[4..].contains(s), "{s:#x} is still another device's");
    }
}

#[test]
fn msi_blocks_are_aligned_and_inside_the_available_range() {
    let t = try_generate(&spec(2, 6, 0, 4)).unwrap();
    let rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    for d in &rep.kernel.devices {
        let m = d.msi.as_ref().unwrap();
        assert_eq!(m.sources[0] % 4, 0, "{}: aligned block", d.name);
        for &s in &m.sources {
            assert!(s >= MSI_AVAILABLE.0 && s < MSI_AVAILABLE.0 + MSI_AVAILABLE.1);
        }
    }
}

#[test]
fn resume_keeps_vectors_and_refuses_renumbering() {
    common::renumbering_is_refused(try_generate(&spec(1, 2, 2, 0)).unwrap(), 0, 0);
}

#[test]
fn without_available_ranges_the_u3_reserves_hold() {
    let mut t = try_generate(&spec(1, 4, 4, 0)).unwrap();
    let mpic = t.find_device_type("open-pic")[0];
    t.remove_prop(mpic, "msi-available-ranges");
    let rep = pseries_sim::boot::boot_all(t, BootOptions::default()).unwrap();
    for d in &rep.kernel.devices {
        for &s in &d.msi.as_ref().unwrap().sources {
            // Linux's mpic_msi_reserve_u3_hwirqs, and the LSIs of the map (0x10..0x14).
            assert!(
                (8..42).contains(&s) || (46..100).contains(&s) || (105..124).contains(&s),
                "{s:#x}"
            );
            assert!(!(0x10..0x14).contains(&s), "{s:#x} is an LSI");
        }
    }
}

#[test]
fn a_bad_available_range_means_no_msi_with_the_node_named() {
    let mut t = try_generate(&spec(1, 1, 2, 0)).unwrap();
    let mpic = t.find_device_type("open-pic")[0];
    t.set_prop(mpic, "msi-available-ranges", 0x80u32.to_be_bytes().to_vec());
    let k = harness::boot(t, BootOptions::default()).unwrap();
    assert!(!k.msi_enabled);
    let text: Vec<String> = k.trace.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|l| l
                .contains("/interrupt-controller@f8040000: 'msi-available-ranges' has 1 cells")),
        "{text:#?}"
    );
}

#[test]
fn generated_trees_round_trip_through_dtc() {
    let dir = common::scratch("mpic-dtc");
    for (i, (_, t)) in shapes().into_iter().enumerate() {
        common::generated_tree_round_trips(&t, &dir.join(format!("{i}.dtb")));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Random requests and frees: no hwirq twice, none outside the available range or
    /// on an LSI, MSI blocks aligned, and everything reusable at the end.
    #[test]
    fn random_requests_and_frees(ops in proptest::collection::vec((0usize..12, 1u32..9, any::<bool>()), 1..80)) {
        let t = mixed(try_generate(&spec(2, 6, 8, 8)).unwrap());
        let opts = BootOptions { trace: false, ..Default::default() };
        let mut k = harness::boot(t, opts).unwrap();
        let n = k.devices.len();
        for (d, want, kind_x) in ops {
            let d = d % n;
            if k.devices[d].msi.is_some() {
                k.free(d).unwrap();
                continue;
            }
            let kind = if kind_x { MsiType::Msix } else { MsiType::Msi };
            if k.request(d, kind, want, 1).is_err() {
                continue;
            }
            let mut seen = std::collections::HashSet::new();
            for dev in &k.devices {
                let Some(m) = &dev.msi else { continue };
                if m.kind == MsiType::Msi {
                    let size = (m.sources.len() as u32).next_power_of_two();
                    prop_assert_eq!(m.sources[0] % size, 0);
                }
                for &s in &m.sources {
                    prop_assert!(seen.insert(s), "{:#x} given twice", s);
                    prop_assert!(s >= MSI_AVAILABLE.0 && s < MSI_AVAILABLE.0 + MSI_AVAILABLE.1);
                }
            }
        }
        for d in 0..n {
            if k.devices[d].msi.is_some() {
                k.free(d).unwrap();
            }
        }
        // All reusable: one device can again take a whole MSI-X request.
        let d = (0..n).find(|&d| k.vec_count(d, MsiType::Msix).is_some()).unwrap();
        prop_assert_eq!(k.request(d, MsiType::Msix, 8, 8), Ok(8));
    }
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_commands_work_on_an_mpic_machine() {
    commands_work_on("mpic");
}

#[test]
fn the_commands_work_on_a_cell_blade() {
    commands_work_on("axon");
}

/// `gen --platform PLATFORM SHAPE.. -o OUT`, which must succeed.
fn gen_machine(platform: &str, shape: &[&str], out: &str) {
    let mut args = vec!["gen", "--platform", platform];
    args.extend_from_slice(shape);
    args.extend(["-o", out]);
    let o = cli(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// gen, check, map, boot --trace json and --quiet, and a scenario with suspend, save,
/// restore and a refused renumbering.
fn commands_work_on(platform: &str) {
    let dir = common::scratch(&format!("{platform}-cli"));
    let tree = dir.join("mp.dtb");
    let t = tree.to_str().unwrap();
    gen_machine(
        platform,
        &[
            "--phbs",
            "2",
            "--functions",
            "2",
            "--msix",
            "2",
            "--msi",
            "1",
        ],
        t,
    );
    assert!(cli(&["check", t]).status.success());
    let svg = dir.join("mp.svg");
    assert!(cli(&["map", t, "-o", svg.to_str().unwrap()])
        .status
        .success());
    let o = cli(&["boot", t, "--trace", "json"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let accepted = format!(r#""machine":"{platform}","detail":"accepted""#);
    assert!(out.contains(&accepted), "{out}");
    let o = cli(&["boot", t, "--quiet"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 RTAS calls"));
    let state = dir.join("mp.state");
    let sc = dir.join("mp.scenario");
    std::fs::write(
        &sc,
        format!(
            "machine {t}\nboot\nrequest 0000:00:00.0 msix 2\nrequest 0001:00:00.1 msi 1\n\
             fire 0000:00:00.0 1\nfire 0001:00:00.1 0\nsuspend\nresume keep\n\
             expect virqs-stable\nsave {s}\nrestore {s}\nfire 0000:00:00.0 0\n\
             suspend\nresume renumber\n",
            s = state.display()
        ),
    )
    .unwrap();
    let o = cli(&["run", sc.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains(":14:1: resume renumber: this machine's firmware does not hand out vectors"),
        "{err}"
    );
}

/// A Linux client (pseries' msi.c, which calls RTAS) on a machine that probes as MPIC
/// or a Cell blade is bad usage that names the machine, refused before any compile.
#[test]
fn a_linux_client_on_a_machine_without_rtas_msi_is_bad_usage() {
    for platform in ["mpic", "axon"] {
        let dir = common::scratch(&format!("{platform}-linux-client"));
        let tree = dir.join("m.dtb");
        let t = tree.to_str().unwrap();
        gen_machine(platform, &["--phbs", "1", "--functions", "1"], t);
        // The file need not exist: the refusal comes before the client is read.
        let o = cli(&["boot", t, "--quiet", "--client", "linux:/nonexistent/msi.c"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{platform}: {err}");
        assert!(
            err.contains(&format!("this machine probes as {platform}")),
            "{platform}: {err}"
        );
        assert!(o.stdout.is_empty());
    }
}
