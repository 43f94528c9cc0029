//! Building a user's `msi.c` with the project's stand-in headers and MSI core into a
//! shared object, cached by content.

use super::client_error::ClientError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's own C files (stand-in headers, the MSI core), as (path, text), layer
/// by layer from the bottom: each file includes only headers of its layer or below.
/// Bottom: the host interface, the kernel environment's base and its implementation.
/// Middle: the irq and MSI core. msi.c's view: `psim.h` (all of the kernel environment)
/// and `pseries.h`. Top: the entry points this crate calls.
const SOURCES: &[(&str, &str)] = &[
    (
        "include/psim_host.h",
        include_str!("../../linux-client/include/psim_host.h"),
    ),
    (
        "include/psim_base.h",
        include_str!("../../linux-client/include/psim_base.h"),
    ),
    ("base.h", include_str!("../../linux-client/base.h")),
    ("base.c", include_str!("../../linux-client/base.c")),
    (
        "include/psim_irq.h",
        include_str!("../../linux-client/include/psim_irq.h"),
    ),
    ("middle.h", include_str!("../../linux-client/middle.h")),
    ("irq.c", include_str!("../../linux-client/irq.c")),
    ("msi_core.c", include_str!("../../linux-client/msi_core.c")),
    ("pci_msi.c", include_str!("../../linux-client/pci_msi.c")),
    (
        "pci_msi_domain.c",
        include_str!("../../linux-client/pci_msi_domain.c"),
    ),
    (
        "include/psim.h",
        include_str!("../../linux-client/include/psim.h"),
    ),
    (
        "include/pseries.h",
        include_str!("../../linux-client/include/pseries.h"),
    ),
    ("entry.h", include_str!("../../linux-client/entry.h")),
    ("entry.c", include_str!("../../linux-client/entry.c")),
];

/// The C files compiled with the user's `msi.c`: those of [`SOURCES`] ending in `.c`.
fn c_files() -> impl Iterator<Item = &'static str> {
    SOURCES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| p.ends_with(".c"))
}

/// The kernel headers a platform file includes; each stand-in includes `psim.h`.
const STAND_INS: &[&str] = &[
    "linux/crash_dump.h",
    "linux/device.h",
    "linux/irq.h",
    "linux/irqdomain.h",
    "linux/msi.h",
    "linux/pci.h",
    "linux/of.h",
    "linux/kernel.h",
    "linux/interrupt.h",
    "linux/slab.h",
    "linux/of_irq.h",
    "linux/export.h",
    "linux/init.h",
    "asm/rtas.h",
    "asm/hw_irq.h",
    "asm/ppc-pci.h",
    "asm/machdep.h",
    "asm/xive.h",
    "asm/pci-bridge.h",
    "asm/firmware.h",
];

const STAND_IN: &str =
    "/* pseries-sim stand-in (msi.c's view): all in psim.h */\n#include \"../psim.h\"\n";

/// FNV-1a, 64 bits: the cache key of a build.
pub(super) fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= b as u64;
        *h = h.wrapping_mul(0x100_0000_01b3);
    }
}

/// The cache key of a build: FNV-1a over its parts (words such as the compiler and
/// flags), then every embedded file's path and text.
pub(super) fn build_key<'a>(
    parts: impl IntoIterator<Item = &'a [u8]>,
    sources: &[(&str, &str)],
) -> u64 {
    let mut key = 0xcbf2_9ce4_8422_2325u64;
    for p in parts {
        fnv(&mut key, p);
    }
    for (p, t) in sources {
        fnv(&mut key, p.as_bytes());
        fnv(&mut key, t.as_bytes());
    }
    key
}

/// The C compiler: `$CC`, else `cc`.
pub(super) fn compiler() -> String {
    std::env::var("CC")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "cc".into())
}

/// Where builds are kept: `$PSERIES_SIM_CACHE`, else the user's cache directory.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PSERIES_SIM_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("pseries-sim")
}

/// How the client is compiled and linked. A call to a function nothing declares is an
/// error, not a warning (`-Werror=implicit-function-declaration`), and the shared object
/// must resolve every symbol (`-Wl,-z,defs`: the C library and the host table are all it
/// may use), so a function that exists nowhere fails the build, naming the caller's
/// line (from the debug info, `-g`; DWARF 4, whose file names GNU ld reports right)
/// rather than the load or the call. `-Wall`, as the kernel's build. Frame pointers:
/// the runner walks them to say where a crash or a stop happened.
const FLAGS: &[&str] = &[
    "-shared",
    "-fPIC",
    "-O1",
    "-gdwarf-4",
    "-fno-omit-frame-pointer",
    "-std=gnu11",
    "-Wall",
    "-Werror=implicit-function-declaration",
    "-Wl,-z,defs",
];

/// A build: the shared object and what the compiler said about a file it accepted
/// (its warnings; empty when it said nothing).
#[derive(Debug, Clone)]
pub struct Built {
    /// The shared object, in the cache.
    pub library: PathBuf,
    /// The compiler's warnings, naming the user's path and lines.
    pub warnings: String,
}

/// Compiles `source` (its text `text`) unless a build of the same text, stand-ins,
/// compiler and flags is cached; returns the shared object and the compiler's warnings
/// (kept beside it, so a cached build shows them again). Nothing is cached when the
/// build fails: the object is moved into the cache only once it compiled and linked
/// with every symbol resolved.
pub fn build(source: &Path, text: &[u8], flags: &[String]) -> Result<Built, ClientError> {
    let cc = compiler();
    let mut key = 0xcbf2_9ce4_8422_2325u64;
    fnv(&mut key, cc.as_bytes());
    fnv(&mut key, b"-ffile-prefix-map");
    for f in FLAGS
        .iter()
        .copied()
        .chain(flags.iter().map(String::as_str))
    {
        fnv(&mut key, f.as_bytes());
    }
    fnv(&mut key, source.to_string_lossy().as_bytes());
    fnv(&mut key, text);
    for (p, t) in SOURCES {
        fnv(&mut key, p.as_bytes());
        fnv(&mut key, t.as_bytes());
    }
    // One build at a time in this process (threads share the work folder's name).
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cache_dir().join("linux-client");
    let out = dir.join(format!("{key:016x}.so"));
    let said = dir.join(format!("{key:016x}.warnings"));
    if out.is_file() {
        log::debug!("{}: cached build {}", source.display(), out.display());
        let warnings = std::fs::read_to_string(&said).unwrap_or_default();
        return Ok(Built {
            library: out,
            warnings,
        });
    }
    std::fs::create_dir_all(&dir).map_err(|e| ClientError::Io {
        path: dir.clone(),
        error: e.to_string(),
    })?;
    let work = dir.join(format!("build-{key:016x}-{}", std::process::id()));
    // Absolute: the compiler runs in this process's folder (see build_in).
    let work = std::path::absolute(&work).unwrap_or(work);
    let r = build_in(&work, &cc, source, text, &out, &said, flags);
    let _ = std::fs::remove_dir_all(&work);
    r.map(|warnings| Built {
        library: out,
        warnings,
    })
}

/// Builds in `work`; on success writes the warnings to `said`, then moves the object to
/// `out` (in that order: a cached object always has its warnings) and returns them.
fn build_in(
    work: &Path,
    cc: &str,
    source: &Path,
    text: &[u8],
    out: &Path,
    said: &Path,
    flags: &[String],
) -> Result<String, ClientError> {
    let io = |p: &Path, e: std::io::Error| ClientError::Io {
        path: p.to_path_buf(),
        error: e.to_string(),
    };
    for sub in ["include/linux", "include/asm"] {
        let d = work.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| io(&d, e))?;
    }
    for (p, t) in SOURCES {
        let f = work.join(p);
        std::fs::write(&f, t).map_err(|e| io(&f, e))?;
    }
    for h in STAND_INS {
        let f = work.join("include").join(h);
        std::fs::write(&f, STAND_IN).map_err(|e| io(&f, e))?;
    }
    // The user's file under the name its includes expect, its diagnostics naming the
    // user's path and lines.
    let shown = source
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let mut copy = format!("#line 1 \"{shown}\"\n").into_bytes();
    copy.extend_from_slice(text);
    let msi = work.join("msi.c");
    std::fs::write(&msi, copy).map_err(|e| io(&msi, e))?;
    let tmp = work.join("client.so");
    // Run where the user is, so that the compiler finds their file by the name they
    // gave it: its messages quote their lines, with columns as their editor counts them.
    let output = Command::new(cc)
        .args(FLAGS)
        .args(flags)
        // Our files named as the project has them, not by the build folder.
        .arg(format!(
            "-ffile-prefix-map={}=platform/linux-client",
            work.display()
        ))
        .arg(format!("-I{}", work.join("include").display()))
        .arg(format!("-I{}", work.display()))
        .arg("-o")
        .arg(&tmp)
        .args(c_files().map(|f| work.join(f)))
        .arg(&msi)
        .output()
        .map_err(|e| ClientError::NoCompiler {
            cc: cc.to_string(),
            error: e.to_string(),
        })?;
    let diagnostics = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        let undefined = super::link_errors::undefined(&diagnostics, work, source);
        if !undefined.is_empty() {
            return Err(ClientError::Undefined {
                file: source.to_path_buf(),
                cc: cc.to_string(),
                undefined,
            });
        }
        return Err(ClientError::Compile {
            file: source.to_path_buf(),
            cc: cc.to_string(),
            status: output.status,
            diagnostics: diagnostics.trim_end().to_string(),
        });
    }
    let warnings = diagnostics.trim_end().to_string();
    if !warnings.is_empty() {
        log::info!("{}: compiler said:\n{warnings}", source.display());
    }
    std::fs::write(said, &warnings).map_err(|e| io(said, e))?;
    std::fs::rename(&tmp, out).map_err(|e| io(out, e))?;
    Ok(warnings)
}
