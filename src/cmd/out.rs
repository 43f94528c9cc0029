//! Writing the commands' output: a closed stdout (a pipe whose reader left) ends the
//! command quietly instead of panicking.

use std::io::Write;

/// Writes one line to stdout.
pub fn line(s: impl std::fmt::Display) -> Result<(), String> {
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{s}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(format!("stdout: {e}")),
    }
}
