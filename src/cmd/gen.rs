//! `pseries-sim gen`: writes a generated pSeries tree.

use clap::Args;
use pseries_sim::gen::{GenError, GenSpec, MAX_FUNCTIONS};
use pseries_sim::gen_platform::{try_generate_platform, Platform};
use std::path::PathBuf;
use std::process::ExitCode;

/// Writes a valid pSeries device tree of any size: P PHBs of F functions each (behind
/// bridges when F exceeds one bus, and bridges behind those beyond 8192; at most 63496,
/// as bus numbers are 8 bits), each function offering V MSI-X (and M MSI) vectors, with
/// every RTAS service. DTB, or DTS when OUT ends in .dts or there is no -o.
///
/// Example: pseries-sim gen --phbs 16 --functions 8192 --msix 16 -o big.dtb
#[derive(Args)]
#[command(about = "Writes a generated pSeries tree of any size")]
pub struct GenArgs {
    /// Number of PHBs (1 to 256).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    phbs: u32,
    /// PCI functions per PHB (1 to 63496).
    #[arg(long, default_value_t = 8, value_parser = functions)]
    functions: u32,
    /// MSI-X vectors each function offers (at most 2048).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=2048))]
    msix: u32,
    /// MSI vectors each function offers (at most 32).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=32))]
    msi: u32,
    /// Non-PCI MSI devices to add (pseries only, at most 256): HPET-like timers (4
    /// vectors) and interrupt consolidators (16) by turns, each with `msi-parent` the
    /// first PHB.
    #[arg(long = "msi-devices", default_value_t = 0)]
    msi_devices: u32,
    /// Give every PCI function an IMS store of this many slots (1 to 2048; pseries
    /// only), in a BAR 2 of its own.
    #[arg(long = "ims")]
    ims: Option<u32>,
    /// The machine: pseries (PAPR, like QEMU's), mpic (a U3/U4 Maple-class machine
    /// with an MPIC) or axon (a Cell blade with Axon MSI).
    #[arg(long, value_enum, default_value = "pseries")]
    platform: PlatformArg,
    /// Output file (.dts for source, anything else for a blob); stdout DTS when absent.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// A machine to generate.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PlatformArg {
    /// pSeries through RTAS.
    Pseries,
    /// A U3/U4 MPIC machine.
    Mpic,
    /// A Cell blade with Axon MSI.
    Axon,
}

/// A function count a PHB can hold: 1 to MAX_FUNCTIONS, saying why otherwise.
fn functions(s: &str) -> Result<u32, String> {
    let n: u32 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    match n {
        0 => Err(format!("give 1 to {MAX_FUNCTIONS}")),
        n if n > MAX_FUNCTIONS => Err(GenError::TooManyFunctions { asked: n }.to_string()),
        n => Ok(n),
    }
}

/// Generates and writes the tree. What the options cannot make (a platform's limits,
/// --ims and --msi-devices out of range or on another platform) is a usage error.
pub fn run(a: GenArgs) -> Result<ExitCode, super::Error> {
    use super::Error::Usage;
    if let Some(p) = &a.output {
        super::files::check_output("-o", p)?;
    }
    let progress = super::progress::Progress::spinner("generating");
    let platform = match a.platform {
        PlatformArg::Pseries => Platform::Pseries,
        PlatformArg::Mpic => Platform::Mpic,
        PlatformArg::Axon => Platform::Axon,
    };
    let tree = try_generate_platform(
        platform,
        &GenSpec {
            phbs: a.phbs,
            functions: a.functions,
            msix: a.msix,
            msi: a.msi,
        },
    )
    .map_err(|e| match e {
        GenError::TooManyFunctions { .. } => Usage(format!("--functions {}: {e}", a.functions)),
        GenError::Platform(_) => Usage(format!("--platform: {e}")),
    });
    progress.finish();
    let mut tree = tree?;
    if a.msi_devices > 0 {
        if !matches!(platform, Platform::Pseries) {
            return Err(Usage(
                "--msi-devices: only --platform pseries has them".into(),
            ));
        }
        pseries_sim::gen_msi::add_msi_devices(&mut tree, a.msi_devices)
            .map_err(|e| Usage(format!("--msi-devices {}: {e}", a.msi_devices)))?;
    }
    if let Some(slots) = a.ims {
        if !matches!(platform, Platform::Pseries) {
            return Err(Usage("--ims: only --platform pseries has it".into()));
        }
        pseries_sim::gen_ims::add_ims(&mut tree, slots)
            .map_err(|e| Usage(format!("--ims {slots}: {e}")))?;
    }
    match a.output {
        Some(p) if p.extension().is_some_and(|e| e == "dts") => {
            super::files::write(&p, of_tree::dts::print(&tree).as_bytes(), false)?
        }
        Some(p) => {
            let blob =
                of_tree::dtb::write(&tree, &Default::default()).map_err(|e| e.to_string())?;
            super::files::write(&p, &blob, true)?
        }
        None => super::files::write(
            std::path::Path::new("-"),
            of_tree::dts::print(&tree).as_bytes(),
            false,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
