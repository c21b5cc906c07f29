//! Watch rules, their matches and the outbox of alert deliveries: [`WatchStore`],
//! implemented for [`SqliteStore`](crate::SqliteStore) and [`PgStore`](crate::PgStore)
//! by one body of SQL (`statements.rs`, expanded per backend in `backend.rs`; times are
//! milliseconds in both, so the dialects agree; only claiming differs: PostgreSQL
//! serialises the claims of a channel with an advisory lock and locks rows itself).
//!
//! Exactly-once delivery rests on three rules, in this order:
//! 1. a rule fires once per article: `watch_matches` is unique on `(rule, article)`, and
//!    the outbox rows of a match are written in the same transaction as the match, only
//!    when the match is new (a revision that still matches adds nothing);
//! 2. a worker sends only what it has leased ([`claim_deliveries`](WatchStore::claim_deliveries)),
//!    one claim per message; concurrent claims never share a row;
//! 3. before a message goes out its rows are marked with the message's key and "in
//!    flight" ([`begin_send`](WatchStore::begin_send)), committed; they are marked
//!    delivered as soon as the endpoint accepted it. A worker that dies in between leaves
//!    its lease to run out; the rows are then claimed again together and sent again
//!    whole, under the same key, flagged as possibly repeated — so nothing is lost, a
//!    receiver that deduplicates on the key (the JSON webhook's `Idempotency-Key`) sees
//!    the message once, and a chat robot, which cannot, shows the repeat marked as one.
//!    A channel that must not repeat itself holds such a message instead
//!    ([`hold_message`](WatchStore::hold_message)): its rows are claimed no more until
//!    the duty officer resolves it ([`resolve_held_message`](WatchStore::resolve_held_message)).
//!
//! Claims of one channel are serialised (SQLite's write lock; on PostgreSQL a
//! transaction-scoped advisory lock per channel, and a message's rows are locked
//! waiting, not skipped), so two workers recovering the same message at once never
//! split it between them.

use crate::error::{Result, StoreError};
use crate::types::{ArticleId, ArticleRecord, RecordOutcome};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::time::Duration;

/// Where a stored rule came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOrigin {
    /// `[[watch]]` in the sources file: replaced whenever the file is loaded.
    Config,
    /// Written in the web app.
    Web,
}

impl RuleOrigin {
    fn as_str(self) -> &'static str {
        match self {
            RuleOrigin::Config => "config",
            RuleOrigin::Web => "web",
        }
    }
}

/// A watch rule as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWatchRule {
    pub name: String,
    pub query: String,
    pub columns: Vec<String>,
    pub sources: Vec<String>,
    pub title_only: bool,
    pub channels: Vec<String>,
    /// Minutes after midnight, Beijing time, of the daily digest; `None`: immediately.
    pub digest_minute: Option<u32>,
    pub origin: RuleOrigin,
}

/// A new match of a rule on an article, with the deliveries it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWatchMatch {
    pub rule: String,
    pub article_id: ArticleId,
    pub title: String,
    pub source_id: String,
    pub column: String,
    pub url: String,
    /// The publish time as shown (`2026-12-06 09:30`), if known.
    pub published: Option<String>,
    /// The sentence that matched (or the start of the body).
    pub excerpt: String,
    /// Per channel, when it is due (now, or the rule's next digest time).
    pub deliveries: Vec<(String, DateTime<Utc>)>,
}

/// Finds the watch matches of a batch being recorded: called inside the batch's
/// transaction with its records and their outcomes, in order.
pub type FindMatches<'a> =
    dyn Fn(&[ArticleRecord], &[RecordOutcome]) -> Vec<NewWatchMatch> + Send + Sync + 'a;

/// The id of one outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(pub i64);

/// An outbox row leased to a worker, with what its message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub channel: String,
    /// Failed sends so far.
    pub attempts: u32,
    pub rule: String,
    pub article_id: ArticleId,
    pub title: String,
    pub source_id: String,
    pub column: String,
    pub url: String,
    pub published: Option<String>,
    pub excerpt: String,
    pub matched_at: DateTime<Utc>,
    /// The message this row was last handed to the channel in
    /// ([`WatchStore::begin_send`]); such rows are claimed again together.
    pub message_key: Option<String>,
    /// That send's outcome is unknown: the process died (or lost its store) between
    /// handing the message over and recording the answer, or the endpoint took the
    /// request and never answered ([`release_unknown`](WatchStore::release_unknown)).
    /// The message may have arrived.
    pub in_flight: bool,
    /// An earlier send of this message may have arrived (its outcome was unknown and it
    /// was sent again, or the duty officer asked for it again): every send of it is
    /// marked as a possible repeat until it is delivered.
    pub possible_repeat: bool,
    /// When the row was last handed to its channel.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message whose outcome is unknown, to be held for the duty officer instead of sent
/// again ([`WatchStore::hold_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHeldMessage {
    /// The message's key ([`WatchStore::begin_send`]).
    pub key: String,
    pub channel: String,
    pub title: String,
    /// The text as the channel was given it.
    pub text: String,
    /// When it was handed to the channel.
    pub sent_at: DateTime<Utc>,
    /// Why its outcome is unknown, in words for the duty officer.
    pub reason: String,
}

/// A held message, as the 关注 page and `jujiao watch held` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMessage {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub title: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
    pub held_at: DateTime<Utc>,
    pub reason: String,
    /// Deliveries (matches) the message carries.
    pub deliveries: u64,
}

/// What the duty officer decided about a held message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldResolution {
    /// 已收到: the group got it; its deliveries are marked delivered.
    Received,
    /// 重发: send it again, whole, under its key, marked as a possible repeat.
    Resend,
}

/// One channel's delivery of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub channel: String,
    pub due_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Held for the duty officer ([`WatchStore::hold_message`]).
    pub held: bool,
}

/// A match with the state of its deliveries, for pages and summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchMatch {
    pub id: i64,
    pub rule: String,
    pub article_id: ArticleId,
    pub title: String,
    pub source_id: String,
    pub column: String,
    pub url: String,
    pub published: Option<String>,
    pub excerpt: String,
    pub matched_at: DateTime<Utc>,
    pub deliveries: Vec<DeliveryState>,
}

/// Counts over the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchStats {
    pub matches: u64,
    pub delivered: u64,
    pub pending: u64,
    /// Pending deliveries that failed at least once.
    pub failing: u64,
    /// Messages held for the duty officer (their deliveries are not pending).
    pub held_messages: u64,
}

/// What a rate-limited channel may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendSlot {
    /// One message may be sent now.
    Granted,
    /// Not before this time.
    NotBefore(DateTime<Utc>),
}

/// Watch rules, matches and the delivery outbox.
#[async_trait]
pub trait WatchStore: Send + Sync {
    /// Every stored rule, by name.
    async fn watch_rules(&self) -> Result<Vec<StoredWatchRule>>;

    /// A value that changes whenever a rule is saved or deleted: callers holding
    /// compiled rules recompile when it changes.
    async fn watch_rules_version(&self) -> Result<(i64, i64)>;

    /// Inserts or replaces a rule by name.
    async fn save_watch_rule(&self, rule: &StoredWatchRule) -> Result<()>;

    /// Deletes a rule (its matches and deliveries stay); false when there was none.
    async fn delete_watch_rule(&self, name: &str) -> Result<bool>;

    /// Makes the rules of origin `config` exactly `rules` (the sources file as loaded):
    /// those missing are deleted, the others saved. Rules written in the web app are
    /// kept unless the file has a rule of the same name, which wins.
    async fn sync_config_watch_rules(&self, rules: &[StoredWatchRule]) -> Result<()>;

    /// Records matches in one transaction; a `(rule, article)` already matched is left
    /// as it is and gets no new deliveries. Answers how many matches were new.
    async fn record_watch_matches(&self, matches: &[NewWatchMatch]) -> Result<u64>;

    /// Records a batch of articles as [`ArticleStore::record_articles`](crate::ArticleStore::record_articles)
    /// does and, in the same transaction, the watch matches `find` reports for it (from
    /// the records and their outcomes, which carry the new articles' ids): the articles
    /// and their outbox rows are committed together or not at all, so no crash can
    /// leave an article recorded without its alerts. Answers the outcomes and how many
    /// matches were new.
    async fn record_articles_watched(
        &self,
        batch: &[ArticleRecord],
        find: &FindMatches<'_>,
    ) -> Result<(Vec<RecordOutcome>, u64)>;

    /// The channels with deliveries due at `now` and not leased.
    async fn due_channels(&self, now: DateTime<Utc>) -> Result<Vec<String>>;

    /// Leases up to `limit` due, undelivered deliveries of `channel` to `worker` until
    /// `lease` after `now`, earliest due first. Concurrent callers never get the same
    /// row. Rows already handed to the channel in a message
    /// ([`begin_send`](Self::begin_send)) come first, and only with the other rows of
    /// that message, so it is sent again whole under the same key.
    async fn claim_deliveries(
        &self,
        worker: &str,
        channel: &str,
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>>;

    /// Records, before the request goes out, that `worker` hands the rows `ids` (which
    /// it leases) to their channel as one message with key `key`: from now on they are
    /// claimed only together and sent under that key, and until the answer is recorded
    /// ([`mark_delivered`](Self::mark_delivered) or
    /// [`release_deliveries`](Self::release_deliveries)) their outcome is unknown.
    /// Answers how many rows it marked (fewer than `ids`: the lease was lost). `now` is
    /// kept as the rows' send time; rows sent before with an unknown outcome become
    /// [`possible_repeat`](Delivery::possible_repeat).
    async fn begin_send(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Marks deliveries as delivered at `now` (whoever holds them: the message was
    /// accepted); answers how many were not delivered before.
    async fn mark_delivered(&self, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<u64>;

    /// Gives deliveries back: `error` (a failed send, counted as an attempt, its message
    /// kept) or `None` (not sent, e.g. left for the next message), due again at
    /// `retry_at`. Only rows `worker` still leases and not delivered change.
    async fn release_deliveries(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        error: Option<&str>,
        retry_at: DateTime<Utc>,
    ) -> Result<u64>;

    /// Gives back deliveries whose send has an unknown outcome (the endpoint took the
    /// request and did not answer in time, or the connection broke while waiting):
    /// counted as a failed attempt with `error`, due again at `retry_at`, and still in
    /// flight — the next claim treats them exactly like a message whose sender died.
    /// Only rows `worker` still leases and not delivered change.
    async fn release_unknown(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<u64>;

    /// Holds the message `message` made of the rows `ids` (which `worker` leases): they
    /// are not claimed again until [`resolve_held_message`](Self::resolve_held_message).
    /// All or nothing: answers 0 and holds nothing when the lease on any row was lost.
    async fn hold_message(
        &self,
        ids: &[DeliveryId],
        worker: &str,
        message: &NewHeldMessage,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// The held messages, oldest first.
    async fn held_messages(&self) -> Result<Vec<HeldMessage>>;

    /// Resolves a held message once: [`HeldResolution::Received`] marks its rows
    /// delivered at `now`; [`HeldResolution::Resend`] makes them due at `now`, to be sent
    /// again whole under the same key, marked. Answers the message, or `None` when there
    /// is no such held message (already resolved by someone else).
    async fn resolve_held_message(
        &self,
        id: i64,
        resolution: HeldResolution,
        now: DateTime<Utc>,
    ) -> Result<Option<HeldMessage>>;

    /// Takes the channel's next send slot if it is free at `now`: slots are `gap` apart,
    /// across every process sharing the store.
    async fn reserve_send(
        &self,
        channel: &str,
        gap: Duration,
        now: DateTime<Utc>,
    ) -> Result<SendSlot>;

    /// The latest matches (of `rule`, or of every rule), newest first, with their
    /// deliveries.
    async fn recent_watch_matches(&self, rule: Option<&str>, limit: u32)
    -> Result<Vec<WatchMatch>>;

    /// Counts over matches and deliveries.
    async fn watch_stats(&self) -> Result<WatchStats>;
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn after(now: DateTime<Utc>, d: Duration) -> i64 {
    ms(now).saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

fn to_json(op: &'static str, list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(|source| StoreError::Encode {
        operation: op,
        what: "watch rule list",
        source,
    })
}

fn corrupt(op: &'static str, location: &str, detail: String) -> StoreError {
    StoreError::Corrupt {
        operation: op,
        location: location.to_owned(),
        what: "watch rule",
        detail,
    }
}

fn query_error(op: &'static str, location: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let location = location.to_owned();
    move |source| StoreError::Query {
        operation: op,
        location,
        source,
    }
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn parse_list(op: &'static str, location: &str, text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt(op, location, format!("{text}: {e}")))
}

mod backend;
mod statements;

pub(crate) use statements::{INSERT_DELIVERY, INSERT_MATCH};
