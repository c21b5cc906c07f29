//! Workers on PostgreSQL: host slots held for the length of a fetch (taken with
//! `FOR UPDATE SKIP LOCKED`, like `claim_host_slot`), worker heartbeats and queue counts.

use super::PgStore;
use super::crawl::now;
use super::read::Decoder;
use crate::error::Result;
use crate::work::{HostHold, QueueStats, WorkerStatus, after, sql, worker_from_row};
use chrono::{DateTime, Utc};
use std::time::Duration;

pub(super) async fn hold_host_slot(
    store: &PgStore,
    host: &str,
    holder: &str,
    concurrency: u32,
    hold: Duration,
) -> Result<HostHold> {
    const OP: &str = "holding a host slot";
    let concurrency = i32::try_from(concurrency.max(1)).unwrap_or(i32::MAX);
    let now = now();
    sqlx::query(
        "INSERT INTO host_slots (host, slot, next_start_at) \
         SELECT $1, s, $3 FROM generate_series(0, $2 - 1) AS s \
         ON CONFLICT (host, slot) DO NOTHING",
    )
    .bind(host)
    .bind(concurrency)
    .bind(DateTime::<Utc>::UNIX_EPOCH)
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    let held = sqlx::query(
        "UPDATE host_slots h SET next_start_at = $4, held_by = $5 FROM \
            (SELECT slot FROM host_slots WHERE host = $1 AND slot < $2 AND next_start_at <= $3 \
             ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) AS free \
         WHERE h.host = $1 AND h.slot = free.slot RETURNING h.slot",
    )
    .bind(host)
    .bind(concurrency)
    .bind(now)
    .bind(after(now, hold))
    .bind(holder)
    .fetch_optional(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    if let Some(row) = held {
        let slot = Decoder {
            store,
            operation: OP,
            row: &row,
        }
        .revision(0)?;
        return Ok(HostHold::Held { slot });
    }
    let row =
        sqlx::query("SELECT MIN(next_start_at) FROM host_slots WHERE host = $1 AND slot < $2")
            .bind(host)
            .bind(concurrency)
            .fetch_one(&store.pool)
            .await
            .map_err(store.query_error(OP))?;
    let next = Decoder {
        store,
        operation: OP,
        row: &row,
    }
    .timestamp(0)?;
    // A slot skipped as locked may be free again by now.
    Ok(HostHold::NotBefore(next.max(now)))
}

pub(super) async fn release_host_slot(
    store: &PgStore,
    host: &str,
    slot: u32,
    holder: &str,
    gap: Duration,
) -> Result<bool> {
    const OP: &str = "releasing a host slot";
    let slot = i32::try_from(slot).unwrap_or(i32::MAX);
    let done = sqlx::query(sql::RELEASE_HOLD)
        .bind(host)
        .bind(slot)
        .bind(holder)
        .bind(after(now(), gap))
        .execute(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn renew_host_holds(
    store: &PgStore,
    holder: &str,
    slots: &[(String, u32)],
    hold: Duration,
) -> Result<u64> {
    const OP: &str = "renewing host slot holds";
    let until = after(now(), hold);
    let mut renewed = 0;
    for (host, slot) in slots {
        renewed += sqlx::query(sql::RENEW_HOLD)
            .bind(host)
            .bind(i32::try_from(*slot).unwrap_or(i32::MAX))
            .bind(holder)
            .bind(until)
            .execute(&store.pool)
            .await
            .map_err(store.query_error(OP))?
            .rows_affected();
    }
    Ok(renewed)
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) async fn report_worker(store: &PgStore, s: &WorkerStatus) -> Result<()> {
    const OP: &str = "recording a worker's heartbeat";
    sqlx::query(sql::REPORT_WORKER)
        .bind(&s.id)
        .bind(&s.host_name)
        .bind(i64::from(s.pid))
        .bind(s.state.as_str())
        .bind(s.started_at)
        .bind(s.last_seen)
        .bind(count(s.items_done))
        .bind(count(s.articles_new))
        .bind(count(s.errors))
        .bind(s.current_item.as_deref())
        .bind(s.last_error.as_deref())
        .execute(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    Ok(())
}

pub(super) async fn workers(store: &PgStore) -> Result<Vec<WorkerStatus>> {
    const OP: &str = "listing workers";
    let rows = sqlx::query(sql::WORKERS)
        .fetch_all(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    rows.iter()
        .map(|row| {
            Ok(worker_from_row!(Decoder {
                store,
                operation: OP,
                row,
            }))
        })
        .collect()
}

pub(super) async fn queue_stats(store: &PgStore) -> Result<QueueStats> {
    const OP: &str = "counting queued work";
    let row = sqlx::query(
        "SELECT \
            COUNT(*) FILTER (WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)), \
            COUNT(*) FILTER (WHERE lease_until > $1), \
            COUNT(*) FILTER (WHERE due_at > $1 AND (lease_until IS NULL OR lease_until <= $1)), \
            COUNT(*) FILTER (WHERE kind = 'article') \
         FROM work_queue",
    )
    .bind(now())
    .fetch_one(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    let d = Decoder {
        store,
        operation: OP,
        row: &row,
    };
    Ok(QueueStats {
        due: d.count(0)?,
        leased: d.count(1)?,
        waiting: d.count(2)?,
        articles: d.count(3)?,
    })
}
