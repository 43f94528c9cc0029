//! `pseries-sim run`: runs a scenario file.

use clap::Args;
use platform::trace::TraceFormat;
use pseries_sim::scenario::Output;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs a scenario: a machine, a profile, a boot, then driver requests, releases, fired
/// vectors and expectations, one a line. Prints the trace as it goes and stops at the
/// first failed expectation with its line and what differed (exit status 1). Given
/// several files (or --junit), runs them in parallel, each on its own machine, and
/// prints a line per scenario and a closing "N passed, M failed" (exit status 1 if any
/// failed).
///
/// Example: pseries-sim run fixtures/linux-guest/boot.scenario
/// Example: pseries-sim run fixtures/*.scenario fixtures/*/*.scenario -j 2 --junit report.xml
///
/// The scenario language, one command a line (# starts a comment; paths are relative
/// to the scenario file; devices are named as Linux names them, DDDD:BB:DD.F, and a
/// non-PCI MSI device by its node path, /hpet@f0000000):
///
///   machine PATH                        the tree (DTS or DTB), before boot
///   profile qemu|papr                   firmware behaviour, before boot (default papr)
///   cas xics|xive|auto                  the interrupt mode the OS asks for at
///                                       client-architecture-support, before boot (default auto)
///   negotiate ims on|off                whether the OS asks the hypervisor for the new interrupt
///                                       scheme at boot (IMS), before boot (default off)
///   negotiate change-msi-busy on|off    whether the OS says at client-architecture-support
///                                       that it handles busy answers from ibm,change-msi,
///                                       before boot (default off, as Linux)
///   boot                                once
///   request DEV msix|msi|ims N [min M] [start K]
///                                       a driver asks for N vectors (at least M, default N);
///                                       if it fails, an `expect request-fails DEV` must follow;
///                                       a non-PCI device's request is `msi`; it starts
///                                       (request_irq) the first K it gets (default all)
///   free DEV                            the driver releases all its vectors
///   unbind DEV                          the driver detaches: its vectors are freed and the
///                                       kernel releases the device's MSI state
///   start DEV V|all                     the driver starts (request_irq) vector V later, or
///                                       every vector it holds not yet started
///   fire DEV V                          the function signals vector V: its handler must run
///                                       (a vector never started has none: the line fails)
///   suspend                             ibm,suspend-me (not twice)
///   resume keep|renumber                the firmware keeps, or renumbers, its assignments
///   save PATH / restore PATH            the firmware state to a file and back
///   expect rtas-log PATH.jsonl          the RTAS calls so far equal the file's, in order
///   expect virqs-stable                 every virq held before the last suspend still fires
///   expect sources-changed              after a renumbering resume, some source differs
///   expect granted DEV N                the driver holds N vectors
///   expect request-fails DEV            the request just made for DEV failed
///   expect fires DEV V                  vector V reaches the handler of its virq
///   expect controller xics|xive         the interrupt mode negotiated at boot
///   eeh freeze DEV                      the device makes an error that freezes its PE
///   eeh recover DEV                     the OS's EEH recovery of the device
///   expect frozen DEV                   the device's PE is frozen
///   fault SERVICE KIND [after N] [times M]
///                                       after N calls of the RTAS service the next M get
///                                       KIND: busy|hw-error|delay N|fewer N|status N
///                                       (change-msi busy or delay needs
///                                       `negotiate change-msi-busy on`)
///   hotplug add DEV FILE.dts            QEMU's device_add of the one node of FILE (relative to
///                                       the scenario), then the OS's addition and its driver
///   hotplug remove DEV                  QEMU's device_del, then the OS's removal
#[derive(Args)]
#[command(about = "Runs scenario files", verbatim_doc_comment)]
pub struct RunArgs {
    /// The scenario files (`-`: standard input, once).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Scenarios run at once (several files): default, the machine's cores.
    #[arg(short = 'j', long)]
    jobs: Option<usize>,
    /// Also write JUnit XML (one test case per scenario) to this file.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Trace as JSON Lines (the same as --trace json).
    #[arg(long, conflicts_with = "trace")]
    json: bool,
    /// Trace format: human (default), json (JSON Lines, one event a line), or qemu
    /// (the firmware's calls as QEMU's spapr_pci* trace events).
    #[arg(long, default_value = "human", value_parser = super::choices::trace_format())]
    trace: TraceFormat,
    /// Also write every RTAS call made (JSON Lines: service, args, rets) to this file.
    #[arg(long)]
    rtas_log: Option<PathBuf>,
    /// Which code negotiates MSIs: `model` (the project's, the default),
    /// `linux:TREE` (a kernel tree's own pseries msi.c on its own MSI core) or
    /// `linux:PATH/msi.c` (one msi.c on the project's stand-in core).
    #[arg(long, default_value = "model", value_name = "model|linux:PATH")]
    client: String,
    #[command(flatten)]
    client_opts: super::client_opts::ClientOpts,
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

/// Several scenarios: a line each, then the count.
fn run_many(a: &RunArgs) -> Result<ExitCode, super::Error> {
    super::malloc_tuning::reuse_freed_memory();
    if a.rtas_log.is_some() {
        return Err(super::Error::Usage("--rtas-log takes one scenario".into()));
    }
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = std::time::Instant::now();
    a.client_opts.apply()?;
    let client = super::client::parse(&a.client)?;
    let plan = pseries_sim::many::plan(&a.files);
    let mut out = super::out::Buffered::new();
    for s in &plan.shared {
        out.line(format!(
            "{} scenarios save to the same path ({}): run one at a time",
            s.scenarios,
            s.path.display()
        ));
    }
    out.flush();
    let progress = super::progress::Progress::bar(a.files.len() as u64, "scenarios");
    let outcomes = pseries_sim::many::run_plan(&plan, jobs, client, &|_| progress.inc());
    progress.finish();
    let total = started.elapsed();
    let mut failed = 0;
    for o in &outcomes {
        let name = super::files::name(&o.file);
        match &o.failure {
            None => out.line(format!(
                "passed {name}: {} RTAS calls, {} virqs mapped",
                o.counts.0, o.counts.1
            )),
            Some(why) => {
                failed += 1;
                out.line(format!("FAILED {}", pseries_sim::about_file(&name, why)));
            }
        }
    }
    out.line(format!(
        "{} passed, {failed} failed",
        outcomes.len() - failed
    ));
    out.flush();
    if let Some(p) = &a.junit {
        let xml = pseries_sim::many::junit(&outcomes, total);
        super::files::write(p, xml.as_bytes(), false)?;
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs it.
pub fn run(a: RunArgs) -> Result<ExitCode, super::Error> {
    // Refused with one file too, where it would mean nothing.
    if a.jobs == Some(0) {
        return Err(super::Error::Usage(
            "-j takes a number of scenarios of at least 1".into(),
        ));
    }
    let stdin = a.files.iter().filter(|f| super::files::is_std(f)).count();
    if stdin > 1 {
        return Err(super::Error::Usage(format!(
            "- (standard input) is given {stdin} times: it can be read once"
        )));
    }
    for (flag, p) in [("--junit", &a.junit), ("--rtas-log", &a.rtas_log)] {
        if let Some(p) = p {
            super::files::check_output(flag, p)?;
        }
    }
    if a.files.len() > 1 || a.junit.is_some() {
        return run_many(&a);
    }
    let format = if a.json { TraceFormat::Json } else { a.trace };
    let file = &a.files[0];
    a.client_opts.apply()?;
    let client = super::client::parse(&a.client)?;
    let k = match pseries_sim::scenario::run_file_with(file, format, &mut Stdout, client) {
        Ok(k) => k,
        Err(e) => {
            if format == TraceFormat::Json {
                super::out::line(serde_json::json!({
                    "event": "summary",
                    "passed": false,
                    "error": e.to_string(),
                }))?;
            }
            return Err(e.to_string().into());
        }
    };
    if let (Some(k), Some(p)) = (&k, &a.rtas_log) {
        let log = rtas::calllog::to_jsonl(pseries_sim::harness::call_log(k));
        super::files::write(p, log.as_bytes(), false)?;
    }
    if let Some(k) = k {
        let calls = pseries_sim::harness::call_log(&k).len();
        match format {
            TraceFormat::Human => {
                super::out::line(format!(
                    "scenario passed: {calls} RTAS calls, {} virqs mapped",
                    k.irq.len()
                ))?;
                if let Some(first) = k.client_warnings.first() {
                    super::out::line(format!(
                        "client warnings: {} (the first: {first}; --warn-as-error fails on them)",
                        k.client_warnings.len()
                    ))?;
                }
            }
            TraceFormat::Json => super::out::line(serde_json::json!({
                "event": "summary",
                "passed": true,
                "rtas_calls": calls,
                "virqs": k.irq.len(),
                "client_warnings": k.client_warnings,
            }))?,
            TraceFormat::Qemu => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}
