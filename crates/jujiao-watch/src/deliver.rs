//! The delivery loop: due deliveries are claimed from the store's outbox per channel,
//! batched into messages ([`crate::message`]) and sent ([`crate::channels`]), one message
//! per claim, each channel's rate limit shared through the store.
//!
//! Order of effects, which is the exactly-once argument (see `jujiao_store::WatchStore`):
//! take the channel's send slot → claim (lease) due rows → give back the rows that do
//! not fit in this message → send → mark the message's rows delivered (or give them back
//! with the error, due after a backoff). A process killed anywhere leaves its rows
//! leased; when the lease ends another claim takes them: nothing is lost. The one
//! message that can go out twice is the one in flight when the process died (sent, not
//! yet marked): a chat robot cannot recognise a repeat; the JSON webhook carries
//! `delivery_id`s and an `Idempotency-Key` so a receiver can.
//!
//! A message whose outcome is unknown — found in flight after a crash, or sent and never
//! answered ([`SendFailure::Unknown`]: a timeout after connecting, a connection reset
//! while waiting) — follows its channel's `unknown_outcome`: `resend` sends it again
//! whole under the same key, marked as a possible repeat; `hold` sends nothing and
//! holds it, with its text, for the duty officer (`WatchStore::hold_message`), who says
//! 已收到 or 重发. A send that certainly did not reach the group (no connection) or was
//! refused by it (an error status or code) is retried as it is, unmarked.
//!
//! Rate limits hold by batching, never by dropping: while a channel waits for its next
//! slot, its matches accumulate and the next message carries all of them.

use crate::channels::{SendFailure, build_request, send};
use crate::message::{Layout, compose};
use crate::{WatchError, email};
use chrono::{DateTime, Utc};
use jujiao_config::{Channel, ChannelKind, UnknownOutcome};
use jujiao_store::{DeliveryId, NewHeldMessage, SendSlot, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long claimed deliveries stay leased: several times the send timeout, so a live
/// sender never loses its lease mid-send.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);
/// Timeout of one send.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait for a connection, at most half the send timeout: a connection never
/// made is a send that did not happen; the total timeout firing later is an unknown
/// outcome, so the two must not be the same timer.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Why a message found in flight is held (a sender died before recording the answer).
const REASON_IN_FLIGHT: &str = "发送过程中进程中断，未记录结果";
/// First retry delay after a failed send; doubled per attempt up to [`MAX_BACKOFF`].
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(30);
/// Longest retry delay.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Deliveries claimed at once per channel (one message's worth at most is sent).
pub const CLAIM_LIMIT: u32 = 200;

/// How a [`Deliverer`] behaves.
#[derive(Debug, Clone)]
pub struct DeliverOptions {
    /// Names this process in leases.
    pub worker: String,
    pub lease: Duration,
    pub send_timeout: Duration,
    pub backoff: Duration,
    /// `[web] base_url`: messages link to the web app's article pages.
    pub base_url: Option<String>,
    /// PEM certificates trusted besides the web PKI roots (e-mail relays):
    /// `settings.ca_certificates` and `--cacert`.
    pub root_certificates: Vec<Vec<u8>>,
}

impl DeliverOptions {
    pub fn new(worker: impl Into<String>) -> DeliverOptions {
        DeliverOptions {
            worker: worker.into(),
            lease: DEFAULT_LEASE,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            backoff: DEFAULT_BACKOFF,
            base_url: None,
            root_certificates: Vec::new(),
        }
    }

    /// The options of a process running with `config`: links to its `[web] base_url`,
    /// trusts its extra certificates.
    pub fn for_config(worker: impl Into<String>, config: &jujiao_config::Config) -> DeliverOptions {
        DeliverOptions {
            base_url: config.web.base_url.clone(),
            root_certificates: config.settings.root_certificates.clone(),
            ..DeliverOptions::new(worker)
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliverReport {
    /// Messages accepted by their endpoints.
    pub messages: u64,
    /// Deliveries in those messages.
    pub delivered: u64,
    /// Messages that failed (their deliveries wait for a retry).
    pub failed: u64,
    /// Channels that had due deliveries but had to wait for their rate limit.
    pub waiting: u64,
    /// Messages of unknown outcome held for the duty officer.
    pub held: u64,
}

impl DeliverReport {
    fn add(&mut self, other: DeliverReport) {
        self.messages += other.messages;
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.waiting += other.waiting;
        self.held += other.held;
    }
}

/// Sends due deliveries of the configured channels.
#[derive(Debug)]
pub struct Deliverer {
    store: Arc<dyn Store>,
    channels: HashMap<String, Channel>,
    client: reqwest::Client,
    options: DeliverOptions,
}

/// The gap between two messages of a channel allowing `per_minute` a minute in any
/// window of a minute.
fn gap(per_minute: u32) -> Duration {
    Duration::from_millis(60_000 / u64::from(per_minute.max(1)) + 1)
}

impl Deliverer {
    pub fn new(
        store: Arc<dyn Store>,
        channels: &[Channel],
        options: DeliverOptions,
    ) -> Result<Deliverer, WatchError> {
        let client = reqwest::Client::builder()
            .timeout(options.send_timeout)
            .connect_timeout((options.send_timeout / 2).min(MAX_CONNECT_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WatchError::Channel {
                channel: String::new(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Deliverer {
            store,
            channels: channels
                .iter()
                .map(|c| (c.name.clone(), c.clone()))
                .collect(),
            client,
            options,
        })
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32 << attempts.min(16);
        self.options.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }

    /// One pass at `now`: per channel with due deliveries, one message if its rate
    /// allows.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<DeliverReport, WatchError> {
        let mut report = DeliverReport::default();
        for name in self.store.due_channels(now).await? {
            let Some(channel) = self.channels.get(&name) else {
                tracing::warn!(channel = %name, "deliveries wait for a channel that is not configured");
                continue;
            };
            report.add(self.deliver_one(channel, now).await?);
        }
        Ok(report)
    }

    async fn deliver_one(
        &self,
        channel: &Channel,
        now: DateTime<Utc>,
    ) -> Result<DeliverReport, WatchError> {
        let mut report = DeliverReport::default();
        let store = &self.store;
        if let SendSlot::NotBefore(_) = store
            .reserve_send(&channel.name, gap(channel.messages_per_minute), now)
            .await?
        {
            report.waiting += 1;
            return Ok(report);
        }
        let worker = &self.options.worker;
        let claimed = store
            .claim_deliveries(worker, &channel.name, CLAIM_LIMIT, self.options.lease, now)
            .await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        let base = self.options.base_url.as_deref();
        let mut messages = compose(&claimed, Layout::of(&channel.kind), base).into_iter();
        let mut message = messages
            .next()
            .expect("claimed deliveries make at least one message");
        let rest: Vec<_> = messages.flat_map(|m| m.ids()).collect();
        if !rest.is_empty() {
            store.release_deliveries(&rest, worker, None, now).await?;
        }
        if message.items.iter().any(|d| d.possible_repeat) {
            message.mark_possible_repeat();
        }
        let ids = message.ids();
        if message.items.iter().any(|d| d.in_flight) {
            // Found in flight: its sender died between handing it over and recording
            // the answer.
            if channel.unknown_outcome == UnknownOutcome::Hold {
                let sent_at = message
                    .items
                    .iter()
                    .filter_map(|d| d.sent_at)
                    .min()
                    .unwrap_or(now);
                report.held += self
                    .hold(channel, &message, &ids, sent_at, REASON_IN_FLIGHT, now)
                    .await?;
                return Ok(report);
            }
            message.mark_possible_repeat();
        }
        // Committed before the request: if this process dies before the answer is
        // recorded, these rows are sent again together, under the same key, marked.
        if store.begin_send(&ids, worker, &message.key(), now).await? < ids.len() as u64 {
            // Part of the message was claimed by another deliverer (this lease ended):
            // send nothing, give back what is still held, not in flight.
            store.release_deliveries(&ids, worker, None, now).await?;
            tracing::warn!(channel = %channel.name, "lease lost before sending; left to its new holder");
            return Ok(report);
        }
        let sent = match &channel.kind {
            ChannelKind::Email(mail) => {
                let cx = email::SendContext {
                    root_certificates: &self.options.root_certificates,
                    timeout: self.options.send_timeout,
                    now,
                };
                email::send(channel, mail, &message, cx).await
            }
            _ => match build_request(channel, &message, base, now) {
                Ok(request) => send(&self.client, &request).await,
                Err(e) => Err(SendFailure::NotSent(e.to_string())),
            },
        };
        match sent {
            Ok(()) => {
                store.mark_delivered(&ids, now).await?;
                report.messages += 1;
                report.delivered += ids.len() as u64;
                tracing::info!(channel = %channel.name, items = ids.len(), "alert delivered");
            }
            Err(failure) => {
                let attempts = message.items.iter().map(|d| d.attempts).max().unwrap_or(0);
                let retry = now
                    + chrono::Duration::from_std(self.backoff(attempts))
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                let error = failure.message();
                report.failed += 1;
                match (&failure, channel.unknown_outcome) {
                    (SendFailure::Unknown(_), UnknownOutcome::Hold) => {
                        report.held += self.hold(channel, &message, &ids, now, error, now).await?;
                    }
                    (SendFailure::Unknown(_), UnknownOutcome::Resend) => {
                        // Still in flight: the next claim sends it again whole, marked.
                        store.release_unknown(&ids, worker, error, retry).await?;
                        tracing::warn!(channel = %channel.name, items = ids.len(), %error,
                            "alert outcome unknown; will send it again, marked");
                    }
                    (SendFailure::NotSent(_) | SendFailure::Refused(_), _) => {
                        store
                            .release_deliveries(&ids, worker, Some(error), retry)
                            .await?;
                        tracing::warn!(channel = %channel.name, items = ids.len(), %error,
                            "alert not delivered; will retry");
                    }
                }
            }
        }
        Ok(report)
    }

    /// Holds `message` (rows `ids`, leased by this worker) for the duty officer; answers
    /// 1 if it did, 0 if the lease was lost (its new holder decides).
    async fn hold(
        &self,
        channel: &Channel,
        message: &crate::message::Message,
        ids: &[DeliveryId],
        sent_at: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, WatchError> {
        let held = NewHeldMessage {
            key: message.key(),
            channel: channel.name.clone(),
            title: message.title.clone(),
            text: message.text.clone(),
            sent_at,
            reason: reason.to_owned(),
        };
        let worker = &self.options.worker;
        if self.store.hold_message(ids, worker, &held, now).await? == 0 {
            tracing::warn!(channel = %channel.name, "lease lost before holding; left to its new holder");
            return Ok(0);
        }
        tracing::warn!(channel = %channel.name, items = ids.len(), %reason,
            "alert outcome unknown; held for the duty officer (jujiao watch held)");
        Ok(1)
    }

    /// Delivers until `stop` turns true, a pass every `every`.
    pub async fn run(&self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.deliver_due(Utc::now()).await {
                tracing::warn!(error = %e, "delivering alerts failed; trying again");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Passes until nothing is due within `wait_for` from now (`Duration::ZERO`: due
    /// now; a lease: also what a killed deliverer left leased), or `limit` passes; for
    /// one-shot commands (`jujiao crawl`, `jujiao demo`, `jujiao watch deliver
    /// --until-empty`).
    pub async fn drain(&self, limit: u32, wait_for: Duration) -> Result<DeliverReport, WatchError> {
        let mut total = DeliverReport::default();
        let ahead =
            chrono::Duration::from_std(wait_for).unwrap_or_else(|_| chrono::Duration::hours(1));
        for _ in 0..limit {
            let pass = self.deliver_due(Utc::now()).await?;
            total.add(DeliverReport { waiting: 0, ..pass });
            if self
                .store
                .due_channels(Utc::now() + ahead)
                .await?
                .is_empty()
            {
                break;
            }
            if pass.messages + pass.failed == 0 {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(total)
    }
}
