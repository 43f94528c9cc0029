//! Properties of random trees: a blob reads back as written, whatever order its blocks
//! come in; `rewrite` gives `write`'s bytes; the DTS text reads back and is dtc's; every
//! node is found by its path.

mod common;

use common::*;
use of_tree::{dtb, dts, Reservation, Tree};
use proptest::prelude::*;

/// A node to build: properties and named children, in order.
#[derive(Debug, Clone)]
struct Spec {
    props: Vec<(String, Vec<u8>)>,
    children: Vec<(String, Spec)>,
}

/// Values of every shape: raw bytes, strings (with control characters), string lists,
/// cells.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let text_byte = prop_oneof![Just(0u8), 7u8..14, 0x20u8..0x7f];
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..12),
        prop::collection::vec(text_byte, 0..10),
        "[ -~]{0,8}".prop_map(|s| [s.as_bytes(), b"\0"].concat()),
        prop::collection::vec("[a-z]{0,3}", 1..4).prop_map(|l| (l.join("\0") + "\0").into_bytes()),
        prop::collection::vec(any::<u32>(), 0..4).prop_map(|c| be(&c)),
    ]
}

/// Property names that none of dtc's checks give a meaning to (`name`, `phandle`,
/// `reg`...): they all start with `p`.
fn props() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::btree_map("p[a-z0-9,#_+.-]{0,6}", value(), 0..5)
        .prop_map(|m| m.into_iter().collect())
}

fn spec() -> impl Strategy<Value = Spec> {
    let leaf = props().prop_map(|props| Spec {
        props,
        children: Vec::new(),
    });
    leaf.prop_recursive(3, 24, 4, |inner| {
        let names = "n[a-z0-9,_+.-]{0,4}(@[0-9a-f,]{1,4})?";
        (props(), prop::collection::btree_map(names, inner, 0..4)).prop_map(|(props, kids)| Spec {
            props,
            children: kids.into_iter().collect(),
        })
    })
}

fn build(t: &mut Tree, id: of_tree::NodeId, s: &Spec) {
    for (name, value) in &s.props {
        t.set_prop(id, name, value.clone());
    }
    for (name, child) in &s.children {
        let c = t.add_child(id, name);
        build(t, c, child);
    }
}

/// Random trees with reservations and a boot CPU. A reservation of address 0 and size
/// 0 ends the block in a blob, so it is left out.
fn tree() -> impl Strategy<Value = Tree> {
    let reservation =
        (any::<u64>(), 1..u64::MAX).prop_map(|(address, size)| Reservation { address, size });
    (
        spec(),
        prop::collection::vec(reservation, 0..3),
        any::<u32>(),
    )
        .prop_map(|(s, reservations, boot_cpuid)| {
            let mut t = Tree::new();
            let root = t.root();
            build(&mut t, root, &s);
            t.reservations = reservations;
            t.boot_cpuid = boot_cpuid;
            t
        })
}

fn write(t: &Tree) -> Vec<u8> {
    dtb::write(t, &Default::default()).unwrap()
}

/// A blob with its strings block moved before its structure block, 8 bytes apart.
fn strings_first(b: &[u8]) -> Vec<u8> {
    let h = dtb::Header::parse(b).unwrap();
    let mut out = b[..h.off_dt_struct as usize].to_vec();
    let off_strings = out.len();
    out.extend_from_slice(&b[h.strings_range()]);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(&[0; 8]);
    let off_struct = out.len();
    out.extend_from_slice(&b[h.struct_range()]);
    for (field, v) in [(1, out.len()), (2, off_struct), (3, off_strings)] {
        out[field * 4..field * 4 + 4].copy_from_slice(&(v as u32).to_be_bytes());
    }
    out
}

proptest! {
    #[test]
    fn blobs_read_back_as_written(t in tree()) {
        prop_assert_eq!(dtb::read(&write(&t)).unwrap(), t);
    }

    #[test]
    fn blocks_in_another_order_read_the_same_and_rewrite_to_writes_layout(t in tree()) {
        let b = write(&t);
        let moved = strings_first(&b);
        prop_assert_ne!(&moved, &b);
        prop_assert_eq!(dtb::read(&moved).unwrap(), t);
        let mut out = Vec::new();
        dtb::rewrite(&moved, &mut out).unwrap();
        prop_assert_eq!(out, b);
    }

    #[test]
    fn rewrite_drops_the_padding(t in tree(), pad in 1usize..64) {
        let padded = dtb::write(&t, &dtb::WriteOptions { pad }).unwrap();
        let mut out = Vec::new();
        dtb::rewrite(&padded, &mut out).unwrap();
        prop_assert_eq!(out, write(&t));
    }

    #[test]
    fn printed_dts_reads_back_as_the_same_tree(t in tree()) {
        // A NUL printed as `\0` before an octal digit reads back as one octal escape, in
        // dtc too (print.rs checks that case against dtc).
        prop_assume!(!t.walk().iter().any(|&n| t.node(n).props.iter().any(|p| {
            p.value.windows(2).any(|w| w[0] == 0 && (b'0'..=b'7').contains(&w[1]))
        })));
        let mut back = dts::parse_str(&dts::print(&t), "printed.dts").unwrap();
        // DTS text has no boot CPU field.
        back.boot_cpuid = t.boot_cpuid;
        prop_assert_eq!(back, t);
    }

    #[test]
    fn every_node_is_found_by_its_path(t in tree()) {
        for id in t.walk() {
            prop_assert_eq!(t.find(&t.path(id)).unwrap(), id);
        }
        prop_assert_eq!(t.node_count(), t.walk().len());
    }
}

proptest! {
    // Each case runs dtc.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn printed_dts_is_what_dtc_prints(t in tree()) {
        let dir = scratch("prop-print");
        let blob = dir.join("t.dtb");
        std::fs::write(&blob, write(&t)).unwrap();
        prop_assert_eq!(dts::print(&t), dtc_decompile(&blob));
    }
}
