//! `jujiao extract FILE…`: run article extraction on saved pages and print JSON.
//! `jujiao extract -` reads page paths from stdin and answers each with one JSON line,
//! flushed at once (a long-running extractor for scripts and the scorer).

use crate::ExitStatus;
use anyhow::Context;
use jujiao_config::Config;
use jujiao_extract::Rules;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use url::Url;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Page files to extract, or `-` to read paths from stdin, one per line.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The page's URL (resolves relative image and attachment links; TRS URLs carry the date).
    #[arg(long)]
    pub url: Option<Url>,
    /// Use this source's selectors from the sources file (else: automatic).
    #[arg(long, requires = "config")]
    pub source: Option<String>,
    /// The sources file holding `--source`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The charset the server declared, if known.
    #[arg(long)]
    pub charset: Option<String>,
    /// Print JSON (the default and only format; accepted for scripts that pass it).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitStatus> {
    let rules = match (&args.source, &args.config) {
        (Some(id), Some(config)) => {
            let config = Config::load(config)?;
            let source = config
                .source(id)
                .with_context(|| format!("no source \"{id}\" in {}", config_name(args)))?;
            jujiao_crawl::article_rules(source)?
        }
        _ => None,
    };
    match extract_all(args, rules.as_ref()) {
        Ok(false) => Ok(ExitStatus::Ok),
        Ok(true) => Ok(ExitStatus::SomeFailed),
        // `jujiao extract - < paths | head`: nobody is left to tell.
        Err(e) if e.downcast_ref().is_some_and(super::reader_stopped) => Ok(ExitStatus::Ok),
        Err(e) => Err(e),
    }
}

/// Extracts every page asked for, printing a JSON line for each; true when some failed.
fn extract_all(args: &Args, rules: Option<&Rules>) -> anyhow::Result<bool> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    if args.files.len() == 1 && args.files[0].as_os_str() == "-" {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("while reading page paths from stdin")?;
            let path = line.trim();
            if path.is_empty() {
                continue;
            }
            failed |= !one(Path::new(path), args, rules, &mut out)?;
            out.flush()?;
        }
    } else {
        for path in &args.files {
            failed |= !one(path, args, rules, &mut out)?;
        }
    }
    out.flush()?;
    Ok(failed)
}

fn config_name(args: &Args) -> String {
    args.config
        .as_deref()
        .map_or_else(String::new, |p| p.display().to_string())
}

/// Extracts one page and prints its JSON line; a page that cannot be read or extracted
/// prints `{"file", "error"}` instead. Returns whether it succeeded.
fn one(
    path: &Path,
    args: &Args,
    rules: Option<&Rules>,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let result = std::fs::read(path)
        .map_err(|e| format!("cannot read: {e}"))
        .and_then(|bytes| {
            jujiao_extract::extract(&bytes, args.url.as_ref(), args.charset.as_deref(), rules)
                .map_err(|e| e.to_string())
        });
    match result {
        Ok(extraction) => {
            writeln!(out, "{}", extraction.to_json())?;
            Ok(true)
        }
        Err(error) => {
            let line = serde_json::json!({ "file": path.display().to_string(), "error": error });
            writeln!(out, "{line}")?;
            Ok(false)
        }
    }
}
