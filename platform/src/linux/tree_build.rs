//! Compiling and linking a tree client in its work folder: the kernel flags (one set
//! for every kernel-side file, so every struct has one layout), the jobs, the initcall
//! section, and trap functions for what nothing below the core provides.

use super::client_error::ClientError;
use super::tree_files::XIVE_FILES;
use super::tree_setup::{self as tree, Version};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One translation unit: its source, its object, and whether it is kernel-side.
struct Unit {
    source: PathBuf,
    object: PathBuf,
    kernel: bool,
    /// `-D` flags of this unit alone.
    defines: Vec<String>,
    /// Extra include folders of this unit alone.
    includes: Vec<PathBuf>,
}

/// The flags of every kernel-side file: the tree's include folders behind the psim
/// arch, the tree's forced includes, the kernel's code-generation options.
fn kernel_flags(cc: &str, work: &Path, root: &Path, v: Version) -> Vec<String> {
    let gcc_include = Command::new(cc)
        .arg("-print-file-name=include")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let p = |x: &Path| x.display().to_string();
    let mut f: Vec<String> = vec!["-nostdinc".into(), "-isystem".into(), gcc_include];
    for d in [
        work.join("arch"),
        work.join("arch/uapi"),
        work.join("gen"),
        work.join("gen/generated/uapi"),
        root.join("include"),
        root.join("include/uapi"),
    ] {
        f.push(format!("-I{}", p(&d)));
    }
    for h in ["compiler-version.h", "kconfig.h", "compiler_types.h"] {
        let path = root.join("include/linux").join(h);
        if path.is_file() {
            f.push("-include".into());
            f.push(p(&path));
        }
    }
    for x in [
        "-D__KERNEL__",
        "-std=gnu11",
        "-fno-strict-aliasing",
        "-fno-common",
        "-fshort-wchar",
        "-funsigned-char",
        "-fno-delete-null-pointer-checks",
        "-fPIC",
        "-O1",
        "-g",
        "-fno-omit-frame-pointer",
        "-fvisibility=hidden",
        "-D__DISABLE_EXPORTS",
        "-Wno-pointer-sign",
        "-Wno-attributes",
        // The kernel's formatter, not libc's (libc stays for the glue file).
        "-Dsnprintf=psim_snprintf",
        "-Dvsnprintf=psim_vsnprintf",
        "-Dsprintf=psim_sprintf",
        "-Dvsprintf=psim_vsprintf",
    ] {
        f.push(x.into());
    }
    if v.major >= 7 {
        // CONFIG_CC_MS_EXTENSIONS: 7.x's structs need it.
        f.push("-fms-extensions".into());
    }
    f
}

/// The translation units: the tree's files, the bottom, the top, the glue.
fn units(work: &Path, root: &Path) -> Vec<Unit> {
    let obj = |name: String| work.join("obj").join(name);
    let mut out = Vec::new();
    for (i, f) in tree::tree_files(root).into_iter().enumerate() {
        let src = root.join(f);
        let base = Path::new(f)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let mut defines = vec![
            format!("-DKBUILD_MODNAME=\"{base}\""),
            format!("-DKBUILD_BASENAME=\"{base}\""),
        ];
        if i == 0 || XIVE_FILES.contains(&f) {
            // msi.c's and the XIVE driver's pr_debug messages, as the simulator traces
            // them.
            defines.push("-DDEBUG".into());
        }
        if f == XIVE_FILES[0] {
            // Built without SMP (one CPU runs the code): the one use of the SMP-only
            // per-CPU IPI number outside common.c's CONFIG_SMP blocks (xive_prepare_cpu
            // resets it) lands on the chip id that line resets next.
            defines.push("-Dhw_ipi=chip_id".into());
        }
        out.push(Unit {
            includes: vec![src.parent().map(Path::to_path_buf).unwrap_or_default()],
            source: src,
            object: obj(format!("{}.o", f.replace('/', "_"))),
            kernel: true,
            defines,
        });
    }
    let xive = XIVE_FILES.iter().all(|f| root.join(f).is_file());
    for (p, _) in super::tree_files::SOURCES {
        if !p.ends_with(".c") {
            continue;
        }
        let kernel = !p.starts_with("glue/");
        let stem = Path::new(p)
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        out.push(Unit {
            source: work.join(p),
            object: obj(format!("psim_{}.o", p.replace('/', "_"))),
            kernel,
            defines: [
                "-DKBUILD_MODNAME=\"psim\"".into(),
                format!("-DKBUILD_BASENAME=\"{stem}\""),
            ]
            .into_iter()
            .chain(xive.then(|| "-DPSIM_XIVE_DRIVER".to_string()))
            .collect(),
            includes: vec![
                work.join("glue"),
                work.join("bottom"),
                work.join("top"),
                root.join("arch/powerpc/platforms/pseries"),
                root.join("kernel/irq"),
                root.join("drivers/pci"),
            ],
        });
    }
    out
}

fn run(cmd: &mut Command, cc: &str) -> Result<Output, ClientError> {
    cmd.output().map_err(|e| ClientError::NoCompiler {
        cc: cc.to_string(),
        error: e.to_string(),
    })
}

/// Compiles every unit (on as many jobs as the machine has cores) and links the shared
/// object `work/client.so`. Returns every file of the tree the build read.
pub fn build_in(
    work: &Path,
    cc: &str,
    tree: &Path,
    root: &Path,
    v: Version,
    extra: &[String],
) -> Result<Vec<PathBuf>, ClientError> {
    let io = |p: &Path, e: std::io::Error| ClientError::Io {
        path: p.to_path_buf(),
        error: e.to_string(),
    };
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work.join("obj")).map_err(|e| io(work, e))?;
    tree::write_arch(work, root, v).map_err(|e| io(work, e))?;
    let mut kflags = kernel_flags(cc, work, root, v);
    // Our files are named as the project has them, not by the work folder.
    let map = format!("-ffile-prefix-map={}=platform/linux-tree", work.display());
    kflags.push(map.clone());
    kflags.extend(extra.iter().cloned());
    let units = units(work, root);
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Output, ClientError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(u) = units.get(i) else { break };
                        let mut c = Command::new(cc);
                        if u.kernel {
                            c.args(&kflags);
                        } else {
                            c.args(["-O1", "-g", "-fPIC", "-fvisibility=hidden"]);
                            c.args(extra).arg(&map);
                        }
                        c.args(&u.defines);
                        for d in &u.includes {
                            c.arg(format!("-I{}", d.display()));
                        }
                        c.arg("-MD")
                            .arg("-c")
                            .arg(&u.source)
                            .arg("-o")
                            .arg(&u.object);
                        mine.push((i, run(&mut c, cc)));
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<(usize, Result<Output, ClientError>)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    });
    for (u, r) in units.iter().zip(results) {
        let out = r?;
        let diagnostics = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
        if !out.status.success() {
            return Err(ClientError::Compile {
                file: u.source.clone(),
                cc: cc.to_string(),
                status: out.status,
                diagnostics,
            });
        }
        if !diagnostics.is_empty() && u.source.starts_with(root) {
            log::info!("{}: compiler said:\n{diagnostics}", u.source.display());
        }
    }
    // The initcall of msi.c (machine_arch_initcall) into a section the top can walk.
    let client = &units[0].object;
    let out = run(
        Command::new("objcopy")
            .arg("--rename-section")
            .arg(".initcall3.init=psim_initcall3")
            .arg(client),
        "objcopy",
    )?;
    if !out.status.success() {
        return Err(ClientError::Link {
            tree: tree.to_path_buf(),
            cc: "objcopy".into(),
            diagnostics: String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
        });
    }
    let objects: Vec<&PathBuf> = units.iter().map(|u| &u.object).collect();
    link(work, cc, tree, &objects, extra)?;
    Ok(dependencies(work, root, &units))
}

/// Functions of the irq core nothing below it provides and the MSI paths never reach
/// (the interrupt flow handlers): they link as traps that stop the client naming
/// themselves. Any other undefined symbol (a function the user's code calls that does
/// not exist) is a link error naming it and its caller's file and line.
const TRAPS: &[&str] = &[
    "__handle_irq_event_percpu",
    "__irq_set_trigger",
    "add_interrupt_randomness",
    "handle_bad_irq",
    "handle_irq_event",
    "handle_irq_event_percpu",
    "irq_poll_cpu",
    "irq_wait_for_poll",
    "note_interrupt",
    "wake_threads_waitq",
];

/// Links with every symbol resolved, but for the [`TRAPS`].
fn link(
    work: &Path,
    cc: &str,
    tree: &Path,
    objects: &[&PathBuf],
    flags: &[String],
) -> Result<(), ClientError> {
    let attempt = |traps: Option<&Path>| {
        let mut c = Command::new(cc);
        c.current_dir(work)
            .args(["-shared", "-o", "client.so"])
            .args(flags);
        c.args(objects);
        if let Some(t) = traps {
            c.arg(t);
        }
        c.arg("-Wl,-z,defs");
        run(&mut c, cc)
    };
    let first = attempt(None)?;
    if first.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&first.stderr).to_string();
    let mut missing: Vec<String> = text
        .lines()
        .filter_map(|l| l.split("undefined reference to `").nth(1))
        .filter_map(|l| l.split('\'').next())
        .map(str::to_string)
        .collect();
    missing.sort();
    missing.dedup();
    if missing.iter().any(|m| !TRAPS.contains(&m.as_str())) {
        return Err(ClientError::Link {
            tree: tree.to_path_buf(),
            cc: cc.to_string(),
            diagnostics: undefined_references(&text, &missing),
        });
    }
    let mut c = String::from("void psim_glue_trap(const char *name) __attribute__((noreturn));\n");
    for m in &missing {
        c.push_str(&format!("void {m}(void) {{ psim_glue_trap(\"{m}\"); }}\n"));
    }
    log::debug!("trap functions: {}", missing.join(" "));
    let traps = work.join("traps.c");
    std::fs::write(&traps, c).map_err(|e| ClientError::Io {
        path: traps.clone(),
        error: e.to_string(),
    })?;
    let obj = work.join("obj/traps.o");
    let out = run(
        Command::new(cc)
            .args(["-O1", "-fPIC", "-fvisibility=hidden", "-c"])
            .arg(&traps)
            .arg("-o")
            .arg(&obj),
        cc,
    )?;
    let second = if out.status.success() {
        attempt(Some(&obj))?
    } else {
        out
    };
    if second.status.success() {
        return Ok(());
    }
    Err(ClientError::Link {
        tree: tree.to_path_buf(),
        cc: cc.to_string(),
        diagnostics: format!("{}{}", text, String::from_utf8_lossy(&second.stderr))
            .trim_end()
            .to_string(),
    })
}

/// The linker's lines about the undefined symbols that are no trap (with `-g`, each
/// names the caller's file and line).
fn undefined_references(text: &str, missing: &[String]) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("undefined reference to `"))
        .filter(|l| !TRAPS.iter().any(|t| l.contains(&format!("`{t}'"))))
        .collect();
    if lines.is_empty() {
        let bad: Vec<&str> = missing
            .iter()
            .map(String::as_str)
            .filter(|m| !TRAPS.contains(m))
            .collect();
        return format!("undefined: {}", bad.join(", "));
    }
    lines.join("\n")
}

/// Every file of the tree the compiler read (from the `-MD` files).
fn dependencies(work: &Path, root: &Path, units: &[Unit]) -> Vec<PathBuf> {
    let mut deps = std::collections::BTreeSet::new();
    for u in units {
        let d = u.object.with_extension("d");
        let Ok(text) = std::fs::read_to_string(&d) else {
            continue;
        };
        let joined = text.replace("\\\n", " ");
        for tok in joined.split_whitespace().skip(1) {
            let p = Path::new(tok);
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                work.join(p)
            };
            if p.starts_with(root) {
                deps.insert(p);
            }
        }
    }
    deps.into_iter().collect()
}
