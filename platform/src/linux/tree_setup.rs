//! Setting a kernel tree up for the tree client: its version and whether it can be
//! built, and the work folder's psim arch and generated headers.

use super::client_error::ClientError;
use super::tree_files::{self, GENERIC_EXTRA, POWERPC_HEADERS, REQUIRED, SOURCES, TREE_FILES};
use std::path::Path;

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
        // The XIVE driver's two files go together.
        .filter(|f| {
            !tree_files::XIVE_FILES.contains(f)
                || tree_files::XIVE_FILES
                    .iter()
                    .all(|x| root.join(x).is_file())
        })
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
