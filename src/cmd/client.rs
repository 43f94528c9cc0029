//! `--client model|linux:PATH`, as every command that runs a client takes it: the
//! client built, and what its compiler warned about shown on stderr.

use platform::linux::{Client, ClientError};

/// Parses (building a Linux client); the compiler's warnings about the user's file go
/// to stderr as it printed them, before the run's output. A spec that names no client is
/// a usage error; a client that cannot be built from the user's code is `Unbuildable`
/// (exit 125, so that `git bisect run` skips the commit).
pub fn parse(spec: &str) -> Result<Client, super::Error> {
    let client = Client::parse(spec).map_err(|e| match e {
        platform::Error::UnknownClient(_) => super::Error::Usage(e.to_string()),
        platform::Error::Client(c) if unbuildable(&c) => super::Error::Unbuildable(c.to_string()),
        e => super::Error::Failed(e.to_string()),
    })?;
    let warnings = client.warnings();
    if !warnings.is_empty() {
        eprintln!("{warnings}");
    }
    Ok(client)
}

/// Whether the error lies in the user's code (or its absence at this commit) rather than
/// in this machine: what a bisection should skip, not call bad.
fn unbuildable(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Read { .. }
            | ClientError::Compile { .. }
            | ClientError::Undefined { .. }
            | ClientError::NotATree { .. }
            | ClientError::Unsupported { .. }
            | ClientError::Link { .. }
    )
}
