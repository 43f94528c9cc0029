//! `pseries-sim import`: a QEMU + Linux log to an RTAS call log and a scenario.

use clap::Args;
use pseries_sim::import::import;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reads a log in which QEMU's spapr_pci* trace events and a Linux guest's pseries MSI
/// debug lines (rtas_msi: ..., pseries_irq_domain_alloc ..., calc quota for ...) are
/// interleaved, and writes the RTAS call log (JSON Lines) and, with --scenario, the
/// scenario of driver actions (boot, each driver's request, each release) that
/// reproduces it on the machine TREE. Calls are put in the order QEMU's trace lines show
/// (drivers on several CPUs interleave their kernel lines); a log that leaves an order or
/// a device open stops the import, naming the lines. Kernel lines a dmesg dump prints
/// again are skipped. How missing facts were inferred goes to stderr.
///
/// Example: pseries-sim import fixtures/linux-guest/msi-log.txt -o calls.jsonl
///   --scenario guest.scenario --machine fixtures/linux-guest/qemu-initial.dtb
#[derive(Args)]
#[command(about = "Turns a QEMU + Linux log into an RTAS call log and a scenario")]
pub struct ImportArgs {
    /// The interleaved log.
    log: PathBuf,
    /// Where to write the RTAS calls (stdout when absent, unless --scenario).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Where to write the scenario.
    #[arg(long, requires = "machine")]
    scenario: Option<PathBuf>,
    /// The machine the log was taken on (DTS or DTB): BUIDs come from it.
    #[arg(long)]
    machine: Option<PathBuf>,
}

/// Relative path from `dir` to `target` when both are relative or share a prefix.
fn relative(dir: &Path, target: &Path) -> PathBuf {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (d, t) = (abs(dir), abs(target));
    let dc: Vec<_> = d.components().collect();
    let tc: Vec<_> = t.components().collect();
    let common = dc.iter().zip(&tc).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return t;
    }
    let mut p = PathBuf::new();
    for _ in common..dc.len() {
        p.push("..");
    }
    for c in &tc[common..] {
        p.push(c);
    }
    p
}

/// Runs the import.
pub fn run(a: ImportArgs) -> Result<ExitCode, super::Error> {
    let calls_path = match (&a.output, &a.scenario) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(s)) => Some(s.with_extension("jsonl")),
        (None, None) => None,
    };
    let flag = if a.output.is_some() {
        "-o"
    } else {
        "--scenario"
    };
    for (flag, p) in [("--scenario", &a.scenario), (flag, &calls_path)] {
        if let Some(p) = p {
            super::files::check_output(flag, p)?;
        }
    }
    let text = super::files::read_text(&a.log)?;
    let mut buids = HashMap::new();
    if let Some(m) = &a.machine {
        let tree = super::files::read_tree(m)?;
        let cfg = rtas::MachineConfig {
            profile: rtas::Profile::Qemu,
            pool_size: None,
            bare_metal: false,
        };
        let machine =
            rtas::Machine::from_tree(&tree, &cfg).map_err(|e| super::files::about(Some(m), e))?;
        for p in &machine.phbs {
            buids.insert(p.index, p.buid);
        }
    }
    let imp = import(&text, &buids).map_err(|e| super::files::about(Some(&a.log), e))?;
    for n in &imp.notes {
        eprintln!("note: {n}");
    }
    let jsonl = rtas::calllog::to_jsonl(&imp.calls);
    match &calls_path {
        Some(p) => super::files::write(p, jsonl.as_bytes(), false)?,
        None => std::io::stdout()
            .write_all(jsonl.as_bytes())
            .map_err(|e| format!("stdout: {e}"))?,
    }
    if let (Some(s), Some(m), Some(calls)) = (&a.scenario, &a.machine, &calls_path) {
        let dir = s
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut sc = format!(
            "# Imported from {} by pseries-sim import.\n",
            super::files::name(&a.log)
        );
        sc.push_str(&format!(
            "machine {}\nprofile qemu\n",
            relative(dir, m).display()
        ));
        for act in &imp.actions {
            sc.push_str(act);
            sc.push('\n');
        }
        sc.push_str(&format!(
            "expect rtas-log {}\n",
            relative(dir, calls).display()
        ));
        super::files::write(s, sc.as_bytes(), false)?;
    }
    eprintln!(
        "imported {} RTAS calls, {} driver actions",
        imp.calls.len(),
        imp.actions.len()
    );
    Ok(ExitCode::SUCCESS)
}
