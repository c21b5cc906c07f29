//! The one body of [`WatchStore`](super::WatchStore) for [`SqliteStore`] and
//! [`PgStore`], expanded per backend by `watch_store!` with what differs: how a write
//! transaction begins, the claims' locking clauses and the advisory lock.

use super::statements::*;
use super::*;
use crate::{PgStore, SqliteStore};
use sqlx::Row;

/// Runs `$query` (built from each id of `$ids`) in the transaction `$tx`; the rows it
/// changed in all. The updates of a message's rows, one statement per row.
macro_rules! update_each {
    ($tx:ident, $ids:expr, $op:expr, $loc:expr, |$id:ident| $query:expr) => {{
        let mut n = 0;
        for $id in $ids {
            n += $query
                .execute(&mut *$tx)
                .await
                .map_err(query_error($op, $loc))?
                .rows_affected();
        }
        n
    }};
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
                let n = update_each!(tx, ids, OP, loc, |id| sqlx::query(BEGIN_SEND)
                    .bind(id.0)
                    .bind(worker)
                    .bind(key)
                    .bind(ms(now)));
                tx.commit().await.map_err(query_error(OP, loc))?;
                Ok(n)
            }

            async fn mark_delivered(&self, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<u64> {
                const OP: &str = "marking deliveries delivered";
                let loc = crate::Store::location(self);
                let mut tx = $begin(&self.pool).await.map_err(query_error(OP, loc))?;
                let n = update_each!(tx, ids, OP, loc, |id| sqlx::query(MARK_DELIVERED)
                    .bind(id.0)
                    .bind(ms(now)));
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
                let n = update_each!(tx, ids, OP, loc, |id| sqlx::query(RELEASE)
                    .bind(id.0)
                    .bind(worker)
                    .bind(ms(retry_at))
                    .bind(i64::from(error.is_some()))
                    .bind(error));
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
                let n = update_each!(tx, ids, OP, loc, |id| sqlx::query(RELEASE_UNKNOWN)
                    .bind(id.0)
                    .bind(worker)
                    .bind(ms(retry_at))
                    .bind(error));
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
                let n = update_each!(tx, ids, OP, loc, |id| sqlx::query(HOLD_ROW)
                    .bind(id.0)
                    .bind(worker)
                    .bind(ms(now))
                    .bind(&message.key));
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
