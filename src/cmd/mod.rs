//! One module per subcommand.

pub mod boot;
pub mod call;
pub mod check;
pub mod client;
pub mod client_opts;
pub mod diff_clients;
pub mod dt;
pub mod explore;
pub mod files;
pub mod gen;
pub mod import;
pub mod malloc_tuning;
pub mod map;
pub mod out;
pub mod progress;
pub mod replay;
pub mod run;

/// Why a command stopped: a command line it refuses (exit 2, as clap's own refusals and
/// as the README says) or work that failed (exit 1). Both print `pseries-sim: MESSAGE`.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// The command line asks for what cannot be done, whatever the inputs hold.
    Usage(String),
    /// The work failed: a file, a tree, a scenario, a client.
    Failed(String),
}

impl Error {
    /// The exit status: 2 for usage, 1 otherwise.
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Failed(_) => 1,
        }
    }

    /// The message, without the program's name.
    pub fn message(&self) -> &str {
        match self {
            Error::Usage(m) | Error::Failed(m) => m,
        }
    }
}

impl From<String> for Error {
    fn from(m: String) -> Self {
        Error::Failed(m)
    }
}

impl From<&str> for Error {
    fn from(m: &str) -> Self {
        Error::Failed(m.to_string())
    }
}
