//! of-tree never panics: every truncation and single-byte mutation of each fixture
//! blob, and thousands of mutated DTS texts, give a tree or an error. Also checks our
//! reader against the independent `fdt` crate on the real blobs.

mod common;

use common::*;
use of_tree::{dtb, dts};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn every_truncation_and_byte_mutation_of_fixture_blobs() {
    for f in fixture_dtbs() {
        let bytes = std::fs::read(&f).unwrap();
        let mut errors = 0usize;
        for len in 0..bytes.len() {
            if dtb::read(&bytes[..len]).is_err() {
                errors += 1;
            }
        }
        // Truncating below totalsize must always be refused.
        assert_eq!(
            errors,
            bytes.len(),
            "{}: a truncated blob was accepted",
            f.display()
        );
        let mut b = bytes.clone();
        let mut refused = 0usize;
        for i in 0..b.len() {
            let orig = b[i];
            // Every position flipped; the header and first structure tokens through
            // every value they can take.
            let all: Vec<u8> = if i < 64 {
                (0..=255).collect()
            } else {
                vec![orig ^ 0xff]
            };
            for m in all {
                if m == orig {
                    continue;
                }
                b[i] = m;
                if dtb::read(&b).is_err() {
                    refused += 1;
                }
            }
            b[i] = orig;
        }
        assert!(refused > 0, "{}: no mutation was refused", f.display());
    }
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut b: Vec<u8> = text.as_bytes().to_vec();
    const TOKENS: &[&str] = &[
        "{",
        "}",
        ";",
        "<",
        ">",
        "[",
        "]",
        "(",
        ")",
        "&",
        "\"",
        "'",
        "/",
        "*",
        ",",
        ":",
        "=",
        "/delete-node/",
        "/bits/ 8",
        "&{/",
        "0x",
        "?",
        "<<",
        "/*",
        "//",
        "\\",
        "@",
        "#",
        "-",
        "/include/ \"",
        "/memreserve/",
    ];
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(b.len() + 1);
        match rng.below(4) {
            0 if !b.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(b.len());
                b.drain(at.min(b.len())..end);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(at..at, t.bytes());
            }
            2 if at < b.len() => b[at] = (rng.next() & 0x7f) as u8,
            _ => b.truncate(at),
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

#[test]
fn mutated_dts_texts_give_a_tree_or_an_error() {
    let mut sources = Vec::new();
    for p in corpus_files("") {
        sources.push(std::fs::read_to_string(p).unwrap());
    }
    sources.push(std::fs::read_to_string(fixture("qemu/b_devices.dts")).unwrap());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0, 0);
    for round in 0..4000 {
        let base = &sources[round % sources.len()];
        let text = mutate(&mut rng, base);
        match dts::parse_str(&text, "mutated.dts") {
            Ok(_) => ok += 1,
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with("mutated.dts:") || msg.contains(".dtsi"),
                    "error without a location: {msg}"
                );
                err += 1;
            }
        }
    }
    assert!(
        err > 1000,
        "mutations should mostly break the text: {ok} ok, {err} errors"
    );
}

#[test]
fn dts_errors_say_file_line_column_and_what() {
    let cases: &[(&str, &str, &str)] = &[
        ("/dts-v1/;\n/ {\n\ta = <1 2;\n};\n", "t.dts:3:", "expected"),
        ("/ { };", "t.dts:1:1", "/dts-v1/"),
        (
            "/dts-v1/;\n/ {\n\ta = <&nolabel>;\n};\n",
            "t.dts:3:7",
            "non-existent",
        ),
        (
            "/dts-v1/;\n/ { a = \"open;\n};\n",
            "t.dts:2:9",
            "unterminated string",
        ),
        (
            "/dts-v1/;\n/ { a = <(1/0)>; };\n",
            "t.dts:2:",
            "division by zero",
        ),
        (
            "/dts-v1/;\n/ { n { }; a = <1>; };\n",
            "t.dts:2:12",
            "precede",
        ),
        ("/dts-v1/;\n&missing { };\n", "t.dts:2:1", "non-existent"),
        (
            "/dts-v1/;\n/ { x: a { }; x: b { }; };\n",
            "t.dts:2:",
            "Duplicate label",
        ),
        ("/dts-v1/;\n/ { a = [0]; };\n", "t.dts:2:", "pairs of hex"),
    ];
    for (src, at, what) in cases {
        let e = dts::parse_str(src, "t.dts").expect_err(src).to_string();
        assert!(
            e.starts_with(at) && e.contains(what),
            "for {src:?}: got {e}"
        );
    }
}

#[test]
fn our_reader_agrees_with_the_fdt_crate() {
    let mut checked = 0;
    for f in fixture_dtbs() {
        let bytes = std::fs::read(&f).unwrap();
        let ours = dtb::read(&bytes).unwrap();
        // fdt 0.1.5 finds no nodes in version 16 blobs whose strings block comes first
        // (the guest's tree): it cannot serve as the reference there.
        if dtb::Header::parse(&bytes).unwrap().version < 17 {
            continue;
        }
        checked += 1;
        let theirs =
            fdt::Fdt::new(&bytes).unwrap_or_else(|e| panic!("fdt crate on {}: {e:?}", f.display()));
        let our_nodes = ours.walk();
        let their_nodes: Vec<_> = theirs.all_nodes().collect();
        assert_eq!(our_nodes.len(), their_nodes.len(), "{}", f.display());
        for (&id, tn) in our_nodes.iter().zip(&their_nodes) {
            let on = ours.node(id);
            let tname = if tn.name == "/" { "" } else { tn.name };
            assert_eq!(on.name(), tname);
            let tprops: Vec<(String, Vec<u8>)> = tn
                .properties()
                .map(|p| (p.name.to_string(), p.value.to_vec()))
                .collect();
            let oprops: Vec<(String, Vec<u8>)> = on
                .props
                .iter()
                .map(|p| (p.name().to_string(), p.value.to_vec()))
                .collect();
            assert_eq!(oprops, tprops, "{} node {}", f.display(), ours.path(id));
        }
    }
    assert!(checked >= 6, "only {checked} blobs cross-checked");
}
