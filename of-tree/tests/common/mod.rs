//! Helpers shared by of-tree's integration tests: where the fixtures and the DTS corpus
//! are, running dtc, building blobs by hand.

#![allow(dead_code)]

#[path = "../../../tests/support/files.rs"]
mod files;

#[allow(unused_imports)]
pub use files::*;

use std::path::{Path, PathBuf};

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
