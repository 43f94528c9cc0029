//! The DTB structure and reservation blocks: each malformation refused at the byte where
//! it shows, with what is wrong; what is allowed (NOPs, deep nesting) read as it is.

mod common;

use common::*;
use of_tree::{dtb, Error, Reservation, Tree};

const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;
/// Where the structure block starts in a blob without reservations.
const STRUCT: usize = 56;

/// A BEGIN_NODE token with its name.
fn begin(name: &str) -> Vec<u32> {
    let mut w = vec![BEGIN_NODE];
    w.extend(name_words(name));
    w
}

/// The refusal of a blob without reservations made of these structure words.
fn refused(structure: &[u32], strings: &[u8]) -> (usize, String) {
    let b = blob(&[], structure, strings);
    match dtb::read(&b) {
        Err(Error::Dtb { offset, msg }) => (offset, msg),
        other => panic!("expected a DTB error, got {other:?}"),
    }
}

/// The byte offset of structure word `i`.
fn word(i: usize) -> usize {
    STRUCT + 4 * i
}

#[test]
fn nops_anywhere_are_skipped_and_not_written() {
    let mut s = vec![NOP];
    s.extend(begin(""));
    s.extend([NOP, PROP, 4, 0, 0x1234, NOP]);
    s.extend(begin("a@1"));
    s.extend([NOP, END_NODE, NOP, END_NODE, NOP, NOP, END]);
    let t = dtb::read(&blob(&[], &s, b"p\0")).unwrap();
    let mut want = Tree::new();
    want.set_prop(want.root(), "p", be(&[0x1234]));
    want.add_child(want.root(), "a@1");
    assert_eq!(t, want);
    let out = dtb::write(&t, &Default::default()).unwrap();
    let h = dtb::Header::parse(&out).unwrap();
    let words: Vec<u32> = out[h.struct_range()]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
        .collect();
    let mut without_nops = begin("");
    without_nops.extend([PROP, 4, 0, 0x1234]);
    without_nops.extend(begin("a@1"));
    without_nops.extend([END_NODE, END_NODE, END]);
    assert_eq!(words, without_nops);
}

#[test]
fn an_unknown_token_is_refused_where_it_is() {
    let mut s = begin("");
    s.extend([7, END_NODE, END]);
    assert_eq!(refused(&s, b""), (word(2), "unknown token 0x7".into()));
}

#[test]
fn a_blob_without_a_root_is_refused() {
    assert_eq!(refused(&[END], b""), (word(0), "no root node".into()));
    assert_eq!(
        refused(&[NOP, END_NODE, END], b""),
        (word(1), "END_NODE without a node open".into())
    );
}

#[test]
fn a_named_root_and_an_unnamed_child_are_refused() {
    let mut s = begin("x");
    s.extend([END_NODE, END]);
    assert_eq!(
        refused(&s, b""),
        (word(0), "root node has the name 'x'".into())
    );
    let mut s = begin("");
    s.extend(begin(""));
    s.extend([END_NODE, END_NODE, END]);
    assert_eq!(
        refused(&s, b""),
        (word(2), "a node with an empty name below the root".into())
    );
}

#[test]
fn bad_node_names_are_refused_at_the_name() {
    let mut s = begin("");
    s.extend(begin("a/b"));
    s.extend([END_NODE, END_NODE, END]);
    assert_eq!(
        refused(&s, b""),
        (word(3), "node name 'a/b' contains '/'".into())
    );
    // Bytes to the end of the structure block without a NUL.
    let s = [BEGIN_NODE, u32::from_be_bytes(*b"abcd")];
    assert_eq!(
        refused(&s, b""),
        (word(1), "node name is not NUL-terminated".into())
    );
    let mut s = begin("");
    s.push(BEGIN_NODE);
    s.push(u32::from_be_bytes([b'a', 0xff, 0, 0]));
    s.extend([END_NODE, END_NODE, END]);
    assert_eq!(
        refused(&s, b""),
        (word(3), "node name is not valid UTF-8".into())
    );
}

#[test]
fn a_property_outside_any_node_is_refused() {
    let mut s = vec![PROP, 0, 0];
    s.extend(begin(""));
    s.extend([END_NODE, END]);
    assert_eq!(
        refused(&s, b"p\0"),
        (word(0), "property outside any node".into())
    );
}

#[test]
fn an_end_with_nodes_open_is_refused() {
    let mut s = begin("");
    s.extend(begin("a"));
    s.extend([END_NODE, END]);
    assert_eq!(
        refused(&s, b""),
        (word(5), "END with 1 node(s) still open".into())
    );
}

#[test]
fn only_nops_and_end_may_follow_the_root() {
    let mut s = begin("");
    s.extend([END_NODE, NOP, NOP, END]);
    assert_eq!(dtb::read(&blob(&[], &s, b"")).unwrap(), Tree::new());
    for after in [BEGIN_NODE, PROP, END_NODE, 7] {
        let mut s = begin("");
        s.extend([END_NODE, NOP, after, 0, END]);
        assert_eq!(
            refused(&s, b"p\0"),
            (word(4), "data after the root node's end".into()),
            "token {after}"
        );
    }
}

#[test]
fn a_structure_block_ending_inside_a_token_is_refused() {
    // No END: the walk runs into the end of the block.
    let mut s = begin("");
    s.push(END_NODE);
    assert_eq!(
        refused(&s, b""),
        (word(3), "structure block ends inside a token".into())
    );
    // A property header cut short.
    let mut s = begin("");
    s.extend([PROP, 4]);
    assert_eq!(
        refused(&s, b"p\0"),
        (word(4), "structure block ends inside a token".into())
    );
}

#[test]
fn a_property_value_past_the_structure_block_is_refused() {
    let mut s = begin("");
    s.extend([PROP, 100, 0, 0, END_NODE, END]);
    assert_eq!(
        refused(&s, b"p\0"),
        (
            word(5),
            "property value of 100 bytes runs past the structure block".into()
        )
    );
}

#[test]
fn property_names_must_lie_in_the_strings_block_and_end_in_nul() {
    let prop = |nameoff: u32| {
        let mut s = begin("");
        s.extend([PROP, 0, nameoff, END_NODE, END]);
        s
    };
    // The strings block starts right after the 7-word structure block.
    let strings_at = word(7);
    assert_eq!(
        refused(&prop(9), b"p\0"),
        (
            strings_at + 9,
            "property name offset 0x9 lies outside the strings block".into()
        )
    );
    assert_eq!(
        refused(&prop(0), b"pq"),
        (
            strings_at,
            "property name at 0x0 is not NUL-terminated".into()
        )
    );
    assert_eq!(
        refused(&prop(1), b"p\0"),
        (word(2), "property with an empty name".into())
    );
    assert_eq!(
        refused(&prop(0), b"\xff\0"),
        (strings_at, "property name at 0x0 is not UTF-8".into())
    );
}

#[test]
fn nesting_is_bounded_by_max_depth() {
    // The root and `levels` nodes below it, each inside the one before.
    let chain = |levels: usize| {
        let mut s = begin("");
        for _ in 0..levels {
            s.extend(begin("n"));
        }
        s.extend(std::iter::repeat_n(END_NODE, levels + 1));
        s.push(END);
        blob(&[], &s, b"")
    };
    let deepest = dtb::MAX_DEPTH - 1;
    let t = dtb::read(&chain(deepest)).unwrap();
    assert_eq!(t.node_count(), dtb::MAX_DEPTH);
    let last = t.walk()[deepest];
    assert_eq!(t.path(last), "/n".repeat(deepest));
    match dtb::read(&chain(deepest + 1)) {
        Err(Error::Dtb { offset, msg }) => {
            assert_eq!(
                msg,
                format!("nodes nested more than {} deep", dtb::MAX_DEPTH)
            );
            // At the BEGIN_NODE of the node one too deep.
            assert_eq!(offset, word(2 + 2 * deepest));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reservations_are_read_up_to_the_zero_entry() {
    let s = [BEGIN_NODE, 0, END_NODE, END];
    let b = blob(&[(0x1000, 0x2000), (0, 0x10)], &s, b"");
    let t = dtb::read(&b).unwrap();
    assert_eq!(
        t.reservations,
        vec![
            Reservation {
                address: 0x1000,
                size: 0x2000
            },
            Reservation {
                address: 0,
                size: 0x10
            },
        ]
    );
    // A block whose zero entry is missing runs into the end of the blob: point the
    // header at the last 8 bytes (an 8-byte aligned offset inside the blob).
    let mut b = blob(&[], &s, b"abcdefgh");
    let at = b.len() - 8;
    b[16..20].copy_from_slice(&(at as u32).to_be_bytes());
    match dtb::read(&b) {
        Err(Error::Dtb { offset, msg }) => {
            assert_eq!(offset, at);
            assert_eq!(
                msg,
                "memory reservation block runs past the end of the blob"
            );
        }
        other => panic!("{other:?}"),
    }
}
