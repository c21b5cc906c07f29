//! `jujiao demo`: the whole job, offline, in seconds. Serves the bundled demo site on
//! 127.0.0.1 (a free port), crawls it with the bundled sources file into
//! `./demo-output/` (database + briefing tree), prints the summary and where to look.

use crate::ExitStatus;
use anyhow::Context;
use chrono::Utc;
use jujiao_config::Config;
use jujiao_demosite::DemoSite;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the demo writes its database, sources file and briefing tree.
    #[arg(long, default_value = "demo-output")]
    pub out: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("while creating {}", args.out.display()))?;
    let today = Utc::now()
        .with_timezone(&jujiao_model::shanghai())
        .date_naive();
    let port_file = args.out.join("demo-site-port");
    let port = std::fs::read_to_string(&port_file)
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok());
    let site = DemoSite::start_on(today, port)
        .await
        .context("while starting the demo site on 127.0.0.1")?;
    jujiao_legacy::write_atomic(&port_file, site.port().to_string().as_bytes())
        .context("while remembering the demo site's port")?;
    let tree = args.out.join("briefing");
    let db = args.out.join("jujiao.db");
    let config_path = args.out.join("jujiao.toml");
    let text = site.config_toml(&tree.to_string_lossy(), &db.to_string_lossy());
    jujiao_legacy::write_atomic(&config_path, text.as_bytes())
        .with_context(|| format!("while writing {}", config_path.display()))?;
    let config = Config::parse(&text, &config_path)?;
    println!(
        "demo site: {} ({} articles, a GBK site, a newspaper edition, a 500 and a missing page)",
        site.base_url(),
        site.article_count()
    );
    println!("sources file: {}", config_path.display());

    let reports = super::crawl::crawl(
        config,
        &db.to_string_lossy(),
        &[],
        jujiao_crawl::RunOptions {
            dry_run: false,
            day: Some(today),
            now: None,
        },
    )
    .await?;
    let new: u64 = reports.iter().map(|r| r.new).sum();
    println!();
    println!("collected {new} new items; look at:");
    println!("  briefing tree   {}", tree.display());
    println!("  database        {}", db.display());
    println!("  sources file    {}", config_path.display());
    println!(
        "the errors above are the demo site's deliberate faults (a page failing with 500, a missing page, \
         an HTML error page served as a PDF, a page robots.txt forbids); run `jujiao demo` again to see an \
         incremental run: list pages answer 304 and nothing is fetched twice."
    );
    Ok(ExitStatus::Ok)
}
