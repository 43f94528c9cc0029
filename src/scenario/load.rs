//! Reading a scenario file: text (not a blob or other binary data) that parses and
//! plays something.

use super::command::{Command, Step};
use super::parse::parse;
use crate::Error;
use std::path::Path;

/// Reads and parses a scenario file (a device tree blob or other binary data is no
/// scenario, nor is one that plays nothing).
pub fn load(file: &Path) -> Result<Vec<Step>, Error> {
    let bytes =
        std::fs::read(file).map_err(|e| Error::Failed(format!("{}: {e}", file.display())))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) if !t.contains('\0') => t,
        _ => {
            let what = if bytes.starts_with(&0xd00d_feed_u32.to_be_bytes()) {
                "a device tree blob"
            } else {
                "binary data"
            };
            return Err(Error::Failed(format!(
                "{}: not a scenario ({what})",
                file.display()
            )));
        }
    };
    let steps = parse(text, &file.display().to_string())?;
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
            "{}: scenario has no actions ({what}): put 'boot' and the lines to play",
            file.display()
        )));
    }
    Ok(steps)
}
