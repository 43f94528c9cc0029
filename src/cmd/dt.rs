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
    let progress = super::progress::Progress::spinner("converting");
    if a.to == Some(Format::Dtb) {
        if let Some(p) = a.output.as_ref().filter(|p| !super::files::is_std(p)) {
            let bytes = super::files::read(&a.input)?;
            if of_tree::dtb::is_dtb(&bytes) {
                // Blob to blob: checked and written as through the tree, without it.
                let r = blob_to_blob(&a, &bytes, p);
                progress.finish();
                return r;
            }
        }
    }
    let done = convert(&a);
    progress.finish();
    let (to, out) = done?;
    write_out(&a, to, &out)
}

/// A blob rewritten into the file `out`, streamed.
fn blob_to_blob(a: &DtArgs, bytes: &[u8], out: &std::path::Path) -> Result<ExitCode, String> {
    let f = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let r = of_tree::dtb::rewrite(bytes, &mut w).map_err(|e| format!("{}: {e}", a.input.display()));
    let r = r.and_then(|()| w.flush().map_err(|e| format!("{}: {e}", out.display())));
    if r.is_err() {
        drop(w);
        let _ = std::fs::remove_file(out);
    }
    r.map(|()| ExitCode::SUCCESS)
}

/// Reads the input and makes the output's bytes.
fn convert(a: &DtArgs) -> Result<(Format, Vec<u8>), String> {
    let bytes = super::files::read(&a.input)?;
    let is_dtb = of_tree::dtb::is_dtb(&bytes);
    let tree = if is_dtb {
        of_tree::dtb::read(&bytes).map_err(|e| format!("{}: {e}", super::files::name(&a.input)))?
    } else {
        super::files::read_tree_with(&a.input, &of_tree::dts::Options { symbols: a.symbols })?
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
    Ok((to, out))
}

/// Writes the output where it goes.
fn write_out(a: &DtArgs, to: Format, out: &[u8]) -> Result<ExitCode, String> {
    let stdout = std::path::PathBuf::from("-");
    let p = a.output.as_deref().unwrap_or(&stdout);
    super::files::write(p, out, to == Format::Dtb)?;
    Ok(ExitCode::SUCCESS)
}
