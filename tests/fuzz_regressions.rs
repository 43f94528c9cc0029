//! The fuzz targets' bodies over their seed corpora, every input a fuzzer crashed them
//! with (fuzz/regressions/), and a few thousand mutations of each seed.

mod common;

use common::*;
use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, &str, Target)] = &[
    ("dtb", "dtb", pseries_sim::fuzzing::dtb),
    ("dts", "dts", pseries_sim::fuzzing::dts),
    ("rtas", "rtas", pseries_sim::fuzzing::rtas_buffer),
    ("replay", "replay", pseries_sim::fuzzing::replay_log),
    ("scenario", "scenario", pseries_sim::fuzzing::scenario),
    ("state", "state", pseries_sim::fuzzing::state_blob),
    ("import", "import", pseries_sim::fuzzing::import_log),
];

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.is_file() && !p.ends_with("README.md"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.into_iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// A mutation like a fuzzer's: flip, replace, insert, delete, duplicate.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.next() % 4 {
        let at = if b.is_empty() {
            0
        } else {
            (rng.next() % b.len() as u64) as usize
        };
        match rng.next() % 6 {
            0 if !b.is_empty() => b[at] ^= 1 << (rng.next() % 8),
            1 if !b.is_empty() => b[at] = rng.next() as u8,
            2 => b.insert(at, rng.next() as u8),
            3 if !b.is_empty() => {
                let end = (at + 1 + (rng.next() % 16) as usize).min(b.len());
                b.drain(at..end);
            }
            4 if !b.is_empty() => {
                let end = (at + (rng.next() % 32) as usize).min(b.len());
                let chunk = b[at..end].to_vec();
                b.splice(at..at, chunk);
            }
            _ if !b.is_empty() && at + 4 <= b.len() => {
                let v = [0u32, 1, 0xffff_ffff, 0x8000_0000, 16, 0x2019][(rng.next() % 6) as usize];
                b[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
            _ => {}
        }
    }
    b
}

#[test]
fn seeds_regressions_and_mutations_never_panic() {
    let fuzz = root().join("fuzz");
    for (name, dir, target) in TARGETS {
        let seeds = files(&fuzz.join("seeds").join(dir));
        assert!(!seeds.is_empty(), "no seeds for {name}");
        for s in &seeds {
            target(s);
        }
        for r in files(&fuzz.join("regressions").join(dir)) {
            target(&r);
        }
        let rounds = if *name == "scenario" || *name == "replay" {
            300
        } else {
            2000
        };
        let mut rng = Rng(0x243f_6a88_85a3_08d3);
        for i in 0..rounds {
            let m = mutate(&mut rng, &seeds[i % seeds.len()]);
            target(&m);
        }
    }
}

#[test]
fn deep_nesting_is_refused_or_handled_without_recursion() {
    // Expressions and node bodies nested past the limit are an error, not a crash.
    let deep_expr = format!(
        "/dts-v1/;\n/ {{ p = <{}1{}>; }};\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let e = of_tree::dts::parse_str(&deep_expr, "deep.dts")
        .unwrap_err()
        .to_string();
    assert!(e.contains("nested more than"), "{e}");
    let deep_neg = format!("/dts-v1/;\n/ {{ p = <({}1)>; }};\n", "-".repeat(5000));
    assert!(of_tree::dts::parse_str(&deep_neg, "neg.dts").is_err());
    let deep_nodes = format!(
        "/dts-v1/;\n/ {{ {} }};\n",
        "a { ".repeat(5000) + &"};".repeat(5000)
    );
    assert!(of_tree::dts::parse_str(&deep_nodes, "nodes.dts").is_err());
    let ok = format!(
        "/dts-v1/;\n/ {{ p = <{}1{}>; }};\n",
        "(".repeat(50),
        ")".repeat(50)
    );
    assert!(of_tree::dts::parse_str(&ok, "ok.dts").is_ok());
    // Blobs nest at most 256 deep: deeper is refused, as deep as that works.
    for (depth, ok) in [(300u32, false), (250, true)] {
        let mut t = fixture_tree("qemu/a_default.dtb");
        let mut cur = t.find("/pci@800000020000000").unwrap();
        for i in 0..depth {
            cur = t.add_child(cur, &format!("pci@{i:x}"));
            t.set_prop(cur, "device_type", b"pci\0".to_vec());
            t.set_prop(cur, "#address-cells", 3u32.to_be_bytes().to_vec());
            t.set_prop(cur, "#size-cells", 2u32.to_be_bytes().to_vec());
            let hi = (i + 1) << 16;
            t.set_prop(
                cur,
                "reg",
                [hi.to_be_bytes().to_vec(), vec![0; 16]].concat(),
            );
        }
        let blob = of_tree::dtb::write(&t, &Default::default()).unwrap();
        pseries_sim::fuzzing::dtb(&blob);
        let back = of_tree::dtb::read(&blob);
        assert_eq!(back.is_ok(), ok, "depth {depth}");
        if let Ok(back) = back {
            let rep = pseries_sim::check::check(&back);
            assert!(rep.functions.len() >= 250);
            let k = pseries_sim::harness::boot(back, Default::default()).unwrap();
            assert!(k.devices.len() >= 250);
        }
    }
}

#[test]
fn the_import_seed_reaches_calls_and_actions() {
    // Otherwise the import target would fuzz only the refusal of a log.
    for s in files(&root().join("fuzz/seeds/import")) {
        let text = String::from_utf8(s).unwrap();
        let imp = pseries_sim::import::import(&text, &Default::default()).unwrap();
        assert!(!imp.calls.is_empty() && imp.actions.len() >= 2, "{imp:?}");
    }
}
