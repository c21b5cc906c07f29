//! Workers on SQLite: host slots held for the length of a fetch, worker heartbeats and
//! queue counts. Holding a slot is one `BEGIN IMMEDIATE` transaction, so SQLite's single
//! writer makes it atomic across processes sharing the file.

use super::SqliteStore;
use super::read::Decoder;
use crate::codec;
use crate::error::Result;
use crate::work::{HostHold, QueueStats, WorkerStatus, after, sql, worker_from_row};
use chrono::{DateTime, Utc};
use std::time::Duration;

pub(super) async fn hold_host_slot(
    store: &SqliteStore,
    host: &str,
    holder: &str,
    concurrency: u32,
    hold: Duration,
) -> Result<HostHold> {
    const OP: &str = "holding a host slot";
    let concurrency = i64::from(concurrency.max(1));
    let now = Utc::now();
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store.query_error(OP))?;
    sqlx::query(
        "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2) \
         INSERT INTO host_slots (host, slot, next_start_at) SELECT $1, n, $3 FROM s \
         WHERE true ON CONFLICT (host, slot) DO NOTHING",
    )
    .bind(host)
    .bind(concurrency)
    .bind(codec::timestamp_text(DateTime::<Utc>::UNIX_EPOCH))
    .execute(&mut *tx)
    .await
    .map_err(store.query_error(OP))?;
    let held = sqlx::query(
        "UPDATE host_slots SET next_start_at = $4, held_by = $5 WHERE host = $1 AND slot = \
         (SELECT slot FROM host_slots WHERE host = $1 AND slot < $2 AND next_start_at <= $3 \
          ORDER BY slot LIMIT 1) RETURNING slot",
    )
    .bind(host)
    .bind(concurrency)
    .bind(codec::timestamp_text(now))
    .bind(codec::timestamp_text(after(now, hold)))
    .bind(holder)
    .fetch_optional(&mut *tx)
    .await
    .map_err(store.query_error(OP))?;
    let answer = match held {
        Some(row) => {
            let slot = Decoder {
                store,
                operation: OP,
                row: &row,
            }
            .revision(0)?;
            HostHold::Held { slot }
        }
        None => {
            let row = sqlx::query(
                "SELECT MIN(next_start_at) FROM host_slots WHERE host = $1 AND slot < $2",
            )
            .bind(host)
            .bind(concurrency)
            .fetch_one(&mut *tx)
            .await
            .map_err(store.query_error(OP))?;
            HostHold::NotBefore(
                Decoder {
                    store,
                    operation: OP,
                    row: &row,
                }
                .timestamp(0)?,
            )
        }
    };
    tx.commit().await.map_err(store.query_error(OP))?;
    Ok(answer)
}

pub(super) async fn release_host_slot(
    store: &SqliteStore,
    host: &str,
    slot: u32,
    holder: &str,
    gap: Duration,
) -> Result<bool> {
    const OP: &str = "releasing a host slot";
    let done = sqlx::query(sql::RELEASE_HOLD)
        .bind(host)
        .bind(i64::from(slot))
        .bind(holder)
        .bind(codec::timestamp_text(after(Utc::now(), gap)))
        .execute(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn renew_host_holds(
    store: &SqliteStore,
    holder: &str,
    slots: &[(String, u32)],
    hold: Duration,
) -> Result<u64> {
    const OP: &str = "renewing host slot holds";
    let until = codec::timestamp_text(after(Utc::now(), hold));
    let mut renewed = 0;
    for (host, slot) in slots {
        renewed += sqlx::query(sql::RENEW_HOLD)
            .bind(host)
            .bind(i64::from(*slot))
            .bind(holder)
            .bind(&until)
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

pub(super) async fn report_worker(store: &SqliteStore, s: &WorkerStatus) -> Result<()> {
    const OP: &str = "recording a worker's heartbeat";
    sqlx::query(sql::REPORT_WORKER)
        .bind(&s.id)
        .bind(&s.host_name)
        .bind(i64::from(s.pid))
        .bind(s.state.as_str())
        .bind(codec::timestamp_text(s.started_at))
        .bind(codec::timestamp_text(s.last_seen))
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

pub(super) async fn workers(store: &SqliteStore) -> Result<Vec<WorkerStatus>> {
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

pub(super) async fn queue_stats(store: &SqliteStore) -> Result<QueueStats> {
    const OP: &str = "counting queued work";
    let row = sqlx::query(
        "SELECT \
            COALESCE(SUM(due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)), 0), \
            COALESCE(SUM(lease_until > $1), 0), \
            COALESCE(SUM(due_at > $1 AND (lease_until IS NULL OR lease_until <= $1)), 0), \
            COALESCE(SUM(kind = 'article'), 0) \
         FROM work_queue",
    )
    .bind(codec::timestamp_text(Utc::now()))
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
