//! `pseries-sim man`: the manual pages, made from the command definitions: pseries-sim(1)
//! and a pseries-sim-SUBCOMMAND(1) for every subcommand the first one lists.

use clap::builder::PossibleValuesParser;
use clap_mangen::Man;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

/// Prints the manual page of pseries-sim (roff), or that of one subcommand; or writes
/// them all to a directory: pseries-sim.1 and pseries-sim-SUBCOMMAND.1 for every
/// subcommand, each replaced whole (written beside, then renamed).
///
/// Example: pseries-sim man boot | man -l -
///
/// Example: pseries-sim man --dir /usr/local/share/man/man1
#[derive(clap::Args)]
#[command(about = "Prints the manual page (roff), or writes every page")]
pub struct ManArgs {
    /// The subcommand whose page to print; pseries-sim(1) when absent.
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
    page: Option<String>,
    /// Write every page (pseries-sim.1, pseries-sim-SUBCOMMAND.1) to this directory,
    /// made when missing.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    dir: Option<PathBuf>,
}

/// `top` with the names of its subcommands as the values `man` takes, for the help and
/// shell completion.
pub fn with_page_names(top: clap::Command) -> clap::Command {
    // clap keeps value names as `&'static str`: the names live as long as the process.
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        top.get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect()
    });
    top.mut_subcommands(|s| match s.get_name() {
        "man" => s.mut_arg("page", |a| {
            a.value_parser(PossibleValuesParser::new(names.iter().map(String::as_str)))
        }),
        _ => s,
    })
}

/// One page: its file name and roff text.
struct Page {
    file: String,
    roff: Vec<u8>,
}

fn render(cmd: clap::Command, see_also: Option<&str>) -> Result<Page, String> {
    let man = Man::new(cmd);
    let file = man.get_filename();
    let mut roff = Vec::new();
    man.render(&mut roff)
        .map_err(|e| format!("manual page {file}: {e}"))?;
    let mut roff = keep_lines(&String::from_utf8_lossy(&roff));
    if let Some(parent) = see_also {
        roff.push_str(&format!(
            ".SH \"SEE ALSO\"\n{}(1)\n",
            parent.replace('-', "\\-")
        ));
    }
    Ok(Page {
        file,
        roff: roff.into_bytes(),
    })
}

/// The description as the help prints it: an indented block (a grammar, a table) line
/// by line, unfilled, and each example on a line of its own.
fn keep_lines(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len() + 64);
    let (mut description, mut unfilled) = (false, false);
    for line in roff.lines() {
        let block = description && line.starts_with(' ');
        if line.starts_with(".SH") {
            description = line == ".SH DESCRIPTION";
        }
        if block != unfilled {
            out.push_str(if block { ".nf\n" } else { ".fi\n" });
            unfilled = block;
        }
        if description && line.starts_with("Example:") {
            out.push_str(".br\n");
        }
        out.push_str(line);
        out.push('\n');
    }
    if unfilled {
        out.push_str(".fi\n");
    }
    out
}

/// The top page, then a page per subcommand (and per theirs), each referring back.
fn pages(top: clap::Command) -> Result<Vec<Page>, String> {
    fn below(cmd: &clap::Command, out: &mut Vec<Page>) -> Result<(), String> {
        let parent = cmd.get_display_name().unwrap_or(cmd.get_name());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            out.push(render(sub.clone(), Some(parent))?);
            below(sub, out)?;
        }
        Ok(())
    }
    // clap's own `help` subcommand has no page to give: the top page does not list it.
    let mut top = top.disable_help_subcommand(true);
    top.build();
    let mut out = vec![render(top.clone(), None)?];
    below(&top, &mut out)?;
    Ok(out)
}

/// Writes `bytes` to `dir/file` whole: to a file beside it, then renamed over it.
fn replace(dir: &Path, file: &str, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join(file);
    let tmp = dir.join(format!(".{file}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, &path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Prints a page or writes them all.
pub fn run(a: ManArgs, top: clap::Command) -> Result<ExitCode, super::Error> {
    let name = top.get_name().to_string();
    let pages = pages(top)?;
    if let Some(dir) = &a.dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for p in &pages {
            replace(dir, &p.file, &p.roff)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let want = match &a.page {
        Some(sub) => format!("{name}-{sub}.1"),
        None => format!("{name}.1"),
    };
    let page = pages
        .iter()
        .find(|p| p.file == want)
        .ok_or_else(|| super::Error::Usage(format!("no manual page {want}")))?;
    super::out::line(String::from_utf8_lossy(&page.roff).trim_end())?;
    Ok(ExitCode::SUCCESS)
}
