//! The crawler: for each configured source, list pages → new article pages → extracted
//! articles → the store; newspaper editions → their page PDFs → a zip in the tree.
//!
//! [`Crawler::new`] compiles every source's selectors before anything is fetched (a bad
//! selector is an error naming the source and key). [`Crawler::run_source`] runs one
//! source and returns its [`SourceReport`]; every failure of a page is data in that
//! report — counted, sampled, reflected in the health [`Verdict`] — never an abort.
//!
//! Crash safety comes from the order of effects: an article is recorded in the store in
//! its own transaction as soon as it is extracted; a list page's validators (ETag /
//! Last-Modified) are saved only after every new link on it was handled, so a run killed
//! at any instant is completed by the next run, which skips what is already stored.
//! Publishing to the tree is driven by the store afterwards (`jujiao-tree`).

mod api_source;
mod attachment;
mod check;
mod edition;
pub mod feed;
pub mod host_pause;
mod html_list;
mod json_list;
mod lists;
mod pipeline;
mod recheck;
mod record;
mod report;
pub mod shared_hosts;
mod tally;
pub mod urls;
pub mod worker;

pub use check::{Preview, check_line, explain};
pub use json_list::ListItem;
pub use report::{
    Event, Observer, Quiet, SKIPPED_BY_ROBOTS, SourceReport, Verdict, is_skipped_sample,
    skipped_sample,
};
pub use tally::Tally;
pub use worker::{Worker, WorkerOptions, WorkerReport};

use jujiao_config::{Config, Source, SourceKind};
use jujiao_extract::select::Selector;
use jujiao_extract::{RawRules, Rules};
use jujiao_fetch::Fetch;
use jujiao_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// Article pages fetched at once per source (the fetcher still enforces per-host limits).
pub const ARTICLE_CONCURRENCY: usize = 8;

/// A configuration problem found while compiling selectors.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("source \"{source_id}\": {key}: {message}")]
    Selector {
        source_id: String,
        key: String,
        message: String,
    },
    #[error("no source with id \"{0}\" in the configuration")]
    UnknownSource(String),
}

/// A source with its selectors compiled.
#[derive(Debug)]
struct Compiled {
    source: Source,
    rules: Option<Rules>,
    link: Option<Selector>,
    list_date: Option<Selector>,
    next: Option<Selector>,
    pdf_links: Option<Selector>,
    page_links: Option<Selector>,
    /// How list pages read links written by inline scripts.
    scripts: jujiao_extract::ScriptLinks,
}

/// Runs sources against a store through a fetcher.
pub struct Crawler {
    store: Arc<dyn Store>,
    fetcher: Arc<dyn Fetch>,
    sources: Vec<Compiled>,
    /// Root of the briefing tree (edition zips are written there).
    output: PathBuf,
    config: Config,
    /// Collects new articles' images and attachments; `None`: files are not collected.
    media: Option<jujiao_media::Collector>,
    /// Hosts that answered a verification page, not asked again for a while.
    pauses: host_pause::HostPauses,
    /// Where article pages whose body could not be found are kept for inspection.
    kept_pages: Option<PathBuf>,
    /// Tests recorded articles against the stored watch rules.
    watcher: jujiao_watch::Watcher,
}

impl std::fmt::Debug for Crawler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawler")
            .field("store", &self.store.location())
            .field("sources", &self.sources.len())
            .finish_non_exhaustive()
    }
}

/// What one run should do.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Read list pages and report what would be fetched; fetch and store no article.
    pub dry_run: bool,
    /// The day whose newspaper edition to collect; default: today in Asia/Shanghai.
    pub day: Option<chrono::NaiveDate>,
    /// The time re-checks of stored pages are judged against; default: the clock.
    /// Tests pass a time in the future instead of waiting.
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

impl Crawler {
    /// Compiles every source of `config`.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        fetcher: Arc<dyn Fetch>,
    ) -> Result<Crawler, CrawlError> {
        let sources = config
            .sources
            .iter()
            .map(compile)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Crawler {
            watcher: jujiao_watch::Watcher::new(store.clone()),
            store,
            fetcher,
            sources,
            output: config.settings.output.clone(),
            config,
            media: None,
            pauses: host_pause::HostPauses::default(),
            kept_pages: None,
        })
    }

    /// Also collect the images and attachments of the articles each run records.
    #[must_use]
    pub fn with_media(mut self, collector: jujiao_media::Collector) -> Self {
        self.media = Some(collector);
        self
    }

    /// Pause hosts that answer a verification page for `pause` instead of
    /// [`host_pause::CHALLENGE_PAUSE`].
    #[must_use]
    pub fn with_challenge_pause(mut self, pause: std::time::Duration) -> Self {
        self.pauses = host_pause::HostPauses::new(pause);
        self
    }

    /// Keep the bytes of article pages whose body cannot be found in `dir` (the binary
    /// uses `<file folder>/pages-without-body/`), so someone can see why; without it
    /// they are still counted and sampled in the report.
    #[must_use]
    pub fn with_kept_pages(mut self, dir: PathBuf) -> Self {
        self.kept_pages = Some(dir);
        self
    }

    /// Writes a page whose body could not be found into the kept-pages folder, named
    /// after its source and URL; the path written, or `None` (no folder, or the write
    /// failed: logged, the page is still reported).
    async fn keep_page_without_body(
        &self,
        source_id: &str,
        url: &str,
        bytes: &[u8],
    ) -> Option<PathBuf> {
        let dir = self.kept_pages.as_ref()?;
        let name: String = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(150)
            .collect();
        let path = dir.join(format!("{source_id}__{name}.html"));
        let written = async {
            tokio::fs::create_dir_all(dir).await?;
            tokio::fs::write(&path, bytes).await
        };
        match written.await {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!(source = source_id, url, error = %e, "cannot keep a page without body");
                None
            }
        }
    }

    /// The configuration the crawler runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Source ids in configuration order.
    pub fn source_ids(&self) -> Vec<String> {
        self.sources.iter().map(|c| c.source.id.clone()).collect()
    }

    /// Runs one source to the end; failures are in the report.
    pub async fn run_source(
        &self,
        id: &str,
        options: RunOptions,
        observer: &dyn Observer,
    ) -> Result<SourceReport, CrawlError> {
        let compiled = self
            .sources
            .iter()
            .find(|c| c.source.id == id)
            .ok_or_else(|| CrawlError::UnknownSource(id.to_owned()))?;
        let started = std::time::Instant::now();
        let mut report = SourceReport::new(&compiled.source);
        let run = if options.dry_run {
            None
        } else {
            match self.store.start_run(id).await {
                Ok(run) => Some(run),
                Err(e) => {
                    report.error(format!("cannot record the run: {e}"));
                    None
                }
            }
        };
        match &compiled.source.kind {
            SourceKind::Html(_) => {
                pipeline::run(self, compiled, options, observer, &mut report).await;
                recheck::run(self, compiled, options, observer, &mut report).await;
            }
            SourceKind::Edition(edition) => {
                edition::run(self, compiled, edition, options, observer, &mut report).await;
            }
            SourceKind::Json(_) | SourceKind::Form(_) | SourceKind::Feed(_) => {
                pipeline::run(self, compiled, options, observer, &mut report).await;
            }
        }
        report.elapsed = started.elapsed();
        report.decide_verdict();
        if let Some(run) = run
            && let Err(e) = self.store.finish_run(run, &report.to_summary()).await
        {
            report.error(format!("cannot record the run's summary: {e}"));
        }
        observer.event(id, Event::Finished);
        Ok(report)
    }
}

fn compile(source: &Source) -> Result<Compiled, CrawlError> {
    let id = &source.id;
    let sel = |key: &str, text: Option<&String>| -> Result<Option<Selector>, CrawlError> {
        text.map(|t| {
            Selector::parse(t).map_err(|e| CrawlError::Selector {
                source_id: id.clone(),
                key: key.to_owned(),
                message: e.to_string(),
            })
        })
        .transpose()
    };
    let mut compiled = Compiled {
        source: source.clone(),
        rules: None,
        link: None,
        list_date: None,
        next: None,
        pdf_links: None,
        page_links: None,
        scripts: jujiao_extract::ScriptLinks::Auto,
    };
    match &source.kind {
        SourceKind::Html(h) => {
            compiled.link = sel("link", h.link_selector.as_ref())?;
            compiled.list_date = sel("list_date", h.list_date_selector.as_ref())?;
            if let jujiao_config::Pagination::Next { selector, .. } = &h.pagination {
                compiled.next = sel("pagination.next", Some(selector))?;
            }
            compiled.scripts = match &h.script_links {
                jujiao_config::ScriptLinks::Off => jujiao_extract::ScriptLinks::Off,
                jujiao_config::ScriptLinks::Auto => jujiao_extract::ScriptLinks::Auto,
                jujiao_config::ScriptLinks::Pattern(p) => {
                    jujiao_extract::ScriptLinks::Pattern(p.clone())
                }
            };
        }
        SourceKind::Edition(e) => {
            compiled.pdf_links = sel("pdf_links", Some(&e.pdf_links))?;
            compiled.page_links = sel("page_links", e.page_links.as_ref())?;
        }
        SourceKind::Json(api) | SourceKind::Form(api) => {
            if let jujiao_config::ItemFormat::Html { link, list_date } = &api.items {
                compiled.link = sel("link", link.as_ref())?;
                compiled.list_date = sel("list_date", list_date.as_ref())?;
            }
        }
        SourceKind::Feed(_) => {}
    }
    compiled.rules = article_rules(source)?;
    Ok(compiled)
}

/// The compiled article rules of a source (`None` when it configures none, so
/// extraction is fully automatic; always `None` for edition sources).
pub fn article_rules(source: &Source) -> Result<Option<Rules>, CrawlError> {
    let a = match &source.kind {
        SourceKind::Html(h) => &h.article,
        SourceKind::Json(api) | SourceKind::Form(api) => &api.rules.article,
        SourceKind::Feed(f) => &f.rules.article,
        SourceKind::Edition(_) => return Ok(None),
    };
    let raw = RawRules {
        title: a.title.clone(),
        body: a.body.clone(),
        date: a.date.clone(),
        author: a.author.clone(),
        origin: a.origin.clone(),
        min_paragraph_chars: Some(a.min_paragraph_chars).filter(|n| *n > 0),
        drop_patterns: a.drop.clone(),
    };
    if raw == RawRules::default() {
        return Ok(None);
    }
    Rules::compile(&raw)
        .map(Some)
        .map_err(|e| CrawlError::Selector {
            source_id: source.id.clone(),
            key: "article".into(),
            message: e.to_string(),
        })
}

/// Maps settings of the sources file onto the fetcher's.
pub fn fetcher_config(config: &Config) -> jujiao_fetch::FetcherConfig {
    let s = &config.settings;
    let mut f = jujiao_fetch::FetcherConfig {
        user_agent: s.user_agent.clone(),
        max_body_bytes: usize::try_from(s.max_body_bytes).unwrap_or(usize::MAX),
        total_timeout: s.timeout,
        allow_private: s.allow_private,
        resolve: s.resolve.clone(),
        root_certificates: s.root_certificates.clone(),
        ..jujiao_fetch::FetcherConfig::default()
    };
    f.politeness.host_concurrency = s.concurrency_per_host;
    f.politeness.min_delay = s.delay;
    f.robots.is_ignored = !s.respect_robots;
    f
}

/// Registers each source's headers, cookies (from the environment) and delay with the
/// fetcher. A cookie whose variable is unset is reported, not fatal.
pub fn register_sources(
    config: &Config,
    fetcher: &jujiao_fetch::HttpFetcher,
) -> Result<Vec<String>, jujiao_fetch::FetchError> {
    let mut warnings = Vec::new();
    for source in &config.sources {
        let mut settings = jujiao_fetch::SourceSettings {
            headers: source
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            delay: source.delay,
            user_agent: source.user_agent.clone(),
            ..Default::default()
        };
        let scope = match &source.kind {
            SourceKind::Html(h) => h.list_urls.first().cloned(),
            SourceKind::Edition(e) => url::Url::parse(&e.edition_url.replace(['{', '}'], "")).ok(),
            SourceKind::Json(api) | SourceKind::Form(api) => {
                url::Url::parse(&api.url_for(api.first_page)).ok()
            }
            SourceKind::Feed(f) => f.feed_urls.first().cloned(),
        };
        // `Path=/`: the cookie goes with every page of the site, not only the pages
        // under the list URL's directory (the jar's default path).
        for (name, var) in &source.cookies_env {
            match (std::env::var(var), &scope) {
                (Ok(value), Some(url)) => settings
                    .cookies
                    .push((url.clone(), format!("{name}={value}; Path=/"))),
                _ => warnings.push(format!(
                    "source \"{}\": cookie {name}: environment variable {var} is not set",
                    source.id
                )),
            }
        }
        fetcher.register_source(source.id.clone(), settings)?;
    }
    Ok(warnings)
}
