//! `jujiao publish --out DIR`: the store as a briefing tree.

use super::DbArgs;
use crate::ExitStatus;
use anyhow::Context;
use chrono::NaiveDate;
use jujiao_legacy::{DateFolderStyle, FileNameMode};
use jujiao_tree::PublishOptions;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Root of the briefing tree to write (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// First briefing day to write (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub since: Option<NaiveDate>,
    /// Last briefing day to write (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Only this column.
    #[arg(long)]
    pub column: Option<String>,
    /// `portable`: names every Windows PC can open (\/:*?"<>| become full-width);
    /// `posix`: only `/` and NUL replaced, as old trees written on Linux have them.
    #[arg(long, value_enum, default_value_t = Names::Portable)]
    pub filenames: Names,
    /// Date folder spelling: `month-day` (06月11日) or `iso` (2020-06-11).
    #[arg(long, value_enum, default_value_t = DateFolders::MonthDay)]
    pub date_folder: DateFolders,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Names {
    Portable,
    Posix,
}

impl From<Names> for FileNameMode {
    fn from(n: Names) -> Self {
        match n {
            Names::Portable => FileNameMode::Portable,
            Names::Posix => FileNameMode::Posix,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DateFolders {
    MonthDay,
    Iso,
}

impl From<DateFolders> for DateFolderStyle {
    fn from(d: DateFolders) -> Self {
        match d {
            DateFolders::MonthDay => DateFolderStyle::MonthDay,
            DateFolders::Iso => DateFolderStyle::Iso,
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let store = args.db.open().await?;
    let options = PublishOptions {
        out: args.out.clone(),
        since: args.since,
        until: args.until,
        column: args.column.clone(),
        date_style: args.date_folder.into(),
        mode: args.filenames.into(),
        files: args.db.file_store(),
    };
    let started = Instant::now();
    let report = jujiao_tree::publish(store.as_ref(), &options)
        .await
        .with_context(|| format!("while publishing to {}", args.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    println!("jujiao publish → {}", args.out.display());
    println!("  filings              {:>7}", report.total());
    println!("  files written        {:>7}", report.written);
    println!("  already up to date   {:>7}", report.unchanged);
    println!(
        "  images/attachments   {:>7} written, {} up to date",
        report.files_written, report.files_unchanged
    );
    println!("  failed               {:>7}", report.failed.len());
    for (id, rel, reason) in &report.failed {
        println!("  filing {id} {rel}: {reason}");
    }
    println!(
        "  time {secs:.2}s ({:.0} filings/s)",
        report.total() as f64 / secs.max(1e-9)
    );
    Ok(if report.failed.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::SomeFailed
    })
}
