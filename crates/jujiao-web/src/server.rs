//! [`run_server`]: everything `jujiao serve` does — open the store and the search
//! index, build the crawler and the scheduler, listen, serve until Ctrl-C.

use crate::scheduler::{Planned, SchedulerHandle};
use crate::{
    AdminToken, AppState, CrawlRunner, Indexer, SourceInfo, TokenOrigin, WebError, router,
};
use jujiao_config::Config;
use jujiao_crawl::Crawler;
use jujiao_fetch::HttpFetcher;
use jujiao_search::SearchIndex;
use jujiao_tree::PublishOptions;
use std::path::PathBuf;
use std::sync::Arc;

/// Where `jujiao serve` listens unless told otherwise: this machine only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// What `jujiao serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The sources file.
    pub config: PathBuf,
    /// The database; default: the sources file's `settings.database`.
    pub db: Option<String>,
    /// `host:port`.
    pub listen: String,
    /// The search index directory; default: beside the database (`<db>.search`).
    pub index_dir: Option<PathBuf>,
    /// Run sources on their intervals (off: browse only).
    pub is_scheduling: bool,
}

/// Serves until Ctrl-C.
pub async fn run_server(options: ServeOptions) -> Result<(), WebError> {
    let config = Config::load(&options.config).map_err(|source| WebError::Config {
        path: options.config.clone(),
        source,
    })?;
    let db = options
        .db
        .clone()
        .unwrap_or_else(|| config.settings.database.clone());
    let store = jujiao_store::open_store(&db)
        .await
        .map_err(|source| WebError::Store {
            db: db.clone(),
            source,
        })?;
    let sources: Vec<SourceInfo> = config.sources.iter().map(SourceInfo::from_config).collect();
    // Briefing series of the sources file not yet stored (admins' edits are kept).
    let seeded = store
        .seed_series(&config.briefings)
        .await
        .map_err(|source| WebError::StoreQuery {
            db: db.clone(),
            what: "seeding the briefing series",
            source,
        })?;
    if seeded > 0 {
        tracing::info!(
            series = seeded,
            "briefing series added from the sources file"
        );
    }

    let index_dir = options
        .index_dir
        .clone()
        .or_else(|| jujiao_search::index_dir_for_db(&db))
        .unwrap_or_else(|| PathBuf::from("jujiao.search"));
    let index = SearchIndex::open(&index_dir).map_err(|source| WebError::Search {
        dir: index_dir.clone(),
        source,
    })?;
    let mark = PathBuf::from(format!("{}.indexed", index_dir.display()));
    let indexer = Arc::new(Indexer::new(index, Arc::clone(&store), Some(mark)));
    {
        let indexer = Arc::clone(&indexer);
        tokio::spawn(async move {
            match indexer.catch_up().await {
                Ok(n) => tracing::info!(articles = n, "search index up to date"),
                Err(e) => tracing::error!(error = %e, "search index catch-up failed"),
            }
        });
    }

    let env_token = std::env::var(crate::ADMIN_TOKEN_ENV).ok();
    let admin_token =
        match AdminToken::resolve(env_token.as_deref(), config.web.admin_token.as_ref())
            .map_err(WebError::AdminToken)?
        {
            Some((token, origin)) => {
                if origin == TokenOrigin::Environment && config.web.admin_token.is_some() {
                    tracing::info!("admin token from {origin} (overrides [web] admin_token)");
                } else {
                    tracing::info!("admin token from {origin}");
                }
                Some(token)
            }
            None => {
                tracing::warn!(
                    "no admin token ([web] admin_token or {}): \"run now\" is disabled",
                    crate::ADMIN_TOKEN_ENV
                );
                None
            }
        };
    match store.users().await {
        Ok(users) if users.iter().all(|u| u.is_disabled) => tracing::warn!(
            "no users yet: nobody can sign in to change things; add the first admin with \
             `jujiao user add NAME --role admin`"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "cannot list users"),
    }
    // Stored images and attachments: `settings.files`, else beside an SQLite database.
    let files = config
        .settings
        .files
        .clone()
        .map(jujiao_media::FileStore::new)
        .or_else(|| jujiao_media::FileStore::beside_database(&db));
    let mut builder = AppState::builder(Arc::clone(&store), sources)
        .auth(crate::auth::AuthSettings::from_config(&config.web))
        .indexer(Arc::clone(&indexer))
        .admin_token(admin_token)
        .files(files.clone())
        .watch(config.watch.clone());
    // The file's watch rules into the store, and alerts sent while serving.
    let rules: Vec<_> = config
        .watch
        .rules
        .iter()
        .map(|r| jujiao_watch::stored_rule(r, jujiao_store::RuleOrigin::Config))
        .collect();
    store
        .sync_config_watch_rules(&rules)
        .await
        .map_err(|source| WebError::StoreQuery {
            db: db.clone(),
            what: "saving the watch rules",
            source,
        })?;
    let alert_options =
        jujiao_watch::DeliverOptions::for_config(format!("serve-{}", std::process::id()), &config);
    match jujiao_watch::Deliverer::new(Arc::clone(&store), &config.watch.channels, alert_options) {
        Ok(deliverer) => {
            let (_keep, stop) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                let _keep = _keep;
                deliverer.run(std::time::Duration::from_secs(2), stop).await;
            });
        }
        Err(e) => tracing::warn!(error = %e, "alerts are not delivered by this server"),
    }

    if options.is_scheduling && !config.sources.is_empty() {
        let fetcher = HttpFetcher::new(jujiao_crawl::fetcher_config(&config));
        for warning in jujiao_crawl::register_sources(&config, &fetcher)? {
            tracing::warn!("{warning}");
        }
        let publish = PublishOptions {
            out: config.settings.output.clone(),
            date_style: config.settings.date_folder,
            mode: config.settings.filenames,
            files: files.clone(),
            ..PublishOptions::default()
        };
        let last_runs = store
            .last_runs()
            .await
            .map_err(|source| WebError::StoreQuery {
                db: db.clone(),
                what: "reading the last runs",
                source,
            })?;
        let planned: Vec<Planned> = config
            .sources
            .iter()
            .map(|s| Planned {
                id: s.id.clone(),
                interval: s.interval,
                last_start: last_runs
                    .iter()
                    .find(|r| r.source_id == s.id)
                    .map(|r| r.started_at),
            })
            .collect();
        let fetcher: Arc<dyn jujiao_fetch::Fetch> = Arc::new(fetcher);
        let media = match (&files, config.settings.media) {
            (Some(files), true) => Some(jujiao_media::Collector::new(
                Arc::clone(&fetcher),
                Arc::clone(&store),
                files.clone(),
                jujiao_media::MediaSettings {
                    max_file_bytes: config.settings.media_max_file_bytes,
                    max_article_bytes: config.settings.media_max_article_bytes,
                },
            )),
            _ => None,
        };
        let mut crawler = Crawler::new(config, Arc::clone(&store), fetcher)?;
        if let Some(collector) = media {
            crawler = crawler.with_media(collector);
        }
        let crawler = Arc::new(crawler);
        let runner: Arc<dyn crate::SourceRunner> = Arc::new(CrawlRunner::new(
            crawler,
            Arc::clone(&store),
            publish,
            Some(Arc::clone(&indexer)),
        ));
        builder = builder.scheduler(SchedulerHandle::start(planned, &runner));
    }
    let state = builder.build();

    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|source| WebError::Listen {
            addr: options.listen.clone(),
            source,
        })?;
    tracing::info!(listen = %options.listen, db = %store.location(), "serving");
    eprintln!("jujiao serve: http://{}/", options.listen);
    // The peer address feeds the per-address login limit.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(WebError::Serve)
}
