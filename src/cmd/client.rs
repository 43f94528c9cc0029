//! `--client model|linux:PATH`, as every command that runs a client takes it: the
//! client built, and what its compiler warned about shown on stderr.

use platform::linux::Client;

/// Parses (building a Linux client); the compiler's warnings about the user's file go
/// to stderr as it printed them, before the run's output. A spec that names no client is
/// a usage error.
pub fn parse(spec: &str) -> Result<Client, super::Error> {
    let client = Client::parse(spec).map_err(|e| match e {
        platform::Error::UnknownClient(_) => super::Error::Usage(e.to_string()),
        e => super::Error::Failed(e.to_string()),
    })?;
    let warnings = client.warnings();
    if !warnings.is_empty() {
        eprintln!("{warnings}");
    }
    Ok(client)
}
