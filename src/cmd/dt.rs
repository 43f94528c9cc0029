//! `pseries-sim dt`: converts between DTS and DTB.

use clap::{Args, ValueEnum};
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
    /// The input tree (DTS or DTB; `-`: standard input).
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
pub fn run(a: DtArgs) -> Result<ExitCode, super::Error> {
    if let Some(p) = &a.output {
        super::files::check_output("-o", p)?;
    }
    let progress = super::progress::Progress::spinner("converting");
    // Read once: standard input can be read only once.
    let bytes = super::files::read(&a.input);
    let done = bytes.and_then(|bytes| {
        let is_dtb = of_tree::dtb::is_dtb(&bytes);
        match a.output.as_ref().filter(|p| !super::files::is_std(p)) {
            // Blob to blob: checked and written as through the tree, without it.
            Some(p) if is_dtb && a.to == Some(Format::Dtb) => {
                blob_to_blob(&a, &bytes, p).map(|()| None)
            }
            _ => convert(&a, &bytes).map(Some),
        }
    });
    progress.finish();
    match done? {
        Some((to, out)) => write_out(&a, to, &out),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// A blob rewritten into the file `out`, streamed.
fn blob_to_blob(a: &DtArgs, bytes: &[u8], out: &std::path::Path) -> Result<(), String> {
    let r = pseries_sim::files::write_atomic_with(out, |mut w| {
        of_tree::dtb::rewrite(bytes, &mut w)
            .map_err(|e| Rewrite::Input(format!("{}: {e}", a.input.display())))
    });
    r.map_err(|e| match e {
        Rewrite::Input(m) => m,
        Rewrite::Output(e) => format!("{}: {e}", out.display()),
    })
}

/// Why a blob was not rewritten: its input, or the output file.
enum Rewrite {
    Input(String),
    Output(std::io::Error),
}

impl From<std::io::Error> for Rewrite {
    fn from(e: std::io::Error) -> Self {
        Rewrite::Output(e)
    }
}

/// The input's bytes to the output's.
fn convert(a: &DtArgs, bytes: &[u8]) -> Result<(Format, Vec<u8>), String> {
    let is_dtb = of_tree::dtb::is_dtb(bytes);
    let opts = of_tree::dts::Options { symbols: a.symbols };
    let tree = super::files::tree_from(bytes, &a.input, &opts)?;
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
    Ok((to, out))
}

/// Writes the output where it goes.
fn write_out(a: &DtArgs, to: Format, out: &[u8]) -> Result<ExitCode, super::Error> {
    let stdout = std::path::PathBuf::from("-");
    let p = a.output.as_deref().unwrap_or(&stdout);
    super::files::write(p, out, to == Format::Dtb)?;
    Ok(ExitCode::SUCCESS)
}
