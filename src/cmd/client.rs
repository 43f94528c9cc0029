//! `--client model|linux:PATH`, as every command that runs a client takes it: the
//! client built, and what its compiler warned about shown on stderr.

use platform::linux::Client;

/// Parses (building a Linux client); the compiler's warnings about the user's file go
/// to stderr as it printed them, before the run's output.
pub fn parse(spec: &str) -> Result<Client, String> {
    let client = Client::parse(spec).map_err(|e| e.to_string())?;
    let warnings = client.warnings();
    if !warnings.is_empty() {
        eprintln!("{warnings}");
    }
    Ok(client)
}
