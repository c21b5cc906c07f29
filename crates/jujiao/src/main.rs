//! The `jujiao` command: wires the library crates together and owns the terminal.
//!
//! Every subcommand lives in [`cmd`]; exit codes are decided here, in one place
//! (see [`ExitStatus`]).

mod cmd;

use clap::Parser;
use std::process::ExitCode;

/// jemalloc, configured in `.cargo/config.toml` to hand freed memory back to the system
/// within a second. With the C library's allocator every thread that allocated kept an
/// arena of its own and its freed memory: a 10,000-article crawl peaked at ≈ 300 MB for
/// ≈ 120 MB of live data (README, issue 16).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
            eprintln!("jujiao: error: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, like `{:#}`, but without repeating a cause
/// whose text the previous one already contains (sqlx and io errors print their source
/// inside their own message, which made "database or disk is full" appear three times).
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !previous.is_empty() && previous.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        previous = text;
    }
    out
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

#[cfg(test)]
mod tests {
    use super::message;

    #[derive(Debug)]
    struct Wrapping(Inner);

    impl std::fmt::Display for Wrapping {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error returned from database: {}", self.0)
        }
    }

    impl std::error::Error for Wrapping {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[derive(Debug)]
    struct Inner;

    impl std::fmt::Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("(code: 13) database or disk is full")
        }
    }

    impl std::error::Error for Inner {}

    #[test]
    fn a_cause_repeated_inside_its_wrapper_is_printed_once() {
        let e = anyhow::Error::new(Wrapping(Inner)).context("while opening the database t.db");
        assert_eq!(
            message(&e),
            "while opening the database t.db: error returned from database: (code: 13) database or disk is full"
        );
    }

    #[test]
    fn distinct_causes_are_all_printed() {
        let e = anyhow::anyhow!("No space left on device")
            .context("write failed")
            .context("while filing a.txt");
        assert_eq!(
            message(&e),
            "while filing a.txt: write failed: No space left on device"
        );
    }
}
