//! Helpers shared by of-tree's integration tests: where the fixtures and the DTS corpus
//! are, running dtc, building blobs by hand.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's fixtures folder (`fixtures/` beside this crate).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// A fixture path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    fixtures().join(rel)
}

/// The DTS syntax corpus (`of-tree/tests/dts/`), or a folder in it.
pub fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/dts")
        .join(sub)
}

/// The `.dts` files of a corpus folder (`""`: the top), sorted.
pub fn corpus_files(sub: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(corpus(sub))
        .expect("corpus folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "dts"))
        .collect();
    files.sort();
    files
}

/// Every DTB fixture (QEMU's trees and the Linux guest's), sorted.
pub fn fixture_dtbs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["qemu", "linux-guest"] {
        for e in std::fs::read_dir(fixture(dir)).expect("fixtures folder") {
            let p = e.expect("dir entry").path();
            if p.extension().is_some_and(|x| x == "dtb") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 7, "expected the fixture DTBs, found {v:?}");
    v
}

/// Fails loudly when dtc is missing: the tests that need it must not skip silently.
pub fn dtc() -> &'static str {
    let ok = Command::new("dtc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "dtc is required (Debian: device-tree-compiler); run scripts/test.sh, which installs it"
    );
    "dtc"
}

/// `dtc -I dtb -O dts -s` of a blob file: the canonical form trees are compared in.
pub fn canonical(dtb: &Path) -> String {
    let out = Command::new(dtc())
        .args(["-q", "-I", "dtb", "-O", "dts", "-s"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert!(
        out.status.success(),
        "dtc failed on {}: {}",
        dtb.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("dtc output is text")
}

/// Compiles a DTS file with dtc into a blob.
pub fn dtc_compile(dts: &Path, out: &Path) {
    dtc_run(dts, &[], out).unwrap_or_else(|e| panic!("dtc failed on {}: {e}", dts.display()));
}

/// dtc with `args` on a source: the blob, or dtc's message when it refuses.
pub fn dtc_run(src: &Path, args: &[&str], out: &Path) -> Result<(), String> {
    let o = Command::new(dtc())
        .args(["-q", "-I", "dts", "-O", "dtb", "-o"])
        .arg(out)
        .args(args)
        .arg(src)
        .output()
        .expect("run dtc");
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// `dtc -I dtb -O dts` of a blob, as dtc prints it (not sorted; `-f`: also a blob dtc
/// would not make from source, as an overlay whose `__fixups__` names a path).
pub fn dtc_decompile(dtb: &Path) -> String {
    let out = Command::new(dtc())
        .args(["-q", "-f", "-I", "dtb", "-O", "dts"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert!(out.status.success(), "dtc failed on {}", dtb.display());
    String::from_utf8(out.stdout).expect("dtc output is text")
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("of-tree-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// A small deterministic generator (xorshift), so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Big-endian cells as property bytes.
pub fn be(cells: &[u32]) -> Vec<u8> {
    cells.iter().flat_map(|c| c.to_be_bytes()).collect()
}

/// A version 17 blob laid out as dtc lays one out (header, reservations, structure,
/// strings), from its parts: `structure` as whole 32-bit words (tokens, lengths, name
/// offsets, names and values already padded).
pub fn blob(reservations: &[(u64, u64)], structure: &[u32], strings: &[u8]) -> Vec<u8> {
    let off_rsv = 40;
    let off_struct = off_rsv + 16 * (reservations.len() + 1);
    let off_strings = off_struct + 4 * structure.len();
    let total = off_strings + strings.len();
    let header = [
        0xd00d_feed,
        total as u32,
        off_struct as u32,
        off_strings as u32,
        off_rsv as u32,
        17,
        16,
        0,
        strings.len() as u32,
        4 * structure.len() as u32,
    ];
    let mut b = be(&header);
    for &(address, size) in reservations.iter().chain([&(0, 0)]) {
        b.extend_from_slice(&address.to_be_bytes());
        b.extend_from_slice(&size.to_be_bytes());
    }
    b.extend_from_slice(&be(structure));
    b.extend_from_slice(strings);
    b
}

/// A node name (or any text) as structure block words: its bytes, a NUL, zero padding.
pub fn name_words(name: &str) -> Vec<u32> {
    let mut bytes = name.as_bytes().to_vec();
    bytes.push(0);
    while !bytes.len().is_multiple_of(4) {
        bytes.push(0);
    }
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
