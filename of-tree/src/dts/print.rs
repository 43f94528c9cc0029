//! Printing a tree as DTS that dtc compiles back to the same tree.

use crate::tree::{NodeId, Property, Tree};
use std::fmt::Write;

/// The tree as DTS text.
pub fn print(tree: &Tree) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("/dts-v1/;\n");
    if tree.boot_cpuid != 0 {
        let _ = writeln!(out, "// boot cpuid: {:#x}", tree.boot_cpuid);
    }
    out.push('\n');
    for r in &tree.reservations {
        let _ = writeln!(out, "/memreserve/ {:#018x} {:#018x};", r.address, r.size);
    }
    if !tree.reservations.is_empty() {
        out.push('\n');
    }
    node(tree, tree.root(), 0, &mut out);
    out
}

fn node(tree: &Tree, id: NodeId, depth: usize, out: &mut String) {
    // Iterative: (node, next child index, depth).
    let mut stack = vec![(id, 0usize, depth)];
    while let Some((cur, idx, d)) = stack.pop() {
        let n = tree.node(cur);
        let indent = "\t".repeat(d);
        if idx == 0 {
            out.push_str(&indent);
            for l in n.labels.iter() {
                let _ = write!(out, "{l}: ");
            }
            out.push_str(if n.parent().is_none() { "/" } else { n.name() });
            out.push_str(" {\n");
            for p in &n.props {
                out.push_str(&indent);
                out.push('\t');
                prop(p, out);
            }
            if !n.children().is_empty() && !n.props.is_empty() {
                out.push('\n');
            }
        }
        if let Some(&c) = n.children().get(idx) {
            if idx > 0 {
                out.push('\n');
            }
            stack.push((cur, idx + 1, d));
            stack.push((c, 0, d + 1));
        } else {
            out.push_str(&indent);
            out.push_str("};\n");
        }
    }
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
    if is_string_list(v) {
        let mut first = true;
        for s in v[..v.len() - 1].split(|&b| b == 0) {
            if !first {
                out.push_str(", ");
            }
            first = false;
            out.push('"');
            for &b in s {
                match b {
                    b'"' => out.push_str("\\\""),
                    b'\\' => out.push_str("\\\\"),
                    b'\t' => out.push_str("\\t"),
                    b'\n' => out.push_str("\\n"),
                    0x20..=0x7e => out.push(b as char),
                    _ => {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
            }
            out.push('"');
        }
    } else if v.len().is_multiple_of(4) {
        out.push('<');
        for (i, c) in v.chunks_exact(4).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{:#x}", u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        }
        out.push('>');
    } else {
        out.push('[');
        for (i, b) in v.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{b:02x}");
        }
        out.push(']');
    }
    out.push_str(";\n");
}

/// dtc's guess: printable text in NUL-terminated pieces, none of them empty.
fn is_string_list(v: &[u8]) -> bool {
    if v.len() < 2 || v[v.len() - 1] != 0 || v[0] == 0 {
        return false;
    }
    let body = &v[..v.len() - 1];
    if body.windows(2).any(|w| w[0] == 0 && w[1] == 0) {
        return false;
    }
    let printable = body
        .iter()
        .filter(|&&b| b != 0 && ((0x20..0x7f).contains(&b) || b == b'\t' || b == b'\n'))
        .count();
    let nuls = body.iter().filter(|&&b| b == 0).count();
    printable + nuls == body.len() && nuls * 4 <= body.len()
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
    fn string_guess() {
        assert!(is_string_list(b"abc\0"));
        assert!(is_string_list(b"ab\0cd\0"));
        assert!(!is_string_list(b"\0"));
        assert!(!is_string_list(b"ab\0\0"));
        assert!(!is_string_list(&[0, 0, 0, 1]));
        assert!(!is_string_list(&[1, 0, 0, 0]));
    }
}
