//! One module per subcommand.

pub mod dt;
pub mod gen;
