//! Where in the client a crash or a stop happened: program counters resolved to
//! function, file and line with the client library's debug information.

use std::path::Path;

/// One resolved frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The function, when the symbol table names it.
    pub function: Option<String>,
    /// `file:line`, when the line table has it.
    pub place: Option<String>,
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.function, &self.place) {
            (Some(func), Some(p)) => write!(f, "{func} at {p}"),
            (Some(func), None) => write!(f, "{func}"),
            (None, Some(p)) => write!(f, "{p}"),
            (None, None) => write!(f, "?"),
        }
    }
}

/// Resolves addresses of the library loaded at `base`: the first is a program counter,
/// the others return addresses (looked up one byte back, inside their call). Addresses
/// outside the library, or that nothing names, are left out.
pub fn frames(library: &Path, base: u64, pcs: &[u64]) -> Vec<Frame> {
    let Ok(loader) = addr2line::Loader::new(library) else {
        return Vec::new();
    };
    let end = image_size(library);
    let mut out = Vec::new();
    for (n, &pc) in pcs.iter().enumerate() {
        let Some(off) = pc.checked_sub(base).filter(|&o| o < end) else {
            continue;
        };
        let probe = if n == 0 { off } else { off.saturating_sub(1) };
        let function = loader.find_symbol(probe).map(str::to_string);
        let place = loader
            .find_location(probe)
            .ok()
            .flatten()
            .and_then(|l| Some(format!("{}:{}", l.file?, l.line?)));
        if function.is_some() || place.is_some() {
            out.push(Frame { function, place });
        }
    }
    out
}

/// How far the library's loaded segments reach from its load address (0 when it
/// cannot be read: then no address is taken as the library's).
fn image_size(library: &Path) -> u64 {
    use object::{Object, ObjectSegment};
    let Ok(data) = std::fs::read(library) else {
        return 0;
    };
    let Ok(file) = object::File::parse(&*data) else {
        return 0;
    };
    file.segments()
        .map(|s| s.address() + s.size())
        .max()
        .unwrap_or(0)
}

/// The sanitizer report in a runner's error output: its first error line, and the
/// frames of its stack that lie in the library (`(LIB+0xOFF)`), resolved.
pub fn sanitizer_report(stderr: &str, library: &Path) -> Option<String> {
    let first = stderr
        .lines()
        .find(|l| l.contains("ERROR: AddressSanitizer") || l.contains("runtime error:"))?;
    let lib = library.display().to_string();
    let mut offsets = Vec::new();
    for l in stderr.lines().filter(|l| l.trim_start().starts_with('#')) {
        if let Some(rest) = l.split(&format!("({lib}+0x")).nth(1) {
            if let Some(hex) = rest.split(')').next() {
                if let Ok(off) = u64::from_str_radix(hex, 16) {
                    offsets.push(off);
                }
            }
        }
    }
    // "==PID==ERROR: AddressSanitizer: KIND on address A at pc P bp B sp S": the kind
    // and the address; UBSan's "FILE:LINE:COL: runtime error: WHAT" as it is.
    let mut text = match first.split_once("ERROR: ") {
        Some((_, rest)) => rest.split(" at pc ").next().unwrap_or(rest).to_string(),
        None => first.trim().to_string(),
    };
    let frames: Vec<String> = offsets
        .iter()
        .filter_map(|&o| frames(library, 0, &[o]).into_iter().next())
        .map(|f| f.to_string())
        .take(4)
        .collect();
    if !frames.is_empty() {
        text.push_str(&format!(" in {}", frames.join(", called from ")));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_print_what_is_known() {
        let f = Frame {
            function: Some("rtas_change_msi".into()),
            place: Some("msi.c:42".into()),
        };
        assert_eq!(f.to_string(), "rtas_change_msi at msi.c:42");
        let g = Frame {
            function: None,
            place: None,
        };
        assert_eq!(g.to_string(), "?");
    }

    #[test]
    fn no_report_without_a_sanitizer_line() {
        assert_eq!(sanitizer_report("just a line\n", Path::new("/x.so")), None);
    }
}
