//! dtc's integer expressions: `( ... )` with C operators, evaluated in 64-bit unsigned.

use super::lex::{char_lit, enter, fatal, leave, literal, must, sym, ws, PResult};
use nom::branch::alt;

/// An integer primary: a literal, a char literal or a parenthesised expression.
pub(crate) fn prim(i: &str) -> PResult<'_, u64> {
    alt((literal, char_lit, paren))(i)
}

fn paren(i: &str) -> PResult<'_, u64> {
    let (i, _) = sym("(")(i)?;
    enter(i)?;
    let r = expr(i);
    leave();
    let (i, v) = r?;
    let (i, _) = must("')'", sym(")"))(i)?;
    Ok((i, v))
}

/// A full expression (the conditional operator is the loosest).
pub(crate) fn expr(i: &str) -> PResult<'_, u64> {
    enter(i)?;
    let r = conditional(i);
    leave();
    r
}

fn conditional(i: &str) -> PResult<'_, u64> {
    let (i, c) = binary(i, 0)?;
    if let Ok((r, _)) = sym("?")(i) {
        let (r, a) = expr(r)?;
        let (r, _) = must("':' of '?:'", sym(":"))(r)?;
        let (r, b) = expr(r)?;
        return Ok((r, if c != 0 { a } else { b }));
    }
    Ok((i, c))
}

/// Binary operators from loosest to tightest.
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<=", ">=", "<", ">"],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

fn op_at(i: &str, level: usize) -> Option<(&str, &'static str)> {
    let (t, _) = ws(i).ok()?;
    for &op in LEVELS[level] {
        if let Some(rest) = t.strip_prefix(op) {
            // A one-character operator must not be the start of a longer one.
            let longer = match op {
                "|" => rest.starts_with('|'),
                "&" => rest.starts_with('&'),
                "<" => rest.starts_with('<') || rest.starts_with('='),
                ">" => rest.starts_with('>') || rest.starts_with('='),
                _ => false,
            };
            if !longer {
                return Some((rest, op));
            }
        }
    }
    None
}

fn binary(i: &str, level: usize) -> PResult<'_, u64> {
    if level == LEVELS.len() {
        return unary(i);
    }
    let (mut i, mut acc) = binary(i, level + 1)?;
    while let Some((rest, op)) = op_at(i, level) {
        let at = ws(i)?.0;
        let (r, rhs) = binary(rest, level + 1)?;
        acc = match op {
            "||" => ((acc != 0) || (rhs != 0)) as u64,
            "&&" => ((acc != 0) && (rhs != 0)) as u64,
            "|" => acc | rhs,
            "^" => acc ^ rhs,
            "&" => acc & rhs,
            "==" => (acc == rhs) as u64,
            "!=" => (acc != rhs) as u64,
            "<=" => (acc <= rhs) as u64,
            ">=" => (acc >= rhs) as u64,
            "<" => (acc < rhs) as u64,
            ">" => (acc > rhs) as u64,
            "<<" => {
                if rhs < 64 {
                    acc << rhs
                } else {
                    0
                }
            }
            ">>" => {
                if rhs < 64 {
                    acc >> rhs
                } else {
                    0
                }
            }
            "+" => acc.wrapping_add(rhs),
            "-" => acc.wrapping_sub(rhs),
            "*" => acc.wrapping_mul(rhs),
            "/" | "%" => {
                if rhs == 0 {
                    return fatal(at, "division by zero");
                }
                if op == "/" {
                    acc / rhs
                } else {
                    acc % rhs
                }
            }
            _ => unreachable!("operator table and evaluator agree"),
        };
        i = r;
    }
    Ok((i, acc))
}

fn unary(i: &str) -> PResult<'_, u64> {
    enter(i)?;
    let r = unary_inner(i);
    leave();
    r
}

fn unary_inner(i: &str) -> PResult<'_, u64> {
    let (t, _) = ws(i)?;
    if let Some(r) = t.strip_prefix('-') {
        let (r, v) = unary(r)?;
        return Ok((r, v.wrapping_neg()));
    }
    if let Some(r) = t.strip_prefix('~') {
        let (r, v) = unary(r)?;
        return Ok((r, !v));
    }
    if let Some(r) = t.strip_prefix('!') {
        let (r, v) = unary(r)?;
        return Ok((r, (v == 0) as u64));
    }
    must("a number, a character or '('", prim)(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> u64 {
        prim(s).unwrap().1
    }

    #[test]
    fn precedence_and_operators() {
        assert_eq!(ev("(1 + 2 * 3)"), 7);
        assert_eq!(ev("((1 + 2) * 3)"), 9);
        assert_eq!(ev("(1 << 4 | 1)"), 17);
        assert_eq!(ev("(-1)"), u64::MAX);
        assert_eq!(ev("(~0 >> 60)"), 15);
        assert_eq!(ev("(!0 + !5)"), 1);
        assert_eq!(ev("(3 < 4 && 4 <= 4 || 0)"), 1);
        assert_eq!(ev("(1 ? 2 : 3)"), 2);
        assert_eq!(ev("(0 ? 2 : 0 ? 3 : 4)"), 4);
        assert_eq!(ev("(10 % 4 ^ 1)"), 3);
        assert_eq!(ev("(6 & 3 == 3)"), 0);
        assert_eq!(ev("(5 != 5 | 8)"), 8);
        assert_eq!(ev("('a' + 1)"), 98);
        assert_eq!(ev("(1 << 64)"), 0);
        assert!(prim("(1 / 0)").is_err());
        assert!(prim("(1 + )").is_err());
        assert!(prim("(1 + 2").is_err());
    }
}
