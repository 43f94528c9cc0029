//! Tokens of dtc's source dialect, as nom parsers over the expanded text.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::IResult;
use std::borrow::Cow;

/// A parse failure: where (the rest of the input) and what was expected.
#[derive(Debug, Clone)]
pub(crate) struct PErr<'a> {
    pub input: &'a str,
    pub msg: Cow<'static, str>,
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _: nom::error::ErrorKind) -> Self {
        // nom's kind (Tag, Char, ...) means nothing to a reader: say what is there. The
        // grammar's `expect` and `must` replace this with what was expected.
        PErr {
            input,
            msg: Cow::Owned(unexpected(input)),
        }
    }

    fn append(_: &'a str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep whichever alternative got further.
        if other.input.len() <= self.input.len() {
            other
        } else {
            self
        }
    }
}

/// "unexpected X" for the token that starts `input` (after white space).
pub(crate) fn unexpected(input: &str) -> String {
    let t = input.trim_start();
    let Some(c) = t.chars().next() else {
        return "unexpected end of input".into();
    };
    let word: String = if is_name_char(c) {
        t.chars()
            .take_while(|&c| is_name_char(c))
            .take(32)
            .collect()
    } else {
        c.to_string()
    };
    match c {
        '\0' => "unexpected NUL byte".into(),
        c if c.is_control() => format!("unexpected control character {:#04x}", c as u32),
        _ => format!("unexpected '{word}'"),
    }
}

/// How deep `( )` expressions and `{ }` node bodies may nest.
pub(crate) const MAX_DEPTH: usize = 200;

thread_local! {
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Enters one level of nesting; a failure past [`MAX_DEPTH`]. Pair with [`leave`].
pub(crate) fn enter(i: &str) -> Result<(), nom::Err<PErr<'_>>> {
    let d = DEPTH.with(|c| {
        let d = c.get() + 1;
        c.set(d);
        d
    });
    if d > MAX_DEPTH {
        DEPTH.with(|c| c.set(c.get() - 1));
        return Err(nom::Err::Failure(PErr {
            input: i,
            msg: Cow::Owned(format!("nested more than {MAX_DEPTH} deep")),
        }));
    }
    Ok(())
}

/// Leaves one level of nesting.
pub(crate) fn leave() {
    DEPTH.with(|c| c.set(c.get().saturating_sub(1)));
}

/// Result of a token or grammar parser.
pub(crate) type PResult<'a, T> = IResult<&'a str, T, PErr<'a>>;

/// A recoverable error at `input`.
pub(crate) fn fail<T>(input: &str, msg: impl Into<Cow<'static, str>>) -> PResult<'_, T> {
    Err(nom::Err::Error(PErr {
        input,
        msg: msg.into(),
    }))
}

/// An unrecoverable error at `input` (no other alternative is tried).
pub(crate) fn fatal<T>(input: &str, msg: impl Into<Cow<'static, str>>) -> PResult<'_, T> {
    Err(nom::Err::Failure(PErr {
        input,
        msg: msg.into(),
    }))
}

/// Runs `p`; when it fails without consuming anything, says "expected `what`".
pub(crate) fn expect<'a, O>(
    what: &'static str,
    mut p: impl FnMut(&'a str) -> PResult<'a, O>,
) -> impl FnMut(&'a str) -> PResult<'a, O> {
    move |i: &'a str| {
        p(i).map_err(|e| match e {
            nom::Err::Error(mut err) => {
                // Nothing consumed but white space (which `p` may skip itself before
                // failing): the next token is not `what`.
                let at = ws(i).map(|(t, _)| t).unwrap_or(i);
                if err.input.len() >= at.len() {
                    // At the end of the text, where the last token ends (as dtc).
                    (err.input, err.msg) = if at.is_empty() {
                        (
                            i,
                            Cow::Owned(format!("expected {what}, found the end of the file")),
                        )
                    } else {
                        (at, Cow::Owned(format!("expected {what}")))
                    };
                }
                nom::Err::Error(err)
            }
            other => other,
        })
    }
}

/// Like [`expect`], and a failure is final.
pub(crate) fn must<'a, O>(
    what: &'static str,
    p: impl FnMut(&'a str) -> PResult<'a, O>,
) -> impl FnMut(&'a str) -> PResult<'a, O> {
    let mut p = expect(what, p);
    move |i: &'a str| {
        p(i).map_err(|e| match e {
            nom::Err::Error(x) => nom::Err::Failure(x),
            other => other,
        })
    }
}

/// Skips white space, `//` comments and `/* */` comments.
pub(crate) fn ws(mut i: &str) -> PResult<'_, ()> {
    loop {
        let t = i.trim_start();
        if let Some(r) = t.strip_prefix("//") {
            // dtc's lexer takes a line comment with its newline: without one, at the
            // end of the text, it is an error there.
            match r.find('\n') {
                Some(n) => i = &r[n..],
                None => return fatal(t, "a // comment must end with a newline"),
            }
        } else if let Some(r) = t.strip_prefix("/*") {
            match r.find("*/") {
                Some(n) => i = &r[n + 2..],
                None => return fatal(t, "unterminated /* comment"),
            }
        } else {
            return Ok((t, ()));
        }
    }
}

/// A fixed token after optional white space.
pub(crate) fn sym<'a>(s: &'static str) -> impl FnMut(&'a str) -> PResult<'a, &'a str> {
    move |i: &'a str| {
        let (i, _) = ws(i)?;
        tag(s)(i)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ",._+*#?@-".contains(c)
}

fn is_label_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A label definition `name:` (after optional white space).
pub(crate) fn label_def(i: &str) -> PResult<'_, &str> {
    let (i, _) = ws(i)?;
    let (r, l) = recognize(pair(satisfy(is_label_start), take_while(is_label_char)))(i)?;
    let (r, _) = char(':')(r)?;
    Ok((r, l))
}

/// Zero or more label definitions.
pub(crate) fn labels(mut i: &str) -> PResult<'_, Vec<String>> {
    let mut out = Vec::new();
    while let Ok((r, l)) = label_def(i) {
        out.push(l.to_string());
        i = r;
    }
    Ok((i, out))
}

/// A node or property name (dtc's PROPNODENAME characters), optionally escaped with
/// one leading `\` (so `\#address-cells` is `#address-cells`).
pub(crate) fn name(i: &str) -> PResult<'_, &str> {
    let (i, _) = ws(i)?;
    let i = i.strip_prefix('\\').unwrap_or(i);
    take_while1(is_name_char)(i)
}

/// A reference to a node: `&label` or `&{/path}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ref {
    /// `&label`
    Label(String),
    /// `&{/path}`
    Path(String),
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ref::Label(l) => write!(f, "&{l}"),
            Ref::Path(p) => write!(f, "&{{{p}}}"),
        }
    }
}

/// A reference, returning where it starts too.
pub(crate) fn reference(i: &str) -> PResult<'_, (Ref, &str)> {
    let (i, _) = ws(i)?;
    let at = i;
    let (r, _) = char('&')(i)?;
    if let Some(body) = r.strip_prefix('{') {
        // dtc's `&{/` PATHCHAR* `}`: a path of name characters.
        if !body.starts_with('/') {
            return fatal(r, "expected a path starting with '/' in &{...}");
        }
        let end = body
            .find(|c: char| !(is_name_char(c) || c == '/'))
            .unwrap_or(body.len());
        if !body[end..].starts_with('}') {
            return fatal(
                r,
                "unterminated &{...} reference (a path of name characters)",
            );
        }
        let rest = &body[end + 1..];
        return Ok((rest, (Ref::Path(body[..end].to_string()), at)));
    }
    let (r, l) = must(
        "a label after '&'",
        recognize(pair(satisfy(is_label_start), take_while(is_label_char))),
    )(r)?;
    Ok((r, (Ref::Label(l.to_string()), at)))
}

/// An integer literal: decimal, `0x` hex or `0` octal, with dtc's U/L suffixes.
pub(crate) fn literal(i: &str) -> PResult<'_, u64> {
    let (i, _) = ws(i)?;
    let start = i;
    let (r, digits) = alt((
        recognize(pair(
            alt((tag("0x"), tag("0X"))),
            take_while1(|c: char| c.is_ascii_hexdigit()),
        )),
        take_while1(|c: char| c.is_ascii_digit()),
    ))(i)?;
    let (r, _) = opt(alt((tag("ULL"), tag("UL"), tag("LL"), tag("U"), tag("L"))))(r)?;
    let parsed = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse::<u64>()
    };
    match parsed {
        // As dtc's lexer, what follows is the next token (`<1U2>` is two cells).
        Ok(v) => Ok((r, v)),
        Err(e) => fatal(start, format!("bad integer literal '{digits}': {e}")),
    }
}

/// One possibly escaped character of a string or char literal; returns its byte.
fn escaped_char(i: &str) -> PResult<'_, u8> {
    let mut chars = i.char_indices();
    let Some((_, c)) = chars.next() else {
        return fail(i, "unexpected end of input");
    };
    if c != '\\' {
        if !c.is_ascii() {
            // Multi-byte characters are copied byte by byte by the caller.
            return fail(i, "non-ASCII character");
        }
        return Ok((&i[1..], c as u8));
    }
    let r = &i[1..];
    let Some(e) = r.chars().next() else {
        return fatal(i, "unterminated escape sequence");
    };
    let simple = match e {
        'a' => Some(7),
        'b' => Some(8),
        't' => Some(9),
        'n' => Some(10),
        'v' => Some(11),
        'f' => Some(12),
        'r' => Some(13),
        _ => None,
    };
    if let Some(v) = simple {
        return Ok((&r[1..], v));
    }
    if e == 'x' {
        let hex: String = r[1..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .take(2)
            .collect();
        if hex.is_empty() {
            return fatal(i, "\\x with no hex digits");
        }
        let v = u8::from_str_radix(&hex, 16).unwrap_or(0);
        return Ok((&r[1 + hex.len()..], v));
    }
    if ('0'..='7').contains(&e) {
        let oct: String = r
            .chars()
            .take_while(|c| ('0'..='7').contains(c))
            .take(3)
            .collect();
        let v = u32::from_str_radix(&oct, 8).unwrap_or(0);
        if v > 255 {
            return fatal(i, format!("octal escape \\{oct} is larger than a byte"));
        }
        return Ok((&r[oct.len()..], v as u8));
    }
    if e.is_ascii() {
        return Ok((&r[1..], e as u8));
    }
    Ok((&r[e.len_utf8()..], b'?'))
}

/// A string literal; returns its bytes without the terminating NUL.
pub(crate) fn string_lit(i: &str) -> PResult<'_, Vec<u8>> {
    let (i, _) = ws(i)?;
    let start = i;
    let (mut r, _) = char('"')(i)?;
    let mut out = Vec::new();
    loop {
        match r.chars().next() {
            // As dtc's, a string may go on over lines.
            None => return fatal(start, "unterminated string"),
            Some('"') => return Ok((&r[1..], out)),
            Some(c) if !c.is_ascii() => {
                out.extend_from_slice(c.to_string().as_bytes());
                r = &r[c.len_utf8()..];
            }
            Some(_) => {
                let (rr, b) = escaped_char(r)?;
                out.push(b);
                r = rr;
            }
        }
    }
}

/// A character literal `'c'`.
pub(crate) fn char_lit(i: &str) -> PResult<'_, u64> {
    let (i, _) = ws(i)?;
    let start = i;
    let (r, _) = char('\'')(i)?;
    let (r, b) = escaped_char(r).or_else(|_| fatal(start, "bad character literal"))?;
    let (r, _) = char::<_, PErr>('\'')(r)
        .or_else(|_| fatal(start, "character literal must hold exactly one character"))?;
    Ok((r, b as u64))
}

/// Two hex digits of a byte string.
pub(crate) fn hex_byte(i: &str) -> PResult<'_, u8> {
    let (i, _) = ws(i)?;
    let (r, h) = take_while1(|c: char| c.is_ascii_hexdigit())(i)?;
    if h.len() < 2 {
        return fatal(i, "byte strings take pairs of hex digits");
    }
    let v = u8::from_str_radix(&h[..2], 16).unwrap_or(0);
    Ok((&i[2..], v)).map(|(rest, v)| (if h.len() == 2 { r } else { rest }, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(literal(" 0x1fUL,").unwrap(), (",", 0x1f));
        assert_eq!(literal("017 ").unwrap().1, 0o17);
        assert_eq!(literal("42").unwrap().1, 42);
        assert!(literal("08").is_err());
        assert_eq!(literal("0x1g").unwrap(), ("g", 1));
        assert_eq!(literal("7U5").unwrap(), ("5", 7));
        assert_eq!(char_lit("'a'").unwrap().1, 97);
        assert_eq!(char_lit("'\\n'").unwrap().1, 10);
        assert_eq!(char_lit("'\\x41'").unwrap().1, 0x41);
        assert_eq!(
            string_lit("\"a\\\"b\\101\\x7\"").unwrap().1,
            b"a\"bA\x07".to_vec()
        );
        assert!(string_lit("\"abc").is_err());
        assert_eq!(string_lit("\"a\nb\"").unwrap().1, b"a\nb".to_vec());
        assert_eq!(label_def(" lab_1: x").unwrap(), (" x", "lab_1"));
        assert!(label_def("#size-cells").is_err());
        assert_eq!(name(" ibm,req#msi-x =").unwrap(), (" =", "ibm,req#msi-x"));
        assert_eq!(name("\\#size-cells;").unwrap(), (";", "#size-cells"));
        assert!(name("\\\\a").is_err());
        assert_eq!(
            reference("&{/a/b} ").unwrap().1 .0,
            Ref::Path("/a/b".into())
        );
        assert_eq!(reference("&lbl>").unwrap().0, ">");
        assert!(reference("&{!x}").is_err());
        assert!(reference("&{lab}").is_err());
        assert_eq!(ws("  /* c */ // d\n x").unwrap().0, "x");
        assert!(ws("/* open").is_err());
        assert!(ws("// no newline").is_err());
        assert_eq!(hex_byte("0a1b").unwrap(), ("1b", 0x0a));
        assert!(hex_byte("a ").is_err());
    }
}
