//! The options of how a compiled Linux client is built and run, shared by `boot`, `run`
//! and `diff-clients`.

use std::time::Duration;

/// `--client-timeout` and `--sanitize`.
#[derive(clap::Args, Debug, Clone)]
pub struct ClientOpts {
    /// The watchdog: a call into a compiled client that has not returned after this
    /// many seconds is stopped and reported with where it was (default 5).
    #[arg(long, value_name = "SECONDS")]
    client_timeout: Option<f64>,
    /// Build the compiled client (a tree's MSI core with it) with these sanitizers,
    /// comma-separated: address, undefined. Its first report fails the run.
    #[arg(
        long,
        value_name = "address,undefined",
        value_delimiter = ',',
        value_parser = super::choices::sanitizer()
    )]
    sanitize: Vec<String>,
    /// A kernel warning of the compiled client (WARN, WARN_ON) fails the run at its
    /// scenario line (they are traced and counted either way).
    #[arg(long)]
    warn_as_error: bool,
}

impl ClientOpts {
    /// Sets them for the clients parsed from now on; refuses what cannot be used (a
    /// usage error).
    pub fn apply(&self) -> Result<(), super::Error> {
        let timeout = match self.client_timeout {
            None => platform::linux::DEFAULT_TIMEOUT,
            Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Duration::from_secs_f64(s),
            Some(s) => {
                return Err(super::Error::Usage(format!(
                    "--client-timeout {s}: give seconds, more than 0"
                )))
            }
        };
        for s in &self.sanitize {
            if s != "address" && s != "undefined" {
                return Err(super::Error::Usage(format!(
                    "--sanitize {s}: the sanitizers are address and undefined"
                )));
            }
        }
        platform::linux::set_options(platform::linux::Options {
            timeout,
            sanitize: self.sanitize.clone(),
            warn_as_error: self.warn_as_error,
        });
        Ok(())
    }
}
