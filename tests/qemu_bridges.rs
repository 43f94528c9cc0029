//! QEMU's trees with PCI-PCI bridges and a multifunction device (fixtures/qemu/e_*):
//! `pseries-sim dt` round-trips them as dtc decompiles them, as tests/of_tree_dtc.rs does
//! for the other fixtures, and every function's address is read with its bus.

mod common;

use common::*;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
}

const FIXTURES: &[&str] = &[
    "e_bridge",
    "e_bridge_nested",
    "e_bridge_phb1",
    "e_multifunction",
];

#[test]
fn dt_to_dts_round_trips_as_dtc_decompiles() {
    let dir = scratch("qemu-bridges");
    for name in FIXTURES {
        let blob = fixture(&format!("qemu/{name}.dtb"));
        let want = canonical(&blob);
        // The fixture's DTS is dtc's decompilation of its blob.
        let dtc_text = Command::new(dtc())
            .args(["-q", "-I", "dtb", "-O", "dts"])
            .arg(&blob)
            .output()
            .unwrap();
        assert!(dtc_text.status.success());
        assert_eq!(
            String::from_utf8(dtc_text.stdout).unwrap(),
            std::fs::read_to_string(fixture(&format!("qemu/{name}.dts"))).unwrap(),
            "{name}.dts is dtc's decompilation of {name}.dtb"
        );

        // DTB -> pseries-sim dt --to dts -> dtc -> DTB
        let o = sim()
            .arg("dt")
            .arg(&blob)
            .args(["--to", "dts"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let ours = dir.join(format!("{name}.dts"));
        std::fs::write(&ours, &o.stdout).unwrap();
        let back = dir.join(format!("{name}.via-dtc.dtb"));
        dtc_compile(&ours, &back);
        assert_eq!(canonical(&back), want, "DTS round trip of {name}");

        // dtc's DTS -> pseries-sim dt --to dtb
        let from_dts = dir.join(format!("{name}.ours.dtb"));
        let st = sim()
            .arg("dt")
            .arg(fixture(&format!("qemu/{name}.dts")))
            .args(["--to", "dtb", "-o"])
            .arg(&from_dts)
            .status()
            .unwrap();
        assert!(st.success(), "{name}");
        assert_eq!(canonical(&from_dts), want, "our DTS reader on {name}.dts");
    }
}

/// Every function QEMU names in `ibm,loc-code` (`..:DDDD:BB:DD.F`) has that bus and
/// devfn in `reg`; bridges carry class-code 0x60400.
#[test]
fn functions_behind_bridges_are_addressed_with_their_bus() {
    let mut buses = std::collections::BTreeSet::new();
    for name in FIXTURES {
        let tree = fixture_tree(&format!("qemu/{name}.dtb"));
        let mut functions = 0;
        for id in tree.walk() {
            let at = tree.at(id);
            let Some(loc) = at.string("ibm,loc-code").unwrap() else {
                continue;
            };
            let Some(addr) = loc.rsplit(':').nth(1).zip(loc.rsplit(':').next()) else {
                continue;
            };
            let bus = u32::from_str_radix(addr.0, 16).unwrap();
            let (dev, func) = addr.1.split_once('.').unwrap();
            let devfn = u32::from_str_radix(dev, 16).unwrap() << 3 | func.parse::<u32>().unwrap();
            let reg = at.cells("reg").unwrap().unwrap();
            assert_eq!(reg[0] & 0x00ff_ff00, bus << 16 | devfn << 8, "{name} {loc}");
            if loc.starts_with("qemu_pci-bridge:") {
                assert_eq!(at.u32("class-code").unwrap(), Some(0x60400), "{name} {loc}");
            }
            buses.insert((*name, bus));
            functions += 1;
        }
        assert!(functions >= 2, "{name}: {functions} functions");
    }
    assert!(buses.contains(&("e_bridge", 1)));
    assert!(buses.contains(&("e_bridge_nested", 2)));
}

/// `boot` in both profiles and on bare metal finds every function at the address QEMU
/// gave it (its `ibm,loc-code` names it), every vector of every function fires, and
/// `check` reports no error.
#[test]
fn every_function_behind_bridges_boots_and_fires() {
    use pseries_sim::BootOptions;
    for name in FIXTURES {
        let tree = fixture_tree(&format!("qemu/{name}.dtb"));
        let named: Vec<(String, String)> = tree
            .walk()
            .into_iter()
            .filter_map(|n| {
                let loc = tree.at(n).string("ibm,loc-code").ok().flatten()?;
                let addr = loc.split_once(':')?.1.to_string();
                Some((addr, tree.path(n)))
            })
            .collect();
        assert!(named.len() >= 2, "{name}");
        let report = pseries_sim::check::check(&tree);
        assert!(!report.has_errors(), "{name}: {:?}", report.findings);
        for (profile, backend) in [
            (rtas::Profile::Papr, None),
            (rtas::Profile::Qemu, None),
            (rtas::Profile::Papr, platform::ops::description("generic")),
            (rtas::Profile::Qemu, platform::ops::description("generic")),
        ] {
            let opts = BootOptions {
                profile,
                force: backend,
                ..Default::default()
            };
            let mut rep = pseries_sim::boot::boot_all(tree.clone(), opts).unwrap();
            let k = &mut rep.kernel;
            let what = format!("{name} {profile} {}", k.desc.name);
            for (addr, path) in &named {
                let d = k
                    .device(addr)
                    .unwrap_or_else(|_| panic!("{what}: no device {addr}"));
                assert_eq!(&k.devices[d].path, path, "{what}");
            }
            assert_eq!(k.devices.len(), named.len(), "{what}");
            let mut fired = 0;
            for d in 0..k.devices.len() {
                let n = k.devices[d]
                    .msi
                    .as_ref()
                    .map_or(0, |m| m.virqs.len() as u32);
                for v in 0..n {
                    pseries_sim::harness::fire(k, d, v)
                        .unwrap_or_else(|e| panic!("{what} {}: {e}", k.devices[d].name));
                    fired += 1;
                }
            }
            assert!(fired >= 5, "{what}: {fired}");
            assert_eq!(rep.failed, 0, "{what}");
        }
    }
}
