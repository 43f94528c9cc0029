//! The grammar of dtc's source dialect, producing the syntax tree.

use super::ast::{At, Cell, Item, NodeDef, Piece, PropDef, RefAt, Top};
use super::expr::prim;
use super::lex::{
    enter, expect, fatal, hex_byte, label_def, labels, leave, literal, must, name, reference,
    string_lit, sym, ws, PResult,
};

/// A whole source file: headers, memory reservations, then tree blocks.
pub(crate) fn file<'a>(i: &'a str) -> PResult<'a, Vec<Top>> {
    let (mut i, _) = must("'/dts-v1/;' at the start", sym("/dts-v1/"))(i)?;
    i = must("';' after /dts-v1/", sym(";"))(i)?.0;
    let mut out = Vec::new();
    // dtc's order: headers (each /dts-v1/; with an optional /plugin/; after it), then
    // memory reservations, then the tree.
    let mut in_headers = true;
    let mut after_v1 = true;
    // Every header must say /plugin/, or none (dtc: "Header flags don't match").
    let mut first_plugin: Option<bool> = None;
    let mut this_plugin = false;
    let mut header_done = |plugin: bool, at: &'a str| -> PResult<'a, ()> {
        match first_plugin {
            Some(p) if p != plugin => fatal(at, "Header flags don't match earlier ones"),
            _ => {
                first_plugin = Some(plugin);
                Ok((at, ()))
            }
        }
    };
    let mut seen_tree = false;
    loop {
        let (t, _) = ws(i)?;
        seen_tree |= out
            .last()
            .is_some_and(|t| !matches!(t, Top::Plugin | Top::Memreserve(..)));
        if t.is_empty() {
            if !seen_tree {
                return fatal(t, "expected the tree: '/ { ... };'");
            }
            return Ok((t, out));
        }
        if let Ok((r, _)) = sym("/dts-v1/")(t) {
            if !in_headers {
                return fatal(t, "/dts-v1/ must come before reservations and the tree");
            }
            header_done(this_plugin, t)?;
            this_plugin = false;
            i = must("';'", sym(";"))(r)?.0;
            after_v1 = true;
            continue;
        }
        if let Ok((r, _)) = sym("/plugin/")(t) {
            if !after_v1 {
                return fatal(t, "/plugin/ must follow /dts-v1/;");
            }
            i = must("';' after /plugin/", sym(";"))(r)?.0;
            out.push(Top::Plugin);
            this_plugin = true;
            after_v1 = false;
            continue;
        }
        if in_headers {
            header_done(this_plugin, t)?;
        }
        in_headers = false;
        after_v1 = false;
        if let Ok((r, _)) = sym("/omit-if-no-ref/")(t) {
            let (r, (target, at)) = must("a &reference after /omit-if-no-ref/", reference)(r)?;
            let (r, _) = must("';'", sym(";"))(r)?;
            out.push(Top::OmitIfNoRef(RefAt {
                r: target,
                at: At::of(at),
            }));
            i = r;
            continue;
        }
        let (r, labs) = labels(t)?;
        if let Ok((r, _)) = sym("/memreserve/")(r) {
            if seen_tree {
                return fatal(t, "/memreserve/ must come before the tree");
            }
            let (r, addr) = must("an address", prim)(r)?;
            let (r, size) = must("a size", prim)(r)?;
            let (r, _) = must("';'", sym(";"))(r)?;
            out.push(Top::Memreserve(addr, size));
            i = r;
            continue;
        }
        if let Ok((r2, _)) = sym("/delete-node/")(r) {
            if !labs.is_empty() {
                return fatal(t, "labels cannot go on /delete-node/");
            }
            let r = r2;
            let (r, (target, at)) = must("a &reference after /delete-node/", reference)(r)?;
            let (r, _) = must("';'", sym(";"))(r)?;
            out.push(Top::DeleteNode(RefAt {
                r: target,
                at: At::of(at),
            }));
            i = r;
            continue;
        }
        if let Ok((r2, _)) = sym("/")(r) {
            if labs.is_empty() {
                let (r2, items) = must("'{' of the root node", |i| body(i, "/"))(r2)?;
                let (r2, _) = must("';' after '}'", sym(";"))(r2)?;
                out.push(Top::Root(items));
                i = r2;
                continue;
            }
        }
        if let Ok((r2, (target, at))) = reference(r) {
            let name = target.to_string();
            let (r2, items) = must("'{' after the reference", |i| body(i, &name))(r2)?;
            let (r2, _) = must("';' after '}'", sym(";"))(r2)?;
            out.push(Top::Extend {
                labels: labs,
                target: RefAt {
                    r: target,
                    at: At::of(at),
                },
                items,
            });
            i = r2;
            continue;
        }
        return fatal(
            r,
            "expected '/ {', '&label {', /memreserve/ or /delete-node/ at the top level",
        );
    }
}

/// A node body `{ items }` (without the closing `;`); `node` names it in messages.
fn body<'a>(i: &'a str, node: &str) -> PResult<'a, Vec<Item>> {
    let (i, _) = sym("{")(i)?;
    enter(i)?;
    let r = body_items(i, node);
    leave();
    r
}

fn body_items<'a>(i: &'a str, node: &str) -> PResult<'a, Vec<Item>> {
    let mut i = i;
    let mut items = Vec::new();
    let mut seen_node = false;
    loop {
        let (t, _) = ws(i)?;
        if let Some(r) = t.strip_prefix('}') {
            return Ok((r, items));
        }
        if t.is_empty() {
            // Where the last token ends, as dtc places an error at the end of input.
            return fatal(
                i,
                format!("expected '}}': the file ends inside node '{node}' (a '}};' missing)"),
            );
        }
        let (r, item) = item(t)?;
        match item {
            Item::Node(_) | Item::DelNode(..) => seen_node = true,
            Item::Prop(_) | Item::DelProp(..) if seen_node => {
                return fatal(t, "properties must precede subnodes");
            }
            _ => {}
        }
        items.push(item);
        i = r;
    }
}

fn item(i: &str) -> PResult<'_, Item> {
    // Labels and /omit-if-no-ref/ come in any order before a definition, as dtc's
    // grammar has it; before a deletion they mean nothing.
    let (mut r, mut labs) = labels(i)?;
    let mut omit = false;
    while let Ok((rr, _)) = sym("/omit-if-no-ref/")(r) {
        omit = true;
        let (rr, more) = labels(rr)?;
        labs.extend(more);
        r = rr;
    }
    let (r, _) = ws(r)?;
    let at = At::of(r);
    if let Ok((r2, _)) = sym("/delete-property/")(r) {
        if omit {
            return fatal(
                r,
                "/omit-if-no-ref/ applies to nodes, not /delete-property/",
            );
        }
        let (r2, n) = must("a property name", name)(r2)?;
        let (r2, _) = must("';'", sym(";"))(r2)?;
        return Ok((r2, Item::DelProp(n.to_string(), at)));
    }
    if let Ok((r2, _)) = sym("/delete-node/")(r) {
        let (r2, n) = must("a node name", name)(r2)?;
        let (r2, _) = must("';'", sym(";"))(r2)?;
        return Ok((r2, Item::DelNode(n.to_string(), at)));
    }
    let (r, n) = must("a property or node name, or '}'", name)(r)?;
    let (t, _) = ws(r)?;
    if omit && !t.starts_with('{') {
        return fatal(t, "/omit-if-no-ref/ applies to nodes: expected '{'");
    }
    if t.starts_with('{') {
        let (r, items) = body(t, n)?;
        let (r, _) = must("';' after '}'", sym(";"))(r)?;
        return Ok((
            r,
            Item::Node(NodeDef {
                labels: labs,
                name: n.to_string(),
                items,
                omit,
                at,
            }),
        ));
    }
    if let Some(r) = t.strip_prefix(';') {
        return Ok((
            r,
            Item::Prop(PropDef {
                labels: labs,
                name: n.to_string(),
                value: Vec::new(),
                value_labels: Vec::new(),
                at,
            }),
        ));
    }
    if let Some(r) = t.strip_prefix('=') {
        let mut value_labels = Vec::new();
        let (r, value) = value(r, &mut value_labels)?;
        let (r, _) = must("';' or ',' after the property value", sym(";"))(r)?;
        return Ok((
            r,
            Item::Prop(PropDef {
                labels: labs,
                name: n.to_string(),
                value,
                value_labels,
                at,
            }),
        ));
    }
    fatal(t, "expected '=', ';' or '{' after the name")
}

/// Labels are allowed before and after each piece and between cells and bytes; they
/// mark offsets in the value. Only their names and places are kept (for the duplicate
/// label check).
fn value_labels<'a>(mut i: &'a str, out: &mut Vec<(String, At)>) -> &'a str {
    while let Ok((r, l)) = label_def(i) {
        out.push((l.to_string(), At::of(ws(i).map(|(t, _)| t).unwrap_or(i))));
        i = r;
    }
    i
}

fn value<'a>(i: &'a str, labs: &mut Vec<(String, At)>) -> PResult<'a, Vec<Piece>> {
    let mut out = Vec::new();
    let mut i = i;
    loop {
        i = value_labels(i, labs);
        let (r, p) = piece(i, labs)?;
        out.push(p);
        i = value_labels(r, labs);
        match sym(",")(i) {
            Ok((r, _)) => i = r,
            Err(_) => return Ok((i, out)),
        }
    }
}

fn piece<'a>(i: &'a str, labs: &mut Vec<(String, At)>) -> PResult<'a, Piece> {
    let (t, _) = ws(i)?;
    if let Ok((r, _)) = sym("/incbin/")(t) {
        return incbin(t, r);
    }
    if t.starts_with('"') {
        let (r, mut s) = string_lit(t)?;
        s.push(0);
        return Ok((r, Piece::Bytes(s)));
    }
    if t.starts_with('[') {
        return bytestring(t, labs);
    }
    if t.starts_with('&') {
        let (r, (target, at)) = reference(t)?;
        return Ok((
            r,
            Piece::PathRef(RefAt {
                r: target,
                at: At::of(at),
            }),
        ));
    }
    if let Ok((r, _)) = sym("/bits/")(t) {
        let (r2, bits) = must("an element size after /bits/", literal)(r)?;
        if ![8, 16, 32, 64].contains(&bits) {
            return fatal(ws(r)?.0, "array elements must be 8, 16, 32 or 64 bits");
        }
        let (r2, _) = must("'<' after /bits/ N", sym("<"))(r2)?;
        return cells(r2, bits as u32, labs);
    }
    if let Some(r) = t.strip_prefix('<') {
        return cells(r, 32, labs);
    }
    fatal(
        t,
        "expected a property value: \"string\", <cells>, [bytes] or &reference",
    )
}

fn cells<'a>(mut i: &'a str, bits: u32, labs: &mut Vec<(String, At)>) -> PResult<'a, Piece> {
    let mut out = Vec::new();
    loop {
        i = value_labels(i, labs);
        let (t, _) = ws(i)?;
        if let Some(r) = t.strip_prefix('>') {
            return Ok((r, Piece::Cells { bits, cells: out }));
        }
        if t.starts_with('&') {
            if bits != 32 {
                return fatal(
                    t,
                    "references are only allowed in arrays with 32-bit elements",
                );
            }
            let (r, (target, at)) = reference(t)?;
            out.push(Cell::Ref(RefAt {
                r: target,
                at: At::of(at),
            }));
            i = r;
            continue;
        }
        let (r, v) =
            expect("a number, '(', '&reference' or '>'", prim)(t).map_err(|e| match e {
                nom::Err::Error(x) => nom::Err::Failure(x),
                other => other,
            })?;
        if bits < 64 {
            let mask = (1u64 << bits) - 1;
            if v & !mask != 0 && (v | mask) != u64::MAX {
                return fatal(
                    t,
                    format!("value out of range for a {bits}-bit array element"),
                );
            }
        }
        out.push(Cell::Num(v, At::of(t)));
        i = r;
    }
}

/// `/incbin/("file")` or `/incbin/("file", offset, length)`, after the keyword.
fn incbin<'a>(start: &'a str, i: &'a str) -> PResult<'a, Piece> {
    let (i, _) = must("'(' after /incbin/", sym("("))(i)?;
    let (i, path) = must("a quoted file name", string_lit)(i)?;
    let path = String::from_utf8_lossy(&path).into_owned();
    let (i, range) = match sym(",")(i) {
        Ok((r, _)) => {
            let (r, off) = must("an offset", prim)(r)?;
            let (r, _) = must("',' after the offset", sym(","))(r)?;
            let (r, len) = must("a length", prim)(r)?;
            (r, Some((off, len)))
        }
        Err(_) => (i, None),
    };
    let (i, _) = must("')' after the /incbin/ arguments", sym(")"))(i)?;
    let at = At::of(start);
    Ok((i, Piece::Incbin { path, range, at }))
}

fn bytestring<'a>(i: &'a str, labs: &mut Vec<(String, At)>) -> PResult<'a, Piece> {
    let mut i = &i[1..];
    let mut out = Vec::new();
    loop {
        i = value_labels(i, labs);
        let (t, _) = ws(i)?;
        if let Some(r) = t.strip_prefix(']') {
            return Ok((r, Piece::Bytes(out)));
        }
        let (r, b) = must("hex byte pairs or ']'", hex_byte)(t)?;
        out.push(b);
        i = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_file() {
        let src = "/dts-v1/;\n/memreserve/ 0x1000 (4096 * 2);\n/ {\n a: n@1 { p = <1 &a>, \"s\", [00ff]; q; };\n /delete-node/ x;\n};\n&a { /delete-property/ q; };\n";
        let (rest, tops) = file(src).unwrap();
        assert!(rest.is_empty());
        assert_eq!(tops.len(), 3);
        assert_eq!(tops[0], Top::Memreserve(0x1000, 8192));
        let Top::Root(items) = &tops[1] else {
            panic!("root expected")
        };
        let Item::Node(n) = &items[0] else {
            panic!("node expected")
        };
        assert_eq!(n.labels, vec!["a".to_string()]);
        assert_eq!(n.items.len(), 2);
    }

    #[test]
    fn overlay_and_file_syntax() {
        let src = "/dts-v1/;\n/plugin/;\n&l { /omit-if-no-ref/ a: /omit-if-no-ref/ n { p = x: /incbin/(\"f\", 1, 2), y: <1 z: 2>; }; };\n/omit-if-no-ref/ &l;";
        let (rest, tops) = file(src).unwrap();
        assert!(rest.trim().is_empty());
        assert_eq!(tops[0], Top::Plugin);
        assert!(matches!(tops[2], Top::OmitIfNoRef(_)));
        let Top::Extend { items, .. } = &tops[1] else {
            panic!("extension expected")
        };
        let Item::Node(n) = &items[0] else {
            panic!("node expected")
        };
        assert!(n.omit);
        assert_eq!(n.labels, vec!["a".to_string()]);
        let Item::Prop(p) = &n.items[0] else {
            panic!("property expected")
        };
        let labels: Vec<&str> = p.value_labels.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["x", "y", "z"]);
        assert!(matches!(
            &p.value[0],
            Piece::Incbin { path, range: Some((1, 2)), .. } if path == "f"
        ));
        assert!(file("/dts-v1/; / { /omit-if-no-ref/ p; };").is_err());
        assert!(file("/dts-v1/; / { p = /incbin/(\"f\", 1); };").is_err());
        assert!(file("/dts-v1/; /plugin/ / { };").is_err());
        assert!(file("/dts-v1/; / { }; /memreserve/ 0 1;").is_err());
        assert!(file("/dts-v1/; / { }; /dts-v1/;").is_err());
        assert!(file("/dts-v1/; /memreserve/ 0 1;").is_err());
        assert!(file("/dts-v1/; /memreserve/ 0 1; /plugin/;").is_err());
        assert!(file("/dts-v1/; /plugin/; /dts-v1/; /plugin/; / { };").is_ok());
        assert!(file("/dts-v1/; /dts-v1/; /plugin/; / { };").is_err());
        assert!(file("/dts-v1/; / { }; l: /delete-node/ &x;").is_err());
        assert!(file("/dts-v1/; / { l: /omit-if-no-ref/ /delete-node/ a; };").is_ok());
    }

    #[test]
    fn errors_point_at_the_problem() {
        let src = "/dts-v1/;\n/ { p = <1 2; };";
        let e = file(src).unwrap_err();
        let nom::Err::Failure(e) = e else {
            panic!("failure expected")
        };
        assert!(e.msg.contains("expected"), "{}", e.msg);
        assert!(file("/ { };").is_err());
        assert!(file("/dts-v1/; / { p = /bits/ 7 <1>; };").is_err());
        assert!(file("/dts-v1/; / { p = /bits/ 8 <256>; };").is_err());
        assert!(file("/dts-v1/; / { p = /bits/ 8 <(-1)>; };").is_ok());
    }
}
