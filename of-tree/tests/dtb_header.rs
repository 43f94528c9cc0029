//! The DTB header: each field's limits, refused at the offset of the field that breaks
//! them; blocks in any order; what `write` puts in a header.

mod common;

use common::*;
use of_tree::{dtb, Error, Reservation, Tree};

/// The smallest blob: an empty root (structure at 56..72, an empty strings block at 72).
fn minimal() -> Vec<u8> {
    blob(&[], &[1, 0, 2, 9], b"")
}

/// A blob with header field `i` (a 32-bit word) set to `v`.
fn with_field(mut b: Vec<u8>, i: usize, v: u32) -> Vec<u8> {
    b[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    b
}

/// The offset and message of a refusal.
fn refusal(b: &[u8]) -> (usize, String) {
    match dtb::Header::parse(b) {
        Err(Error::Dtb { offset, msg }) => {
            let read = dtb::read(b).expect_err("the reader refuses what the header refuses");
            assert_eq!(
                read,
                Error::Dtb {
                    offset,
                    msg: msg.clone()
                }
            );
            (offset, msg)
        }
        other => panic!("expected a DTB error, got {other:?}"),
    }
}

#[test]
fn a_minimal_blob_is_an_empty_root() {
    let b = minimal();
    let h = dtb::Header::parse(&b).unwrap();
    assert_eq!((h.totalsize, h.version, h.last_comp_version), (72, 17, 16));
    assert_eq!((h.off_mem_rsvmap, h.size_dt_struct), (40, Some(16)));
    assert_eq!(h.struct_range(), 56..72);
    assert_eq!(h.strings_range(), 72..72);
    assert_eq!(dtb::read(&b).unwrap(), Tree::new());
    assert!(dtb::is_dtb(&b));
}

#[test]
fn a_wrong_magic_is_refused_at_offset_0() {
    let b = with_field(minimal(), 0, 0xd00d_feee);
    let (offset, msg) = refusal(&b);
    assert_eq!(offset, 0);
    assert_eq!(msg, "bad magic 0xd00dfeee, expected 0xd00dfeed");
    assert!(!dtb::is_dtb(&b));
    assert!(!dtb::is_dtb(&dtb::FDT_MAGIC.to_be_bytes()[..3]));
}

#[test]
fn a_blob_shorter_than_its_header_is_refused() {
    let b = minimal();
    for n in 0..dtb::Header::V16_LEN {
        let (offset, msg) = refusal(&b[..n]);
        assert_eq!(offset, 0);
        assert_eq!(msg, format!("blob of {n} bytes is shorter than a header"));
    }
    // Long enough for version 16, but this one says 17.
    for n in dtb::Header::V16_LEN..dtb::Header::V17_LEN {
        let (_, msg) = refusal(&b[..n]);
        assert_eq!(msg, format!("blob of {n} bytes is shorter than its header"));
    }
}

#[test]
fn versions_before_16_and_compatibility_after_17_are_refused() {
    let (offset, msg) = refusal(&with_field(minimal(), 5, 15));
    assert_eq!((offset, msg.as_str()), (20, "version 15 is older than 16"));
    let (offset, msg) = refusal(&with_field(minimal(), 6, 18));
    assert_eq!(
        (offset, msg.as_str()),
        (24, "last compatible version 18 is newer than 17")
    );
    // A later version that a version 17 reader can still read is read.
    let later = with_field(minimal(), 5, 18);
    assert_eq!(dtb::Header::parse(&later).unwrap().version, 18);
    assert_eq!(dtb::read(&later).unwrap(), Tree::new());
}

#[test]
fn a_totalsize_beyond_the_bytes_or_inside_the_header_is_refused() {
    let (offset, msg) = refusal(&with_field(minimal(), 1, 73));
    assert_eq!(offset, 4);
    assert_eq!(msg, "totalsize 73 is larger than the 72 bytes given");
    let (offset, msg) = refusal(&with_field(minimal(), 1, 39));
    assert_eq!(offset, 4);
    assert_eq!(msg, "totalsize 39 is smaller than the header");
}

#[test]
fn a_block_offset_outside_the_blob_is_refused_at_its_field() {
    let blocks = [
        (2, 8, "structure block"),
        (3, 12, "strings block"),
        (4, 16, "memory reservation block"),
    ];
    for (field, at, what) in blocks {
        // Past the end, and inside the header.
        for off in [200u32, 8] {
            let (offset, msg) = refusal(&with_field(minimal(), field, off));
            assert_eq!(offset, at, "{what} at {off}");
            assert_eq!(msg, format!("{what} offset {off:#x} lies outside the blob"));
        }
    }
}

#[test]
fn misaligned_blocks_are_refused() {
    let (offset, msg) = refusal(&with_field(minimal(), 2, 58));
    assert_eq!(
        (offset, msg.as_str()),
        (8, "structure block is not 4-byte aligned")
    );
    let (offset, msg) = refusal(&with_field(minimal(), 4, 44));
    assert_eq!(
        (offset, msg.as_str()),
        (16, "memory reservation block is not 8-byte aligned")
    );
}

#[test]
fn blocks_running_past_the_end_are_refused() {
    let (offset, msg) = refusal(&with_field(minimal(), 8, 1));
    assert_eq!(
        (offset, msg.as_str()),
        (32, "strings block runs past the end of the blob")
    );
    let (offset, msg) = refusal(&with_field(minimal(), 9, 20));
    assert_eq!(
        (offset, msg.as_str()),
        (36, "structure block runs past the end of the blob")
    );
}

/// A version 16 blob (no structure size): header, reservations at 40, then the strings
/// and structure blocks in either order with `gap` zero bytes between.
fn v16(strings_first: bool, gap: usize) -> Vec<u8> {
    // The root with one property, `seven = <7>`: 32 bytes.
    let structure = be(&[1, 0, 3, 4, 0, 7, 2, 9]);
    // Padded, so that a structure block after it stays aligned.
    let strings = b"seven\0\0\0".to_vec();
    let (first, second) = if strings_first {
        (&strings, &structure)
    } else {
        (&structure, &strings)
    };
    let mut b = vec![0u8; 56];
    b.extend_from_slice(first);
    b.resize(b.len() + gap, 0);
    let second_at = b.len();
    b.extend_from_slice(second);
    let (off_struct, off_strings) = if strings_first {
        (second_at, 56)
    } else {
        (56, second_at)
    };
    let header = [
        0xd00d_feed,
        b.len() as u32,
        off_struct as u32,
        off_strings as u32,
        40,
        16,
        16,
        3,
        strings.len() as u32,
    ];
    b[..36].copy_from_slice(&be(&header));
    b
}

#[test]
fn version_16_blocks_come_in_any_order_and_end_where_the_next_begins() {
    let mut want = Tree::new();
    want.boot_cpuid = 3;
    want.set_prop(want.root(), "seven", be(&[7]));
    for strings_first in [false, true] {
        for gap in [0, 8] {
            let b = v16(strings_first, gap);
            let h = dtb::Header::parse(&b).unwrap();
            assert_eq!(h.size_dt_struct, None);
            let r = h.struct_range();
            // The structure block runs to the strings block or to the end of the blob.
            let end = if strings_first {
                b.len()
            } else {
                56 + 32 + gap
            };
            assert_eq!(r, h.off_dt_struct as usize..end, "{strings_first} {gap}");
            assert_eq!(dtb::read(&b).unwrap(), want, "{strings_first} {gap}");
        }
    }
}

#[test]
fn bytes_past_totalsize_are_not_read() {
    let mut t = Tree::new();
    t.set_prop(t.root(), "p", be(&[1]));
    let b = dtb::write(&t, &Default::default()).unwrap();
    let mut longer = b.clone();
    longer.extend_from_slice(&[0xff; 64]);
    assert_eq!(dtb::read(&longer).unwrap(), t);
    let mut out = Vec::new();
    dtb::rewrite(&longer, &mut out).unwrap();
    assert_eq!(out, b, "rewrite stops at totalsize too");
}

#[test]
fn write_lays_out_a_version_17_blob_and_pads_on_request() {
    let mut t = Tree::new();
    t.boot_cpuid = 8;
    t.reservations = vec![
        Reservation {
            address: 0x1000,
            size: 0x10,
        },
        Reservation {
            address: 0x2000,
            size: 0x20,
        },
    ];
    let c = t.add_child(t.root(), "cpus");
    t.set_prop(t.root(), "model", b"x\0".to_vec());
    t.set_prop(c, "model", b"y\0".to_vec());
    t.set_prop(c, "#size-cells", be(&[0]));
    let b = dtb::write(&t, &Default::default()).unwrap();
    let h = dtb::Header::parse(&b).unwrap();
    assert_eq!(
        (h.version, h.last_comp_version, h.boot_cpuid_phys),
        (17, 16, 8)
    );
    // Reservations, then the structure block, then the strings: no gaps.
    assert_eq!(h.off_mem_rsvmap, 40);
    assert_eq!(h.off_dt_struct as usize, 40 + 3 * 16);
    assert_eq!(h.struct_range().end, h.off_dt_strings as usize);
    assert_eq!(h.strings_range().end, b.len());
    assert_eq!(h.totalsize as usize, b.len());
    // Each name once, in order of first use.
    assert_eq!(&b[h.strings_range()], b"model\0#size-cells\0");
    let padded = dtb::write(&t, &dtb::WriteOptions { pad: 100 }).unwrap();
    assert_eq!(padded.len(), b.len() + 100);
    assert_eq!(&padded[b.len()..], &[0u8; 100][..]);
    assert_eq!(
        dtb::Header::parse(&padded).unwrap().totalsize as usize,
        b.len() + 100
    );
    assert_eq!(dtb::read(&padded).unwrap(), t);
}
