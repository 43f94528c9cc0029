//! `pseries-sim dt`: converts between DTS and DTB.

use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Converts a device tree between source (DTS) and blob (DTB).
///
/// The input format is recognised by the DTB magic (0xd00dfeed). Without --to, the
/// output is the other format. DTS goes to stdout when there is no -o.
///
/// Example: pseries-sim dt fixtures/qemu/a_default.dtb -o a_default.dts
#[derive(Args)]
#[command(about = "Converts a device tree between DTS and DTB")]
pub struct DtArgs {
    /// The input tree (DTS or DTB).
    input: PathBuf,
    /// Where to write the output (DTS: stdout by default).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// The output format (default: the other one).
    #[arg(long = "to", value_enum)]
    to: Option<Format>,
    /// As dtc's -@: compile DTS with a __symbols__ node (every node label's path).
    #[arg(short = '@', long = "symbols")]
    symbols: bool,
}

/// A tree file format.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Device tree source text.
    Dts,
    /// Flattened device tree blob.
    Dtb,
}

/// Runs the conversion.
pub fn run(a: DtArgs) -> Result<ExitCode, String> {
    let bytes = std::fs::read(&a.input).map_err(|e| format!("{}: {e}", a.input.display()))?;
    let is_dtb = of_tree::dtb::is_dtb(&bytes);
    let tree = if is_dtb {
        of_tree::dtb::read(&bytes).map_err(|e| format!("{}: {e}", a.input.display()))?
    } else {
        let opts = of_tree::dts::Options { symbols: a.symbols };
        of_tree::dts::parse_file_with(&a.input, &opts).map_err(|e| e.to_string())?
    };
    let to =
        a.to.unwrap_or(if is_dtb { Format::Dts } else { Format::Dtb });
    let out: Vec<u8> = match to {
        Format::Dts => of_tree::dts::print(&tree).into_bytes(),
        Format::Dtb => {
            of_tree::dtb::write(&tree, &Default::default()).map_err(|e| e.to_string())?
        }
    };
    // A large tree takes a while to free, and the process ends right after: skip it.
    std::mem::forget(tree);
    match a.output {
        Some(p) => std::fs::write(&p, &out).map_err(|e| format!("{}: {e}", p.display()))?,
        None => {
            if to == Format::Dtb {
                return Err("refusing to write a binary DTB to the terminal: give -o FILE".into());
            }
            std::io::stdout()
                .write_all(&out)
                .map_err(|e| format!("stdout: {e}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
