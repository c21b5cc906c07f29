//! `jujiao demo`: the whole job, offline, in seconds. Serves the bundled demo site on
//! 127.0.0.1 (a free port), crawls it with the bundled sources file into
//! `./demo-output/` (database + briefing tree), prints the summary and where to look.

use crate::ExitStatus;
use anyhow::Context;
use chrono::Utc;
use jujiao_config::Config;
use jujiao_demosite::DemoSite;
use std::path::PathBuf;

/// The demo's watch-list: one rule, delivered to the demo site's webhook.
const DEMO_WATCH: &str = r#"
[web]
base_url = "http://127.0.0.1:8080"

[[channel]]
name = "演示值班群"
kind = "webhook"
url = "{base}/hooks/alerts"

[[watch]]
name = "区委常委会"
query = "\"区委常委会\" | \"区委书记\""
channels = ["演示值班群"]
"#;

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
    let mut text = site.config_toml(&tree.to_string_lossy(), &db.to_string_lossy());
    // A watch rule and a channel to the demo site's own webhook: alerts are part of
    // the tour.
    text.push_str(&DEMO_WATCH.replace("{base}", &site.base_url()));
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
    let new: u64 = reports.iter().map(|r| r.tally.new).sum();
    let alerts = site.alerts_received();
    let items: Vec<String> = alerts
        .iter()
        .filter_map(|body| serde_json::from_str::<serde_json::Value>(body).ok())
        .flat_map(|v| {
            v["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| {
                            format!(
                                "{} · {}",
                                i["rule"].as_str().unwrap_or(""),
                                i["title"].as_str().unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .collect();
    println!();
    println!(
        "watch rule \"区委常委会\": the demo webhook received {} alerts in {} messages this run",
        items.len(),
        alerts.len()
    );
    for item in items.iter().take(5) {
        println!("  {item}");
    }
    if items.len() > 5 {
        println!("  … and {} more", items.len() - 5);
    }
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
