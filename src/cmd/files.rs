//! File arguments: `-` is stdin for an input and stdout for an output, everywhere.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

/// Whether a path argument means stdin or stdout.
pub fn is_std(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// The name an argument has in messages.
pub fn name(p: &Path) -> String {
    if is_std(p) {
        "<stdin>".into()
    } else {
        p.display().to_string()
    }
}

/// An input's bytes (`-`: stdin).
pub fn read(p: &Path) -> Result<Vec<u8>, String> {
    if is_std(p) {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| format!("<stdin>: {e}"))?;
        return Ok(b);
    }
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
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
    let bytes = read(p)?;
    let n = name(p);
    if of_tree::dtb::is_dtb(&bytes) {
        return of_tree::dtb::read(&bytes).map_err(|e| format!("{n}: {e}"));
    }
    let binary = || format!("{n}: neither a DTB (no magic 0xd00dfeed) nor DTS text (binary data)");
    let text = String::from_utf8(bytes).map_err(|_| binary())?;
    if of_tree::dts::binary_at(&text).is_some() {
        return Err(binary());
    }
    if is_std(p) {
        of_tree::dts::parse_str_with(&text, "<stdin>", opts).map_err(|e| e.to_string())
    } else {
        // From the file, so that /include/ and /incbin/ resolve beside it.
        of_tree::dts::parse_file_with(p, opts).map_err(|e| e.to_string())
    }
}

/// An error about a tree's contents, named after the tree's file (once).
pub fn about(p: Option<&Path>, e: impl std::fmt::Display) -> String {
    let e = e.to_string();
    let n = p.map_or_else(|| "built-in machine".to_string(), name);
    if e.starts_with(&format!("{n}:")) {
        e
    } else {
        format!("{n}: {e}")
    }
}

/// Writes an output (`-`: stdout). `binary` output is refused on a terminal only.
pub fn write(p: &Path, bytes: &[u8], binary: bool) -> Result<(), String> {
    if !is_std(p) {
        return std::fs::write(p, bytes).map_err(|e| format!("{}: {e}", p.display()));
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
