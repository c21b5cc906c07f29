//! Watch rules, their matches and the outbox of alert deliveries: [`WatchStore`],
//! implemented for [`SqliteStore`] and [`PgStore`] by one body of SQL (times are
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
use crate::{PgStore, SqliteStore};
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::Row;
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

const RULE_COLUMNS: &str =
    "name, query, columns, sources, title_only, channels, digest_minute, origin";

const SAVE_RULE: &str = "INSERT INTO watch_rules \
     (name, query, columns, sources, title_only, channels, digest_minute, origin, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (name) DO UPDATE SET query = excluded.query, columns = excluded.columns, \
     sources = excluded.sources, title_only = excluded.title_only, \
     channels = excluded.channels, digest_minute = excluded.digest_minute, \
     origin = excluded.origin, updated_ms = excluded.updated_ms";

pub(crate) const INSERT_MATCH: &str = "INSERT INTO watch_matches \
     (rule, article_id, matched_ms, title, source_id, column_name, url, published, excerpt) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (rule, article_id) DO NOTHING RETURNING id";

pub(crate) const INSERT_DELIVERY: &str = "INSERT INTO watch_outbox (match_id, channel, due_ms) \
     VALUES ($1, $2, $3) ON CONFLICT (match_id, channel) DO NOTHING";

const DUE_CHANNELS: &str = "SELECT DISTINCT channel FROM watch_outbox \
     WHERE delivered_ms IS NULL AND held_ms IS NULL AND due_ms <= $1 \
     AND (lease_until_ms IS NULL OR lease_until_ms <= $1) ORDER BY channel";

/// `{}`: PostgreSQL adds `FOR UPDATE SKIP LOCKED`; SQLite runs the statement under its
/// single write lock.
const CLAIM: &str = "UPDATE watch_outbox SET leased_by = $1, lease_until_ms = $2 \
     WHERE id IN (SELECT id FROM watch_outbox \
        WHERE channel = $3 AND delivered_ms IS NULL AND held_ms IS NULL AND due_ms <= $4 \
          AND (lease_until_ms IS NULL OR lease_until_ms <= $4) \
        ORDER BY due_ms, id LIMIT $5 {}) RETURNING id";

/// Claims the rows of the earliest message handed to the channel before and not
/// delivered. `{}`: PostgreSQL adds `FOR UPDATE` — waiting for a row another
/// transaction has locked rather than skipping it, which would leave that row behind
/// and split the message.
const CLAIM_MESSAGE: &str = "UPDATE watch_outbox SET leased_by = $1, lease_until_ms = $2 \
     WHERE id IN (SELECT id FROM watch_outbox \
        WHERE channel = $3 AND delivered_ms IS NULL AND held_ms IS NULL AND due_ms <= $4 \
          AND (lease_until_ms IS NULL OR lease_until_ms <= $4) \
          AND message_key = (SELECT MIN(message_key) FROM watch_outbox \
              WHERE channel = $3 AND delivered_ms IS NULL AND held_ms IS NULL \
                AND due_ms <= $4 \
                AND (lease_until_ms IS NULL OR lease_until_ms <= $4) \
                AND message_key IS NOT NULL) \
        ORDER BY due_ms, id LIMIT $5 {}) RETURNING id";

/// A row sent again while its last send's outcome is unknown becomes a possible repeat
/// for good (every right-hand side reads the row as it was).
const BEGIN_SEND: &str = "UPDATE watch_outbox SET message_key = $3, in_flight = 1, sent_ms = $4, \
     possible_repeat = CASE WHEN in_flight = 1 THEN 1 ELSE possible_repeat END \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

const CLAIMED: &str = "SELECT o.id, o.channel, o.attempts, m.rule, m.article_id, m.title, \
     m.source_id, m.column_name, m.url, m.published, m.excerpt, m.matched_ms, \
     o.message_key, o.in_flight, o.possible_repeat, o.sent_ms \
     FROM watch_outbox o JOIN watch_matches m ON m.id = o.match_id \
     WHERE o.id IN ({}) ORDER BY o.due_ms, o.id";

const MARK_DELIVERED: &str = "UPDATE watch_outbox SET delivered_ms = $2, leased_by = NULL, \
     lease_until_ms = NULL, in_flight = 0 WHERE id = $1 AND delivered_ms IS NULL";

const RELEASE: &str = "UPDATE watch_outbox SET leased_by = NULL, lease_until_ms = NULL, \
     in_flight = 0, due_ms = $3, attempts = attempts + $4, last_error = COALESCE($5, last_error) \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

const RELEASE_UNKNOWN: &str = "UPDATE watch_outbox SET leased_by = NULL, lease_until_ms = NULL, \
     in_flight = 1, due_ms = $3, attempts = attempts + 1, last_error = $4 \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

/// The rows take the held message's key (a message recomposed after a crash under a
/// changed layout may have a key of its own), so that the resolution finds them.
const HOLD_ROW: &str = "UPDATE watch_outbox SET held_ms = $3, message_key = $4, \
     leased_by = NULL, lease_until_ms = NULL \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

const INSERT_HELD: &str = "INSERT INTO watch_held \
     (message_key, channel, title, text, sent_ms, held_ms, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (message_key) DO UPDATE SET channel = excluded.channel, \
     title = excluded.title, text = excluded.text, sent_ms = excluded.sent_ms, \
     held_ms = excluded.held_ms, reason = excluded.reason";

const HELD_COLUMNS: &str = "id, message_key, channel, title, text, sent_ms, held_ms, reason";

const HELD_ROWS: &str = "SELECT COUNT(*) FROM watch_outbox WHERE channel = $1 \
     AND message_key = $2 AND held_ms IS NOT NULL AND delivered_ms IS NULL";

/// `$1` channel, `$2` key, `$3` now.
const RESOLVE_RECEIVED: &str = "UPDATE watch_outbox SET delivered_ms = $3, held_ms = NULL, \
     in_flight = 0, leased_by = NULL, lease_until_ms = NULL \
     WHERE channel = $1 AND message_key = $2 AND held_ms IS NOT NULL AND delivered_ms IS NULL";

/// `$1` channel, `$2` key, `$3` now.
const RESOLVE_RESEND: &str = "UPDATE watch_outbox SET held_ms = NULL, in_flight = 0, \
     possible_repeat = 1, due_ms = $3, leased_by = NULL, lease_until_ms = NULL \
     WHERE channel = $1 AND message_key = $2 AND held_ms IS NOT NULL AND delivered_ms IS NULL";

/// The advisory-lock key (PostgreSQL) that serialises claims on one channel: the first
/// 8 bytes of a SHA-256 under a prefix of its own, so that it never equals the article
/// store's URL, text and title keys by construction of the input.
fn claim_lock_key(channel: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"watch claim\0");
    h.update(channel.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

const SLOT_ROW: &str = "INSERT INTO watch_channel_slots (channel, next_ms) VALUES ($1, 0) \
     ON CONFLICT (channel) DO NOTHING";

const SLOT_TAKE: &str = "UPDATE watch_channel_slots SET next_ms = $3 \
     WHERE channel = $1 AND next_ms <= $2 RETURNING next_ms";

const RECENT: &str = "SELECT id, rule, article_id, title, source_id, column_name, url, \
     published, excerpt, matched_ms FROM watch_matches \
     WHERE ($1 IS NULL OR rule = $1) ORDER BY matched_ms DESC, id DESC LIMIT $2";

const DELIVERIES_OF: &str = "SELECT match_id, channel, due_ms, delivered_ms, attempts, \
     last_error, held_ms FROM watch_outbox WHERE match_id >= $1 AND match_id <= $2 \
     ORDER BY match_id, channel";

const STATS: &str = "SELECT (SELECT COUNT(*) FROM watch_matches), \
     (SELECT COUNT(*) FROM watch_outbox WHERE delivered_ms IS NOT NULL), \
     (SELECT COUNT(*) FROM watch_outbox WHERE delivered_ms IS NULL AND held_ms IS NULL), \
     (SELECT COUNT(*) FROM watch_outbox \
        WHERE delivered_ms IS NULL AND held_ms IS NULL AND attempts > 0), \
     (SELECT COUNT(*) FROM watch_held)";

fn parse_list(op: &'static str, location: &str, text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| corrupt(op, location, format!("{text}: {e}")))
}

/// The same body for both backends: `$begin` opens a write transaction, `$claim` and
/// `$claim_message` are the locking clauses of [`CLAIM`] and [`CLAIM_MESSAGE`], `$lock`
/// the statement (if any) that serialises the
/// claims of one channel until commit, given [`claim_lock_key`] (SQLite needs none: its
/// write transaction already does).
macro_rules! watch_store {
    ($store:ty, $begin:expr, $claim:expr, $claim_message:expr, $lock:expr) => {
        #[async_trait]
        impl WatchStore for $store {
            async fn watch_rules(&self) -> Result<Vec<StoredWatchRule>> {
                const OP: &str = "reading watch rules";
                let loc = crate::Store::location(self);
                let rows = sqlx::query(&format!(
                    "SELECT {RULE_COLUMNS} FROM watch_rules ORDER BY name"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(query_error(OP, loc))?;
                rows.iter()
                    .map(|r| {
                        let get_text = |c: &str| -> Result<String> {
                            r.try_get::<String, _>(c).map_err(query_error(OP, loc))
                        };
                        let origin = match get_text("origin")?.as_str() {
                            "config" => RuleOrigin::Config,
                            _ => RuleOrigin::Web,
                        };
                        let digest: Option<i64> =
                            r.try_get("digest_minute").map_err(query_error(OP, loc))?;
                        let title_only: i64 =
                            r.try_get("title_only").map_err(query_error(OP, loc))?;
                        Ok(StoredWatchRule {
                            name: get_text("name")?,
                            query: get_text("query")?,
                            columns: parse_list(OP, loc, &get_text("columns")?)?,
                            sources: parse_list(OP, loc, &get_text("sources")?)?,
                            title_only: title_only != 0,
                            channels: parse_list(OP, loc, &get_text("channels")?)?,
                            digest_minute: digest.and_then(|d| u32::try_from(d).ok()),
                            origin,
                        })
                    })
                    .collect()
            }

            async fn watch_rules_version(&self) -> Result<(i64, i64)> {
                const OP: &str = "reading the watch rules' version";
                let row =
                    sqlx::query("SELECT COUNT(*), COALESCE(MAX(updated_ms), 0) FROM watch_rules")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(query_error(OP, crate::Store::location(self)))?;
                let get = |i: usize| -> Result<i64> {
                    row.try_get::<i64, _>(i)
                        .map_err(query_error(OP, crate::Store::location(self)))
                };
                Ok((get(0)?, get(1)?))
            }

            async fn save_watch_rule(&self, rule: &StoredWatchRule) -> Result<()> {
                const OP: &str = "saving a watch rule";
                let loc = crate::Store::location(self);
                // A version that always moves forward, even within one millisecond.
                let (_, last) = self.watch_rules_version().await?;
                let stamp = ms(Utc::now()).max(last + 1);
                sqlx::query(SAVE_RULE)
                    .bind(&rule.name)
                    .bind(&rule.query)
                    .bind(to_json(OP, &rule.columns)?)
                    .bind(to_json(OP, &rule.sources)?)
                    .bind(i64::from(rule.title_only))
                    .bind(to_json(OP, &rule.channels)?)
                    .bind(rule.digest_minute.map(i64::from))
                    .bind(rule.origin.as_str())
                    .bind(stamp)
                    .execute(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                Ok(())
            }

            async fn delete_watch_rule(&self, name: &str) -> Result<bool> {
                const OP: &str = "deleting a watch rule";
                let done = sqlx::query("DELETE FROM watch_rules WHERE name = $1")
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(query_error(OP, crate::Store::location(self)))?;
                Ok(done.rows_affected() > 0)
            }

            async fn sync_config_watch_rules(&self, rules: &[StoredWatchRule]) -> Result<()> {
                let stored = self.watch_rules().await?;
                for old in &stored {
                    if old.origin == RuleOrigin::Config && !rules.iter().any(|r| r.name == old.name)
                    {
                        self.delete_watch_rule(&old.name).await?;
                    }
                }
                for rule in rules {
                    let rule = StoredWatchRule {
                        origin: RuleOrigin::Config,
                        ..rule.clone()
                    };
                    if !stored.contains(&rule) {
                        self.save_watch_rule(&rule).await?;
                    }
                }
                Ok(())
            }

            async fn record_watch_matches(&self, matches: &[NewWatchMatch]) -> Result<u64> {
                const OP: &str = "recording watch matches";
                if matches.is_empty() {
                    return Ok(0);
                }
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let new = self
                    .insert_watch_matches(&mut tx, matches, Utc::now())
                    .await?;
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(new)
            }

            async fn record_articles_watched(
                &self,
                batch: &[ArticleRecord],
                find: &FindMatches<'_>,
            ) -> Result<(Vec<RecordOutcome>, u64)> {
                self.record_batch(batch, Some(find)).await
            }

            async fn due_channels(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
                const OP: &str = "listing channels with due deliveries";
                sqlx::query_scalar(DUE_CHANNELS)
                    .bind(ms(now))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_error(OP, crate::Store::location(self)))
            }

            async fn claim_deliveries(
                &self,
                worker: &str,
                channel: &str,
                limit: u32,
                lease: Duration,
                now: DateTime<Utc>,
            ) -> Result<Vec<Delivery>> {
                const OP: &str = "claiming deliveries";
                let loc = crate::Store::location(self);
                let until = after(now, lease);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                // One claimer per channel at a time: `SKIP LOCKED` alone lets two
                // claimers each take part of one message's rows.
                let lock: Option<&str> = $lock;
                if let Some(lock) = lock {
                    sqlx::query(lock)
                        .bind(claim_lock_key(channel))
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?;
                }
                let mut ids: Vec<i64> = Vec::new();
                for (claim, locking) in [(CLAIM_MESSAGE, $claim_message), (CLAIM, $claim)] {
                    ids = sqlx::query_scalar(&claim.replace("{}", locking))
                        .bind(worker)
                        .bind(until)
                        .bind(channel)
                        .bind(ms(now))
                        .bind(i64::from(limit))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?;
                    if !ids.is_empty() {
                        break;
                    }
                }
                tx.commit().await.map_err(query_error(OP, loc))?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders = (1..=ids.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = CLAIMED.replace("{}", &placeholders);
                let mut details = sqlx::query(&sql);
                for id in &ids {
                    details = details.bind(*id);
                }
                let rows = details
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                rows.iter()
                    .map(|r| -> std::result::Result<Delivery, sqlx::Error> {
                        Ok(Delivery {
                            id: DeliveryId(r.try_get(0)?),
                            channel: r.try_get(1)?,
                            attempts: u32::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                            rule: r.try_get(3)?,
                            article_id: ArticleId(r.try_get(4)?),
                            title: r.try_get(5)?,
                            source_id: r.try_get(6)?,
                            column: r.try_get(7)?,
                            url: r.try_get(8)?,
                            published: r.try_get(9)?,
                            excerpt: r.try_get(10)?,
                            matched_at: from_ms(r.try_get(11)?),
                            message_key: r.try_get(12)?,
                            in_flight: r.try_get::<i64, _>(13)? != 0,
                            possible_repeat: r.try_get::<i64, _>(14)? != 0,
                            sent_at: r.try_get::<Option<i64>, _>(15)?.map(from_ms),
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(query_error(OP, loc))
            }

            async fn begin_send(
                &self,
                ids: &[DeliveryId],
                worker: &str,
                key: &str,
                now: DateTime<Utc>,
            ) -> Result<u64> {
                const OP: &str = "recording a send";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(BEGIN_SEND)
                        .bind(id.0)
                        .bind(worker)
                        .bind(key)
                        .bind(ms(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?
                        .rows_affected();
                }
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(n)
            }

            async fn mark_delivered(&self, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<u64> {
                const OP: &str = "marking deliveries delivered";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(MARK_DELIVERED)
                        .bind(id.0)
                        .bind(ms(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?
                        .rows_affected();
                }
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(n)
            }

            async fn release_deliveries(
                &self,
                ids: &[DeliveryId],
                worker: &str,
                error: Option<&str>,
                retry_at: DateTime<Utc>,
            ) -> Result<u64> {
                const OP: &str = "releasing deliveries";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(RELEASE)
                        .bind(id.0)
                        .bind(worker)
                        .bind(ms(retry_at))
                        .bind(i64::from(error.is_some()))
                        .bind(error)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?
                        .rows_affected();
                }
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(n)
            }

            async fn release_unknown(
                &self,
                ids: &[DeliveryId],
                worker: &str,
                error: &str,
                retry_at: DateTime<Utc>,
            ) -> Result<u64> {
                const OP: &str = "releasing deliveries of an unknown outcome";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(RELEASE_UNKNOWN)
                        .bind(id.0)
                        .bind(worker)
                        .bind(ms(retry_at))
                        .bind(error)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?
                        .rows_affected();
                }
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(n)
            }

            async fn hold_message(
                &self,
                ids: &[DeliveryId],
                worker: &str,
                message: &NewHeldMessage,
                now: DateTime<Utc>,
            ) -> Result<u64> {
                const OP: &str = "holding a message";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(HOLD_ROW)
                        .bind(id.0)
                        .bind(worker)
                        .bind(ms(now))
                        .bind(&message.key)
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP, loc))?
                        .rows_affected();
                }
                if n < ids.len() as u64 {
                    // Part of the message is someone else's now: hold nothing.
                    tx.rollback().await.map_err(query_error(OP, loc))?;
                    return Ok(0);
                }
                sqlx::query(INSERT_HELD)
                    .bind(&message.key)
                    .bind(&message.channel)
                    .bind(&message.title)
                    .bind(&message.text)
                    .bind(ms(message.sent_at))
                    .bind(ms(now))
                    .bind(&message.reason)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(OP, loc))?;
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(n)
            }

            async fn held_messages(&self) -> Result<Vec<HeldMessage>> {
                const OP: &str = "reading held messages";
                let loc = crate::Store::location(self);
                let rows = sqlx::query(&format!(
                    "SELECT {HELD_COLUMNS} FROM watch_held ORDER BY held_ms, id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(query_error(OP, loc))?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut held = held_message(r).map_err(query_error(OP, loc))?;
                    let n: i64 = sqlx::query_scalar(HELD_ROWS)
                        .bind(&held.channel)
                        .bind(&held.key)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(query_error(OP, loc))?;
                    held.deliveries = count(n);
                    out.push(held);
                }
                Ok(out)
            }

            async fn resolve_held_message(
                &self,
                id: i64,
                resolution: HeldResolution,
                now: DateTime<Utc>,
            ) -> Result<Option<HeldMessage>> {
                const OP: &str = "resolving a held message";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                // Taking the row is the resolution's claim: a second officer acting on
                // the same message finds nothing.
                let row = sqlx::query(&format!(
                    "DELETE FROM watch_held WHERE id = $1 RETURNING {HELD_COLUMNS}"
                ))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error(OP, loc))?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let mut held = held_message(&row).map_err(query_error(OP, loc))?;
                let update = match resolution {
                    HeldResolution::Received => RESOLVE_RECEIVED,
                    HeldResolution::Resend => RESOLVE_RESEND,
                };
                held.deliveries = sqlx::query(update)
                    .bind(&held.channel)
                    .bind(&held.key)
                    .bind(ms(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(OP, loc))?
                    .rows_affected();
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(Some(held))
            }

            async fn reserve_send(
                &self,
                channel: &str,
                gap: Duration,
                now: DateTime<Utc>,
            ) -> Result<SendSlot> {
                const OP: &str = "reserving a send slot";
                let loc = crate::Store::location(self);
                sqlx::query(SLOT_ROW)
                    .bind(channel)
                    .execute(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                let taken: Option<i64> = sqlx::query_scalar(SLOT_TAKE)
                    .bind(channel)
                    .bind(ms(now))
                    .bind(after(now, gap))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                if taken.is_some() {
                    return Ok(SendSlot::Granted);
                }
                let next: i64 = sqlx::query_scalar(
                    "SELECT next_ms FROM watch_channel_slots WHERE channel = $1",
                )
                .bind(channel)
                .fetch_one(&self.pool)
                .await
                .map_err(query_error(OP, loc))?;
                Ok(SendSlot::NotBefore(from_ms(next)))
            }

            async fn recent_watch_matches(
                &self,
                rule: Option<&str>,
                limit: u32,
            ) -> Result<Vec<WatchMatch>> {
                const OP: &str = "reading watch matches";
                let loc = crate::Store::location(self);
                let rows = sqlx::query(RECENT)
                    .bind(rule)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                let mut out = rows
                    .iter()
                    .map(|r| -> std::result::Result<WatchMatch, sqlx::Error> {
                        Ok(WatchMatch {
                            id: r.try_get(0)?,
                            rule: r.try_get(1)?,
                            article_id: ArticleId(r.try_get(2)?),
                            title: r.try_get(3)?,
                            source_id: r.try_get(4)?,
                            column: r.try_get(5)?,
                            url: r.try_get(6)?,
                            published: r.try_get(7)?,
                            excerpt: r.try_get(8)?,
                            matched_at: from_ms(r.try_get(9)?),
                            deliveries: Vec::new(),
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(query_error(OP, loc))?;
                let (Some(lo), Some(hi)) = (
                    out.iter().map(|m| m.id).min(),
                    out.iter().map(|m| m.id).max(),
                ) else {
                    return Ok(out);
                };
                let rows = sqlx::query(DELIVERIES_OF)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                for r in &rows {
                    let match_id: i64 = r.try_get(0).map_err(query_error(OP, loc))?;
                    let Some(m) = out.iter_mut().find(|m| m.id == match_id) else {
                        continue;
                    };
                    let state = (|| -> std::result::Result<DeliveryState, sqlx::Error> {
                        Ok(DeliveryState {
                            channel: r.try_get(1)?,
                            due_at: from_ms(r.try_get(2)?),
                            delivered_at: r.try_get::<Option<i64>, _>(3)?.map(from_ms),
                            attempts: u32::try_from(r.try_get::<i64, _>(4)?).unwrap_or(0),
                            last_error: r.try_get(5)?,
                            held: r.try_get::<Option<i64>, _>(6)?.is_some(),
                        })
                    })()
                    .map_err(query_error(OP, loc))?;
                    m.deliveries.push(state);
                }
                Ok(out)
            }

            async fn watch_stats(&self) -> Result<WatchStats> {
                const OP: &str = "counting watch deliveries";
                let loc = crate::Store::location(self);
                let r = sqlx::query(STATS)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(query_error(OP, loc))?;
                let get = |i: usize| {
                    r.try_get::<i64, _>(i)
                        .map(count)
                        .map_err(query_error(OP, loc))
                };
                Ok(WatchStats {
                    matches: get(0)?,
                    delivered: get(1)?,
                    pending: get(2)?,
                    failing: get(3)?,
                    held_messages: get(4)?,
                })
            }
        }
    };
}

/// SQLite: take the write lock at the start, so two writers wait instead of failing.
async fn begin_sqlite(
    pool: &sqlx::SqlitePool,
) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

async fn begin_pg(
    pool: &sqlx::PgPool,
) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin().await
}

/// A held message from a row of [`HELD_COLUMNS`] (its delivery count is filled in by the
/// caller).
fn held_message<R: Row>(r: &R) -> std::result::Result<HeldMessage, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'d> sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    String: for<'d> sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    Ok(HeldMessage {
        id: r.try_get(0)?,
        key: r.try_get(1)?,
        channel: r.try_get(2)?,
        title: r.try_get(3)?,
        text: r.try_get(4)?,
        sent_at: from_ms(r.try_get(5)?),
        held_at: from_ms(r.try_get(6)?),
        reason: r.try_get(7)?,
        deliveries: 0,
    })
}

watch_store!(SqliteStore, begin_sqlite, "", "", None);
watch_store!(
    PgStore,
    begin_pg,
    "FOR UPDATE SKIP LOCKED",
    "FOR UPDATE",
    Some("SELECT pg_advisory_xact_lock($1)")
);
