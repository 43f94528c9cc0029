//! `pseries-sim diff-clients`: a scenario with two MSI clients (by default the model and
//! a compiled Linux `msi.c`); the first MSI call, virq or vector where they differ.

use clap::Args;
use platform::linux::Client;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs a scenario with two MSI clients and says where they part. Given once, --client
/// names the client compared with the model (the model on the left, it on the right);
/// given twice, the left client, then the right one (each `model` or
/// `linux:PATH/msi.c`). The left client's lines come first.
///
/// Example: pseries-sim diff-clients boot.scenario --client linux:msi.c
/// Example: pseries-sim diff-clients boot.scenario --client linux:old/msi.c --client linux:new/msi.c
#[derive(Args)]
#[command(
    about = "Runs a scenario with two MSI clients (the model and a real msi.c, or two given) and compares them"
)]
pub struct DiffClientsArgs {
    /// The scenario.
    scenario: PathBuf,
    /// A client: model or linux:PATH/msi.c. Once: the client compared with the model
    /// (default: linux:$PSERIES_SIM_MSI_C); twice: the left client, then the right.
    #[arg(long, value_name = "model|linux:PATH")]
    client: Vec<String>,
    #[command(flatten)]
    client_opts: super::client_opts::ClientOpts,
}

/// The two clients' specifications, left then right; None when --client is given more
/// than twice.
fn sides(given: &[String]) -> Result<Option<(String, String)>, String> {
    let model = || "model".to_string();
    Ok(match given {
        [] => match std::env::var("PSERIES_SIM_MSI_C") {
            Ok(p) if !p.is_empty() => Some((model(), format!("linux:{p}"))),
            _ => return Err("diff-clients needs --client linux:PATH/msi.c".into()),
        },
        [b] => Some((model(), b.clone())),
        [a, b] => Some((a.clone(), b.clone())),
        _ => None,
    })
}

/// Exits as clap does for bad usage (status 2) when --client is given more than twice.
fn too_many_clients() -> ! {
    let cmd = clap::Command::new("pseries-sim diff-clients");
    let mut cmd = <DiffClientsArgs as clap::Args>::augment_args(cmd);
    cmd.error(
        clap::error::ErrorKind::TooManyValues,
        "--client is given once (compared with the model) or twice (left, then right)",
    )
    .exit()
}

/// Runs it: exit 0 when they agree, 1 at the first difference.
pub fn run(a: DiffClientsArgs) -> Result<ExitCode, String> {
    let Some((left_spec, right_spec)) = sides(&a.client)? else {
        too_many_clients()
    };
    a.client_opts.apply()?;
    let left_client = Client::parse(&left_spec).map_err(|e| e.to_string())?;
    let right_client = Client::parse(&right_spec).map_err(|e| e.to_string())?;
    // Each line names its client, the left one first.
    let (left, right, first) =
        pseries_sim::scenario::diff_clients(&a.scenario, left_client, right_client)
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

#[cfg(test)]
mod tests {
    use super::sides;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn once_against_the_model_twice_left_and_right() {
        let pair = |a: &str, b: &str| Ok(Some((a.to_string(), b.to_string())));
        assert_eq!(sides(&s(&["linux:a.c"])), pair("model", "linux:a.c"));
        assert_eq!(sides(&s(&["model"])), pair("model", "model"));
        assert_eq!(
            sides(&s(&["linux:a.c", "linux:b.c"])),
            pair("linux:a.c", "linux:b.c")
        );
        assert_eq!(
            sides(&s(&["linux:a.c", "model"])),
            pair("linux:a.c", "model")
        );
        assert_eq!(sides(&s(&["model", "model", "model"])), Ok(None));
    }
}
