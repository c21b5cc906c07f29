//! `jujiao crawl`: run configured sources once, then publish what is new.

use super::progress::Progress;
use crate::ExitStatus;
use anyhow::Context;
use jujiao_config::Config;
use jujiao_crawl::{Crawler, RunOptions, SourceReport};
use jujiao_fetch::HttpFetcher;
use jujiao_tree::PublishOptions;
use jujiao_web::{AfterCrawl, indexer_beside};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sources file.
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    /// Only these sources (repeatable); default: all.
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// The database; default: `settings.database` of the sources file.
    #[arg(long, env = "JUJIAO_DB")]
    pub db: Option<String>,
    /// Root of the briefing tree; default: `settings.output` of the sources file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Read list pages and show what would be fetched; store and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Collect newspaper editions of this day (YYYY-MM-DD) instead of today's.
    #[arg(long)]
    pub day: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub reach: super::reach::Reach,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let mut config = Config::load(&args.config)?;
    args.reach.apply(&mut config)?;
    if let Some(out) = &args.out {
        config.settings.output = out.clone();
    }
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| config.settings.database.clone());
    let reports = crawl(
        config,
        &db,
        &args.sources,
        RunOptions {
            dry_run: args.dry_run,
            day: args.day,
            now: None,
        },
    )
    .await?;
    Ok(if reports.iter().any(|r| r.errors > 0) {
        ExitStatus::SomeFailed
    } else {
        ExitStatus::Ok
    })
}

/// Runs the sources, prints the summary table and publishes new filings.
pub async fn crawl(
    config: Config,
    db: &str,
    only: &[String],
    options: RunOptions,
) -> anyhow::Result<Vec<SourceReport>> {
    let dry_run = options.dry_run;
    let store = jujiao_store::open_store(db)
        .await
        .with_context(|| format!("while opening the database {db}"))?;
    let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&config));
    for warning in jujiao_crawl::register_sources(&config, &fetcher)
        .context("while setting up the sources' headers and cookies")?
    {
        eprintln!("warning: {warning}");
    }
    let out = config.settings.output.clone();
    let files = super::media::file_store(Some(&config.settings), db);
    let (date_style, mode) = (config.settings.date_folder, config.settings.filenames);
    let fetcher: Arc<dyn jujiao_fetch::Fetch> = Arc::new(fetcher);
    let media = super::media::collector(
        &config.settings,
        db,
        Arc::clone(&fetcher),
        Arc::clone(&store),
    );
    super::watch::sync_rules(&config, store.as_ref()).await?;
    let deliverer = super::watch::deliverer(
        &config,
        Arc::clone(&store),
        jujiao_crawl::worker::default_worker_id(),
        jujiao_watch::DEFAULT_LEASE,
    )?;
    let mut crawler = Crawler::new(config, Arc::clone(&store), fetcher)?;
    if let Some(files) = &files {
        crawler = crawler.with_kept_pages(files.root().join("pages-without-body"));
    }
    if let Some(collector) = media {
        crawler = crawler.with_media(collector);
    }
    let crawler = Arc::new(crawler);
    let ids: Vec<String> = if only.is_empty() {
        crawler.source_ids()
    } else {
        for id in only {
            if crawler.config().source(id).is_none() {
                anyhow::bail!("no source with id \"{id}\" in the sources file");
            }
        }
        only.to_vec()
    };

    let progress = Arc::new(Progress::new(&ids));
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids.clone() {
        let crawler = Arc::clone(&crawler);
        let progress = Arc::clone(&progress);
        tasks.spawn(async move { crawler.run_source(&id, options, progress.as_ref()).await });
    }
    let mut reports = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        reports.push(joined.context("a source's run crashed")??);
    }
    progress.finish();
    reports.sort_by_key(|r| ids.iter().position(|i| *i == r.source_id));
    print_summary(&reports, dry_run);

    // Always publish (not only when this run found something): a killed earlier run may
    // have stored articles it never wrote out. Files already right are not rewritten.
    if !dry_run {
        let options = PublishOptions {
            out,
            date_style,
            mode,
            files,
            ..PublishOptions::default()
        };
        let changed: Vec<i64> = reports
            .iter()
            .flat_map(|r| r.changed_articles.iter().copied())
            .collect();
        publish_and_index(&store, db, options, &changed).await?;
        // Alerts for what this run matched; a channel that fails keeps its deliveries
        // for the next run (or a worker) to retry.
        match deliverer.drain(50, std::time::Duration::ZERO).await {
            Ok(sent) => println!("{}", super::watch::summary(store.as_ref(), sent).await?),
            Err(e) => eprintln!("warning: alerts not delivered: {e:#}"),
        }
    }
    Ok(reports)
}

/// Publishes the tree and indexes the `changed` articles (and filings stored since the
/// index last saw one) into the index beside `db`, through the web app's
/// [`AfterCrawl`] — the one "publish and index after new articles" that `jujiao crawl`,
/// `jujiao worker --out` and the scheduled runs of `jujiao serve` share — and prints
/// what it did. A failed publish is an error; a failed index a warning (the articles
/// are safe in the store; `jujiao reindex` catches up).
pub(super) async fn publish_and_index(
    store: &Arc<dyn jujiao_store::Store>,
    db: &str,
    options: PublishOptions,
    changed: &[i64],
) -> anyhow::Result<()> {
    let out = options.out.clone();
    let indexer = match indexer_beside(db, Arc::clone(store)) {
        Ok(i) => i.map(Arc::new),
        Err(e) => {
            eprintln!("warning: search index not updated: {e:#} (run `jujiao reindex`)");
            None
        }
    };
    let after = AfterCrawl::new(Arc::clone(store), options, indexer)
        .run(changed)
        .await;
    let published = after
        .published
        .with_context(|| format!("while publishing to {}", out.display()))?;
    println!(
        "briefing tree {}: {} files written, {} already up to date, {} failed",
        out.display(),
        published.written,
        published.unchanged,
        published.failed.len()
    );
    for (id, rel, reason) in published.failed.iter().take(20) {
        println!("  filing {id} {rel}: {reason}");
    }
    match after.indexed {
        Some(Ok(n)) if n > 0 => println!("search index: {n} articles indexed"),
        Some(Ok(_)) | None => {}
        Some(Err(e)) => {
            eprintln!("warning: search index not updated: {e:#} (run `jujiao reindex`)");
        }
    }
    Ok(())
}

fn print_summary(reports: &[SourceReport], dry_run: bool) {
    println!();
    println!(
        "{:<16} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7} {:>7}  health",
        "source", "lists", "304", "new", "upd", "dup", "errors", "skipped", "time"
    );
    for r in reports {
        println!(
            "{:<16} {:>5} {:>5} {:>5} {:>5} {:>5} {:>6} {:>7} {:>6.1}s  {}",
            r.source_id,
            r.list_pages,
            r.not_modified,
            if dry_run {
                r.would_fetch.len() as u64
            } else {
                r.tally.new
            },
            r.tally.updated,
            r.tally.duplicates,
            r.errors,
            r.skipped,
            r.elapsed.as_secs_f64(),
            r.verdict.as_str()
        );
    }
    for r in reports.iter().filter(|r| !r.error_samples.is_empty()) {
        println!("{} ({}):", r.source_id, r.name);
        for e in &r.error_samples {
            println!("  - {e}");
        }
        // Samples are errors, files not kept, and links robots.txt forbids (skipped).
        let sampled = (r.errors + r.files_failed + r.skipped) as usize;
        if sampled > r.error_samples.len() {
            println!("  … and {} more", sampled - r.error_samples.len());
        }
    }
    if dry_run {
        println!("dry run: nothing was fetched beyond list pages, nothing stored or written");
        for r in reports.iter().filter(|r| !r.would_fetch.is_empty()) {
            println!("{} would fetch:", r.source_id);
            for u in r.would_fetch.iter().take(10) {
                println!("  {u}");
            }
        }
    }
}
