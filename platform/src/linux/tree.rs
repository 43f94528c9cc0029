//! Building a kernel tree's own pSeries `msi.c` with the tree's own generic MSI and
//! irq-domain core (unmodified, with the tree's headers) over the project's psim arch
//! and stand-ins into a shared object, cached by the content of every file it read.
//!
//! The files compiled, the arch and the generated headers are in [`super::tree_files`];
//! docs/real-kernel.md says which files run real per version and why.

use super::client_error::ClientError;
use super::compile::{build_key, cache_dir, compiler, fnv};
use super::tree_files::SOURCES;
use super::tree_setup::check;
use std::path::{Path, PathBuf};

/// Builds the client of `tree` unless a build of the same files is cached; returns the
/// shared object. Nothing is cached when it fails.
pub fn build(
    tree: &Path,
    flags: &[String],
    early: &mut dyn FnMut(&Path),
) -> Result<PathBuf, ClientError> {
    let v = check(tree)?;
    let root = tree.canonicalize().map_err(|e| ClientError::Io {
        path: tree.to_path_buf(),
        error: e.to_string(),
    })?;
    let cc = compiler();
    // The recipe (tree_build.rs's fixed flags and steps): a change builds anew.
    let recipe: &[u8] =
        b"recipe 3: -fno-omit-frame-pointer -ffile-prefix-map, traps allow-listed, XIVE driver";
    let root_name = root.to_string_lossy();
    // Which of the files it may compile the tree has: a tree that gains one (its XIVE
    // driver, say) builds anew, though no file the last build read changed.
    let present = super::tree_setup::tree_files(&root);
    let parts = [recipe, cc.as_bytes(), root_name.as_bytes()]
        .into_iter()
        .chain(present.iter().map(|f| f.as_bytes()))
        .chain(flags.iter().map(|f| f.as_bytes()));
    let key = build_key(parts, SOURCES);
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cache_dir().join("linux-tree");
    let manifest = dir.join(format!("{key:016x}.manifest"));
    if let Some(so) = cached(&manifest, early) {
        log::debug!("{}: cached build {}", tree.display(), so.display());
        return Ok(so);
    }
    let io = |p: &Path, e: std::io::Error| ClientError::Io {
        path: p.to_path_buf(),
        error: e.to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let work = dir.join(format!("build-{key:016x}-{}", std::process::id()));
    let started = std::time::Instant::now();
    let r = super::tree_build::build_in(&work, &cc, tree, &root, v, flags).and_then(|deps| {
        let text = manifest_text(&deps);
        let mut h = key;
        fnv(&mut h, text.as_bytes());
        let so = dir.join(format!("{h:016x}.so"));
        std::fs::rename(work.join("client.so"), &so).map_err(|e| io(&so, e))?;
        let tmp = dir.join(format!("{key:016x}.manifest.{}", std::process::id()));
        std::fs::write(&tmp, format!("so {}\n{text}", so.display())).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &manifest).map_err(|e| io(&manifest, e))?;
        Ok(so)
    });
    let _ = std::fs::remove_dir_all(&work);
    if r.is_ok() {
        log::info!(
            "{}: Linux {v} client built in {:.1} s",
            tree.display(),
            started.elapsed().as_secs_f64()
        );
    }
    r
}

/// A file's content hash, as the manifest records it.
fn hash_file(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut h, &bytes);
    Some(h)
}

/// A file's size and modification time (nanoseconds), the manifest's quick check.
fn stamp(path: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(path).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some((m.len(), t.as_nanos()))
}

/// One line per file the build read from the tree: its hash, size, time and path.
fn manifest_text(deps: &[PathBuf]) -> String {
    let mut out = String::new();
    for d in deps {
        if let (Some(h), Some((len, time))) = (hash_file(d), stamp(d)) {
            out.push_str(&format!("{h:016x} {len} {time} {}\n", d.display()));
        }
    }
    out
}

/// The cached shared object of a manifest whose every file still has its content: a
/// file with its recorded size and time is taken as unchanged (as make and ccache do),
/// any other is hashed. `early` is told the object before the files are checked.
fn cached(manifest: &Path, early: &mut dyn FnMut(&Path)) -> Option<PathBuf> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let mut lines = text.lines();
    let so = PathBuf::from(lines.next()?.strip_prefix("so ")?);
    if so.is_file() {
        early(&so);
    }
    for l in lines {
        let mut f = l.splitn(4, ' ');
        let (h, len, time, p) = (f.next()?, f.next()?, f.next()?, Path::new(f.next()?));
        let same = stamp(p).is_some_and(|(l2, t2)| len.parse() == Ok(l2) && time.parse() == Ok(t2));
        if !same && format!("{:016x}", hash_file(p)?) != h {
            log::info!("{} changed: the client is rebuilt", p.display());
            return None;
        }
    }
    so.is_file().then_some(so)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_build_is_used_until_a_file_it_read_changes() {
        let dir = std::env::temp_dir().join(format!("psim-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, so, manifest) = (dir.join("a.h"), dir.join("x.so"), dir.join("k.manifest"));
        std::fs::write(&src, "int a;\n").unwrap();
        std::fs::write(&so, "elf").unwrap();
        let text = manifest_text(std::slice::from_ref(&src));
        std::fs::write(&manifest, format!("so {}\n{text}", so.display())).unwrap();
        assert_eq!(cached(&manifest, &mut |_| {}), Some(so.clone()));
        std::fs::write(&src, "int b;\n").unwrap();
        // The object is named before the check that finds it stale.
        let mut told = Vec::new();
        let stale = cached(&manifest, &mut |p| told.push(p.to_path_buf()));
        assert_eq!(stale, None, "an edited file rebuilds");
        assert_eq!(told, std::slice::from_ref(&so));
        // Touched, same content: still cached (the hash decides when the stamp differs).
        std::fs::write(&src, "int a;\n").unwrap();
        assert_eq!(
            cached(&manifest, &mut |_| {}),
            Some(so.clone()),
            "a touched file does not rebuild"
        );
        std::fs::write(&src, "int a;\n").unwrap();
        std::fs::remove_file(&so).unwrap();
        assert_eq!(
            cached(&manifest, &mut |_| {}),
            None,
            "a lost object rebuilds"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
