//! Building a kernel tree's own pSeries `msi.c` with the tree's own generic MSI and
//! irq-domain core (unmodified, with the tree's headers) over the project's psim arch
//! and stand-ins into a shared object, cached by the content of every file it read.
//!
//! The files compiled, the arch and the generated headers are in [`super::tree_files`];
//! docs/real-kernel.md says which files run real per version and why.

use super::client_error::ClientError;
use super::compile::{cache_dir, compiler, fnv};
use super::tree_files::{self, GENERIC_EXTRA, POWERPC_HEADERS, REQUIRED, SOURCES, TREE_FILES};
use std::path::{Path, PathBuf};

/// A kernel tree's version, from its Makefile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// VERSION.
    pub major: u32,
    /// PATCHLEVEL.
    pub minor: u32,
    /// SUBLEVEL.
    pub sub: u32,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.sub)
    }
}

/// The version a kernel Makefile states, if it states one.
pub fn version_of(makefile: &str) -> Option<Version> {
    let field = |name: &str| -> Option<u32> {
        makefile.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == name).then(|| v.trim().parse().ok())?
        })
    };
    Some(Version {
        major: field("VERSION")?,
        minor: field("PATCHLEVEL")?,
        sub: field("SUBLEVEL").unwrap_or(0),
    })
}

/// The oldest version whose MSI core the tree client runs (msi_desc with
/// `msi_index`, descriptors in an xarray, `pci_msi_init` at scan).
const OLDEST: Version = Version {
    major: 6,
    minor: 1,
    sub: 0,
};

/// Checks that `tree` is a kernel tree the client can be built from; its version.
pub fn check(tree: &Path) -> Result<Version, ClientError> {
    let not = |why: String| ClientError::NotATree {
        tree: tree.to_path_buf(),
        why,
    };
    let makefile = std::fs::read_to_string(tree.join("Makefile")).map_err(|e| {
        not(format!(
            "no kernel Makefile ({e}): not a kernel source tree"
        ))
    })?;
    let v = version_of(&makefile)
        .ok_or_else(|| not("its Makefile states no VERSION and PATCHLEVEL".into()))?;
    if v < OLDEST {
        return Err(ClientError::Unsupported {
            tree: tree.to_path_buf(),
            version: v.to_string(),
            why: format!(
                "its MSI core predates {}.{} (no msi_desc::msi_index, descriptors in lists: \
                 for_each_pci_msi_entry, msi_desc::msi_attrib); the tree client needs {}.{} or later",
                OLDEST.major, OLDEST.minor, OLDEST.major, OLDEST.minor
            ),
        });
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|f| !tree.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        return Err(not(format!(
            "Linux {v}: the tree lacks {} (the client compiles pSeries msi.c with the tree's MSI core)",
            missing.join(", ")
        )));
    }
    Ok(v)
}

/// Builds the client of `tree` unless a build of the same files is cached; returns the
/// shared object. Nothing is cached when it fails.
pub fn build(tree: &Path) -> Result<PathBuf, ClientError> {
    let v = check(tree)?;
    let root = tree.canonicalize().map_err(|e| ClientError::Io {
        path: tree.to_path_buf(),
        error: e.to_string(),
    })?;
    let cc = compiler();
    let mut key = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut key, cc.as_bytes());
    fnv(&mut key, root.to_string_lossy().as_bytes());
    for (p, t) in SOURCES {
        fnv(&mut key, p.as_bytes());
        fnv(&mut key, t.as_bytes());
    }
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cache_dir().join("linux-tree");
    let manifest = dir.join(format!("{key:016x}.manifest"));
    if let Some(so) = cached(&manifest) {
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
    let r = super::tree_build::build_in(&work, &cc, tree, &root, v).and_then(|deps| {
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

/// One line per file the build read from the tree: its hash and path.
fn manifest_text(deps: &[PathBuf]) -> String {
    let mut out = String::new();
    for d in deps {
        if let Some(h) = hash_file(d) {
            out.push_str(&format!("{h:016x} {}\n", d.display()));
        }
    }
    out
}

/// The cached shared object of a manifest whose every file still has its hash.
fn cached(manifest: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let mut lines = text.lines();
    let so = PathBuf::from(lines.next()?.strip_prefix("so ")?);
    for l in lines {
        let (h, p) = l.split_once(' ')?;
        if format!("{:016x}", hash_file(Path::new(p))?) != h {
            log::info!("{p} changed: the client is rebuilt");
            return None;
        }
    }
    so.is_file().then_some(so)
}

/// Writes the psim arch (the project's headers, asm-generic wrappers for the tree's
/// `mandatory-y` lists, the powerpc allow-list) and the generated headers into `work`.
pub fn write_arch(work: &Path, root: &Path, v: Version) -> std::io::Result<()> {
    let write = |rel: &str, text: &str| -> std::io::Result<()> {
        let f = work.join(rel);
        if let Some(d) = f.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(f, text)
    };
    for (p, t) in SOURCES {
        write(p, t)?;
    }
    let kbuild = std::fs::read_to_string(root.join("include/asm-generic/Kbuild"))?;
    let uapi = std::fs::read_to_string(root.join("include/uapi/asm-generic/Kbuild"))?;
    let mut generic = tree_files::mandatory(&kbuild);
    generic.extend(GENERIC_EXTRA.iter().map(|s| s.to_string()));
    for h in POWERPC_HEADERS {
        let real = root.join("arch/powerpc/include").join(h);
        let rel = match h.strip_prefix("uapi/") {
            Some(u) => format!("arch/uapi/{u}"),
            None => format!("arch/{h}"),
        };
        write(&rel, &format!("#include \"{}\"\n", real.display()))?;
    }
    for (list, dir) in [
        (generic, "arch/asm"),
        (tree_files::mandatory(&uapi), "arch/uapi/asm"),
    ] {
        for h in list {
            let rel = format!("{dir}/{h}");
            if !work.join(&rel).exists() {
                write(&rel, &format!("#include <asm-generic/{h}>\n"))?;
            }
        }
    }
    let code = (v.major << 16) + (v.minor << 8) + v.sub.min(255);
    write(
        "gen/generated/uapi/linux/version.h",
        &format!(
            "#define LINUX_VERSION_CODE {code}\n\
             #define KERNEL_VERSION(a,b,c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))\n\
             #define LINUX_VERSION_MAJOR {}\n#define LINUX_VERSION_PATCHLEVEL {}\n\
             #define LINUX_VERSION_SUBLEVEL {}\n",
            v.major, v.minor, v.sub
        ),
    )?;
    for h in ["autoconf.h", "bounds.h", "timeconst.h", "rq-offsets.h"] {
        std::fs::copy(work.join("gen").join(h), work.join("gen/generated").join(h))?;
    }
    let rtas = std::fs::read_to_string(root.join("arch/powerpc/include/asm/rtas.h"))?;
    write(
        "gen/generated/psim_rtas_names.h",
        &tree_files::rtas_names(&rtas),
    )?;
    Ok(())
}

/// The files compiled from the tree (those it has), client first.
pub fn tree_files(root: &Path) -> Vec<&'static str> {
    TREE_FILES
        .iter()
        .copied()
        .filter(|f| root.join(f).is_file())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_makefile() {
        let m = "# SPDX\nVERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 0\nEXTRAVERSION = -rc7\n";
        assert_eq!(
            version_of(m),
            Some(Version {
                major: 7,
                minor: 3,
                sub: 0
            })
        );
        assert_eq!(version_of("NAME = x\n"), None);
        assert!(version_of("VERSION = 5\nPATCHLEVEL = 15\n").unwrap() < OLDEST);
    }
}
