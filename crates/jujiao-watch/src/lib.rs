//! Watch-lists (关注): rules tested on every article as it is recorded, and alerts
//! delivered exactly once to the office's chat groups.
//!
//! - [`RuleSet`] compiles stored rules once: their queries in the search syntax go into
//!   one `jujiao_search::QuerySet` — the search's own parser and character-exact
//!   matching, not a second engine — beside each rule's columns, sources and channels.
//! - [`Watcher`] is what the crawler calls after each recorded batch (`Crawler::record`):
//!   added and revised articles are tested and their matches written to the store's
//!   outbox, one row per `(rule, article, channel)`.
//! - [`Deliverer`] drains the outbox: claims with leases, batches per channel
//!   ([`message`]), sends ([`channels`]: 企业微信, 钉钉 with 加签, 飞书 with signature,
//!   a generic JSON webhook; [`email`] over SMTP), marks delivered or retries with
//!   backoff.
//! - [`leaders`] finds the sentences that name a configured leader (领导活动一览).

pub mod channels;
mod deliver;
pub mod email;
pub mod excerpt;
pub mod leaders;
pub mod message;
mod rules;
mod watcher;

pub use deliver::{
    CLAIM_LIMIT, DEFAULT_BACKOFF, DEFAULT_LEASE, DEFAULT_SEND_TIMEOUT, DeliverOptions,
    DeliverReport, Deliverer, MAX_CONNECT_TIMEOUT,
};
pub use rules::{RuleHit, RuleSet, next_digest};
pub use watcher::Watcher;

use jujiao_config::WatchRule;
use jujiao_store::{RuleOrigin, StoredWatchRule};

/// Audit-log action of the duty officer's 已收到 on a held message (web and command line).
pub const AUDIT_HELD_RECEIVED: &str = "确认关注消息已收到";
/// Audit-log action of the duty officer's 重发 on a held message (web and command line).
pub const AUDIT_HELD_RESEND: &str = "重发关注消息";

/// Why watching failed.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Store(#[from] jujiao_store::StoreError),
    #[error("channel \"{channel}\": {message}")]
    Channel { channel: String, message: String },
}

/// A rule of the sources file as the store keeps it.
pub fn stored_rule(rule: &WatchRule, origin: RuleOrigin) -> StoredWatchRule {
    StoredWatchRule {
        name: rule.name.clone(),
        query: rule.query.clone(),
        columns: rule.columns.clone(),
        sources: rule.sources.clone(),
        title_only: rule.title_only,
        channels: rule.channels.clone(),
        digest_minute: rule.digest_minute,
        origin,
    }
}
