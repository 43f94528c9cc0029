//! The `pseries-sim` command: device trees, pSeries firmware and the OS side of MSI.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Simulates IBM pSeries (PAPR) firmware as an operating system sees it.
#[derive(Parser)]
#[command(name = "pseries-sim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Boot(cmd::boot::BootArgs),
    Call(cmd::call::CallArgs),
    Check(cmd::check::CheckArgs),
    DiffClients(cmd::diff_clients::DiffClientsArgs),
    Dt(cmd::dt::DtArgs),
    Explore(cmd::explore::ExploreArgs),
    Gen(cmd::gen::GenArgs),
    Import(cmd::import::ImportArgs),
    Map(cmd::map::MapArgs),
    Replay(cmd::replay::ReplayArgs),
    Run(cmd::run::RunArgs),
    Completions(cmd::completions::CompletionsArgs),
    Man(cmd::man::ManArgs),
}

/// The command line's definition, as parsed and as the completions and pages show it.
fn command() -> clap::Command {
    cmd::man::with_page_names(<Cli as clap::CommandFactory>::command())
}

fn main() -> ExitCode {
    // A panic is a bug of ours: say so in one line and exit 1, never with a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("pseries-sim: internal error (a bug, please report it): {info}");
        std::process::exit(1);
    }));
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    let parsed = command().try_get_matches();
    let cli = match parsed.and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m)) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Boot(a) => cmd::boot::run(a),
        Command::Call(a) => cmd::call::run(a),
        Command::Check(a) => cmd::check::run(a).map_err(cmd::Error::from),
        Command::DiffClients(a) => cmd::diff_clients::run(a),
        Command::Dt(a) => cmd::dt::run(a),
        Command::Explore(a) => cmd::explore::run(a),
        Command::Gen(a) => cmd::gen::run(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Map(a) => cmd::map::run(a),
        Command::Replay(a) => cmd::replay::run(a).map_err(cmd::Error::from),
        Command::Run(a) => cmd::run::run(a),
        Command::Completions(a) => cmd::completions::run(a, command()),
        Command::Man(a) => cmd::man::run(a, command()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pseries-sim: {}", e.message());
            ExitCode::from(e.code())
        }
    }
}
