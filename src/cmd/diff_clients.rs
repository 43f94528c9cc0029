//! `pseries-sim diff-clients`: a scenario with the model and with a compiled Linux
//! `msi.c`; the first MSI call, virq or vector where they differ.

use clap::Args;
use platform::linux::Client;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs a scenario with both clients and says where they part.
///
/// Example: pseries-sim diff-clients boot.scenario --client linux:msi.c
#[derive(Args)]
#[command(about = "Runs a scenario with the model and a real msi.c and compares them")]
pub struct DiffClientsArgs {
    /// The scenario.
    scenario: PathBuf,
    /// The other client: linux:PATH/msi.c (default: linux:$PSERIES_SIM_MSI_C).
    #[arg(long, value_name = "linux:PATH")]
    client: Option<String>,
}

/// Runs it: exit 0 when they agree, 1 at the first difference.
pub fn run(a: DiffClientsArgs) -> Result<ExitCode, String> {
    let spec = match a.client {
        Some(c) => c,
        None => match std::env::var("PSERIES_SIM_MSI_C") {
            Ok(p) if !p.is_empty() => format!("linux:{p}"),
            _ => return Err("diff-clients needs --client linux:PATH/msi.c".into()),
        },
    };
    let other = Client::parse(&spec).map_err(|e| e.to_string())?;
    let (left, right, first) =
        pseries_sim::scenario::diff_clients(&a.scenario, Client::Model, other)
            .map_err(|e| e.to_string())?;
    let outcome = |r: &pseries_sim::scenario::ClientRun| match &r.failure {
        None => "passed".to_string(),
        Some(why) => format!("failed: {why}"),
    };
    let mut out = super::out::Buffered::new();
    out.line(format!("{}: {}", left.client, outcome(&left)));
    out.line(format!("{}: {}", right.client, outcome(&right)));
    let code = match first {
        None => {
            out.line(format!(
                "the clients agree: {} MSI calls, virq mappings and vectors alike",
                left.observations.len()
            ));
            ExitCode::SUCCESS
        }
        Some(d) => {
            out.line(format!("first difference, at observation {}:", d.index + 1));
            for (run, side) in [(&left, &d.left), (&right, &d.right)] {
                match side {
                    Some((line, o)) => out.line(format!("  {} (line {line}): {o}", run.client)),
                    None => out.line(format!("  {}: (nothing more)", run.client)),
                }
            }
            ExitCode::FAILURE
        }
    };
    out.flush();
    Ok(code)
}
