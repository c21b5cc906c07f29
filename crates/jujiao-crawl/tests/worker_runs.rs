#![allow(clippy::unwrap_used)]
//! A worker's run and the articles it queued: whatever the timing, the run's figures
//! are those of all its articles. The store here holds `finish_run` back for a while
//! (a slow database), so the visit's articles are due and fetched by the other tasks
//! before the visiting task's `finish_run` lands.

use chrono::{DateTime, NaiveDate, Utc};
use jujiao_config::Config;
use jujiao_crawl::shared_hosts::{without_source_delays, worker_fetcher_config};
use jujiao_crawl::{Worker, WorkerOptions};
use jujiao_demosite::farm::{Farm, FarmShape};
use jujiao_fetch::HttpFetcher;
use jujiao_model::{IssuedText, SeriesSettings};
use jujiao_store::{
    ArticleFile, ArticleFileEntry, ArticleId, ArticleRecord, ArticleSource, ArticleStore, CrawlLog,
    FileCatalog, FileRole, FiledArticle, FilingCount, FilingQuery, HostHold, HostSlot, HostSlots,
    ListPageSeed, NewWork, PageCheck, QueueStats, RecordOutcome, Result, Revision, Run, RunId,
    RunSummary, SqliteStore, Store, StoreStats, StoredArticle, StoredFile, StoredPage, Validators,
    WorkId, WorkItem, WorkKind, WorkQueue, WorkerStatus,
};
use jujiao_store::{
    ArticleUse, BriefingStore, Draft, Issue, IssueId, IssueOutcome, IssueQuery, IssueSummary,
    SaveOutcome, Series, SeriesId,
};
use jujiao_store::{
    AuditEntry, AuditRecord, LoginAttempt, LoginFailures, NewSession, NewUser, PasswordHash, Role,
    Session, SessionKey, User, UserId, UserStore,
};
use jujiao_store::{
    Delivery, DeliveryId, NewWatchMatch, SendSlot, StoredWatchRule, WatchMatch, WatchStats,
    WatchStore,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A store whose `finish_run` waits `.1` before it is done.
#[derive(Debug)]
struct SlowFinish(Arc<dyn Store>, Duration);

/// Users and sessions are not what this test is about: straight through.
#[async_trait::async_trait]
impl UserStore for SlowFinish {
    async fn add_user(&self, user: &NewUser) -> Result<Option<UserId>> {
        self.0.add_user(user).await
    }
    async fn user_by_name(&self, name: &str) -> Result<Option<User>> {
        self.0.user_by_name(name).await
    }
    async fn users(&self) -> Result<Vec<User>> {
        self.0.users().await
    }
    async fn set_password(&self, user: UserId, hash: &PasswordHash) -> Result<bool> {
        self.0.set_password(user, hash).await
    }
    async fn set_disabled(&self, user: UserId, is_disabled: bool) -> Result<bool> {
        self.0.set_disabled(user, is_disabled).await
    }
    async fn set_role(&self, user: UserId, role: Role) -> Result<bool> {
        self.0.set_role(user, role).await
    }
    async fn start_session(&self, session: &NewSession) -> Result<()> {
        self.0.start_session(session).await
    }
    async fn session(&self, key: &SessionKey) -> Result<Option<Session>> {
        self.0.session(key).await
    }
    async fn touch_session(&self, key: &SessionKey, at: DateTime<Utc>) -> Result<()> {
        self.0.touch_session(key, at).await
    }
    async fn end_session(&self, key: &SessionKey) -> Result<()> {
        self.0.end_session(key).await
    }
    async fn prune_sessions(
        &self,
        expires_before: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
    ) -> Result<u64> {
        self.0
            .prune_sessions(expires_before, idle_before, attempts_before)
            .await
    }
    async fn record_login_attempt(&self, attempt: &LoginAttempt) -> Result<()> {
        self.0.record_login_attempt(attempt).await
    }
    async fn login_failures(
        &self,
        name: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<LoginFailures> {
        self.0.login_failures(name, address, since).await
    }
    async fn record_audit(&self, entry: &AuditEntry, at: DateTime<Utc>) -> Result<i64> {
        self.0.record_audit(entry, at).await
    }
    async fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditRecord>> {
        self.0.audit_log(limit, before).await
    }
}

/// Briefings are not what this test is about: straight through.
#[async_trait::async_trait]
impl BriefingStore for SlowFinish {
    async fn seed_series(&self, series: &[SeriesSettings]) -> Result<u64> {
        self.0.seed_series(series).await
    }
    async fn series_list(&self) -> Result<Vec<Series>> {
        self.0.series_list().await
    }
    async fn update_series(
        &self,
        id: SeriesId,
        settings: &SeriesSettings,
        by: &str,
    ) -> Result<bool> {
        self.0.update_series(id, settings, by).await
    }
    async fn create_draft(
        &self,
        series: SeriesId,
        draft: &Draft,
        by: &str,
    ) -> Result<Option<Issue>> {
        self.0.create_draft(series, draft, by).await
    }
    async fn start_correction(&self, of: IssueId, by: &str) -> Result<Option<Issue>> {
        self.0.start_correction(of, by).await
    }
    async fn issue(&self, id: IssueId) -> Result<Option<Issue>> {
        self.0.issue(id).await
    }
    async fn issues(&self, query: &IssueQuery) -> Result<Vec<IssueSummary>> {
        self.0.issues(query).await
    }
    async fn save_draft(
        &self,
        id: IssueId,
        expected: i64,
        draft: &Draft,
        by: &str,
    ) -> Result<SaveOutcome> {
        self.0.save_draft(id, expected, draft, by).await
    }
    async fn delete_draft(&self, id: IssueId, expected: i64) -> Result<SaveOutcome> {
        self.0.delete_draft(id, expected).await
    }
    async fn issue_draft(
        &self,
        id: IssueId,
        expected: i64,
        text: &IssuedText,
        by: &str,
    ) -> Result<IssueOutcome> {
        self.0.issue_draft(id, expected, text, by).await
    }
    async fn article_uses(
        &self,
        series: SeriesId,
        articles: &[ArticleId],
    ) -> Result<Vec<ArticleUse>> {
        self.0.article_uses(series, articles).await
    }
}

impl Store for SlowFinish {
    fn location(&self) -> &str {
        self.0.location()
    }
}

#[async_trait::async_trait]
impl ArticleStore for SlowFinish {
    async fn record_articles(&self, batch: &[ArticleRecord]) -> Result<Vec<RecordOutcome>> {
        self.0.record_articles(batch).await
    }

    async fn filed_articles(&self, query: &FilingQuery) -> Result<Vec<FiledArticle>> {
        self.0.filed_articles(query).await
    }

    async fn filing_counts(
        &self,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Vec<FilingCount>> {
        self.0.filing_counts(since, until).await
    }

    async fn article(&self, id: ArticleId) -> Result<Option<StoredArticle>> {
        self.0.article(id).await
    }

    async fn revisions(&self, id: ArticleId) -> Result<Vec<Revision>> {
        self.0.revisions(id).await
    }

    async fn sources_of(&self, id: ArticleId) -> Result<Vec<ArticleSource>> {
        self.0.sources_of(id).await
    }

    async fn known_urls(&self, urls: &[String]) -> Result<HashSet<String>> {
        self.0.known_urls(urls).await
    }

    async fn stats(&self) -> Result<StoreStats> {
        self.0.stats().await
    }
}

#[async_trait::async_trait]
impl CrawlLog for SlowFinish {
    async fn list_page_validators(&self, url: &str) -> Result<Option<Validators>> {
        self.0.list_page_validators(url).await
    }

    async fn set_list_page_validators(&self, url: &str, validators: &Validators) -> Result<()> {
        self.0.set_list_page_validators(url, validators).await
    }

    async fn recheck_candidates(
        &self,
        source_id: &str,
        seen_since: DateTime<Utc>,
    ) -> Result<Vec<StoredPage>> {
        self.0.recheck_candidates(source_id, seen_since).await
    }

    async fn record_page_checks(&self, checks: &[PageCheck]) -> Result<()> {
        self.0.record_page_checks(checks).await
    }

    async fn start_run(&self, source_id: &str) -> Result<RunId> {
        self.0.start_run(source_id).await
    }

    async fn finish_run(&self, run: RunId, summary: &RunSummary) -> Result<()> {
        tokio::time::sleep(self.1).await;
        self.0.finish_run(run, summary).await
    }

    async fn recent_runs(&self, source_id: &str, limit: u32) -> Result<Vec<Run>> {
        self.0.recent_runs(source_id, limit).await
    }

    async fn last_runs(&self) -> Result<Vec<Run>> {
        self.0.last_runs().await
    }

    async fn add_to_run(&self, run: RunId, tally: &RunSummary) -> Result<()> {
        self.0.add_to_run(run, tally).await
    }
}

#[async_trait::async_trait]
impl WorkQueue for SlowFinish {
    async fn schedule_work(&self, items: &[NewWork]) -> Result<()> {
        self.0.schedule_work(items).await
    }

    async fn seed_list_pages(&self, pages: &[ListPageSeed]) -> Result<u64> {
        self.0.seed_list_pages(pages).await
    }

    async fn renew_leases(
        &self,
        worker: &str,
        ids: &[WorkId],
        lease: Duration,
    ) -> Result<Vec<WorkId>> {
        self.0.renew_leases(worker, ids, lease).await
    }

    async fn claim_due_work(
        &self,
        worker: &str,
        kinds: &[WorkKind],
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<WorkItem>> {
        self.0.claim_due_work(worker, kinds, limit, lease).await
    }

    async fn complete_work(
        &self,
        id: WorkId,
        worker: &str,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        self.0.complete_work(id, worker, next_due).await
    }

    async fn release_expired_leases(&self) -> Result<u64> {
        self.0.release_expired_leases().await
    }

    async fn queue_stats(&self) -> Result<QueueStats> {
        self.0.queue_stats().await
    }

    async fn report_worker(&self, status: &WorkerStatus) -> Result<()> {
        self.0.report_worker(status).await
    }

    async fn workers(&self) -> Result<Vec<WorkerStatus>> {
        self.0.workers().await
    }
}

#[async_trait::async_trait]
impl HostSlots for SlowFinish {
    async fn claim_host_slot(
        &self,
        host: &str,
        interval: Duration,
        concurrency: u32,
    ) -> Result<HostSlot> {
        self.0.claim_host_slot(host, interval, concurrency).await
    }

    async fn hold_host_slot(
        &self,
        host: &str,
        holder: &str,
        concurrency: u32,
        hold: Duration,
    ) -> Result<HostHold> {
        self.0.hold_host_slot(host, holder, concurrency, hold).await
    }

    async fn release_host_slot(
        &self,
        host: &str,
        slot: u32,
        holder: &str,
        gap: Duration,
    ) -> Result<bool> {
        self.0.release_host_slot(host, slot, holder, gap).await
    }

    async fn renew_host_holds(
        &self,
        holder: &str,
        slots: &[(String, u32)],
        hold: Duration,
    ) -> Result<u64> {
        self.0.renew_host_holds(holder, slots, hold).await
    }

    async fn pause_host(&self, host: &str, until: DateTime<Utc>, reason: &str) -> Result<()> {
        self.0.pause_host(host, until, reason).await
    }

    async fn host_pause(&self, host: &str) -> Result<Option<jujiao_store::HostPause>> {
        self.0.host_pause(host).await
    }
}

#[async_trait::async_trait]
impl FileCatalog for SlowFinish {
    async fn files_by_url(&self, urls: &[String]) -> Result<HashMap<String, String>> {
        self.0.files_by_url(urls).await
    }

    async fn record_file(&self, file: &StoredFile) -> Result<bool> {
        self.0.record_file(file).await
    }

    async fn attach_files(&self, article: ArticleId, files: &[ArticleFile]) -> Result<()> {
        self.0.attach_files(article, files).await
    }

    async fn detach_files_after(
        &self,
        article: ArticleId,
        role: FileRole,
        keep: u32,
    ) -> Result<()> {
        self.0.detach_files_after(article, role, keep).await
    }

    async fn article_files(&self, article: ArticleId) -> Result<Vec<ArticleFileEntry>> {
        self.0.article_files(article).await
    }

    async fn file(&self, hash: &str) -> Result<Option<StoredFile>> {
        self.0.file(hash).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_counts_every_article_however_slowly_it_is_finished() {
    let farm = Farm::start(FarmShape {
        hosts: 1,
        articles: 8,
        per_page: 10,
        delay: Duration::ZERO,
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let text = farm.config_toml(
        &dir.path().join("tree").to_string_lossy(),
        &db.to_string_lossy(),
        4,
        "0s",
    );
    let config = Config::parse(&text, Path::new("farm.toml")).unwrap();
    let inner: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    // Longer than the spread of the articles' due times (500 ms): every article is
    // due, and fetched by the idle tasks, while the visit's run is being finished.
    let store: Arc<dyn Store> = Arc::new(SlowFinish(inner, Duration::from_millis(800)));
    let fetcher = HttpFetcher::new(worker_fetcher_config(&config));
    jujiao_crawl::register_sources(&without_source_delays(&config), &fetcher).unwrap();
    let mut options = WorkerOptions::new("w");
    options.tasks = 4;
    options.until_idle = true;
    options.poll = Duration::from_millis(20);
    let worker = Worker::new(config, Arc::clone(&store), Arc::new(fetcher), options).unwrap();
    worker.seed().await.unwrap();
    let (_tx, rx) = watch::channel(false);
    let report = tokio::time::timeout(Duration::from_secs(60), Arc::new(worker).run(rx))
        .await
        .unwrap();
    assert_eq!(report.tally.new, 8, "{report:?}");
    let runs = store.recent_runs("host0", 10).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let sum = runs[0].summary.clone().unwrap();
    assert_eq!(
        (sum.list_pages, sum.article_pages, sum.new),
        (1, 8, 8),
        "{sum:?}"
    );
    assert_eq!(sum.verdict, "ok");
}

/// Watch rules and deliveries pass straight through.
#[async_trait::async_trait]
impl WatchStore for SlowFinish {
    async fn watch_rules(&self) -> Result<Vec<StoredWatchRule>> {
        self.0.watch_rules().await
    }

    async fn watch_rules_version(&self) -> Result<(i64, i64)> {
        self.0.watch_rules_version().await
    }

    async fn save_watch_rule(&self, rule: &StoredWatchRule) -> Result<()> {
        self.0.save_watch_rule(rule).await
    }

    async fn delete_watch_rule(&self, name: &str) -> Result<bool> {
        self.0.delete_watch_rule(name).await
    }

    async fn sync_config_watch_rules(&self, rules: &[StoredWatchRule]) -> Result<()> {
        self.0.sync_config_watch_rules(rules).await
    }

    async fn record_watch_matches(&self, matches: &[NewWatchMatch]) -> Result<u64> {
        self.0.record_watch_matches(matches).await
    }

    async fn begin_send(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.0.begin_send(ids, worker, key, now).await
    }

    async fn release_unknown(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<u64> {
        self.0.release_unknown(ids, worker, error, retry_at).await
    }

    async fn hold_message(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        message: &jujiao_store::NewHeldMessage,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.0.hold_message(ids, worker, message, now).await
    }

    async fn held_messages(&self) -> Result<Vec<jujiao_store::HeldMessage>> {
        self.0.held_messages().await
    }

    async fn resolve_held_message(
        &self,
        id: i64,
        resolution: jujiao_store::HeldResolution,
        now: DateTime<Utc>,
    ) -> Result<Option<jujiao_store::HeldMessage>> {
        self.0.resolve_held_message(id, resolution, now).await
    }

    async fn record_articles_watched(
        &self,
        batch: &[ArticleRecord],
        find: &jujiao_store::FindMatches<'_>,
    ) -> Result<(Vec<RecordOutcome>, u64)> {
        self.0.record_articles_watched(batch, find).await
    }

    async fn due_channels(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        self.0.due_channels(now).await
    }

    async fn claim_deliveries(
        &self,
        worker: &str,
        channel: &str,
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>> {
        self.0
            .claim_deliveries(worker, channel, limit, lease, now)
            .await
    }

    async fn mark_delivered(&self, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<u64> {
        self.0.mark_delivered(ids, now).await
    }

    async fn release_deliveries(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        error: Option<&str>,
        retry_at: DateTime<Utc>,
    ) -> Result<u64> {
        self.0
            .release_deliveries(ids, worker, error, retry_at)
            .await
    }

    async fn reserve_send(
        &self,
        channel: &str,
        gap: Duration,
        now: DateTime<Utc>,
    ) -> Result<SendSlot> {
        self.0.reserve_send(channel, gap, now).await
    }

    async fn recent_watch_matches(
        &self,
        rule: Option<&str>,
        limit: u32,
    ) -> Result<Vec<WatchMatch>> {
        self.0.recent_watch_matches(rule, limit).await
    }

    async fn watch_stats(&self) -> Result<WatchStats> {
        self.0.watch_stats().await
    }
}
