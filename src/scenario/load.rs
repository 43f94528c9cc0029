//! Reading a scenario (from a file, or from standard input as `-`), and the files its
//! `save` lines write, known before it runs.

use super::command::{Command, Step};
use super::parse::parse;
use crate::files;
use crate::Error;
use std::path::{Path, PathBuf};

/// The folder a scenario's paths resolve against: its file's, the current one for
/// standard input.
pub fn base_dir(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Reads and parses a scenario file, `-` standard input (named `<stdin>` in messages).
/// A device tree blob or other binary data is no scenario.
pub fn load(file: &Path) -> Result<Vec<Step>, Error> {
    let bytes = files::read(file).map_err(Error::Failed)?;
    steps_from(&bytes, &files::name(file))
}

/// Parses a scenario's bytes, named `name` in messages; one that plays nothing is refused.
pub fn steps_from(bytes: &[u8], name: &str) -> Result<Vec<Step>, Error> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => t,
        _ => {
            let what = if bytes.starts_with(&0xd00d_feed_u32.to_be_bytes()) {
                "a device tree blob"
            } else {
                "binary data"
            };
            return Err(Error::Failed(format!("{name}: not a scenario ({what})")));
        }
    };
    let steps = parse(text, name)?;
    // A scenario that plays nothing passes without a word: say it is empty instead.
    let setup = |c: &Command| {
        matches!(
            c,
            Command::Machine(_)
                | Command::Profile(_)
                | Command::Cas(_)
                | Command::NegotiateIms(_)
                | Command::NegotiateMsiBusy(_)
        )
    };
    if steps.iter().all(|s| setup(&s.cmd)) {
        let what = match steps.is_empty() {
            true => "no line but blank ones and comments",
            false => "nothing after its machine, profile, cas and negotiate lines",
        };
        return Err(Error::Failed(format!(
            "{name}: scenario has no actions ({what}): put 'boot' and the lines to play"
        )));
    }
    Ok(steps)
}

/// The files the scenario's `save` lines write, with their lines, each path absolute
/// and its folder's links resolved, so that two spellings of one file compare equal.
pub fn save_paths(file: &Path, steps: &[Step]) -> Vec<(usize, PathBuf)> {
    let dir = base_dir(file);
    let cwd = std::env::current_dir().unwrap_or_default();
    steps
        .iter()
        .filter_map(|s| match &s.cmd {
            Command::Save(p) => Some((s.line, cwd.join(dir.join(p)))),
            _ => None,
        })
        .map(|(line, p)| {
            let resolved = match (p.parent(), p.file_name()) {
                (Some(d), Some(f)) => std::fs::canonicalize(d).map(|d| d.join(f)).ok(),
                _ => None,
            };
            (line, resolved.unwrap_or(p))
        })
        .collect()
}

/// The first `save` line whose file could not be written (a folder, a folder that
/// does not exist), found before the scenario runs.
pub fn check_saves(file: &Path, steps: &[Step]) -> Result<(), Error> {
    for (line, p) in save_paths(file, steps) {
        if let Err(why) = files::check_output(&p) {
            return Err(Error::Scenario {
                file: files::name(file),
                line,
                col: 1,
                msg: format!("save {}: {why}", p.display()),
            });
        }
    }
    Ok(())
}
