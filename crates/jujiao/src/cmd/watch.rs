//! Watch-lists in the binary: the sources file's `[[watch]]` rules written to the store
//! at start ([`sync_rules`]), a [`Deliverer`] for the configured channels, and
//! `jujiao watch deliver` / `jujiao watch status`.

use crate::ExitStatus;
use anyhow::Context;
use jujiao_config::Config;
use jujiao_store::{RuleOrigin, Store};
use jujiao_watch::{DeliverOptions, DeliverReport, Deliverer, stored_rule};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Send the alerts that are due (all workers and `serve` also do this).
    Deliver(DeliverArgs),
    /// Rules, and the counts of matches and deliveries.
    Status(StatusArgs),
}

#[derive(Debug, clap::Args)]
pub struct DeliverArgs {
    /// The sources file (its [[channel]] and [[watch]] tables).
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    /// The database; default: `settings.database` of the sources file.
    #[arg(long, env = "JUJIAO_DB")]
    pub db: Option<String>,
    /// Stop when nothing is due any more instead of running until Ctrl-C.
    #[arg(long)]
    pub until_empty: bool,
    /// Lease on claimed deliveries (a killed deliverer's are sent again after it).
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    pub lease: Duration,
    /// This process's name in leases; default: host and process id.
    #[arg(long)]
    pub id: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    #[arg(long, env = "JUJIAO_DB")]
    pub db: Option<String>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    jujiao_config::parse_duration(s)
}

/// Writes the file's `[[watch]]` rules to the store (replacing the file's earlier ones).
pub async fn sync_rules(config: &Config, store: &dyn Store) -> anyhow::Result<()> {
    let rules: Vec<_> = config
        .watch
        .rules
        .iter()
        .map(|r| stored_rule(r, RuleOrigin::Config))
        .collect();
    store
        .sync_config_watch_rules(&rules)
        .await
        .with_context(|| format!("while saving the watch rules in {}", store.location()))
}

/// A deliverer for the file's channels, linking to `[web] base_url`.
pub fn deliverer(
    config: &Config,
    store: Arc<dyn Store>,
    worker: String,
    lease: Duration,
) -> anyhow::Result<Deliverer> {
    let mut options = DeliverOptions::for_config(worker, config);
    options.lease = lease;
    Ok(Deliverer::new(store, &config.watch.channels, options)?)
}

/// One line for summaries: what was delivered, and what waits.
pub async fn summary(store: &dyn Store, sent: DeliverReport) -> anyhow::Result<String> {
    let stats = store.watch_stats().await?;
    Ok(format!(
        "alerts: {} delivered in {} messages this run, {} failed sends; {} matches in all, {} deliveries done, {} waiting ({} after a failure)",
        sent.delivered,
        sent.messages,
        sent.failed,
        stats.matches,
        stats.delivered,
        stats.pending,
        stats.failing
    ))
}

pub async fn run(command: Command) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Deliver(args) => {
            let config = Config::load(&args.config)?;
            let db = args.db.unwrap_or_else(|| config.settings.database.clone());
            let store = jujiao_store::open_store(&db)
                .await
                .with_context(|| format!("while opening the database {db}"))?;
            sync_rules(&config, store.as_ref()).await?;
            let id = args
                .id
                .unwrap_or_else(jujiao_crawl::worker::default_worker_id);
            let d = deliverer(&config, Arc::clone(&store), id, args.lease)?;
            if args.until_empty {
                let sent = d.drain(u32::MAX, args.lease).await?;
                println!("{}", summary(store.as_ref(), sent).await?);
            } else {
                let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    let _ = stop_tx.send(true);
                });
                d.run(Duration::from_secs(1), stop_rx).await;
            }
            Ok(ExitStatus::Ok)
        }
        Command::Status(args) => {
            let config = Config::load(&args.config)?;
            let db = args.db.unwrap_or_else(|| config.settings.database.clone());
            let store = jujiao_store::open_store(&db)
                .await
                .with_context(|| format!("while opening the database {db}"))?;
            sync_rules(&config, store.as_ref()).await?;
            for r in store.watch_rules().await? {
                println!("{}\t{}\t→ {}", r.name, r.query, r.channels.join(", "));
            }
            println!(
                "{}",
                summary(store.as_ref(), DeliverReport::default()).await?
            );
            Ok(ExitStatus::Ok)
        }
    }
}
