//! Device tree source (DTS): parsing dtc's dialect and printing.

mod ast;
mod build;
mod checks;
mod expr;
mod lex;
mod merge;
mod options;
mod overlay;
mod parse;
mod print;
mod refs;
mod source;

pub use options::Options;
pub use print::print;

use crate::error::Error;
use crate::tree::Tree;
use source::Source;
use std::path::Path;

/// Where text shows it is binary data rather than DTS: the byte offset of a NUL outside
/// string and character literals and comments (dtc takes a NUL inside those as any
/// other character).
pub fn binary_at(text: &str) -> Option<usize> {
    source::binary_at(text)
}

/// Parses DTS text named `origin` (for messages); `/include/` resolves against the
/// current directory.
pub fn parse_str(text: &str, origin: &str) -> Result<Tree, Error> {
    parse_in(text, origin, Path::new("."), &Options::default())
}

/// [`parse_str`] with options.
pub fn parse_str_with(text: &str, origin: &str, opts: &Options) -> Result<Tree, Error> {
    parse_in(text, origin, Path::new("."), opts)
}

/// Parses a DTS file; `/include/` and `/incbin/` resolve against the file's directory.
pub fn parse_file(path: &Path) -> Result<Tree, Error> {
    parse_file_with(path, &Options::default())
}

/// [`parse_file`] with options.
pub fn parse_file_with(path: &Path, opts: &Options) -> Result<Tree, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    parse_in(&text, &path.display().to_string(), dir, opts)
}

fn parse_in(text: &str, origin: &str, dir: &Path, opts: &Options) -> Result<Tree, Error> {
    let src = Source::load(text, origin, dir)?;
    let tops = match parse::file(&src.text) {
        Ok((_, tops)) => tops,
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
            let off = src.text.len() - e.input.len();
            return Err(src.error(off, e.msg));
        }
        Err(nom::Err::Incomplete(_)) => {
            return Err(src.error(src.text.len(), "unexpected end of input"));
        }
    };
    build::build(&src, opts, tops)
}
