//! `pseries-sim explore`: scenarios generated from a seed, run with two clients until
//! they differ; the scenario shrunk, written, and the difference shown as
//! `diff-clients` shows it.

use clap::Args;
use pseries_sim::explore::{Case, Clients, Found, Options, STEM};
use pseries_sim::scenario::{first_difference, observe_run, parse};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Generates scenarios on a machine (its tree varied: PE quotas, ibm,req#msi-x and
/// ibm,req#msi, functions without MSI-X, bridges) with random driver actions legal in
/// the state reached (requests, frees, unbinds, fires, suspend and resume, save and
/// restore, hotplug, EEH freezes and recoveries, faults), runs each with both clients,
/// and stops at the first where they differ (an MSI call or its answer, a grant, a
/// virq, a source, a failure). That scenario is shrunk while the difference remains
/// (actions dropped, counts lowered, the tree simplified), written to FILE with its
/// machine beside it (FILE's name with .dts; printed, with the machine written to
/// explore.dts, without -o), and the difference printed as diff-clients prints it:
/// exit status 1. Exit status 0 when N scenarios showed none, saying how many ran and
/// how fast. The same seed makes the same scenarios, whatever -j.
///
/// Example: pseries-sim explore --client linux:msi.c --client linux:edited.c -o min.scenario
///
/// Example: pseries-sim explore --client linux:linux-6.12 --client linux:linux-7.2 --machine qemu-initial.dtb -n 500 --seed 7
#[derive(Args)]
#[command(
    about = "Generates scenarios until two MSI clients differ, and shrinks the first that does"
)]
pub struct ExploreArgs {
    /// A client, given twice: the left one, then the right one (model, linux:FILE.c or
    /// linux:TREE).
    #[arg(long, value_name = "model|linux:PATH", required = true)]
    client: Vec<String>,
    /// The machine the scenarios start from (DTS or DTB); the built-in machine when
    /// absent.
    #[arg(long, value_name = "TREE")]
    machine: Option<PathBuf>,
    /// How many scenarios at most.
    #[arg(short = 'n', value_name = "N", default_value_t = 1000)]
    count: u64,
    /// The seed of the scenarios.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the minimal scenario goes (its machine beside it, FILE's name with .dts);
    /// printed when absent.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Scenarios run at once: default, the machine's cores.
    #[arg(short = 'j', long)]
    jobs: Option<usize>,
    #[command(flatten)]
    client_opts: super::client_opts::ClientOpts,
}

/// Runs it: exit 0 when no scenario showed a difference, 1 when one did.
pub fn run(a: ExploreArgs) -> Result<ExitCode, super::Error> {
    let [left_spec, right_spec] = &a.client[..] else {
        return Err(super::Error::Usage(
            "explore compares two clients: give --client twice (left, then right)".into(),
        ));
    };
    if a.jobs == Some(0) {
        return Err(super::Error::Usage("-j 0: give 1 or more".into()));
    }
    a.client_opts.apply()?;
    let clients = Clients {
        left: super::client::parse(left_spec)?,
        right: super::client::parse(right_spec)?,
    };
    let base = match &a.machine {
        Some(p) => super::files::read_tree(p)?,
        None => of_tree::dtb::read(super::boot::DEFAULT_MACHINE)
            .map_err(|e| format!("built-in machine: {e}"))?,
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = Options {
        clients,
        base,
        count: a.count,
        seed: a.seed,
        jobs,
        scratch: std::env::temp_dir().join(format!("pseries-sim-explore-{}", std::process::id())),
    };
    if std::env::var_os("RUST_LOG").is_none() {
        // Thousands of runs: the clients' kernel warnings each run logs are noise here
        // (the difference found is shown with its runs' failures).
        log::set_max_level(log::LevelFilter::Error);
    }
    let progress = super::progress::Progress::bar(a.count, "scenarios");
    let report = pseries_sim::explore::explore(&opts, &|_| progress.inc());
    progress.finish();
    let report = report?;
    let Some(found) = report.found else {
        let secs = report.elapsed.as_secs_f64();
        super::out::line(format!(
            "no difference in {} scenarios (seed {}, {} run to their end): {secs:.2} s, {:.0} scenarios/s",
            report.ran,
            a.seed,
            report.completed,
            report.ran as f64 / secs.max(1e-9)
        ))?;
        return Ok(ExitCode::SUCCESS);
    };
    show(&a, &opts, &found)?;
    Ok(ExitCode::FAILURE)
}

/// Writes the minimal scenario and its files (or prints it), then runs it with both
/// clients as `diff-clients` does and prints what it prints.
fn show(a: &ExploreArgs, opts: &Options, found: &Found) -> Result<(), super::Error> {
    let (dir, stem) = match &a.output {
        Some(p) => (
            p.parent().map(Path::to_path_buf).unwrap_or_default(),
            p.file_stem()
                .map_or(STEM.into(), |s| s.to_string_lossy().into_owned()),
        ),
        None => (PathBuf::new(), STEM.to_string()),
    };
    let case = found.minimal.renamed(&stem);
    let machine = format!("{stem}.dts");
    let tree = pseries_sim::explore::apply_edits(&opts.base, &case.setup.edits)?;
    super::files::write(
        &dir.join(&machine),
        of_tree::dts::print(&tree).as_bytes(),
        false,
    )?;
    for (name, text) in &case.files {
        super::files::write(&dir.join(name), text.as_bytes(), false)?;
    }
    let header = header(a, opts, found, &case);
    let text = case.text(&machine, &header);
    let mut out = super::out::Buffered::new();
    out.line(format!(
        "scenario {} of seed {} differs; shrunk from {} to {} action lines ({} tries)",
        found.index + 1,
        a.seed,
        found.original.actions.len(),
        case.actions.len(),
        found.tries
    ));
    let file = match &a.output {
        Some(p) => {
            super::files::write(p, text.as_bytes(), false)?;
            out.line(format!(
                "wrote {} and {}",
                p.display(),
                dir.join(&machine).display()
            ));
            p.clone()
        }
        None => {
            out.line(format!("the scenario (its machine written to {machine}):"));
            for l in text.lines() {
                out.line(l);
            }
            PathBuf::from(format!("{STEM}.scenario"))
        }
    };
    // As diff-clients runs it: from its text, paths beside it.
    let steps = parse(&text, &file.display().to_string()).map_err(|e| e.to_string())?;
    let run_at = dir.join(file.file_name().unwrap_or_default());
    let left = observe_run(&run_at, &steps, opts.clients.left);
    let right = observe_run(&run_at, &steps, opts.clients.right);
    let first = first_difference(&left, &right);
    let shown = file.display().to_string();
    for l in super::diff_clients::report(&shown, &left, &right, first.as_ref()) {
        out.line(l);
    }
    out.flush();
    Ok(())
}

/// The written scenario's comment lines: where it came from and how the machine was
/// changed.
fn header(a: &ExploreArgs, opts: &Options, found: &Found, case: &Case) -> Vec<String> {
    let machine = a
        .machine
        .as_ref()
        .map_or("the built-in machine".to_string(), |p| {
            p.display().to_string()
        });
    let mut h = vec![
        format!(
            "pseries-sim explore (seed {}, scenario {}): {} and {} differ on this scenario,",
            a.seed,
            found.index + 1,
            opts.clients.left.name(),
            opts.clients.right.name()
        ),
        format!(
            "shrunk from {} to {} action lines. The machine is {machine}{}",
            found.original.actions.len(),
            case.actions.len(),
            if case.setup.edits.is_empty() {
                "."
            } else {
                ", changed:"
            }
        ),
    ];
    h.extend(case.setup.edits.iter().map(|e| format!("  {e}")));
    h
}
