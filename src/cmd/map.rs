//! `pseries-sim map`: a picture of the interrupt source number space.

use clap::Args;
use platform::linux::Client::Model;
use pseries_sim::scenario::{run_steps, steps_from, Discard};
use pseries_sim::BootOptions;
use rtas::Profile;
use std::path::PathBuf;
use std::process::ExitCode;

/// Draws the interrupt source number space after booting a tree (every driver asking
/// for all its vectors) or after running a scenario: each controller a band, each
/// allocated block a box coloured and labelled by its device, LSIs marked, holes
/// visible. Writes SVG.
///
/// Example: pseries-sim map fixtures/linux-guest/boot.scenario -o map.svg
#[derive(Args)]
#[command(about = "Draws the interrupt source number space as SVG")]
pub struct MapArgs {
    /// A tree (DTS or DTB) or a scenario file (`-`: standard input).
    input: PathBuf,
    /// The SVG file to write.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Firmware behaviour for a tree (a scenario names its own).
    #[arg(long, default_value = "papr", value_parser = super::choices::profile())]
    profile: Profile,
}

/// Draws the map.
pub fn run(a: MapArgs) -> Result<ExitCode, super::Error> {
    super::files::check_output("-o", &a.output)?;
    let bytes = super::files::read(&a.input)?;
    let name = super::files::name(&a.input);
    let is_tree = of_tree::dtb::is_dtb(&bytes)
        || String::from_utf8_lossy(&bytes)
            .trim_start()
            .starts_with("/dts-v1/");
    let (kernel, title) = if is_tree {
        let tree = super::files::tree_from(&bytes, &a.input, &Default::default())?;
        let opts = BootOptions {
            profile: a.profile,
            trace: false,
            ..Default::default()
        };
        let rep = pseries_sim::boot::boot_all(tree, opts).map_err(|e| e.to_string())?;
        (
            rep.kernel,
            format!("{name} after boot ({} profile)", a.profile),
        )
    } else {
        let steps = steps_from(&bytes, &name).map_err(|e| e.to_string())?;
        let k = run_steps(&a.input, &steps, Default::default(), &mut Discard, Model)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{name}: the scenario never boots a machine"))?;
        let title = format!(
            "{name} after the scenario ({} profile)",
            pseries_sim::harness::firmware(&k).profile()
        );
        (k, title)
    };
    let svg = pseries_sim::harness::map::svg(&kernel, &title);
    super::files::write(&a.output, svg.as_bytes(), false)?;
    Ok(ExitCode::SUCCESS)
}
