//! Source text with `/include/` expanded, and the map back to file:line:column.

use crate::error::{Error, Location};
use std::path::{Path, PathBuf};

/// How deep `/include/` may nest before it is taken for a loop.
const MAX_INCLUDE_DEPTH: usize = 32;

struct File {
    name: String,
    text: String,
}

/// A stretch of the combined text copied from one file.
struct Segment {
    start: usize,
    file: usize,
    file_offset: usize,
}

/// The combined source: every `/include/` replaced by the included file's text.
pub(crate) struct Source {
    pub text: String,
    files: Vec<File>,
    segments: Vec<Segment>,
}

impl Source {
    /// Expands a top-level text named `name`; includes resolve against `dir`.
    pub fn load(text: &str, name: &str, dir: &Path) -> Result<Source, Error> {
        let mut s = Source {
            text: String::with_capacity(text.len()),
            files: Vec::new(),
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
        self.files.push(File { name, text });
        let mut pos = 0;
        loop {
            let found = find_include(&self.files[file].text, pos);
            let end = found
                .as_ref()
                .map(|f| f.start)
                .unwrap_or(self.files[file].text.len());
            self.segments.push(Segment {
                start: self.text.len(),
                file,
                file_offset: pos,
            });
            let chunk = self.files[file].text[pos..end].to_string();
            self.text.push_str(&chunk);
            let Some(inc) = found else {
                return Ok(());
            };
            let loc = self.file_location(file, inc.start);
            let inc_path = match inc.path {
                Ok(p) => p,
                Err(msg) => return Err(Error::Dts { loc, msg }),
            };
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(Error::Dts {
                    loc,
                    msg: format!("/include/ nested more than {MAX_INCLUDE_DEPTH} deep (a loop?)"),
                });
            }
            let full = dir.join(&inc_path);
            let body = std::fs::read_to_string(&full).map_err(|e| Error::Dts {
                loc: loc.clone(),
                msg: format!("cannot include \"{}\": {e}", full.display()),
            })?;
            let sub_dir = full
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.clone());
            self.expand(body, full.display().to_string(), sub_dir, depth + 1)?;
            pos = inc.end;
        }
    }

    fn file_location(&self, file: usize, offset: usize) -> Location {
        let f = &self.files[file];
        let offset = offset.min(f.text.len());
        let before = &f.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        Location::new(&f.name, line, col)
    }

    /// The file location of an offset into the combined text.
    pub fn location(&self, offset: usize) -> Location {
        let idx = self
            .segments
            .partition_point(|s| s.start <= offset)
            .saturating_sub(1);
        match self.segments.get(idx) {
            Some(seg) => self.file_location(seg.file, seg.file_offset + (offset - seg.start)),
            None => Location::new(
                self.files
                    .first()
                    .map(|f| f.name.as_str())
                    .unwrap_or("<dts>"),
                1,
                1,
            ),
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

struct Include {
    start: usize,
    end: usize,
    path: Result<String, String>,
}

/// Finds the next `/include/ "file"` outside comments, strings and char literals.
fn find_include(t: &str, from: usize) -> Option<Include> {
    let b = t.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'/' if b[i..].starts_with(b"//") => {
                i = t[i..].find('\n').map(|n| i + n).unwrap_or(b.len());
            }
            b'/' if b[i..].starts_with(b"/*") => {
                i = t[i + 2..]
                    .find("*/")
                    .map(|n| i + 2 + n + 2)
                    .unwrap_or(b.len());
            }
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b[i..].starts_with(b"/include/") => {
                let start = i;
                let mut j = i + "/include/".len();
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j >= b.len() || b[j] != b'"' {
                    return Some(Include {
                        start,
                        end: j,
                        path: Err("expected a quoted file name after /include/".into()),
                    });
                }
                let close = t[j + 1..].find('"').map(|n| j + 1 + n);
                return Some(match close {
                    Some(c) => Include {
                        start,
                        end: c + 1,
                        path: Ok(t[j + 1..c].to_string()),
                    },
                    None => Include {
                        start,
                        end: b.len(),
                        path: Err("unterminated file name after /include/".into()),
                    },
                });
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(Source::load("/include/ \"missing.dtsi\"", "t", &dir).is_err());
        std::fs::write(dir.join("loop.dtsi"), "/include/ \"loop.dtsi\"").unwrap();
        assert!(Source::load("/include/ \"loop.dtsi\"", "t", &dir).is_err());
    }
}
