//! The client runner (`platform/linux-runner/runner.c`): built once per compiler and
//! sanitizer set into the cache, it is the process every client instance runs in.

use super::client_error::ClientError;
use super::compile::{build_key, cache_dir, compiler};
use std::path::PathBuf;
use std::process::Command;

const SOURCES: &[(&str, &str)] = &[
    ("runner.c", include_str!("../../linux-runner/runner.c")),
    ("chan.h", include_str!("../../linux-runner/chan.h")),
    (
        "psim_host.h",
        include_str!("../../linux-client/include/psim_host.h"),
    ),
];

/// The compiler flags of code built to run under `sanitize` (e.g. `address`,
/// `undefined`): nothing when it is empty.
pub fn sanitizer_flags(sanitize: &[String]) -> Vec<String> {
    if sanitize.is_empty() {
        return Vec::new();
    }
    vec![
        format!("-fsanitize={}", sanitize.join(",")),
        "-fno-sanitize-recover=all".into(),
    ]
}

/// The runner's executable for these sanitizers, built if it is not cached.
pub fn build(sanitize: &[String]) -> Result<PathBuf, ClientError> {
    let cc = compiler();
    let flags = sanitizer_flags(sanitize);
    let parts = std::iter::once(cc.as_bytes()).chain(flags.iter().map(|f| f.as_bytes()));
    let key = build_key(parts, SOURCES);
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cache_dir().join("linux-runner");
    let exe = dir.join(format!("runner-{key:016x}"));
    if exe.is_file() {
        return Ok(exe);
    }
    let io = |p: &std::path::Path, e: std::io::Error| ClientError::Io {
        path: p.to_path_buf(),
        error: e.to_string(),
    };
    let work = dir.join(format!("build-{key:016x}-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| io(&work, e))?;
    for (p, t) in SOURCES {
        std::fs::write(work.join(p), t).map_err(|e| io(&work.join(p), e))?;
    }
    let out = Command::new(&cc)
        .current_dir(&work)
        .args([
            "-O1",
            "-g",
            "-fno-omit-frame-pointer",
            "-I.",
            "runner.c",
            "-o",
            "runner",
        ])
        .args(&flags)
        .args(["-ldl", "-lpthread"])
        .output()
        .map_err(|e| ClientError::NoCompiler {
            cc: cc.clone(),
            error: e.to_string(),
        })?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&work);
        return Err(ClientError::Compile {
            file: PathBuf::from("platform/linux-runner/runner.c"),
            cc,
            status: out.status,
            diagnostics: String::from_utf8_lossy(&out.stderr).trim_end().to_string(),
        });
    }
    let r = std::fs::rename(work.join("runner"), &exe).map_err(|e| io(&exe, e));
    let _ = std::fs::remove_dir_all(&work);
    r.map(|_| exe)
}
