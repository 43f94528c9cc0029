//! `pseries-sim check`: the nvec sanity report of a tree.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Reports, per PCI function, its ibm,req#msi / ibm,req#msi-x, its PE and the quota
/// Linux would compute, then errors (a req# of 0, a req# of the wrong size or type, a
/// function whose reg does not decode, a PHB without a usable BUID) and warnings (req#
/// larger than the PE total, a PE total smaller than the functions that want vectors,
/// no ibm,pe-total-#msi, MSI-X counts Linux rounds up past the table). Exit status 1
/// when there is an error.
///
/// Example: pseries-sim check fixtures/qemu/b_devices.dtb
#[derive(Args)]
#[command(about = "Reports a tree's MSI vector counts, PEs and quotas, with errors and warnings")]
pub struct CheckArgs {
    /// The tree (DTS or DTB).
    tree: PathBuf,
}

/// Runs the check.
pub fn run(a: CheckArgs) -> Result<ExitCode, String> {
    let progress = super::progress::Progress::spinner("checking");
    let tree = super::files::read_tree(&a.tree);
    let rep = tree.map(|t| pseries_sim::check::check(&t));
    progress.finish();
    let rep = rep?;
    let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
    super::out::line(format!(
        "{:<14} {:>8} {:>10} {:>9} {:>6} {:>6}  node (PE)",
        "function", "req#msi", "req#msi-x", "PE total", "quota", "grant"
    ))?;
    for f in &rep.functions {
        super::out::line(format!(
            "{:<14} {:>8} {:>10} {:>9} {:>6} {:>6}  {} ({})",
            f.name.as_deref().unwrap_or("?"),
            opt(f.req_msi),
            opt(f.req_msix),
            f.pe_total,
            f.quota,
            f.grant,
            f.path,
            f.pe.as_deref().unwrap_or("?")
        ))?;
    }
    for x in &rep.findings {
        super::out::line(format!("{x}"))?;
    }
    let errors = rep
        .findings
        .iter()
        .filter(|f| f.severity == pseries_sim::check::Severity::Error)
        .count();
    super::out::line(format!(
        "{} functions, {} errors, {} warnings",
        rep.functions.len(),
        errors,
        rep.findings.len() - errors
    ))?;
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
