//! Syntax errors in DTS say what was expected, at the line dtc reports: the common
//! mistakes, each checked against dtc.

mod common;

use common::*;
use of_tree::dts;

/// A source with one mistake, and the words our message must hold.
const MISTAKES: &[(&str, &str, &str)] = &[
    (
        "missing ';' after a property",
        "/dts-v1/;\n/ {\n\tp = <1>\n\tq = <2>;\n};\n",
        "expected ';' or ',' after the property value",
    ),
    (
        "missing ';' after the last property",
        "/dts-v1/;\n/ {\n\tp = <1>\n};\n",
        "expected ';' or ',' after the property value",
    ),
    (
        "missing ';' after a node's '}'",
        "/dts-v1/;\n/ {\n\tn@1 { }\n};\n",
        "expected ';' after '}'",
    ),
    (
        "missing ';' after a node's '}' before a sibling",
        "/dts-v1/;\n/ {\n\tp = <1>;\n\tn {\n\t\tq;\n\t}\n\tm { };\n};\n",
        "expected ';' after '}'",
    ),
    (
        "missing '};' of a node",
        "/dts-v1/;\n/ {\n\tp = <1>;\n\tn {\n\t\tq;\n\n};\n",
        "expected '}': the file ends inside node '/'",
    ),
    (
        "missing '};' of the root",
        "/dts-v1/;\n/ {\n\tp = <1>;\n",
        "expected '}': the file ends inside node '/'",
    ),
    (
        "missing ';' after the root's '}'",
        "/dts-v1/;\n/ {\n}\n",
        "expected ';' after '}'",
    ),
    (
        "a name in a cell list",
        "/dts-v1/;\n/ {\n\tp = <1 x>;\n};\n",
        "expected a number, '(', '&reference' or '>'",
    ),
    (
        "an unclosed cell list",
        "/dts-v1/;\n/ {\n\tp = <1 2;\n};\n",
        "expected a number, '(', '&reference' or '>'",
    ),
    (
        "an unterminated string",
        "/dts-v1/;\n/ {\n\tp = \"abc;\n};\n",
        "unterminated string",
    ),
    (
        "two strings without a comma",
        "/dts-v1/;\n/ {\n\tp = \"a\" \"b\";\n};\n",
        "expected ';' or ',' after the property value",
    ),
    (
        "no value after '='",
        "/dts-v1/;\n/ {\n\tp = ;\n};\n",
        "expected a property value",
    ),
    (
        "no name",
        "/dts-v1/;\n/ {\n\t= <1>;\n};\n",
        "expected a property or node name",
    ),
    (
        "no '{' after the root's '/'",
        "/dts-v1/;\n/\n\tp;\n};\n",
        "expected '{' of the root node",
    ),
    (
        "no ';' after /dts-v1/",
        "/dts-v1/\n/ {\n};\n",
        "expected ';' after /dts-v1/",
    ),
    (
        "no '<' after /bits/",
        "/dts-v1/;\n/ {\n\tp = /bits/ 16 1;\n};\n",
        "expected '<' after /bits/ N",
    ),
    (
        "an odd byte string",
        "/dts-v1/;\n/ {\n\tp = [0 1];\n};\n",
        "byte strings take pairs of hex digits",
    ),
    (
        "an unclosed byte string",
        "/dts-v1/;\n/ {\n\tp = [01 02;\n};\n",
        "expected hex byte pairs or ']'",
    ),
    (
        "an unclosed parenthesis",
        "/dts-v1/;\n/ {\n\tp = <(1 + 2 3)>;\n};\n",
        "expected ')'",
    ),
    (
        "a property inside a cell list's node",
        "/dts-v1/;\n/ {\n\tn { q = <1> };\n};\n",
        "expected ';' or ',' after the property value",
    ),
];

/// dtc's `FILE:LINE.COL` (the start of the range it reports).
fn dtc_place(msg: &str, file: &str) -> (usize, usize) {
    let at = msg
        .find(&format!("{file}:"))
        .unwrap_or_else(|| panic!("no place in dtc's {msg}"));
    let rest = &msg[at + file.len() + 1..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    let mut parts = rest[..end].split('.');
    let mut num = || parts.next().and_then(|p| p.parse().ok()).expect("LINE.COL");
    (num(), num())
}

/// Each mistake: dtc refuses it; we refuse it at the line and column where dtc's
/// report starts, saying what was expected instead of a bare "syntax error".
#[test]
fn syntax_errors_say_what_was_expected_where_dtc_says() {
    let dir = scratch("dts-errors");
    let src = dir.join("t.dts");
    let name = src.display().to_string();
    for (what, text, want) in MISTAKES {
        std::fs::write(&src, text).unwrap();
        let theirs = dtc_run(&src, &[], &dir.join("t.dtb"))
            .err()
            .unwrap_or_else(|| panic!("dtc accepts {what}"));
        let (line, col) = dtc_place(&theirs, &name);
        let ours = dts::parse_file(&src)
            .err()
            .unwrap_or_else(|| panic!("we accept {what}"))
            .to_string();
        assert!(
            ours.starts_with(&format!("{name}:{line}:{col}: ")),
            "{what}: dtc says {theirs}, we say {ours}"
        );
        assert!(ours.contains(want), "{what}: {ours}");
        assert!(!ours.contains("syntax error"), "{what}: {ours}");
    }
}
