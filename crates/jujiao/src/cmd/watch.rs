//! Watch-lists in the binary: the sources file's `[[watch]]` rules written to the store
//! at start ([`sync_rules`]), a [`Deliverer`] for the configured channels, and
//! `jujiao watch deliver` / `status` / `held` / `confirm` / `resend` — the last three
//! for the duty officer (值班人员): messages whose outcome is unknown on a channel with
//! `unknown_outcome = "hold"` wait until someone looks at the group and says 已收到
//! (`confirm`) or 重发 (`resend`); each decision goes to the audit log.

use crate::ExitStatus;
use anyhow::Context;
use jujiao_config::Config;
use jujiao_store::{HeldMessage, HeldResolution, RuleOrigin, Store};
use jujiao_watch::{DeliverOptions, DeliverReport, Deliverer, stored_rule};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Send the alerts that are due (all workers and `serve` also do this).
    Deliver(DeliverArgs),
    /// Rules, and the counts of matches, deliveries and held messages.
    Status(StatusArgs),
    /// Messages held for the duty officer: their outcome is unknown (the sender died,
    /// or the endpoint never answered), with their text, channel and send time.
    Held(StatusArgs),
    /// 已收到: the group has the held message ID; its matches count as delivered.
    Confirm(ResolveArgs),
    /// 重发: send the held message ID again, whole, marked as a possible repeat.
    Resend(ResolveArgs),
}

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// The held message's number, as `jujiao watch held` shows it (`#3`: 3).
    pub id: i64,
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    #[arg(long, env = "JUJIAO_DB")]
    pub db: Option<String>,
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

/// One line for summaries: what was delivered, and what waits — held messages last and
/// loud, since nothing sends them until someone decides.
pub async fn summary(store: &dyn Store, sent: DeliverReport) -> anyhow::Result<String> {
    let stats = store.watch_stats().await?;
    let mut line = format!(
        "alerts: {} delivered in {} messages this run, {} failed sends; {} matches in all, {} deliveries done, {} waiting ({} after a failure)",
        sent.delivered,
        sent.messages,
        sent.failed,
        stats.matches,
        stats.delivered,
        stats.pending,
        stats.failing
    );
    if stats.held_messages > 0 {
        line.push_str(&format!(
            "; {} HELD message(s) of unknown outcome wait for the duty officer: see `jujiao watch held`",
            stats.held_messages
        ));
    }
    Ok(line)
}

/// Beijing time, as the messages show it.
fn beijing(t: chrono::DateTime<chrono::Utc>) -> String {
    jujiao_watch::message::beijing(t)
}

/// A held message for the terminal: a header line (`#ID`), why, its key, and its text,
/// each line of it after `    | `.
fn print_held(h: &HeldMessage) {
    println!(
        "#{}	{}	sent {} (Beijing)	held {}	{} match(es)",
        h.id,
        h.channel,
        beijing(h.sent_at),
        beijing(h.held_at),
        h.deliveries
    );
    println!("    why: {}", h.reason);
    println!("    key: {}", h.key);
    for line in h.text.lines() {
        println!("    | {line}");
    }
}

async fn open(
    config: &std::path::Path,
    db: Option<String>,
) -> anyhow::Result<(Config, Arc<dyn Store>)> {
    let config = Config::load(config)?;
    let db = db.unwrap_or_else(|| config.settings.database.clone());
    let store = jujiao_store::open_store(&db)
        .await
        .with_context(|| format!("while opening the database {db}"))?;
    Ok((config, store))
}

/// The duty officer's decision on a held message, audited.
async fn resolve(args: ResolveArgs, resolution: HeldResolution) -> anyhow::Result<ExitStatus> {
    let (_, store) = open(&args.config, args.db).await?;
    let resolved = store
        .resolve_held_message(args.id, resolution, chrono::Utc::now())
        .await
        .with_context(|| format!("while resolving held message #{}", args.id))?;
    let Some(h) = resolved else {
        eprintln!(
            "no held message #{} (already resolved?); `jujiao watch held` lists them",
            args.id
        );
        return Ok(ExitStatus::SomeFailed);
    };
    let (action, done) = match resolution {
        HeldResolution::Received => (
            jujiao_watch::AUDIT_HELD_RECEIVED,
            "marked delivered (已收到)".to_owned(),
        ),
        HeldResolution::Resend => (
            jujiao_watch::AUDIT_HELD_RESEND,
            "due again, to be sent marked as a possible repeat (重发) by the next deliverer"
                .to_owned(),
        ),
    };
    super::user::audit(
        store.as_ref(),
        action,
        &held_target(&h),
        &format!("{} 条匹配；原因：{}", h.deliveries, h.reason),
    )
    .await?;
    println!(
        "#{} ({}, {} match(es)): {done}",
        h.id, h.channel, h.deliveries
    );
    Ok(ExitStatus::Ok)
}

fn held_target(h: &HeldMessage) -> String {
    format!("watch message #{} ({})", h.id, h.channel)
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
            for h in store.held_messages().await? {
                println!(
                    "HELD #{}\t{}\tsent {} (Beijing)\t{} match(es)\t{}",
                    h.id,
                    h.channel,
                    beijing(h.sent_at),
                    h.deliveries,
                    h.reason
                );
            }
            Ok(ExitStatus::Ok)
        }
        Command::Held(args) => {
            let (_, store) = open(&args.config, args.db).await?;
            let held = store.held_messages().await?;
            if held.is_empty() {
                println!("no held messages");
                return Ok(ExitStatus::Ok);
            }
            println!(
                "{} message(s) held: their outcome is unknown. Look in the group, then \
                 `jujiao watch confirm ID` if it arrived (已收到), `jujiao watch resend ID` if not (重发).",
                held.len()
            );
            for h in &held {
                print_held(h);
            }
            Ok(ExitStatus::Ok)
        }
        Command::Confirm(args) => resolve(args, HeldResolution::Received).await,
        Command::Resend(args) => resolve(args, HeldResolution::Resend).await,
    }
}
