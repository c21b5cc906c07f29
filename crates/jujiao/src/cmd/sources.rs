//! `jujiao sources check`: what each source will request, and a preview of its first
//! list items.

use crate::ExitStatus;
use anyhow::Context;
use jujiao_config::Config;
use jujiao_crawl::Crawler;
use jujiao_fetch::HttpFetcher;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Explain what each source requests (method, URL, body; secrets never shown) and,
    /// unless --dry-run, fetch its first list page and show the first items.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The sources file.
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    /// Only this source (repeatable); default: all.
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// Send nothing: only explain the requests.
    #[arg(long)]
    pub dry_run: bool,
    /// Items shown per source.
    #[arg(long, default_value_t = 5)]
    pub items: usize,
    /// Only the verdicts: one line per source (`ok: 12 items`, `404: …`, `redirected to
    /// …`, `challenge page (…)`, `list empty`, `selectors no longer match …`).
    #[arg(long)]
    pub brief: bool,
    #[command(flatten)]
    pub reach: super::reach::Reach,
}

pub async fn run(command: Command) -> anyhow::Result<ExitStatus> {
    let Command::Check(args) = command;
    let mut config = Config::load(&args.config)?;
    args.reach.apply(&mut config)?;
    println!(
        "{}: valid, {} sources",
        args.config.display(),
        config.sources.len()
    );
    let ids: Vec<String> = if args.sources.is_empty() {
        config.sources.iter().map(|s| s.id.clone()).collect()
    } else {
        for id in &args.sources {
            if config.source(id).is_none() {
                anyhow::bail!(
                    "no source with id \"{id}\" in {} (配置文件中没有此来源)",
                    args.config.display()
                );
            }
        }
        args.sources.clone()
    };
    let crawler = if args.dry_run {
        None
    } else {
        // A preview stores nothing: an in-memory database keeps the real one untouched.
        let store = jujiao_store::open_store("sqlite::memory:")
            .await
            .context("while opening a scratch database for the preview")?;
        let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&config));
        for warning in jujiao_crawl::register_sources(&config, &fetcher)
            .context("while setting up the sources' headers and cookies")?
        {
            eprintln!("warning: {warning}");
        }
        Some(Crawler::new(config.clone(), store, Arc::new(fetcher))?)
    };
    let mut status = ExitStatus::Ok;
    let mut verdicts: Vec<(String, String, bool)> = Vec::new();
    for id in &ids {
        let source = config.source(id).expect("ids were checked above");
        if !args.brief {
            println!();
            println!("[{}] {} → column {}", source.id, source.name, source.column);
            for line in jujiao_crawl::explain(source) {
                println!("  {line}");
            }
        }
        let Some(crawler) = &crawler else {
            continue;
        };
        let preview = crawler.preview(id).await?;
        let line = jujiao_crawl::check_line(&preview);
        let failed = preview.report.verdict.is_failure();
        if !args.brief {
            println!(
                "  first list page: {} items; health: {}",
                preview.items.len(),
                preview.report.verdict.as_str()
            );
            println!("  verdict: {line}");
            for item in preview.items.iter().take(args.items) {
                let date = item
                    .date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "(no date)".into());
                println!("    {date}  {}  {}", item.title, item.url);
            }
            for e in &preview.report.error_samples {
                println!("  ! {e}");
            }
        }
        if failed {
            status = ExitStatus::SomeFailed;
        }
        verdicts.push((id.clone(), line, failed));
    }
    if !verdicts.is_empty() {
        // The summary: one line per source, failures marked, for the administrator.
        println!();
        let width = verdicts
            .iter()
            .map(|(id, _, _)| id.len())
            .max()
            .unwrap_or(0);
        for (id, line, failed) in &verdicts {
            let mark = if *failed { "FAIL" } else { "ok  " };
            println!("{mark} {id:<width$}  {line}");
        }
        let failed = verdicts.iter().filter(|(_, _, f)| *f).count();
        println!("{} sources checked, {failed} failed", verdicts.len());
    }
    if args.dry_run {
        println!();
        println!("dry run: nothing was sent");
    }
    Ok(status)
}
