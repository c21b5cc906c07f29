//! The subcommands. Each module parses nothing itself: clap gives it typed arguments,
//! it returns an [`ExitStatus`] or an error (which `main` turns into exit code 2).

mod crawl;
mod demo;
mod export;
mod extract;
mod import;
mod media;
mod progress;
mod publish;
mod reach;
mod search;
mod serve;
mod sources;
mod user;
mod watch;
mod worker;

use crate::ExitStatus;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::sync::Arc;

/// 聚焦 jujiao — collects, files and serves the daily news briefing.
#[derive(Debug, Parser)]
#[command(name = "jujiao", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). `JUJIAO_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole job offline on a bundled demo site (start here).
    Demo(demo::Args),
    /// Collect new articles from the configured sources, then publish them.
    Crawl(crawl::Args),
    /// Extract articles from saved pages and print them as JSON.
    Extract(extract::Args),
    /// Export the briefing for a day or a range: zip, xlsx, docx, md or jsonl.
    Export(export::Args),
    /// Import an old briefing tree (legacy files) into the store.
    Import(import::Args),
    /// Write the store's filings as a briefing tree in the legacy format.
    Publish(publish::Args),
    /// Search the collected articles (Chinese full text).
    Search(search::SearchArgs),
    /// Rebuild the search index from the store.
    Reindex(search::IndexArgs),
    /// Serve the newsroom web app and run sources on their intervals.
    Serve(serve::Args),
    /// Share one crawl with other workers through the database (PostgreSQL for several
    /// machines): claims due list and article pages, keeps hosts polite across workers.
    Worker(worker::Args),
    /// Check the sources: what each will request, and a preview of its first items.
    #[command(subcommand)]
    Sources(sources::Command),
    /// People of the web app: add, list, passwd, disable, enable, role.
    #[command(subcommand)]
    User(user::Command),
    /// Watch-lists: deliver due alerts, show rules and delivery counts, resolve held
    /// messages.
    #[command(subcommand)]
    Watch(watch::Command),
}

/// Runs a subcommand on a fresh multi-threaded runtime.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    // Extraction is synchronous CPU work: no runtime needed.
    if let Command::Extract(args) = &cli.command {
        return extract::run(args);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Crawl(args) => crawl::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Publish(args) => publish::run(args).await,
            Command::Search(args) => search::search(args).await,
            Command::Reindex(args) => search::reindex(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Worker(args) => worker::run(args).await,
            Command::Sources(command) => sources::run(command).await,
            Command::User(command) => user::run(command).await,
            Command::Watch(command) => watch::run(command).await,
            Command::Extract(_) => unreachable!("handled before the runtime starts"),
        }
    })
}

/// True when writing to standard output failed because its reader stopped reading
/// (`jujiao search 工作 | head`): not an error, the command ends quietly. Only for
/// standard output: a closed network connection is a failure like any other.
fn reader_stopped(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// The database option every store-using command shares.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// The database: a SQLite file path (created if missing) or an `sqlite:` URL.
    #[arg(long, env = "JUJIAO_DB", default_value = jujiao_store::DEFAULT_DB)]
    pub db: String,
    /// Folder of stored images and attachments; default: `<db>.files` beside an SQLite
    /// database (PostgreSQL needs it named).
    #[arg(long, env = "JUJIAO_FILES")]
    pub files: Option<std::path::PathBuf>,
}

impl DbArgs {
    pub async fn open(&self) -> anyhow::Result<Arc<dyn jujiao_store::Store>> {
        jujiao_store::open_store(&self.db)
            .await
            .with_context(|| format!("while opening the database {}", self.db))
    }

    /// The stored-files folder, if one is named or implied by the database.
    pub fn file_store(&self) -> Option<jujiao_media::FileStore> {
        match &self.files {
            Some(dir) => Some(jujiao_media::FileStore::new(dir)),
            None => media::file_store(None, &self.db),
        }
    }
}
