//! One module per subcommand.

pub mod boot;
pub mod call;
pub mod check;
pub mod choices;
pub mod client;
pub mod client_opts;
pub mod completions;
pub mod diff_clients;
pub mod dt;
pub mod explore;
pub mod files;
pub mod gen;
pub mod import;
pub mod malloc_tuning;
pub mod man;
pub mod map;
pub mod out;
pub mod progress;
pub mod replay;
pub mod run;

/// Why a command stopped: a command line it refuses (exit 2, as clap's own refusals and
/// as the README says), a client that cannot be built (exit 125, `git bisect run`'s
/// "skip this commit") or work that failed (exit 1). All print `pseries-sim: MESSAGE`.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// The command line asks for what cannot be done, whatever the inputs hold.
    Usage(String),
    /// The client named by `--client` could not be built from the user's code: it does
    /// not compile or link, or the folder is not a tree the client can be built from.
    Unbuildable(String),
    /// The work failed: a file, a tree, a scenario, a client.
    Failed(String),
}

/// The exit status of a client that cannot be built: what `git bisect run` takes for
/// "this commit cannot be tested".
pub const EXIT_UNBUILDABLE: u8 = 125;

impl Error {
    /// The exit status: 2 for usage, 125 for a client that cannot be built, 1 otherwise.
    pub fn code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Unbuildable(_) => EXIT_UNBUILDABLE,
            Error::Failed(_) => 1,
        }
    }

    /// The message, without the program's name.
    pub fn message(&self) -> &str {
        match self {
            Error::Usage(m) | Error::Unbuildable(m) | Error::Failed(m) => m,
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
