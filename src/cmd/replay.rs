//! `pseries-sim replay`: replays a call log against a fresh machine.

use clap::Args;
use rtas::{calllog, replay, Firmware, MachineConfig, Profile};
use std::path::PathBuf;
use std::process::ExitCode;

/// Replays an RTAS call log (JSON Lines: service, args, rets) against a fresh machine
/// built from TREE and compares every call's outputs with the log's. Prints each
/// difference, then `replayed N calls: K identical, D differ`; exits 0 only when D is 0.
///
/// Example: pseries-sim replay fixtures/linux-guest/rtas-calls.jsonl
///   --machine fixtures/linux-guest/qemu-initial.dtb --profile qemu
#[derive(Args)]
#[command(about = "Replays an RTAS call log against a fresh machine")]
pub struct ReplayArgs {
    /// The call log.
    log: PathBuf,
    /// The machine's tree (DTS or DTB); the built-in machine when absent.
    #[arg(long)]
    machine: Option<PathBuf>,
    /// Firmware behaviour: papr (LoPAPR) or qemu (QEMU 7.2).
    #[arg(long, default_value = "papr", value_parser = super::choices::profile())]
    profile: Profile,
}

/// Runs the replay.
pub fn run(a: ReplayArgs) -> Result<ExitCode, String> {
    let (tree, what) = match &a.machine {
        Some(p) => (super::files::read_tree(p)?, p.display().to_string()),
        None => (
            of_tree::dtb::read(super::boot::DEFAULT_MACHINE)
                .map_err(|e| format!("built-in machine: {e}"))?,
            "built-in machine".to_string(),
        ),
    };
    let cfg = MachineConfig {
        profile: a.profile,
        pool_size: None,
        bare_metal: false,
    };
    let mut fw = Firmware::new(&tree, &cfg).map_err(|e| format!("{what}: {e}"))?;
    let text = super::files::read_text(&a.log)?;
    let log = calllog::from_jsonl(&text).map_err(|e| format!("{}: {e}", a.log.display()))?;
    let rep = replay::replay(&mut fw, &log);
    for d in &rep.differences {
        super::out::line(format!("{d}"))?;
    }
    super::out::line(format!("{rep}"))?;
    Ok(if rep.differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
