//! Scenario files: a machine, a profile, a boot, and the driver actions and
//! expectations that follow, one command a line.

mod command;
mod diff;
mod load;
mod logs;
mod parse;
mod parse_eeh;
mod parse_errors;
mod parse_fault;
mod parse_hotplug;
mod print;
mod run;
mod started;

pub use command::{Command, Step};
pub use diff::{
    agree, diff_clients, first_difference, observe_run, ClientRun, Difference, Observer,
};
pub use load::{base_dir, check_saves, load, save_paths, steps_from};
pub use logs::compare_logs;
pub use parse::parse;
pub use run::{run_file, run_file_with, run_steps, virqs_stable, Discard, Output, Runner};
