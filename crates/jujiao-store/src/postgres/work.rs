//! The shared work queue and host slots on PostgreSQL. Claims pick rows with
//! `FOR UPDATE SKIP LOCKED`: concurrent workers skip the rows another is taking instead
//! of waiting for it, and never get the same row.

use super::PgStore;
use super::crawl::now;
use super::read::Decoder;
use crate::error::Result;
use crate::types::WorkId;
use crate::work::{HostSlot, NewWork, WorkItem, WorkKind, after, earliest};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use std::time::Duration;

pub(super) async fn schedule_work(store: &PgStore, items: &[NewWork]) -> Result<()> {
    const OP: &str = "queueing work";
    // Deduplicated first: one statement may not update the same row twice.
    let items = earliest(items);
    if items.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO work_queue (kind, url, source_id, due_at, note) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) \
         ON CONFLICT (kind, url) DO UPDATE \
         SET due_at = LEAST(work_queue.due_at, excluded.due_at), \
             note = COALESCE(work_queue.note, excluded.note)",
    )
    .bind(items.iter().map(|i| i.kind.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.url.as_str()).collect::<Vec<_>>())
    .bind(
        items
            .iter()
            .map(|i| i.source_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(items.iter().map(|i| i.due_at).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.note.as_deref()).collect::<Vec<_>>())
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(())
}

fn decode_item(store: &PgStore, operation: &'static str, row: &PgRow) -> Result<WorkItem> {
    let d = Decoder {
        store,
        operation,
        row,
    };
    let kind = d.text(1)?;
    Ok(WorkItem {
        id: WorkId(d.int(0)?),
        kind: WorkKind::parse(&kind).ok_or_else(|| d.corrupt("work kind", kind.clone()))?,
        source_id: d.text(2)?,
        url: d.text(3)?,
        due_at: d.timestamp(4)?,
        lease_until: d.timestamp(5)?,
        attempts: d.revision(6)?,
        note: d.opt_text(7)?,
    })
}

pub(super) async fn claim_due_work(
    store: &PgStore,
    worker: &str,
    kinds: &[WorkKind],
    limit: u32,
    lease: Duration,
) -> Result<Vec<WorkItem>> {
    const OP: &str = "claiming work";
    if kinds.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let now = now();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let rows = sqlx::query(
        "WITH picked AS (SELECT id FROM work_queue \
            WHERE due_at <= $3 AND kind = ANY($4) \
              AND (lease_until IS NULL OR lease_until <= $3) \
            ORDER BY due_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
         UPDATE work_queue w SET leased_by = $1, lease_until = $2, attempts = w.attempts + 1 \
         FROM picked WHERE w.id = picked.id \
         RETURNING w.id, w.kind, w.source_id, w.url, w.due_at, w.lease_until, w.attempts, w.note",
    )
    .bind(worker)
    .bind(after(now, lease))
    .bind(now)
    .bind(kinds)
    .bind(i64::from(limit))
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    let mut items = rows
        .iter()
        .map(|row| decode_item(store, OP, row))
        .collect::<Result<Vec<_>>>()?;
    items.sort_by_key(|i| (i.due_at, i.id));
    Ok(items)
}

pub(super) async fn complete_work(
    store: &PgStore,
    id: WorkId,
    worker: &str,
    next_due: Option<DateTime<Utc>>,
) -> Result<bool> {
    const OP: &str = "completing work";
    let done = match next_due {
        None => sqlx::query("DELETE FROM work_queue WHERE id = $1 AND leased_by = $2")
            .bind(id.0)
            .bind(worker),
        Some(t) => sqlx::query(
            "UPDATE work_queue SET due_at = $3, leased_by = NULL, lease_until = NULL, \
             attempts = 0 WHERE id = $1 AND leased_by = $2",
        )
        .bind(id.0)
        .bind(worker)
        .bind(t),
    }
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn release_expired_leases(store: &PgStore) -> Result<u64> {
    const OP: &str = "releasing ended leases";
    let done = sqlx::query(
        "UPDATE work_queue SET leased_by = NULL, lease_until = NULL WHERE lease_until <= $1",
    )
    .bind(now())
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(done.rows_affected())
}

pub(super) async fn claim_host_slot(
    store: &PgStore,
    host: &str,
    interval: Duration,
    concurrency: u32,
) -> Result<HostSlot> {
    const OP: &str = "claiming a host slot";
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
    let granted = sqlx::query(
        "UPDATE host_slots h SET next_start_at = $4 FROM \
            (SELECT slot FROM host_slots WHERE host = $1 AND slot < $2 AND next_start_at <= $3 \
             ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) AS free \
         WHERE h.host = $1 AND h.slot = free.slot",
    )
    .bind(host)
    .bind(concurrency)
    .bind(now)
    .bind(after(now, interval))
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?
    .rows_affected()
        == 1;
    if granted {
        return Ok(HostSlot::Granted);
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
    // A slot that another worker was taking (skipped as locked) may already be free
    // again by now; asking at `now` is then the honest answer.
    Ok(HostSlot::NotBefore(next.max(now)))
}
