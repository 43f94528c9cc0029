//! `pseries-sim boot`: boots a machine and lets every driver ask for its vectors.

use super::progress::{large_trace_hint, Progress};
use clap::{Args, ValueEnum};
use platform::trace::num::{Dec, Hex};
use platform::trace::tracer::{Stream, Tracer};
use platform::trace::{Event, Sink, TraceFilter, TraceFormat};
use pseries_sim::boot::{boot_all_with, DriversDone, VectorRow};
use pseries_sim::BootOptions;
use rtas::Profile;
use std::cell::RefCell;
use std::fmt::Write;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

/// The built-in default machine: QEMU 7.2's pseries with 12 functions on two PHBs.
pub const DEFAULT_MACHINE: &[u8] = include_bytes!("../../fixtures/linux-guest/qemu-initial.dtb");

/// Boots a machine (by default a built-in one like QEMU's: twelve devices on two PHBs),
/// then every function's driver asks for all the vectors its ibm,req#msi-x (else
/// ibm,req#msi) offers. Prints the boot trace and the final interrupt table (device,
/// vector, source, virq, message address and data).
///
/// Example: pseries-sim boot --profile qemu
#[derive(Args)]
#[command(about = "Boots a machine and lets every driver ask for its vectors")]
pub struct BootArgs {
    /// The machine's tree (DTS or DTB); the built-in machine when absent.
    tree: Option<PathBuf>,
    /// Firmware behaviour: papr (LoPAPR) or qemu (QEMU 7.2).
    #[arg(long, default_value = "papr", value_parser = super::choices::profile())]
    profile: Profile,
    /// Trace and table as JSON Lines (the same as --trace json).
    #[arg(long, conflicts_with_all = ["trace", "quiet"])]
    json: bool,
    /// Trace format: human (default), json (JSON Lines: each event, then a "vector"
    /// line per row of the table), or qemu (the firmware's calls as QEMU's spapr_pci*
    /// trace events).
    #[arg(long, default_value = "human", value_parser = super::choices::trace_format())]
    trace: TraceFormat,
    /// Print only a summary (functions, vectors, time, peak memory, RTAS calls).
    #[arg(long, conflicts_with = "trace_filter")]
    quiet: bool,
    /// Also write every RTAS call made (JSON Lines: service, args, rets) to this file.
    #[arg(long)]
    rtas_log: Option<PathBuf>,
    /// Use this machine description instead of probing.
    #[arg(long, value_enum)]
    backend: Option<Backend>,
    /// Leave out of the trace these event kinds (hook, rtas, hcall, msg, map, unmap,
    /// remap, handler or irq as the human trace names it, driver) and messages containing
    /// TEXT (msg:TEXT), comma-separated.
    /// Example: --trace-filter 'msg:rtas_msi: counting'
    #[arg(long, default_value = "", value_parser = super::choices::trace_filter(), hide_possible_values = true)]
    trace_filter: TraceFilter,
    /// Which code negotiates MSIs: `model` (the project's, the default),
    /// `linux:TREE` (a kernel tree's own pseries msi.c on its own MSI core) or
    /// `linux:PATH/msi.c` (one msi.c on the project's stand-in core).
    #[arg(long, default_value = "model", value_name = "model|linux:PATH")]
    client: String,
    #[command(flatten)]
    client_opts: super::client_opts::ClientOpts,
    /// Write the tree the OS runs on (after client-architecture-support) to FILE, a DTB.
    #[arg(long, value_name = "FILE")]
    dump_tree: Option<PathBuf>,
    /// The interrupt mode the OS asks for at client-architecture-support: xics, xive,
    /// or auto (what Linux 6.1 asks: XIVE where the platform offers it).
    #[arg(long, default_value = "auto", value_parser = super::choices::cas())]
    cas: platform::kernel::prom_init::CasRequest,
}

/// How the controller reads in the output: the mode client-architecture-support
/// negotiated, else (a machine that makes no CAS, such as an MPIC or Axon one) the
/// controller init_irq found and the machine.
fn controller(k: &platform::kernel::Kernel) -> String {
    match (k.intc_mode, &k.intc) {
        (Some(m), _) => format!("{} interrupt controller", m.to_string().to_uppercase()),
        (None, Some(c)) => format!(
            "interrupt controller {} ({} machine, no client-architecture-support)",
            c.path, k.desc.name
        ),
        (None, None) => format!(
            "no interrupt controller ({} machine, no client-architecture-support)",
            k.desc.name
        ),
    }
}

/// The human trace's line about the controller, before the table.
fn controller_line(k: &platform::kernel::Kernel) -> String {
    match k.intc_mode {
        Some(_) => format!(
            "{} (negotiated at client-architecture-support)",
            controller(k)
        ),
        None => controller(k),
    }
}

/// A machine description to force.
#[derive(Clone, Copy, ValueEnum)]
pub enum Backend {
    /// pSeries through RTAS.
    Pseries,
    /// Bare metal: the OS programs MSIs itself.
    Generic,
    /// A U3/U4 MPIC machine: the OS allocates MPIC sources and programs MSIs itself.
    Mpic,
    /// A Cell blade with Axon MSI: messages through the MSIC's FIFO.
    Axon,
}

/// Peak resident memory of this process, in bytes (Linux).
pub fn peak_memory() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A Linux client is pseries' `msi.c`, which negotiates through RTAS: a forced backend,
/// or a machine that probes as one, that programs MSIs without RTAS has nothing for it
/// to call (usage error, before anything is compiled).
fn refuse_client_without_rtas(a: &BootArgs, tree: &of_tree::Tree) -> Result<(), super::Error> {
    if !a.client.starts_with("linux:") {
        return Ok(());
    }
    let name = match a.backend {
        Some(Backend::Generic) => "generic",
        Some(Backend::Mpic) => "mpic",
        Some(Backend::Axon) => "axon",
        Some(Backend::Pseries) => return Ok(()),
        None => {
            let probed = platform::ops::descriptions()
                .iter()
                .find(|d| (d.probe)(tree));
            return match probed {
                Some(d) if d.name != "pseries" => Err(super::Error::Usage(format!(
                    "--client {} runs Linux's pseries msi.c, which asks the firmware through RTAS, and this machine probes as {} (it programs MSIs without RTAS): give a pSeries machine, or drop --client",
                    a.client, d.name
                ))),
                _ => Ok(()),
            };
        }
    };
    Err(super::Error::Usage(format!(
        "--client {} runs Linux's pseries msi.c, which asks the firmware through RTAS, and --backend {name} programs MSIs without RTAS: give one of them (--backend pseries takes the client)",
        a.client
    )))
}

/// Runs the boot.
pub fn run(a: BootArgs) -> Result<ExitCode, super::Error> {
    let started = Instant::now();
    for (flag, p) in [("--rtas-log", &a.rtas_log), ("--dump-tree", &a.dump_tree)] {
        if let Some(p) = p {
            super::files::check_output(flag, p)?;
        }
    }
    let tree = match &a.tree {
        Some(p) => super::files::read_tree(p)?,
        None => {
            of_tree::dtb::read(DEFAULT_MACHINE).map_err(|e| format!("built-in machine: {e}"))?
        }
    };
    a.client_opts.apply()?;
    refuse_client_without_rtas(&a, &tree)?;
    let client = super::client::parse(&a.client)?;
    let opts = BootOptions {
        profile: a.profile,
        client,
        force: a.backend.map(|b| match b {
            Backend::Pseries => platform::ops::description("pseries").expect("pseries exists"),
            Backend::Generic => platform::ops::description("generic").expect("generic exists"),
            Backend::Mpic => platform::ops::description("mpic").expect("mpic exists"),
            Backend::Axon => platform::ops::description("axon").expect("axon exists"),
        }),
        trace: !a.quiet,
        // The summary counts the calls; only the file needs them kept.
        rtas_log: a.rtas_log.is_some(),
        qemu_trace: a.trace == TraceFormat::Qemu && !a.quiet,
        cas: a.cas,
        ..Default::default()
    };
    let progress = Progress::counted("booting", "functions", "vectors mapped");
    let lines = progress.lines();
    let format = if a.json { TraceFormat::Json } else { a.trace };
    let json = format == TraceFormat::Json;
    // The trace streams to stdout as it happens: memory stays flat, the first line comes
    // at once; what the filter leaves out is never built.
    let out = Rc::new(RefCell::new(super::out::Buffered::new()));
    let tracer = (!a.quiet && format != TraceFormat::Qemu).then(|| {
        let (out, lines) = (out.clone(), lines.clone());
        // A human line is made in one reused buffer and written in one piece.
        let mut line = String::with_capacity(256);
        let sink: Sink = Box::new(move |e: &Event| {
            lines.add();
            let mut o = out.borrow_mut();
            if json {
                o.line(e.to_json());
            } else {
                line.clear();
                if write!(line, "{e}").is_ok() {
                    o.line(&line);
                }
            }
        });
        Box::new(Stream::filtered(sink, a.trace_filter.clone())) as Box<dyn Tracer>
    });
    let watch = |d: DriversDone| progress.set(d.functions, d.of, d.vectors);
    let rep = boot_all_with(tree, opts, tracer, Some(&watch))
        .map_err(|e| super::files::about(a.tree.as_deref(), e));
    let rep = match rep {
        Ok(r) => r,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    };
    let elapsed = started.elapsed();
    if let Some(why) = rep.kernel.client_failure() {
        progress.finish();
        out.borrow_mut().flush();
        return Err(why.into());
    }
    // The trace so far before an output that goes to stdout (`-`).
    out.borrow_mut().flush();
    if let Some(p) = &a.rtas_log {
        let log = rtas::calllog::to_jsonl(pseries_sim::harness::call_log(&rep.kernel));
        super::files::write(p, log.as_bytes(), false)?;
    }
    if let Some(p) = &a.dump_tree {
        let blob = of_tree::dtb::write(rep.kernel.tree(), &Default::default())
            .map_err(|e| format!("{}: {e}", p.display()))?;
        super::files::write(p, &blob, true)?;
    }
    progress.finish();
    let calls = pseries_sim::harness::firmware(&rep.kernel).calls;
    let mut o = out.borrow_mut();
    if a.quiet {
        let mem = peak_memory()
            .map(|b| format!("{:.1} MiB", b as f64 / (1 << 20) as f64))
            .unwrap_or_else(|| "unknown".into());
        o.line(format!(
            "booted {} functions: {} asked for vectors, {} fell back to LSI; {} vectors mapped in {:.3} s; peak memory {mem}; {}; {calls} RTAS calls",
            rep.pci_functions(),
            rep.requested,
            rep.failed,
            rep.vectors,
            elapsed.as_secs_f64(),
            controller(&rep.kernel),
        ));
    } else if format == TraceFormat::Qemu {
        for l in pseries_sim::harness::qemu_trace(&rep.kernel) {
            o.line(l);
        }
    } else {
        if !json {
            o.line("");
            o.line(controller_line(&rep.kernel));
        }
        // Each row is written as it is made: the table holds none.
        let width = rep.widest_device();
        for l in table_lines(rep.rows(), width, json) {
            o.line(l);
        }
        if json {
            let s = serde_json::json!({
                "event": "summary",
                "functions": rep.pci_functions(),
                "requested": rep.requested,
                "fell_back_to_lsi": rep.failed,
                "vectors": rep.vectors,
                "rtas_calls": calls,
                "controller": rep.kernel.intc_mode.map(|m| m.to_string()),
            });
            o.line(s);
        } else {
            o.line(format!(
                "{} functions, {} asked for vectors, {} fell back to LSI, {} vectors, {calls} RTAS calls",
                rep.pci_functions(),
                rep.requested,
                rep.failed,
                rep.vectors,
            ));
        }
    }
    o.flush();
    if let Some(hint) = large_trace_hint(lines.get()) {
        if std::io::stderr().is_terminal() {
            eprintln!("{hint}");
        }
    }
    // The kernel of a large machine takes a while to free, and the process ends here.
    std::mem::forget(rep);
    Ok(ExitCode::SUCCESS)
}

/// The table's lines after the trace, each made when it is written: the human header
/// and a line per row (device names padded to `width`, at least 14), or a JSON
/// `vector` line per row.
fn table_lines<'a>(
    rows: impl Iterator<Item = VectorRow<'a>> + 'a,
    width: usize,
    json: bool,
) -> impl Iterator<Item = TableLine<'a>> + 'a {
    let width = width.max(14);
    let header = (!json).then_some(TableLine::Header { width });
    header
        .into_iter()
        .chain(rows.map(move |row| TableLine::Row { row, width, json }))
}

/// One line of the table, written straight to the output.
enum TableLine<'a> {
    /// The column names.
    Header { width: usize },
    /// A vector: human columns, or a JSON `vector` event.
    Row {
        row: VectorRow<'a>,
        width: usize,
        json: bool,
    },
}

impl std::fmt::Display for TableLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            TableLine::Header { width: w } => write!(
                f,
                "{:<w$} {:>6} {:>10} {:>6} {:>18} {:>10}",
                "device", "vector", "source", "virq", "address", "data"
            ),
            TableLine::Row {
                row: r, json: true, ..
            } => {
                let v = serde_json::json!({"event": "vector", "device": r.device, "vector": r.vector, "source": r.source, "virq": r.virq, "address": r.address, "data": r.data});
                write!(f, "{v}")
            }
            TableLine::Row {
                row: r, width: w, ..
            } => {
                let (hex, dec) = (|v: u64| Hex(v), |v: u32| Dec(v as i64));
                write!(
                    f,
                    "{:<w$} {:>6} {:>10} {:>6} {:>18} {:>10}",
                    r.device,
                    dec(r.vector),
                    hex(r.source as u64),
                    dec(r.virq),
                    hex(r.address),
                    hex(r.data as u64)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn rows<'a>(made: &'a Cell<usize>) -> impl Iterator<Item = VectorRow<'a>> + 'a {
        (0..1000u32).map(move |i| {
            made.set(made.get() + 1);
            VectorRow {
                device: "0000:00:01.0",
                vector: i,
                source: 0x1000 + i,
                virq: 16 + i,
                address: 0x4000_0000_0000,
                data: 0x1000 + i,
            }
        })
    }

    #[test]
    fn the_table_holds_no_row_it_has_written() {
        for json in [false, true] {
            let made = Cell::new(0);
            let mut lines = table_lines(rows(&made), 0, json);
            if !json {
                let header = lines.next().unwrap().to_string();
                assert!(header.starts_with("device         vector"), "{header}");
                assert_eq!(made.get(), 0, "no row made for the header");
            }
            for n in 1..=3 {
                let l = lines.next().unwrap().to_string();
                assert_eq!(
                    made.get(),
                    n,
                    "json {json}: one row made per line, at the line"
                );
                let source = if json {
                    format!("\"source\":{}", 0x1000 + n - 1)
                } else {
                    format!("{:#x}", 0x1000 + n - 1)
                };
                assert!(l.contains(&source), "{l}");
            }
            assert_eq!(lines.count(), 997);
            assert_eq!(made.get(), 1000);
        }
        let made = Cell::new(0);
        let first = table_lines(rows(&made), 20, false)
            .nth(1)
            .unwrap()
            .to_string();
        assert_eq!(
            first,
            "0000:00:01.0              0     0x1000     16     0x400000000000     0x1000"
        );
    }
}
