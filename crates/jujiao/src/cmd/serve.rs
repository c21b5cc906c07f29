//! `jujiao serve`: the newsroom web app and the crawl scheduler (see `jujiao-web`).

use crate::ExitStatus;
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The sources file.
    #[arg(long, default_value = jujiao_config::DEFAULT_CONFIG_FILE)]
    pub config: PathBuf,
    /// The database; default: `settings.database` of the sources file.
    #[arg(long, env = "JUJIAO_DB")]
    pub db: Option<String>,
    /// Address to listen on. The default serves this machine only; "run now" needs the
    /// admin token: `[web] admin_token` in the sources file, or the JUJIAO_ADMIN_TOKEN
    /// environment variable (which overrides it).
    #[arg(long, default_value = jujiao_web::DEFAULT_LISTEN)]
    pub listen: String,
    /// The search index directory; default: beside the database (`<db>.search`).
    #[arg(long)]
    pub index: Option<PathBuf>,
    /// Browse only: do not run sources on their intervals.
    #[arg(long)]
    pub no_schedule: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    jujiao_web::run_server(jujiao_web::ServeOptions {
        config: args.config,
        db: args.db,
        listen: args.listen.clone(),
        index_dir: args.index,
        is_scheduling: !args.no_schedule,
    })
    .await
    .with_context(|| format!("while serving on {}", args.listen))?;
    Ok(ExitStatus::Ok)
}
