//! Source text with `/include/` expanded and cpp's line markers taken out, and the map
//! back to file:line:column.

use crate::error::{Error, Location};
use std::path::{Path, PathBuf};

/// How deep `/include/` may nest before it is taken for a loop.
const MAX_INCLUDE_DEPTH: usize = 32;

struct File {
    text: String,
    /// Where the file's `/include/` and `/incbin/` paths resolve.
    dir: PathBuf,
}

/// A stretch of the combined text copied from one file.
struct Segment {
    start: usize,
    file: usize,
    file_offset: usize,
    /// The name messages give (a line marker's file, else the file's own).
    name: usize,
    /// The line of `file_offset` as messages count it.
    line: usize,
}

/// The combined source: every `/include/` replaced by the included file's text.
pub(crate) struct Source {
    pub text: String,
    files: Vec<File>,
    names: Vec<String>,
    segments: Vec<Segment>,
}

impl Source {
    /// Expands a top-level text named `name`; includes resolve against `dir`.
    pub fn load(text: &str, name: &str, dir: &Path) -> Result<Source, Error> {
        let mut s = Source {
            text: String::with_capacity(text.len()),
            files: Vec::new(),
            names: Vec::new(),
            segments: Vec::new(),
        };
        s.expand(text.to_string(), name.to_string(), dir.to_path_buf(), 0)?;
        Ok(s)
    }

    fn expand(
        &mut self,
        text: String,
        name: String,
        dir: PathBuf,
        depth: usize,
    ) -> Result<(), Error> {
        let file = self.files.len();
        self.names.push(name);
        let mut seg_name = self.names.len() - 1;
        let mut seg_line = 1;
        self.files.push(File { text, dir });
        let mut pos = 0;
        loop {
            let found = find_directive(&self.files[file].text, pos);
            let end = found
                .as_ref()
                .map(|f| f.start)
                .unwrap_or(self.files[file].text.len());
            self.segments.push(Segment {
                start: self.text.len(),
                file,
                file_offset: pos,
                name: seg_name,
                line: seg_line,
            });
            let chunk = &self.files[file].text[pos..end];
            let lines_in_chunk = chunk.matches('\n').count();
            self.text.push_str(chunk);
            let Some(found) = found else {
                return Ok(());
            };
            let loc = self.location(self.text.len());
            pos = found.end;
            match found.what {
                Directive::Marker { line, file: marked } => {
                    if marked.contains(&0) {
                        return Err(Error::Dts {
                            loc,
                            msg: "nul in line number directive".into(),
                        });
                    }
                    self.names
                        .push(String::from_utf8_lossy(&marked).into_owned());
                    seg_name = self.names.len() - 1;
                    seg_line = line.saturating_sub(1);
                }
                Directive::Include(Err(msg)) => return Err(Error::Dts { loc, msg }),
                Directive::Include(Ok(inc_path)) => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(Error::Dts {
                            loc,
                            msg: format!(
                                "/include/ nested more than {MAX_INCLUDE_DEPTH} deep (a loop?)"
                            ),
                        });
                    }
                    let full = self.files[file].dir.join(&inc_path);
                    let body = std::fs::read_to_string(&full).map_err(|e| Error::Dts {
                        loc: loc.clone(),
                        msg: format!("cannot include \"{}\": {e}", full.display()),
                    })?;
                    let sub_dir = full
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| self.files[file].dir.clone());
                    self.expand(body, full.display().to_string(), sub_dir, depth + 1)?;
                    seg_line += lines_in_chunk;
                    let skipped = &self.files[file].text[end..pos];
                    seg_line += skipped.matches('\n').count();
                }
            }
        }
    }

    fn segment(&self, offset: usize) -> Option<&Segment> {
        let idx = self
            .segments
            .partition_point(|s| s.start <= offset)
            .saturating_sub(1);
        self.segments.get(idx)
    }

    /// The file location of an offset into the combined text.
    pub fn location(&self, offset: usize) -> Location {
        let Some(seg) = self.segment(offset) else {
            let name = self.names.first().map(String::as_str).unwrap_or("<dts>");
            return Location::new(name, 1, 1);
        };
        let f = &self.files[seg.file];
        let at = (seg.file_offset + (offset - seg.start)).min(f.text.len());
        let from = seg.file_offset.min(at);
        let line = seg.line + f.text[from..at].matches('\n').count();
        let col = f.text[..at]
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        Location::new(&self.names[seg.name], line, col)
    }

    /// The folder that paths written at an offset (`/incbin/`) resolve against.
    pub fn dir_at(&self, offset: usize) -> &Path {
        match self.segment(offset) {
            Some(seg) => &self.files[seg.file].dir,
            None => Path::new("."),
        }
    }

    /// An error at an offset of the combined text.
    pub fn error(&self, offset: usize, msg: impl Into<String>) -> Error {
        Error::Dts {
            loc: self.location(offset),
            msg: msg.into(),
        }
    }
}

enum Directive {
    /// `/include/ "file"`: the file name, or what is wrong with it.
    Include(Result<String, String>),
    /// cpp's `# LINE "FILE" FLAGS...`: the next line is LINE of FILE (its bytes, the
    /// string's escapes done).
    Marker { line: usize, file: Vec<u8> },
}

struct Found {
    start: usize,
    end: usize,
    what: Directive,
}

/// If a comment, string or character literal starts at byte `i`: where it ends (past
/// its closing characters; a `//` comment at its newline) and whether it is closed.
fn literal_at(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let find = |from: usize, what: &[u8]| {
        b[from.min(b.len())..]
            .windows(what.len())
            .position(|w| w == what)
            .map(|n| from + n)
    };
    match b[i] {
        b'/' if b[i..].starts_with(b"//") => Some((find(i, b"\n").unwrap_or(b.len()), true)),
        b'/' if b[i..].starts_with(b"/*") => match find(i + 2, b"*/") {
            Some(n) => Some((n + 2, true)),
            None => Some((b.len(), false)),
        },
        q @ (b'"' | b'\'') => {
            let mut j = i + 1;
            // A string may go on over lines (dtc's), a char literal may not.
            while j < b.len() && b[j] != q && (q == b'"' || b[j] != b'\n') {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let closed = j < b.len() && b[j] == q;
            Some(((j + 1).min(b.len()), closed))
        }
        _ => None,
    }
}

/// The byte offset of the first NUL outside string and character literals and
/// comments (dtc takes NULs inside them): text with one is binary data, not DTS.
pub(crate) fn binary_at(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match literal_at(b, i) {
            Some((end, true)) => i = end,
            // An unclosed literal holds nothing: what follows counts.
            Some((_, false)) => return b[i..].iter().position(|&c| c == 0).map(|n| i + n),
            None if b[i] == 0 => return Some(i),
            None => i += 1,
        }
    }
    None
}

/// Finds the next `/include/ "file"` or line marker outside comments, strings and char
/// literals.
fn find_directive(t: &str, from: usize) -> Option<Found> {
    let b = t.as_bytes();
    let mut i = from;
    while i < b.len() {
        if let Some((end, _)) = literal_at(b, i) {
            i = end;
            continue;
        }
        match b[i] {
            b'#' if i == 0 || b[i - 1] == b'\n' => match line_marker(&t[i..]) {
                Some((len, line, file)) => {
                    return Some(Found {
                        start: i,
                        end: i + len,
                        what: Directive::Marker { line, file },
                    })
                }
                None => i += 1,
            },
            b'/' if b[i..].starts_with(b"/include/") => return Some(include(t, i)),
            _ => i += 1,
        }
    }
    None
}

fn include(t: &str, start: usize) -> Found {
    let b = t.as_bytes();
    let mut j = start + "/include/".len();
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    let found = |end, what| Found {
        start,
        end,
        what: Directive::Include(what),
    };
    if j >= b.len() || b[j] != b'"' {
        return found(j, Err("expected a quoted file name after /include/".into()));
    }
    match t[j + 1..].find('"').map(|n| j + 1 + n) {
        Some(c) => found(c + 1, Ok(t[j + 1..c].to_string())),
        None => found(
            b.len(),
            Err("unterminated file name after /include/".into()),
        ),
    }
}

/// dtc's `^#(line)?[ \t]+[0-9]+[ \t]+"FILE"([ \t]+[0-9]+)*`: the length matched, the
/// line number and the file name's bytes (FILE is a string literal, escapes and all).
fn line_marker(t: &str) -> Option<(usize, usize, Vec<u8>)> {
    let blanks = |s: &str| s.len() - s.trim_start_matches([' ', '\t']).len();
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut r = &t[1..];
    r = r.strip_prefix("line").unwrap_or(r);
    let (n, d) = (blanks(r), digits(&r[blanks(r)..]));
    if n == 0 || d == 0 {
        return None;
    }
    let line = r[n..n + d].parse().ok()?;
    r = &r[n + d..];
    let n = blanks(r);
    if n == 0 || !r[n..].starts_with('"') {
        return None;
    }
    let (rest, file) = super::lex::string_lit(&r[n..]).ok()?;
    r = rest;
    loop {
        let (n, d) = (blanks(r), digits(&r[blanks(r)..]));
        if n == 0 || d == 0 {
            break;
        }
        r = &r[n + d..];
    }
    Some((t.len() - r.len(), line, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuls_in_literals_and_comments_are_text_elsewhere_binary() {
        let text = "/ { s = \"a\0b\"; e = \"\\\0\"; c = <'\0'>; /* \0 */ }; // \0\n";
        assert_eq!(binary_at(text), None);
        assert_eq!(binary_at("s = \"\\\"\0\";"), None, "after an escaped quote");
        assert_eq!(binary_at("\0\x01\x02 not a tree"), Some(0));
        assert_eq!(binary_at("p = \"a\"\0;"), Some(7));
        assert_eq!(
            binary_at("p = 'a\n\0'"),
            Some(7),
            "a char literal ends at a newline"
        );
        // An unclosed literal or comment holds nothing.
        assert_eq!(binary_at("p = \"a\0"), Some(6));
        assert_eq!(binary_at("/* a\0"), Some(4));
    }

    #[test]
    fn maps_offsets_back_through_includes() {
        let dir = std::env::temp_dir().join(format!("of-tree-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("inc.dtsi"), "AB\nCD").unwrap();
        let top = "x\n/include/ \"inc.dtsi\"\nyz // /include/ \"no\"\n";
        let s = Source::load(top, "top.dts", &dir).unwrap();
        assert_eq!(s.text, "x\nAB\nCD\nyz // /include/ \"no\"\n");
        let at = |needle: &str| s.location(s.text.find(needle).unwrap());
        assert_eq!(at("CD").line, 2);
        assert!(at("CD").file.ends_with("inc.dtsi"));
        let yz = at("yz");
        assert_eq!((yz.file.as_str(), yz.line, yz.col), ("top.dts", 3, 1));
        assert_eq!(s.dir_at(0), dir.as_path());
        assert!(Source::load("/include/ \"missing.dtsi\"", "t", &dir).is_err());
        std::fs::write(dir.join("loop.dtsi"), "/include/ \"loop.dtsi\"").unwrap();
        assert!(Source::load("/include/ \"loop.dtsi\"", "t", &dir).is_err());
    }

    #[test]
    fn line_markers_rename_and_renumber() {
        let top = "a\n# 40 \"other.dtsi\" 1 3\nbc\n  d\n#line 7 \"x.dts\"\ne\n # 9 \"no\"\n";
        let s = Source::load(top, "t.dts", Path::new(".")).unwrap();
        assert!(!s.text.contains("other"));
        let at = |needle: &str| s.location(s.text.find(needle).unwrap());
        let a = at("a");
        assert_eq!((a.file.as_str(), a.line, a.col), ("t.dts", 1, 1));
        let b = at("bc");
        assert_eq!((b.file.as_str(), b.line, b.col), ("other.dtsi", 40, 1));
        let d = at("d");
        assert_eq!((d.file.as_str(), d.line, d.col), ("other.dtsi", 41, 3));
        let e = at("e");
        assert_eq!((e.file.as_str(), e.line), ("x.dts", 7));
        assert!(s.text.contains("# 9 \"no\""), "not at a line start");
        assert_eq!(
            line_marker("# 12 \"f.dts\"\n"),
            Some((12, 12, b"f.dts".to_vec()))
        );
        assert_eq!(line_marker("#12 \"f\""), None);
        // The name is a string literal: escapes are done, a quote may be escaped.
        assert_eq!(
            line_marker("# 100 \"\\\".dts\" 1\n"),
            Some((16, 100, b"\".dts".to_vec()))
        );
        let s = Source::load("# 3 \"\\\".dts\"\nx", "t.dts", Path::new(".")).unwrap();
        assert_eq!(s.location(s.text.find('x').unwrap()).file, "\".dts");
        for nul in ["# 1 \"a\\0b\"\n", "# 1 \"a\\\0b\"\n", "# 1 \"a\0b\"\n"] {
            let e = Source::load(nul, "t.dts", Path::new(".")).err().unwrap();
            assert_eq!(e.to_string(), "t.dts:1:1: nul in line number directive");
        }
        assert_eq!(line_marker("# 12 f"), None);
    }
}
