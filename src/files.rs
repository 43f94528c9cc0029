//! Files the simulator reads and writes: `-` names standard input, an output is checked
//! before the work that makes it, and written whole or not at all (a temporary file in
//! the output's folder, renamed over it), so that a reader never sees half a file.

use std::fs::{File, Permissions};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Whether a path argument means standard input (or output).
pub fn is_std(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// The name an input has in messages: `<stdin>` for `-`.
pub fn name(p: &Path) -> String {
    if is_std(p) {
        "<stdin>".into()
    } else {
        p.display().to_string()
    }
}

/// An input's bytes (`-`: standard input).
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

/// The file an output path writes: a symbolic link's target, else the path.
fn target(p: &Path) -> PathBuf {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(p).unwrap_or(p.into()),
        _ => p.to_path_buf(),
    }
}

/// The folder an output file goes in.
fn folder(p: &Path) -> &Path {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Whether `p` is something other than a file or a folder (a device such as /dev/null,
/// a pipe): written in place, never replaced.
fn special(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Why the output file `p` could not be written, found before any work: a folder, a
/// folder that does not exist or takes no new file, a file that may not be written.
/// `-` (standard output), a device and a pipe are always fine.
pub fn check_output(p: &Path) -> Result<(), String> {
    if is_std(p) || special(p) {
        return Ok(());
    }
    let t = target(p);
    if t.is_dir() {
        return Err("is a directory".into());
    }
    if p.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err("names a directory (ends with /)".into());
    }
    let dir = folder(&t);
    if !dir.is_dir() {
        let why = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        return Err(format!("the directory {} {why}", dir.display()));
    }
    if t.exists() {
        // Opened for writing, nothing changed: a file made read-only stays so.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&t)
            .map_err(|e| format!("cannot be written: {e}"))?;
    }
    tempfile::Builder::new()
        .prefix(".pseries-sim")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| format!("no file can be made in {}: {e}", dir.display()))
}

/// Writes `bytes` to the file `p` whole: a reader sees the old file or the new one.
pub fn write_atomic(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(p, |w| w.write_all(bytes))
}

/// Writes the file `p` whole with what `fill` writes (buffered): nothing of it is seen
/// until `fill` succeeds, and a failure leaves the old file as it was. A device or a
/// pipe is written in place.
pub fn write_atomic_with<E: From<std::io::Error>>(
    p: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    let t = target(p);
    if special(&t) {
        let mut w = BufWriter::new(File::create(&t)?);
        fill(&mut w)?;
        return Ok(w.flush()?);
    }
    let old = std::fs::metadata(&t).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".pseries-sim")
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(folder(&t))?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    if let Some(perm) = old {
        tmp.as_file().set_permissions(perm)?;
    }
    tmp.persist(&t).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("psim-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn outputs_are_checked_for_what_makes_them_unwritable() {
        let d = scratch("check");
        assert_eq!(check_output(&d), Err("is a directory".into()));
        let missing = d.join("no/such/dir/out.dtb");
        let e = check_output(&missing).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        std::fs::write(d.join("f"), "x").unwrap();
        let e = check_output(&d.join("f/out.dtb")).unwrap_err();
        assert!(e.contains("is not a directory"), "{e}");
        assert!(check_output(&d.join("new.dtb")).is_ok());
        assert!(check_output(Path::new("-")).is_ok());
        assert!(check_output(Path::new("/dev/null")).is_ok());
        // The check leaves no file behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary() {
        let d = scratch("fill");
        let f = d.join("out");
        write_atomic(&f, b"old").unwrap();
        let r = write_atomic_with(&f, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("stopped"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&f).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        write_atomic(&f, b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
    }

    #[test]
    fn a_rewritten_file_keeps_its_mode_and_a_link_its_target() {
        let d = scratch("mode");
        let f = d.join("out");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, Permissions::from_mode(0o640)).unwrap();
        write_atomic(&f, b"new").unwrap();
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let link = d.join("link");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        write_atomic(&link, b"through").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&f).unwrap(), b"through");
    }
}
