//! Writing the commands' output: a closed stdout (a pipe whose reader left) ends the
//! command quietly instead of panicking.

use std::io::Write;

/// Buffered stdout for long output: a closed pipe ends the command quietly, another
/// error ends it with a message.
pub struct Buffered(std::io::BufWriter<std::io::StdoutLock<'static>>);

impl Buffered {
    /// Stdout, buffered.
    pub fn new() -> Self {
        Buffered(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        ))
    }

    fn check(r: std::io::Result<()>) {
        match r {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            Err(e) => {
                eprintln!("pseries-sim: stdout: {e}");
                std::process::exit(1);
            }
        }
    }

    /// Writes one line.
    pub fn line(&mut self, s: impl std::fmt::Display) {
        Self::check(writeln!(self.0, "{s}"));
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        Self::check(self.0.flush());
    }
}

impl Default for Buffered {
    fn default() -> Self {
        Self::new()
    }
}

/// Writes one line to stdout.
pub fn line(s: impl std::fmt::Display) -> Result<(), String> {
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{s}") {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(format!("stdout: {e}")),
    }
}
