//! `jujiao export`: the briefing for a day or a range as one file (zip of the legacy
//! tree, xlsx index, docx briefing, Markdown, JSON lines).

use super::DbArgs;
use super::publish::{DateFolders, Names};
use crate::ExitStatus;
use anyhow::Context;
use chrono::NaiveDate;
use jujiao_export::{ExportOptions, Format};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// zip (the legacy tree), xlsx (index), docx (Word briefing), md, jsonl.
    #[arg(long, value_parser = parse_format)]
    pub format: Format,
    /// The file to write; `-` writes to stdout (md and jsonl only).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub db: DbArgs,
    /// First briefing day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub since: Option<NaiveDate>,
    /// Last briefing day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Only these columns (repeatable).
    #[arg(long = "column")]
    pub columns: Vec<String>,
    /// File names inside the zip: portable (Windows) or posix.
    #[arg(long, value_enum, default_value_t = Names::Portable)]
    pub filenames: Names,
    /// Date folders inside the zip: month-day (06月11日) or iso.
    #[arg(long, value_enum, default_value_t = DateFolders::MonthDay)]
    pub date_folder: DateFolders,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse::<Format>().map_err(|e| e.to_string())
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    if let (Some(s), Some(u)) = (args.since, args.until)
        && s > u
    {
        anyhow::bail!("--since {s} is after --until {u}");
    }
    let store = args.db.open().await?;
    let options = ExportOptions {
        since: args.since,
        until: args.until,
        columns: args.columns.clone(),
        date_style: args.date_folder.into(),
        file_name_mode: args.filenames.into(),
        ..ExportOptions::default()
    };
    let report = if args.out.as_os_str() == "-" {
        if !matches!(args.format, Format::Md | Format::Jsonl) {
            anyhow::bail!("only md and jsonl can be written to stdout; give --out FILE");
        }
        let mut buf = std::io::Cursor::new(Vec::new());
        let report = jujiao_export::export(store.as_ref(), &options, args.format, &mut buf)
            .await
            .context("while exporting")?;
        std::io::Write::write_all(&mut std::io::stdout(), buf.get_ref())?;
        report
    } else {
        let files = args.db.file_store();
        jujiao_export::export_to_path_with_files(
            store.as_ref(),
            files.as_ref(),
            &options,
            args.format,
            &args.out,
        )
        .await
        .with_context(|| format!("while exporting to {}", args.out.display()))?
    };
    if args.out.as_os_str() != "-" {
        println!(
            "jujiao export: {} articles, {} bytes → {}",
            report.articles,
            report.bytes,
            args.out.display()
        );
    }
    for s in &report.skipped {
        eprintln!("left out: {s:?}");
    }
    Ok(if report.skipped.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::SomeFailed
    })
}
