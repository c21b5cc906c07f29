//! `jujiao import DIR`: an old briefing tree into the store.

use super::DbArgs;
use crate::ExitStatus;
use anyhow::Context;
use jujiao_tree::{FileOutcome, ImportOptions};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Root of the old briefing tree (the folder holding the column folders).
    pub dir: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// Year of `MM月DD日` date folders (they carry none). Default: each file's
    /// modification year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Also write one JSON line per file (path, outcome, reason) to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let store = args.db.open().await?;
    let options = ImportOptions {
        year: args.year,
        files: args.db.file_store(),
    };
    let report = jujiao_tree::import(store.as_ref(), &args.dir, &options)
        .await
        .with_context(|| format!("while importing {}", args.dir.display()))?;

    if let Some(path) = &args.report {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("while creating the report {}", path.display()))?,
        );
        for (rel, outcome) in &report.files {
            let mut line = serde_json::to_value(outcome)?;
            line["path"] = rel.clone().into();
            writeln!(out, "{line}")?;
        }
        out.flush()?;
    }

    println!("jujiao import {}", args.dir.display());
    println!("  files read           {:>7}", report.read());
    println!("  articles added       {:>7}", report.added());
    println!(
        "  same text as another {:>7}  (one article, each file kept in its place)",
        report.duplicates()
    );
    println!("  already imported     {:>7}", report.already_imported());
    println!("  updated (revisions)  {:>7}", report.updated());
    println!("  files rejected       {:>7}", report.rejected());
    println!("  other files skipped  {:>7}", report.skipped());
    let rejected: Vec<_> = report
        .files
        .iter()
        .filter_map(|(rel, o)| match o {
            FileOutcome::Rejected { reason } => Some((rel, reason)),
            _ => None,
        })
        .collect();
    if !rejected.is_empty() {
        println!("rejected files:");
        for (rel, reason) in &rejected {
            println!("  {rel}: {reason}");
        }
    }
    println!("database: {}", store.location());
    Ok(if rejected.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::SomeFailed
    })
}
