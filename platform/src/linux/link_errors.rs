//! What GNU ld says when the client does not link because a symbol exists nowhere
//! (`-Wl,-z,defs`), read back into the symbol, the calling function and the caller's
//! `file:line` in the user's source.

use super::client_error::Undefined;
use std::path::Path;

/// The undefined references ld reported in `diagnostics` (none: the build failed for
/// another reason), each once, in the order reported. A location in the build folder
/// names the user's file for `msi.c`, the project's stand-in otherwise.
pub(super) fn undefined(diagnostics: &str, work: &Path, source: &Path) -> Vec<Undefined> {
    const REF: &str = ": undefined reference to ";
    let mut found: Vec<Undefined> = Vec::new();
    let mut function = None;
    for line in diagnostics.lines() {
        if let Some(at) = line.find("in function ") {
            function = quoted(&line[at + "in function ".len()..]);
            continue;
        }
        let Some(at) = line.find(REF) else {
            continue;
        };
        let Some(symbol) = quoted(&line[at + REF.len()..]) else {
            continue;
        };
        let u = Undefined {
            at: source_line(&line[..at], work, source),
            function: function.clone(),
            symbol,
        };
        if !found.contains(&u) {
            found.push(u);
        }
    }
    found
}

/// The name between ld's quotes: `name' (C locale) or ‘name’.
fn quoted(s: &str) -> Option<String> {
    let s = s.trim();
    let (open, close) = if s.starts_with('`') {
        ('`', '\'')
    } else {
        ('‘', '’')
    };
    let body = s.strip_prefix(open)?;
    let end = body.find(close)?;
    Some(body[..end].to_string())
}

/// `PATH:LINE` from ld's location of a reference, the build folder's paths named as the
/// user knows them (the user's file as they named it, ours under the project's folder); None when ld knew only the object (`/tmp/cc.o:(.text+0x1c)`).
fn source_line(loc: &str, work: &Path, source: &Path) -> Option<String> {
    let (path, line) = loc.rsplit_once(':')?;
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) || path.contains(":(") {
        return None;
    }
    // ld may join a relative name to the compiler's folder.
    let user = std::path::absolute(source).ok();
    let p = Path::new(path);
    let path = match p.strip_prefix(work) {
        Ok(rel) if rel == Path::new("msi.c") => source.display().to_string(),
        Ok(rel) => format!("platform/linux-client/{}", rel.display()),
        Err(_) if user.as_deref() == Some(p) => source.display().to_string(),
        Err(_) => path.to_string(),
    };
    Some(format!("{path}:{line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_with_lines_without_and_in_the_build_folder() {
        let cwd = std::env::current_dir().unwrap();
        let said = format!(
            "/usr/bin/ld: /tmp/cc1.o: in function `rtas_change_msi':\n\
                    /home/u/msi.c:85: undefined reference to `psim_gone'\n\
                    /home/u/msi.c:85: undefined reference to `psim_gone'\n\
                    /usr/bin/ld: /tmp/cc2.o: in function `g':\n\
                    /w/build/msi.c:7: undefined reference to ‘other’\n\
                    /w/build/base.c:9: undefined reference to `mine'\n\
                    /w/build/src/msi.c:3: undefined reference to `rel'\n\
                    {cwd}/src/msi.c:4: undefined reference to `cwd'\n\
                    /usr/bin/ld: /tmp/cc3.o:(.data+0x0): undefined reference to `table'\n\
                    collect2: error: ld returned 1 exit status\n",
            cwd = cwd.display()
        );
        let got = undefined(&said, Path::new("/w/build"), Path::new("src/msi.c"));
        let at: Vec<_> = got
            .iter()
            .map(|u| (u.at.as_deref(), u.function.as_deref(), u.symbol.as_str()))
            .collect();
        assert_eq!(
            at,
            [
                (
                    Some("/home/u/msi.c:85"),
                    Some("rtas_change_msi"),
                    "psim_gone"
                ),
                (Some("src/msi.c:7"), Some("g"), "other"),
                (Some("platform/linux-client/base.c:9"), Some("g"), "mine"),
                (Some("platform/linux-client/src/msi.c:3"), Some("g"), "rel"),
                (Some("src/msi.c:4"), Some("g"), "cwd"),
                (None, Some("g"), "table"),
            ]
        );
        assert!(undefined("msi.c:1:2: error: x\n", Path::new("/w"), Path::new("m.c")).is_empty());
    }
}
