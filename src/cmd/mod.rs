//! One module per subcommand.

pub mod boot;
pub mod call;
pub mod check;
pub mod client;
pub mod client_opts;
pub mod diff_clients;
pub mod dt;
pub mod files;
pub mod gen;
pub mod import;
pub mod malloc_tuning;
pub mod map;
pub mod out;
pub mod progress;
pub mod replay;
pub mod run;
