//! One module per subcommand.

pub mod dt;
