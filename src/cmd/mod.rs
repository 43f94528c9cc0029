//! One module per subcommand.

pub mod dt;
pub mod gen;
pub mod replay;
pub mod run;
