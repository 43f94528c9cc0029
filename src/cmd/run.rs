//! `pseries-sim run`: runs a scenario file.

use clap::Args;
use platform::scenario::{run_file, Output};
use platform::trace::TraceFormat;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs a scenario: a machine, a profile, a boot, then driver requests, releases, fired
/// vectors and expectations, one a line. Prints the trace as it goes and stops at the
/// first failed expectation with its line and what differed (exit status 1).
///
/// Example: pseries-sim run fixtures/linux-guest/boot.scenario
#[derive(Args)]
#[command(about = "Runs a scenario file")]
pub struct RunArgs {
    /// The scenario file.
    file: PathBuf,
    /// Trace as JSON Lines (the same as --trace json).
    #[arg(long)]
    json: bool,
    /// Trace format: human (default), json (JSON Lines, one event a line), or qemu
    /// (the firmware's calls as QEMU's spapr_pci* trace events).
    #[arg(long, default_value = "human")]
    trace: TraceFormat,
    /// Also write every RTAS call made (JSON Lines: service, args, rets) to this file.
    #[arg(long)]
    rtas_log: Option<PathBuf>,
}

struct Stdout;

impl Output for Stdout {
    fn line(&mut self, s: &str) {
        if let Err(e) = super::out::line(s) {
            eprintln!("pseries-sim: {e}");
            std::process::exit(1);
        }
    }
}

/// Runs it.
pub fn run(a: RunArgs) -> Result<ExitCode, String> {
    let format = if a.json { TraceFormat::Json } else { a.trace };
    let k = run_file(&a.file, format, &mut Stdout).map_err(|e| e.to_string())?;
    if let (Some(k), Some(p)) = (&k, &a.rtas_log) {
        std::fs::write(p, rtas::calllog::to_jsonl(platform::harness::call_log(k)))
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if let Some(k) = k {
        if format == TraceFormat::Human {
            super::out::line(format!(
                "scenario passed: {} RTAS calls, {} virqs mapped",
                platform::harness::call_log(&k).len(),
                k.irq.len()
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
