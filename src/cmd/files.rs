//! File arguments: `-` is stdin for an input and stdout for an output, everywhere; an
//! output file is checked before the work and written whole (temporary file, rename).

use std::io::{IsTerminal, Write};
use std::path::Path;

pub use pseries_sim::files::{is_std, name, read};

/// Refuses, before any work, an output file that could not be written: a usage error
/// naming the flag, the path and why.
pub fn check_output(flag: &str, p: &Path) -> Result<(), super::Error> {
    pseries_sim::files::check_output(p)
        .map_err(|why| super::Error::Usage(format!("{flag} {}: {why}", p.display())))
}

/// An input's text (`-`: stdin).
pub fn read_text(p: &Path) -> Result<String, String> {
    String::from_utf8(read(p)?).map_err(|_| format!("{}: not text (binary data)", name(p)))
}

/// A device tree (DTB by its magic, else DTS) from a file or stdin.
pub fn read_tree(p: &Path) -> Result<of_tree::Tree, String> {
    read_tree_with(p, &Default::default())
}

/// [`read_tree`], DTS compiled with `opts` (dtc's -@).
pub fn read_tree_with(p: &Path, opts: &of_tree::dts::Options) -> Result<of_tree::Tree, String> {
    tree_from(&read(p)?, p, opts)
}

/// A device tree from an input's bytes (`p` names it and, for a DTS file, is where its
/// /include/s resolve).
pub fn tree_from(
    bytes: &[u8],
    p: &Path,
    opts: &of_tree::dts::Options,
) -> Result<of_tree::Tree, String> {
    let n = name(p);
    if of_tree::dtb::is_dtb(bytes) {
        return of_tree::dtb::read(bytes).map_err(|e| format!("{n}: {e}"));
    }
    let binary = || format!("{n}: neither a DTB (no magic 0xd00dfeed) nor DTS text (binary data)");
    let text = std::str::from_utf8(bytes).map_err(|_| binary())?;
    if of_tree::dts::binary_at(text).is_some() {
        return Err(binary());
    }
    if is_std(p) {
        of_tree::dts::parse_str_with(text, "<stdin>", opts).map_err(|e| e.to_string())
    } else {
        // From the file, so that /include/ and /incbin/ resolve beside it.
        of_tree::dts::parse_file_with(p, opts).map_err(|e| e.to_string())
    }
}

/// An error about a tree's contents, named after the tree's file (once).
pub fn about(p: Option<&Path>, e: impl std::fmt::Display) -> String {
    let n = p.map_or_else(|| "built-in machine".to_string(), name);
    pseries_sim::about_file(&n, e)
}

/// Writes an output (`-`: stdout). `binary` output is refused on a terminal only.
pub fn write(p: &Path, bytes: &[u8], binary: bool) -> Result<(), String> {
    if !is_std(p) {
        return pseries_sim::files::write_atomic(p, bytes)
            .map_err(|e| format!("{}: {e}", p.display()));
    }
    if binary && std::io::stdout().is_terminal() {
        return Err(
            "refusing to write binary data to the terminal: redirect it or give -o FILE".into(),
        );
    }
    let mut o = std::io::stdout().lock();
    match o.write_all(bytes).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(format!("stdout: {e}")),
    }
}
