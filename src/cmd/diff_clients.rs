//! `pseries-sim diff-clients`: a scenario with two MSI clients (by default the model and
//! a compiled Linux `msi.c`); the first MSI call, virq or vector where they differ.

use clap::Args;
use pseries_sim::scenario::{ClientRun, Difference};
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs a scenario with two MSI clients, each set up as `run` sets it up, and says where
/// they part; exit status 0 only when both ran it to its end alike (a client that fails
/// the scenario is named with the line it stopped at: nothing after it was compared).
/// Given once, --client
/// names the client compared with the model (the model on the left, it on the right);
/// given twice, the left client, then the right one (each `model` or
/// `linux:PATH/msi.c`). The left client's lines come first.
///
/// Example: pseries-sim diff-clients boot.scenario --client linux:msi.c
///
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
/// than twice; an error (of usage) when none is given nor set in the environment.
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

/// Runs it: exit 0 when they agree (both ran the scenario to its end, alike), 1 at the
/// first difference or when a client failed the scenario (nothing after its failing line
/// was compared).
pub fn run(a: DiffClientsArgs) -> Result<ExitCode, super::Error> {
    let Some((left_spec, right_spec)) = sides(&a.client).map_err(super::Error::Usage)? else {
        too_many_clients()
    };
    a.client_opts.apply()?;
    let left_client = super::client::parse(&left_spec)?;
    let right_client = super::client::parse(&right_spec)?;
    // Each line names its client, the left one first.
    let (left, right, first) =
        pseries_sim::scenario::diff_clients(&a.scenario, left_client, right_client)
            .map_err(|e| e.to_string())?;
    let mut out = super::out::Buffered::new();
    for l in report(
        &a.scenario.display().to_string(),
        &left,
        &right,
        first.as_ref(),
    ) {
        out.line(l);
    }
    out.flush();
    Ok(
        if pseries_sim::scenario::agree(&left, &right, first.as_ref()) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// What the comparison prints: each client's outcome, left first; that they agree, or
/// where they part, or that the runs were alike as far as they went though a client
/// failed; then where each failed client stopped.
pub(super) fn report(
    file: &str,
    left: &ClientRun,
    right: &ClientRun,
    first: Option<&Difference>,
) -> Vec<String> {
    let outcome = |r: &ClientRun| match &r.failure {
        None => format!("{}: passed", r.client),
        Some(why) => format!("{}: failed: {why}", r.client),
    };
    let mut out = vec![outcome(left), outcome(right)];
    let alike = format!(
        "{} MSI calls, virq mappings and vectors alike",
        left.observations.len()
    );
    match (first, &left.failure, &right.failure) {
        (Some(d), ..) => {
            out.push(format!("first difference, at observation {}:", d.index + 1));
            for (run, side) in [(left, &d.left), (right, &d.right)] {
                out.push(match side {
                    Some((line, o)) => format!("  {} (line {line}): {o}", run.client),
                    None => format!("  {}: (nothing more)", run.client),
                });
            }
        }
        (None, None, None) => out.push(format!("the clients agree: {alike}")),
        (None, Some(_), Some(_)) => out.push(format!(
            "both clients failed ({alike} before that): not an agreement"
        )),
        (None, Some(_), None) | (None, None, Some(_)) => {
            let (failed, passed) = if left.failure.is_some() {
                (left, right)
            } else {
                (right, left)
            };
            out.push(format!(
                "the clients differ in outcome: {} failed, {} passed ({alike} before that)",
                failed.client, passed.client
            ));
        }
    }
    match (left.stopped_at, right.stopped_at) {
        (Some(l), Some(r)) if l == r => out.push(format!(
            "both clients stopped at {file}:{l}: nothing after that line was compared"
        )),
        (l, r) => {
            for (run, at) in [(left, l), (right, r)] {
                if let Some(line) = at {
                    out.push(format!(
                        "{} stopped at {file}:{line}: nothing after that line was compared",
                        run.client
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{report, sides};
    use pseries_sim::scenario::{ClientRun, Difference};

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

    /// A run of `n` observations, failed at `line` if given.
    fn run(client: &str, n: usize, line: Option<usize>) -> ClientRun {
        ClientRun {
            client: client.into(),
            observations: (0..n).map(|i| (3, format!("o{i}"))).collect(),
            failure: line.map(|l| format!("f.scenario:{l}:1: wrong")),
            stopped_at: line,
        }
    }

    #[test]
    fn only_two_runs_to_the_end_alike_agree() {
        let agree = report("f.scenario", &run("a", 2, None), &run("b", 2, None), None);
        assert_eq!(
            agree[2],
            "the clients agree: 2 MSI calls, virq mappings and vectors alike"
        );
        assert_eq!(agree.len(), 3);
        let both = report(
            "f.scenario",
            &run("a", 2, Some(4)),
            &run("b", 2, Some(4)),
            None,
        );
        assert_eq!(
            both[..],
            [
                "a: failed: f.scenario:4:1: wrong",
                "b: failed: f.scenario:4:1: wrong",
                "both clients failed (2 MSI calls, virq mappings and vectors alike before that): not an agreement",
                "both clients stopped at f.scenario:4: nothing after that line was compared",
            ]
        );
        let one = report(
            "f.scenario",
            &run("a", 2, None),
            &run("b", 2, Some(5)),
            None,
        );
        assert_eq!(
            one[2..],
            [
                "the clients differ in outcome: b failed, a passed (2 MSI calls, virq mappings and vectors alike before that)",
                "b stopped at f.scenario:5: nothing after that line was compared",
            ]
        );
        let apart = report(
            "f.scenario",
            &run("a", 2, Some(7)),
            &run("b", 1, Some(6)),
            None,
        );
        assert_eq!(
            apart[3..],
            [
                "a stopped at f.scenario:7: nothing after that line was compared",
                "b stopped at f.scenario:6: nothing after that line was compared",
            ]
        );
        let d = Difference {
            index: 1,
            left: Some((3, "o1".into())),
            right: None,
        };
        let differ = report(
            "f.scenario",
            &run("a", 2, None),
            &run("b", 1, Some(3)),
            Some(&d),
        );
        assert_eq!(
            differ[2..],
            [
                "first difference, at observation 2:",
                "  a (line 3): o1",
                "  b: (nothing more)",
                "b stopped at f.scenario:3: nothing after that line was compared",
            ]
        );
    }
}
