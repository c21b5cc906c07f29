//! The SQL of [`WatchStore`](super::WatchStore), shared by both backends (times are
//! milliseconds in both): `{}` in a claim is its locking clause, filled per backend.

pub(super) const RULE_COLUMNS: &str =
    "name, query, columns, sources, title_only, channels, digest_minute, origin";

pub(super) const SAVE_RULE: &str = "INSERT INTO watch_rules \
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

pub(super) const DUE_CHANNELS: &str = "SELECT DISTINCT channel FROM watch_outbox \
     WHERE delivered_ms IS NULL AND held_ms IS NULL AND due_ms <= $1 \
     AND (lease_until_ms IS NULL OR lease_until_ms <= $1) ORDER BY channel";

/// `{}`: PostgreSQL adds `FOR UPDATE SKIP LOCKED`; SQLite runs the statement under its
/// single write lock.
pub(super) const CLAIM: &str = "UPDATE watch_outbox SET leased_by = $1, lease_until_ms = $2 \
     WHERE id IN (SELECT id FROM watch_outbox \
        WHERE channel = $3 AND delivered_ms IS NULL AND held_ms IS NULL AND due_ms <= $4 \
          AND (lease_until_ms IS NULL OR lease_until_ms <= $4) \
        ORDER BY due_ms, id LIMIT $5 {}) RETURNING id";

/// Claims the rows of the earliest message handed to the channel before and not
/// delivered. `{}`: PostgreSQL adds `FOR UPDATE` — waiting for a row another
/// transaction has locked rather than skipping it, which would leave that row behind
/// and split the message.
pub(super) const CLAIM_MESSAGE: &str = "UPDATE watch_outbox SET leased_by = $1, lease_until_ms = $2 \
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
pub(super) const BEGIN_SEND: &str = "UPDATE watch_outbox SET message_key = $3, in_flight = 1, sent_ms = $4, \
     possible_repeat = CASE WHEN in_flight = 1 THEN 1 ELSE possible_repeat END \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

pub(super) const CLAIMED: &str = "SELECT o.id, o.channel, o.attempts, m.rule, m.article_id, m.title, \
     m.source_id, m.column_name, m.url, m.published, m.excerpt, m.matched_ms, \
     o.message_key, o.in_flight, o.possible_repeat, o.sent_ms \
     FROM watch_outbox o JOIN watch_matches m ON m.id = o.match_id \
     WHERE o.id IN ({}) ORDER BY o.due_ms, o.id";

pub(super) const MARK_DELIVERED: &str = "UPDATE watch_outbox SET delivered_ms = $2, leased_by = NULL, \
     lease_until_ms = NULL, in_flight = 0 WHERE id = $1 AND delivered_ms IS NULL";

pub(super) const RELEASE: &str = "UPDATE watch_outbox SET leased_by = NULL, lease_until_ms = NULL, \
     in_flight = 0, due_ms = $3, attempts = attempts + $4, last_error = COALESCE($5, last_error) \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

pub(super) const RELEASE_UNKNOWN: &str = "UPDATE watch_outbox SET leased_by = NULL, lease_until_ms = NULL, \
     in_flight = 1, due_ms = $3, attempts = attempts + 1, last_error = $4 \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

/// The rows take the held message's key (a message recomposed after a crash under a
/// changed layout may have a key of its own), so that the resolution finds them.
pub(super) const HOLD_ROW: &str = "UPDATE watch_outbox SET held_ms = $3, message_key = $4, \
     leased_by = NULL, lease_until_ms = NULL \
     WHERE id = $1 AND leased_by = $2 AND delivered_ms IS NULL";

pub(super) const INSERT_HELD: &str = "INSERT INTO watch_held \
     (message_key, channel, title, text, sent_ms, held_ms, reason) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (message_key) DO UPDATE SET channel = excluded.channel, \
     title = excluded.title, text = excluded.text, sent_ms = excluded.sent_ms, \
     held_ms = excluded.held_ms, reason = excluded.reason";

pub(super) const HELD_COLUMNS: &str =
    "id, message_key, channel, title, text, sent_ms, held_ms, reason";

pub(super) const HELD_ROWS: &str = "SELECT COUNT(*) FROM watch_outbox WHERE channel = $1 \
     AND message_key = $2 AND held_ms IS NOT NULL AND delivered_ms IS NULL";

/// `$1` channel, `$2` key, `$3` now.
pub(super) const RESOLVE_RECEIVED: &str = "UPDATE watch_outbox SET delivered_ms = $3, held_ms = NULL, \
     in_flight = 0, leased_by = NULL, lease_until_ms = NULL \
     WHERE channel = $1 AND message_key = $2 AND held_ms IS NOT NULL AND delivered_ms IS NULL";

/// `$1` channel, `$2` key, `$3` now.
pub(super) const RESOLVE_RESEND: &str = "UPDATE watch_outbox SET held_ms = NULL, in_flight = 0, \
     possible_repeat = 1, due_ms = $3, leased_by = NULL, lease_until_ms = NULL \
     WHERE channel = $1 AND message_key = $2 AND held_ms IS NOT NULL AND delivered_ms IS NULL";

/// The advisory-lock key (PostgreSQL) that serialises claims on one channel: the first
/// 8 bytes of a SHA-256 under a prefix of its own, so that it never equals the article
/// store's URL, text and title keys by construction of the input.
pub(super) fn claim_lock_key(channel: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"watch claim\0");
    h.update(channel.as_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

pub(super) const SLOT_ROW: &str = "INSERT INTO watch_channel_slots (channel, next_ms) VALUES ($1, 0) \
     ON CONFLICT (channel) DO NOTHING";

pub(super) const SLOT_TAKE: &str = "UPDATE watch_channel_slots SET next_ms = $3 \
     WHERE channel = $1 AND next_ms <= $2 RETURNING next_ms";

pub(super) const RECENT: &str = "SELECT id, rule, article_id, title, source_id, column_name, url, \
     published, excerpt, matched_ms FROM watch_matches \
     WHERE ($1 IS NULL OR rule = $1) ORDER BY matched_ms DESC, id DESC LIMIT $2";

pub(super) const DELIVERIES_OF: &str = "SELECT match_id, channel, due_ms, delivered_ms, attempts, \
     last_error, held_ms FROM watch_outbox WHERE match_id >= $1 AND match_id <= $2 \
     ORDER BY match_id, channel";

pub(super) const STATS: &str = "SELECT (SELECT COUNT(*) FROM watch_matches), \
     (SELECT COUNT(*) FROM watch_outbox WHERE delivered_ms IS NOT NULL), \
     (SELECT COUNT(*) FROM watch_outbox WHERE delivered_ms IS NULL AND held_ms IS NULL), \
     (SELECT COUNT(*) FROM watch_outbox \
        WHERE delivered_ms IS NULL AND held_ms IS NULL AND attempts > 0), \
     (SELECT COUNT(*) FROM watch_held)";
