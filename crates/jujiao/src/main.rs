//! The `jujiao` command: wires the library crates together and owns the terminal.
//!
//! Every subcommand lives in [`cmd`]; exit codes are decided here, in one place
//! (see [`ExitStatus`]).

mod cmd;

use clap::Parser;
use std::process::ExitCode;

/// How a run ended, as the shell sees it (CONVENTIONS: 0 all good, 1 some sources or
/// files failed, 2 unusable config or database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Ok,
    SomeFailed,
}

fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    init_logging(cli.verbose);
    match cmd::run(cli) {
        Ok(ExitStatus::Ok) => ExitCode::SUCCESS,
        Ok(ExitStatus::SomeFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("jujiao: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,jujiao=info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("JUJIAO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
