//! The newsroom web app behind `jujiao serve`: the day's briefing by column, article
//! pages with their revisions and sources, full-text search, the sources and their
//! health with a "run now" button, RSS/Atom feeds, exports and a JSON API — plus the
//! scheduler that runs every source on its interval inside the same process.
//!
//! Pieces and how they fit:
//! - [`AppState`] holds the [`Store`], the configured sources ([`SourceInfo`]), the
//!   optional search [`Indexer`], the optional [`SchedulerHandle`] and the admin token;
//!   [`router`] turns it into an axum router (pages in `briefing`, `search_page`,
//!   `sources`, `feeds`, `export_page`, JSON in `api`; security headers and the token
//!   check in `security`; users, sessions, CSRF and the audit log in [`auth`]).
//! - [`scheduler`] runs each source on its interval through a [`SourceRunner`];
//!   [`CrawlRunner`] is the real one (crawl, publish the legacy tree, index what the run
//!   added or revised), tests use fakes and tokio's paused clock.
//! - [`run_server`] wires it all from a sources file and a database, for the binary.
//!
//! Everything crawled is plain text and is escaped on output (templates autoescape);
//! the only HTML rendered unescaped is the search crate's highlighted title and snippet,
//! which that crate escapes itself.

mod api;
pub mod auth;
mod briefing;
mod desk;
mod error;
mod export_page;
mod feeds;
mod files;
mod runner;
pub mod scheduler;
mod search_page;
mod security;
mod server;
mod sources;
mod view;
mod watch_held;
mod watch_page;
mod workers_page;

pub use error::WebError;
pub use runner::{AfterCrawl, AfterCrawlReport, CrawlRunner, indexer_beside};
pub use scheduler::{RunResult, SchedulerHandle, SourceRunner, SourceStatus, TriggerOutcome};
pub use search_page::Indexer;
pub use security::{ADMIN_TOKEN_ENV, AdminToken, TokenOrigin};
pub use server::{DEFAULT_LISTEN, ServeOptions, run_server};

use axum::Router;
use jujiao_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// A configured source as the web app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub id: String,
    pub name: String,
    pub column: String,
    pub interval: Duration,
}

impl SourceInfo {
    /// The parts of a configured source the web app needs.
    pub fn from_config(source: &jujiao_config::Source) -> SourceInfo {
        SourceInfo {
            id: source.id.clone(),
            name: source.name.clone(),
            column: source.column.clone(),
            interval: source.interval,
        }
    }
}

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    sources: Vec<SourceInfo>,
    indexer: Option<Arc<Indexer>>,
    scheduler: Option<SchedulerHandle>,
    admin_token: Option<AdminToken>,
    files: Option<jujiao_media::FileStore>,
    /// Channels, rules and leaders of the sources file (the 关注 and 领导活动 pages).
    watch: Option<Arc<jujiao_config::WatchSettings>>,
    templates: minijinja::Environment<'static>,
    auth: auth::AuthSettings,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.inner.store.location())
            .field("sources", &self.inner.sources.len())
            .field("search", &self.inner.indexer.is_some())
            .field("scheduler", &self.inner.scheduler.is_some())
            .field("admin_token", &self.inner.admin_token.is_some())
            .finish()
    }
}

/// Builds an [`AppState`].
#[derive(Debug)]
pub struct AppStateBuilder {
    store: Arc<dyn Store>,
    sources: Vec<SourceInfo>,
    indexer: Option<Arc<Indexer>>,
    scheduler: Option<SchedulerHandle>,
    admin_token: Option<AdminToken>,
    files: Option<jujiao_media::FileStore>,
    auth: auth::AuthSettings,
    watch: Option<Arc<jujiao_config::WatchSettings>>,
}

impl AppStateBuilder {
    /// How sign-in works: `public_read`, `https`, session lifetimes, login limits, the
    /// clock (default: [`auth::AuthSettings::default`]).
    pub fn auth(mut self, auth: auth::AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    /// The sources file's channels and leaders, for the 关注 and 领导活动 pages.
    pub fn watch(mut self, watch: jujiao_config::WatchSettings) -> Self {
        self.watch = Some(Arc::new(watch));
        self
    }

    /// Serves stored images and attachments from this folder (without it, articles
    /// show their files' names and links to the originals only).
    pub fn files(mut self, files: Option<jujiao_media::FileStore>) -> Self {
        self.files = files;
        self
    }

    /// Enables search (without it the search pages answer 503 "搜索功能尚未启用").
    pub fn indexer(mut self, indexer: Arc<Indexer>) -> Self {
        self.indexer = Some(indexer);
        self
    }

    /// Enables "run now" and next-run times.
    pub fn scheduler(mut self, scheduler: SchedulerHandle) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// The token state-changing requests must carry; without one they are refused.
    pub fn admin_token(mut self, token: Option<AdminToken>) -> Self {
        self.admin_token = token;
        self
    }

    pub fn build(self) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store: self.store,
                sources: self.sources,
                indexer: self.indexer,
                scheduler: self.scheduler,
                admin_token: self.admin_token,
                files: self.files,
                watch: self.watch,
                templates: view::environment(),
                auth: self.auth,
            }),
        }
    }
}

impl AppState {
    /// Starts building a state over `store` showing `sources`.
    pub fn builder(store: Arc<dyn Store>, sources: Vec<SourceInfo>) -> AppStateBuilder {
        AppStateBuilder {
            store,
            sources,
            indexer: None,
            scheduler: None,
            admin_token: None,
            files: None,
            auth: auth::AuthSettings::default(),
            watch: None,
        }
    }

    pub(crate) fn auth(&self) -> &auth::AuthSettings {
        &self.inner.auth
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    pub(crate) fn sources(&self) -> &[SourceInfo] {
        &self.inner.sources
    }

    pub(crate) fn indexer(&self) -> Option<&Arc<Indexer>> {
        self.inner.indexer.as_ref()
    }

    pub(crate) fn scheduler(&self) -> Option<&SchedulerHandle> {
        self.inner.scheduler.as_ref()
    }

    pub(crate) fn admin_token(&self) -> Option<&AdminToken> {
        self.inner.admin_token.as_ref()
    }

    pub(crate) fn files(&self) -> Option<&jujiao_media::FileStore> {
        self.inner.files.as_ref()
    }

    pub(crate) fn watch(&self) -> Option<&jujiao_config::WatchSettings> {
        self.inner.watch.as_deref()
    }

    pub(crate) fn templates(&self) -> &minijinja::Environment<'static> {
        &self.inner.templates
    }

    /// The display name of a source id (`legacy` is the import of old files).
    pub(crate) fn source_name(&self, id: &str) -> String {
        if id == "legacy" {
            return "历史文件导入".to_owned();
        }
        self.inner
            .sources
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_owned(), |s| s.name.clone())
    }
}

/// Every route of the app, with the security headers on every response.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(briefing::routes())
        .merge(search_page::routes())
        .merge(sources::routes())
        .merge(workers_page::routes())
        .merge(watch_page::routes())
        .merge(watch_held::routes())
        .merge(feeds::routes())
        .merge(export_page::routes())
        .merge(desk::routes())
        .merge(files::routes())
        .merge(api::routes())
        .merge(auth::routes())
        .merge(view::asset_routes())
        .fallback(view::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            watch_held::count_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::layer,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}
