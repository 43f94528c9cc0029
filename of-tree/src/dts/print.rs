//! Printing a tree as DTS, byte for byte as `dtc -I dtb -O dts` prints a blob.

use crate::node::{NodeId, Property};
use crate::tree::Tree;
use std::fmt::Write;

/// The tree as DTS text, in dtc's layout: cells as `<0x02>`, text as strings (a
/// string list as one string with `\0` inside), anything else as `[bytes]`.
pub fn print(tree: &Tree) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("/dts-v1/;\n\n");
    for r in &tree.reservations {
        let _ = writeln!(out, "/memreserve/\t{:#018x} {:#018x};", r.address, r.size);
    }
    node(tree, tree.root(), &mut out);
    out
}

fn node(tree: &Tree, id: NodeId, out: &mut String) {
    // Iterative: (node, next child index, depth).
    let mut stack = vec![(id, 0usize, 0usize)];
    while let Some((cur, idx, d)) = stack.pop() {
        let n = tree.node(cur);
        if idx == 0 {
            indent(d, out);
            for l in n.labels.iter() {
                let _ = write!(out, "{l}: ");
            }
            out.push_str(if n.parent().is_none() { "/" } else { n.name() });
            out.push_str(" {\n");
            for p in &n.props {
                indent(d + 1, out);
                prop(p, out);
            }
        }
        if let Some(&c) = n.children().get(idx) {
            out.push('\n');
            stack.push((cur, idx + 1, d));
            stack.push((c, 0, d + 1));
        } else {
            indent(d, out);
            out.push_str("};\n");
        }
    }
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push('\t');
    }
}

/// How dtc shows a value it has no type for.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    String,
    Cells,
    Bytes,
}

fn prop(p: &Property, out: &mut String) {
    for l in p.labels.iter() {
        let _ = write!(out, "{l}: ");
    }
    out.push_str(p.name());
    let v = &p.value;
    if v.is_empty() {
        out.push_str(";\n");
        return;
    }
    out.push_str(" = ");
    match shape(v) {
        Shape::String => string(&v[..v.len() - 1], out),
        Shape::Cells => {
            out.push('<');
            for (i, c) in v.chunks_exact(4).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(
                    out,
                    "0x{:02x}",
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                );
            }
            out.push('>');
        }
        Shape::Bytes => {
            out.push('[');
            for (i, b) in v.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "{b:02x}");
            }
            out.push(']');
        }
    }
    out.push_str(";\n");
}

/// A string's bytes (without the final NUL) in quotes, escaped as dtc escapes them.
fn string(s: &[u8], out: &mut String) {
    out.push('"');
    for &b in s {
        match b {
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            11 => out.push_str("\\v"),
            12 => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0 => out.push_str("\\0"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

/// dtc's guess (`guess_value_type`): text when it ends in NUL, holds only printable
/// characters, C escapes and NULs, and no more NULs than other bytes; else cells
/// when the length is a multiple of 4; else bytes.
fn shape(v: &[u8]) -> Shape {
    let is_text = |b: u8| (0x20..0x7f).contains(&b) || b == 0 || (7..=13).contains(&b);
    let nuls = v.iter().filter(|&&b| b == 0).count();
    if v.last() == Some(&0) && v.iter().all(|&b| is_text(b)) && nuls <= v.len() - nuls {
        Shape::String
    } else if v.len().is_multiple_of(4) {
        Shape::Cells
    } else {
        Shape::Bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dts::parse_str;

    #[test]
    fn prints_what_parses_back() {
        let mut t = Tree::new();
        let r = t.root();
        t.set_prop(r, "model", b"IBM \"pSeries\"\0".to_vec());
        t.set_prop(r, "list", b"a1\0b2\0".to_vec());
        t.set_prop(r, "cells", vec![0, 0, 0, 1, 0xff, 0, 0, 0]);
        t.set_prop(r, "bytes", vec![1, 2, 3]);
        t.set_prop(r, "flag", vec![]);
        t.set_prop(r, "nul", vec![0]);
        t.set_prop(r, "ctl", b"\x07\x08\x0b\x0c\r\\\0".to_vec());
        let c = t.add_child(
            r,
            "ibm,a-very-long-node-name-over-sixty-four-characters-xxxxxxxxxxxxxxxx@1",
        );
        t.set_prop(c, "x", vec![0, 0]);
        t.add_child(c, "leaf");
        let text = print(&t);
        let back = parse_str(&text, "printed").unwrap();
        assert_eq!(back, t, "{text}");
    }

    #[test]
    fn layout_is_dtcs() {
        let mut t = Tree::new();
        let r = t.root();
        t.reservations.push(crate::tree::Reservation {
            address: 0x1000,
            size: 0x20,
        });
        t.set_prop(r, "c", vec![0, 0, 0, 2]);
        let a = t.add_child(r, "a");
        t.add_child(a, "b");
        let want = "/dts-v1/;\n\n/memreserve/\t0x0000000000001000 0x0000000000000020;\n\
/ {\n\tc = <0x02>;\n\n\ta {\n\n\t\tb {\n\t\t};\n\t};\n};\n";
        assert_eq!(print(&t), want);
    }

    #[test]
    fn value_guess() {
        assert_eq!(shape(b"abc\0"), Shape::String);
        assert_eq!(shape(b"ab\0cd\0"), Shape::String);
        assert_eq!(shape(b"ab\0\0"), Shape::String);
        assert_eq!(shape(b"a\0\0\0"), Shape::Cells);
        assert_eq!(shape(b"\0"), Shape::Bytes);
        assert_eq!(shape(&[0, 0, 0, 1]), Shape::Cells);
        assert_eq!(shape(&[1, 0, 0]), Shape::Bytes);
        let mut s = String::new();
        string(b"a\0b", &mut s);
        assert_eq!(s, "\"a\\0b\"");
    }
}
