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
    Completions(CompletionsArgs),
    /// Prints the manual page (roff).
    #[command(about = "Prints the manual page (roff)")]
    Man,
}

/// Prints a shell completion script for pseries-sim.
///
/// Example: pseries-sim completions bash > /etc/bash_completion.d/pseries-sim
#[derive(clap::Args)]
#[command(about = "Prints a shell completion script")]
struct CompletionsArgs {
    /// The shell.
    shell: clap_complete::Shell,
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
    let cli = match Cli::try_parse() {
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
        Command::Dt(a) => cmd::dt::run(a).map_err(cmd::Error::from),
        Command::Explore(a) => cmd::explore::run(a),
        Command::Gen(a) => cmd::gen::run(a),
        Command::Import(a) => cmd::import::run(a).map_err(cmd::Error::from),
        Command::Map(a) => cmd::map::run(a).map_err(cmd::Error::from),
        Command::Replay(a) => cmd::replay::run(a).map_err(cmd::Error::from),
        Command::Run(a) => cmd::run::run(a),
        Command::Completions(a) => {
            let mut c = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(a.shell, &mut c, "pseries-sim", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let c = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            match clap_mangen::Man::new(c).render(&mut out) {
                Ok(()) => cmd::out::line(String::from_utf8_lossy(&out).trim_end())
                    .map(|()| ExitCode::SUCCESS)
                    .map_err(cmd::Error::from),
                Err(e) => Err(format!("man page: {e}").into()),
            }
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pseries-sim: {}", e.message());
            ExitCode::from(e.code())
        }
    }
}
