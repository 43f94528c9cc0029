//! Scenario files: a machine, a profile, a boot, and the driver actions and
//! expectations that follow, one command a line.

mod command;
mod diff;
mod logs;
mod parse;
mod parse_eeh;
mod parse_errors;
mod parse_fault;
mod parse_hotplug;
mod print;
mod run;

pub use command::{Command, Step};
pub use diff::{
    agree, diff_clients, first_difference, observe_run, ClientRun, Difference, Observer,
};
pub use logs::compare_logs;
pub use parse::parse;
pub use run::{load, run_file, run_file_with, virqs_stable, Discard, Output, Runner};
