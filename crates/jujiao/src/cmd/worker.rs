//! `jujiao worker`: one of several processes sharing one crawl through the database
//! (see `jujiao_crawl::worker`). Runs until Ctrl-C / SIGTERM (finishing the items in
//! hand) or, with `--until-idle`, until the crawl has caught up.

use crate::ExitStatus;
use anyhow::Context;
use jujiao_config::Config;
use jujiao_crawl::shared_hosts::{SharedHosts, without_source_delays, worker_fetcher_config};
use jujiao_crawl::worker::{self, DEFAULT_LEASE, DEFAULT_TASKS};
use jujiao_crawl::{Worker, WorkerOptions};
use jujiao_fetch::HttpFetcher;
use jujiao_tree::PublishOptions;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shared database, e.g. postgres://jujiao@db.example/jujiao (a SQLite file
    /// works for workers on one machine); default: `settings.database`.
    #[arg(long, env = "JUJIAO_DB")]
    pub db: Option<String>,
    /// The sources file (the same one on every worker).
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    /// This worker's name, unique among the workers; default `<host name>-<pid>`.
    #[arg(long)]
    pub id: Option<String>,
    /// Publish the briefing tree here when the worker stops (give it to one worker only,
    /// or run `jujiao publish` instead).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Stop once the crawl has caught up: no article page queued, nothing leased.
    #[arg(long)]
    pub until_idle: bool,
    /// Work items (list pages, article pages) handled at once.
    #[arg(long, default_value_t = DEFAULT_TASKS)]
    pub tasks: usize,
    /// How long a claimed item (and a host slot) stays this worker's; renewed every
    /// third of it while the worker works on the item; if the worker dies, others take
    /// its items over after this. E.g. 90s, 2m.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub lease: Duration,
    /// How often the worker records its heartbeat and activity (shown by `jujiao serve`).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub heartbeat: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    jujiao_config::parse_duration(s)
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let config = Config::load(&args.config)?;
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| config.settings.database.clone());
    let store = jujiao_store::open_store(&db)
        .await
        .with_context(|| format!("while opening the database {db}"))?;
    let fetcher = HttpFetcher::new(worker_fetcher_config(&config));
    for warning in jujiao_crawl::register_sources(&without_source_delays(&config), &fetcher)
        .context("while setting up the sources' headers and cookies")?
    {
        eprintln!("warning: {warning}");
    }
    let mut options = WorkerOptions::new(args.id.clone().unwrap_or_else(worker::default_worker_id));
    options.tasks = args.tasks.max(1);
    options.lease = if args.lease.is_zero() {
        DEFAULT_LEASE
    } else {
        args.lease
    };
    options.until_idle = args.until_idle;
    if !args.heartbeat.is_zero() {
        options.heartbeat = args.heartbeat;
    }
    let (date_style, mode) = (config.settings.date_folder, config.settings.filenames);
    let hosts = SharedHosts::hosts_of(&config);
    let media = super::media::media(&config.settings, &db);
    let files_folder = media.as_ref().map(|(files, _)| files.root().to_owned());
    // The tree written with `--out` carries the stored files (`<title>/图片/`, `附件/`).
    let publish_files = super::media::file_store(Some(&config.settings), &db);
    super::watch::sync_rules(&config, store.as_ref()).await?;
    let deliverer = super::watch::deliverer(
        &config,
        Arc::clone(&store),
        options.id.clone(),
        jujiao_watch::DEFAULT_LEASE,
    )?;
    let mut worker = Worker::new(config, Arc::clone(&store), Arc::new(fetcher), options)?;
    if let Some((files, caps)) = media {
        worker = worker.with_media(files, caps);
    }
    let worker = Arc::new(worker);
    let skipped = worker
        .seed()
        .await
        .with_context(|| format!("while queueing the list pages in {}", store.location()))?;
    for id in &skipped {
        eprintln!(
            "warning: source \"{id}\" is a newspaper edition source; workers skip it (collect it with `jujiao crawl --source {id}`)"
        );
    }
    eprintln!(
        "worker {} on {}: {} hosts, {} items at a time, lease {}s, files {}{}",
        worker.id(),
        store.location(),
        hosts.len(),
        args.tasks.max(1),
        args.lease.as_secs(),
        files_folder.map_or_else(|| "not collected".to_owned(), |f| f.display().to_string()),
        if args.until_idle {
            ", stops when the crawl has caught up"
        } else {
            "; Ctrl-C stops after the items in hand"
        }
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let id = worker.id().to_owned();
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!(
            "worker {id}: stopping after the items in hand (Ctrl-C again to quit at once; their leases then run out)"
        );
        let _ = stop_tx.send(true);
        shutdown_signal().await;
        eprintln!("worker {id}: quitting now");
        std::process::exit(130);
    });
    // Alerts go out while the worker works; every worker delivers, the store's leases
    // keep each delivery to one of them.
    let alerts = tokio::spawn({
        let stop = stop_rx.clone();
        async move { deliverer.run(std::time::Duration::from_secs(1), stop).await }
    });
    let report = Arc::clone(&worker).run(stop_rx).await;
    alerts.abort();
    println!(
        "worker {}: {} items done: {} list pages read, {} article pages queued, {} new, {} updated, {} unchanged, {} duplicates, {} already stored by another worker, {} errors, {} skipped (robots.txt forbids), {} leases lost",
        worker.id(),
        report.items_done,
        report.list_pages,
        report.articles_queued,
        report.tally.new,
        report.tally.updated,
        report.tally.unchanged,
        report.tally.duplicates,
        report.already_stored,
        report.errors,
        report.skipped,
        report.leases_lost
    );
    if let Some(out) = &args.out {
        let options = PublishOptions {
            out: out.clone(),
            date_style,
            mode,
            files: publish_files,
            ..PublishOptions::default()
        };
        super::crawl::publish_and_index(&store, &db, options, &report.changed_articles).await?;
    }
    Ok(if report.errors > 0 {
        ExitStatus::SomeFailed
    } else {
        ExitStatus::Ok
    })
}

/// Ctrl-C, or SIGTERM on Unix (what `kill` and service managers send).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
