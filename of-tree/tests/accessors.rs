//! Typed reads on a node (`NodeRef`): values of a real QEMU tree as its DTS text gives
//! them, `reg` and `ranges` with the bus's cell counts, and errors that name the node,
//! the property and the problem.

mod common;

use common::*;
use of_tree::{dtb, Error, NodeId, Tree};

fn qemu_default() -> Tree {
    dtb::read(&std::fs::read(fixture("qemu/a_default.dtb")).unwrap()).unwrap()
}

/// A tree with one node `/dev@0` holding `props`.
fn one_node(props: &[(&str, &[u8])]) -> (Tree, NodeId) {
    let mut t = Tree::new();
    let n = t.add_child(t.root(), "dev@0");
    for (name, value) in props {
        t.set_prop(n, name, value.to_vec());
    }
    (t, n)
}

/// The message of a property error on `/dev@0`'s `prop`.
fn message(e: Error, prop: &str) -> String {
    match e {
        Error::Property { path, prop: p, msg } => {
            assert_eq!((path.as_str(), p.as_str()), ("/dev@0", prop));
            msg
        }
        other => panic!("expected a property error, got {other:?}"),
    }
}

#[test]
fn a_phbs_reg_and_ranges_decode_with_the_bus_cells() {
    let t = qemu_default();
    let phb = t.at(t.find("/pci@800000020000000").unwrap());
    // The root has 2 address and 2 size cells: one entry.
    let reg = phb.reg().unwrap().unwrap();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].address[..], [0x800_0000, 0x2000_0000]);
    assert_eq!(reg[0].address_u64(), 0x800_0000_2000_0000);
    assert_eq!(reg[0].size, 0);
    // The PHB's 3 address cells, the root's 2, the PHB's 2 size cells.
    let ranges = phb.ranges().unwrap().unwrap();
    let got: Vec<(Vec<u32>, Vec<u32>, u128)> = ranges
        .iter()
        .map(|r| (r.child.to_vec(), r.parent.to_vec(), r.size))
        .collect();
    assert_eq!(
        got,
        vec![
            (vec![0x100_0000, 0, 0], vec![0x2000, 0], 0x1_0000),
            (
                vec![0x200_0000, 0, 0x8000_0000],
                vec![0x2000, 0x8000_0000],
                0x8000_0000
            ),
            (vec![0x300_0000, 0x2100, 0], vec![0x2100, 0], 0x100 << 32),
        ]
    );
    // A PCI function's reg: config space, then three BARs.
    let vga = t.at(t.find("/pci@800000020000000/vga@0").unwrap());
    let reg = vga.reg().unwrap().unwrap();
    let phys_hi: Vec<u32> = reg.iter().map(|r| r.address[0]).collect();
    assert_eq!(phys_hi, [0, 0x200_0010, 0x200_0018, 0x200_0030]);
    let sizes: Vec<u128> = reg.iter().map(|r| r.size).collect();
    assert_eq!(sizes, [0, 0x100_0000, 0x1000, 0x1_0000]);
    assert_eq!(reg[1].address_u128(), 0x200_0010u128 << 64);
    assert_eq!(reg[1].address_u64(), 0, "phys.mid and phys.lo only");
}

#[test]
fn typed_reads_give_the_values_of_the_fixtures_text() {
    let t = qemu_default();
    let root = t.at(t.root());
    assert_eq!(root.string("compatible").unwrap(), Some("qemu,pseries"));
    assert_eq!(
        root.string("model").unwrap(),
        Some("IBM pSeries (emulated by qemu)")
    );
    assert_eq!(
        (root.address_cells().unwrap(), root.size_cells().unwrap()),
        (2, 2)
    );
    let phb = t.at(t.find("/pci@800000020000000").unwrap());
    assert_eq!(phb.u32("ibm,pe-total-#msi").unwrap(), Some(0xd00));
    assert_eq!(phb.cells("bus-range").unwrap(), Some(vec![0, 0xff]));
    assert_eq!(
        phb.cells("ibm,ddw-applicable").unwrap(),
        Some(vec![0x2026, 0x2027, 0x2028])
    );
    assert!(phb.flag("used-by-rtas").unwrap());
    assert!(!phb.flag("no-such-flag").unwrap());
    assert_eq!(
        phb.strings("compatible").unwrap(),
        Some(vec!["IBM,Logical_PHB"])
    );
    assert_eq!(
        (phb.address_cells().unwrap(), phb.size_cells().unwrap()),
        (3, 2)
    );
    let vga = t.at(t.find("/pci@800000020000000/vga@0").unwrap());
    assert_eq!(
        vga.string("ibm,loc-code").unwrap(),
        Some("qemu_VGA:0000:00:00.0")
    );
    assert_eq!(vga.u64("vendor-id").unwrap(), Some(0x1234));
    assert_eq!(vga.parent().unwrap().id, phb.id);
    assert_eq!(vga.path(), "/pci@800000020000000/vga@0");
    assert!(vga.has("device-id") && !vga.has("no-such-property"));
    assert_eq!(vga.u32("no-such-property").unwrap(), None);
}

#[test]
fn each_accessor_says_what_is_wrong_with_a_value() {
    let (t, n) = one_node(&[
        ("three", &[1, 2, 3]),
        ("one", &[1]),
        ("five", &[0; 5]),
        ("six", &[0; 6]),
        ("bare", b"abc"),
        ("list", b"a\0b\0"),
        ("latin", b"\xe9t\xe9\0"),
        ("flag", &[0, 0]),
    ]);
    let r = t.at(n);
    let cases = [
        (
            r.u32("three").unwrap_err(),
            "three",
            "expected one cell (4 bytes), found 3 bytes",
        ),
        (
            r.u32("one").unwrap_err(),
            "one",
            "expected one cell (4 bytes), found 1 byte",
        ),
        (
            r.u64("five").unwrap_err(),
            "five",
            "expected 4 or 8 bytes, found 5 bytes",
        ),
        (
            r.cells("six").unwrap_err(),
            "six",
            "length 6 is not a multiple of 4 (cells)",
        ),
        (
            r.string("bare").unwrap_err(),
            "bare",
            "not a string: missing the terminating NUL",
        ),
        (
            r.string("list").unwrap_err(),
            "list",
            "expected one string, found a string list",
        ),
        (
            r.string("latin").unwrap_err(),
            "latin",
            "string is not valid UTF-8",
        ),
        (
            r.strings("bare").unwrap_err(),
            "bare",
            "not a string list: missing the terminating NUL",
        ),
        (
            r.strings("latin").unwrap_err(),
            "latin",
            "string is not valid UTF-8",
        ),
        (
            r.flag("flag").unwrap_err(),
            "flag",
            "expected an empty (flag) property, found 2 bytes",
        ),
    ];
    for (e, prop, want) in cases {
        assert_eq!(message(e, prop), want);
    }
    assert_eq!(r.strings("list").unwrap(), Some(vec!["a", "b"]));
}

#[test]
fn cell_counts_default_and_are_bounded() {
    let (mut t, n) = one_node(&[]);
    assert_eq!(t.at(n).address_cells().unwrap(), 2);
    assert_eq!(t.at(n).size_cells().unwrap(), 1);
    t.set_prop(n, "#address-cells", be(&[4]));
    t.set_prop(n, "#size-cells", be(&[0]));
    assert_eq!(t.at(n).address_cells().unwrap(), 4);
    assert_eq!(t.at(n).size_cells().unwrap(), 0);
    t.set_prop(n, "#address-cells", be(&[5]));
    let e = t.at(n).address_cells().unwrap_err();
    assert_eq!(
        message(e, "#address-cells"),
        "5 cells is more than this reader supports (4)"
    );
    t.set_prop(n, "#size-cells", vec![0, 1]);
    assert!(t.at(n).size_cells().is_err());
}

#[test]
fn reg_and_ranges_at_their_edges() {
    let mut t = Tree::new();
    let root = t.root();
    t.set_prop(root, "reg", be(&[1, 2, 3]));
    let e = t.at(root).reg().unwrap_err();
    assert!(
        matches!(&e, Error::Property { msg, .. } if msg == "the root node has no parent bus"),
        "{e}"
    );
    t.set_prop(root, "#address-cells", be(&[1]));
    t.set_prop(root, "#size-cells", be(&[0]));
    let bus = t.add_child(root, "bus@1");
    assert_eq!(t.at(bus).reg().unwrap(), None);
    assert_eq!(t.at(bus).ranges().unwrap(), None);
    // No size cells: entries of one address cell, size 0.
    t.set_prop(bus, "reg", be(&[1, 7]));
    let reg = t.at(bus).reg().unwrap().unwrap();
    assert_eq!(reg.len(), 2);
    assert_eq!((reg[1].address_u64(), reg[1].size), (7, 0));
    // An empty ranges: the identity mapping.
    t.set_prop(bus, "ranges", Vec::new());
    assert_eq!(t.at(bus).ranges().unwrap(), Some(Vec::new()));
    // The bus's own 2 + 1 cells and the root's 1: 4 cells an entry.
    t.set_prop(bus, "ranges", be(&[0, 1, 2, 3, 4]));
    let e = t.at(bus).ranges().unwrap_err().to_string();
    assert_eq!(
        e,
        "/bus@1: property 'ranges': 5 cells is not a multiple of child 2 + parent 1 + size 1 cells"
    );
    let dev = t.add_child(bus, "dev@0");
    t.set_prop(dev, "reg", be(&[1, 2, 3]));
    let reg = t.at(dev).reg().unwrap().unwrap();
    assert_eq!((reg[0].address.to_vec(), reg[0].size), (vec![1, 2], 3));
    t.set_prop(dev, "reg", be(&[1, 2, 3, 4]));
    let e = t.at(dev).reg().unwrap_err().to_string();
    assert_eq!(
        e,
        "/bus@1/dev@0: property 'reg': 4 cells is not a multiple of #address-cells 2 + #size-cells 1"
    );
    // Both counts 0: nothing to step by.
    t.set_prop(bus, "#address-cells", be(&[0]));
    t.set_prop(bus, "#size-cells", be(&[0]));
    assert!(t.at(dev).reg().is_err());
}
