//! `pseries-sim boot`: boots a machine and lets every driver ask for its vectors.

use clap::{Args, ValueEnum};
use platform::trace::{Event, TraceFilter, TraceFormat};
use pseries_sim::boot::boot_all_with;
use pseries_sim::BootOptions;
use rtas::Profile;
use std::cell::RefCell;
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

/// A Linux client is pseries' `msi.c`, which negotiates through RTAS: a forced backend
/// that programs MSIs without RTAS has nothing for it to call (usage error, before
/// anything is compiled).
fn refuse_client_without_rtas(a: &BootArgs) -> Result<(), super::Error> {
    let name = match a.backend {
        Some(Backend::Generic) => "generic",
        Some(Backend::Mpic) => "mpic",
        Some(Backend::Axon) => "axon",
        Some(Backend::Pseries) | None => return Ok(()),
    };
    if !a.client.starts_with("linux:") {
        return Ok(());
    }
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
    refuse_client_without_rtas(&a)?;
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
        rtas_log: !a.quiet || a.rtas_log.is_some(),
        qemu_trace: a.trace == TraceFormat::Qemu && !a.quiet,
        cas: a.cas,
        ..Default::default()
    };
    let progress = super::progress::Progress::spinner("booting");
    let format = if a.json { TraceFormat::Json } else { a.trace };
    let json = format == TraceFormat::Json;
    // The trace streams to stdout as it happens: memory stays flat, the first line comes
    // at once.
    let out = Rc::new(RefCell::new(super::out::Buffered::new()));
    let sink: Option<platform::trace::Sink> =
        (!a.quiet && format != TraceFormat::Qemu).then(|| {
            let (out, filter) = (out.clone(), a.trace_filter.clone());
            Box::new(move |e: &Event| {
                if filter.keeps(e) {
                    let mut o = out.borrow_mut();
                    if json {
                        o.line(e.to_json());
                    } else {
                        o.line(e);
                    }
                }
            }) as platform::trace::Sink
        });
    let rep =
        boot_all_with(tree, opts, sink).map_err(|e| super::files::about(a.tree.as_deref(), e));
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
    let mut o = out.borrow_mut();
    if a.quiet {
        let mem = peak_memory()
            .map(|b| format!("{:.1} MiB", b as f64 / (1 << 20) as f64))
            .unwrap_or_else(|| "unknown".into());
        o.line(format!(
            "booted {} functions: {} asked for vectors, {} fell back to LSI; {} vectors mapped in {:.3} s; peak memory {mem}; {}; {} RTAS calls",
            rep.pci_functions(),
            rep.requested,
            rep.failed,
            rep.vectors,
            elapsed.as_secs_f64(),
            controller(&rep.kernel),
            pseries_sim::harness::firmware(&rep.kernel).calls
        ));
        o.flush();
        std::mem::forget(rep);
        return Ok(ExitCode::SUCCESS);
    }
    if format == TraceFormat::Qemu {
        for l in pseries_sim::harness::qemu_trace(&rep.kernel) {
            o.line(l);
        }
        o.flush();
        return Ok(ExitCode::SUCCESS);
    }
    let table = rep.table();
    if json {
        for r in &table {
            let v = serde_json::json!({"event": "vector", "device": r.device, "vector": r.vector, "source": r.source, "virq": r.virq, "address": r.address, "data": r.data});
            o.line(v);
        }
        let s = serde_json::json!({
            "event": "summary",
            "functions": rep.pci_functions(),
            "requested": rep.requested,
            "fell_back_to_lsi": rep.failed,
            "vectors": rep.vectors,
            "rtas_calls": pseries_sim::harness::firmware(&rep.kernel).calls,
            "controller": rep.kernel.intc_mode.map(|m| m.to_string()),
        });
        o.line(s);
    } else {
        o.line("");
        o.line(controller_line(&rep.kernel));
        // Wide enough for the longest name (a non-PCI device's node path).
        let w = table
            .iter()
            .map(|r| r.device.len())
            .max()
            .unwrap_or(0)
            .max(14);
        o.line(format!(
            "{:<w$} {:>6} {:>10} {:>6} {:>18} {:>10}",
            "device", "vector", "source", "virq", "address", "data"
        ));
        for r in &table {
            o.line(format!(
                "{:<w$} {:>6} {:>#10x} {:>6} {:>#18x} {:>#10x}",
                r.device, r.vector, r.source, r.virq, r.address, r.data
            ));
        }
        o.line(format!(
            "{} functions, {} asked for vectors, {} fell back to LSI, {} vectors, {} RTAS calls",
            rep.pci_functions(),
            rep.requested,
            rep.failed,
            rep.vectors,
            pseries_sim::harness::call_log(&rep.kernel).len()
        ));
    }
    o.flush();
    Ok(ExitCode::SUCCESS)
}
