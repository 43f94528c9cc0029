//! The DTS printer against dtc on values of every shape dtc tells apart: the same text
//! as `dtc -I dtb -O dts`, and text that dtc and our reader both compile back.

mod common;

use common::*;
use of_tree::{dtb, dts, Reservation, Tree};

/// A tree with a value of each shape dtc guesses (string, string list, cells, bytes)
/// and the edges between them, escapes, reservations and nested nodes.
fn shapes() -> Tree {
    let mut t = Tree::new();
    t.reservations.push(Reservation {
        address: 0x1000,
        size: 0x20,
    });
    t.reservations.push(Reservation {
        address: u64::MAX - 0xfff,
        size: 0x1000,
    });
    let r = t.root();
    let values: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("text", b"hello\0"),
        ("escapes", b"\x07\x08\t\n\x0b\x0c\r\\\"q\0"),
        ("list", b"a\0bc\0"),
        ("empty-string", b"\0"),
        ("two-nuls", b"\0\0"),
        ("more-nuls-than-text", b"a\0\0\0"),
        ("as-many-nuls-as-text", b"ab\0\0"),
        ("cells", &[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]),
        ("bytes", &[1, 2, 3]),
        ("high-byte", b"caf\xe9\0"),
        ("delete-char", b"a\x7fbc"),
        ("unterminated", b"abcd"),
        ("#cells,with-odd_chars+.?", &[0, 0, 0, 2]),
    ];
    for (name, value) in values {
        t.set_prop(r, name, value.to_vec());
    }
    let pci = t.add_child(r, "pci@800000020000000");
    t.set_prop(pci, "compatible", b"IBM,Logical_PHB\0".to_vec());
    let dev = t.add_child(pci, "ethernet@1,2");
    t.set_prop(
        dev,
        "local-mac-address",
        vec![0x52, 0x54, 0, 0x12, 0x34, 0x56],
    );
    t.add_child(dev, "leaf");
    t.add_child(r, "empty-node");
    t
}

#[test]
fn every_value_shape_prints_as_dtc_prints_it() {
    let dir = scratch("print-shapes");
    let t = shapes();
    let blob = dir.join("t.dtb");
    std::fs::write(&blob, dtb::write(&t, &Default::default()).unwrap()).unwrap();
    let ours = dts::print(&t);
    let theirs = dtc_decompile(&blob);
    for (i, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(a, b, "line {}", i + 1);
    }
    assert_eq!(ours, theirs);
    // The shapes were told apart as dtc tells them (so the test covers each one).
    for line in [
        "\tempty;",
        "\ttext = \"hello\";",
        "\tlist = \"a\\0bc\";",
        "\tbytes = [01 02 03];",
        "\tmore-nuls-than-text = <0x61000000>;",
    ] {
        assert!(ours.lines().any(|l| l == line), "{line} in\n{ours}");
    }
}

#[test]
fn printed_text_compiles_back_with_dtc_and_with_our_reader() {
    let dir = scratch("print-back");
    let t = shapes();
    let text = dir.join("t.dts");
    std::fs::write(&text, dts::print(&t)).unwrap();
    let compiled = dir.join("t.dtb");
    dtc_compile(&text, &compiled);
    assert_eq!(dtb::read(&std::fs::read(&compiled).unwrap()).unwrap(), t);
    assert_eq!(dts::parse_file(&text).unwrap(), t);
}

/// A NUL before an octal digit prints as `\0` then the digit, which reads back as one
/// octal escape: the text loses the digit, for dtc as for us, and we agree with dtc.
#[test]
fn a_nul_before_an_octal_digit_reads_back_as_dtc_reads_it() {
    let dir = scratch("print-octal");
    let mut t = Tree::new();
    t.set_prop(t.root(), "p", b"\0\x07\x07\x000\0".to_vec());
    let blob = dir.join("t.dtb");
    std::fs::write(&blob, dtb::write(&t, &Default::default()).unwrap()).unwrap();
    let text = dts::print(&t);
    assert_eq!(text, dtc_decompile(&blob));
    assert!(text.contains("p = \"\\0\\a\\a\\00\";"), "{text}");
    let src = dir.join("t.dts");
    std::fs::write(&src, &text).unwrap();
    let compiled = dir.join("back.dtb");
    dtc_compile(&src, &compiled);
    let theirs = dtb::read(&std::fs::read(&compiled).unwrap()).unwrap();
    let ours = dts::parse_str(&text, "t.dts").unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(
        &ours.node(ours.root()).props[0].value[..],
        b"\0\x07\x07\0\0"
    );
}
