//! The shared work queue and host slots on PostgreSQL. Claims pick rows with
//! `FOR UPDATE SKIP LOCKED`: concurrent workers skip the rows another is taking instead
//! of waiting for it, and never get the same row.

use super::PgStore;
use super::crawl::now;
use super::read::Decoder;
use crate::error::Result;
use crate::types::WorkId;
use crate::work::{
    HostSlot, ListPageSeed, NewWork, WorkItem, WorkKind, after, earliest, sql, work_item_from_row,
};
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
        "INSERT INTO work_queue (kind, url, source_id, due_at, note, run_id) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], \
            $6::bigint[]) \
         ON CONFLICT (kind, url) DO UPDATE \
         SET due_at = LEAST(work_queue.due_at, excluded.due_at), \
             note = COALESCE(work_queue.note, excluded.note), \
             run_id = COALESCE(work_queue.run_id, excluded.run_id)",
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
    .bind(items.iter().map(|i| i.run.map(|r| r.0)).collect::<Vec<_>>())
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(())
}

fn decode_item(store: &PgStore, operation: &'static str, row: &PgRow) -> Result<WorkItem> {
    Ok(work_item_from_row!(Decoder {
        store,
        operation,
        row,
    }))
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
    let rows = sqlx::query(&format!(
        "WITH picked AS (SELECT id FROM work_queue \
            WHERE due_at <= $3 AND kind = ANY($4) \
              AND (lease_until IS NULL OR lease_until <= $3) \
            ORDER BY due_at, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
         UPDATE work_queue SET leased_by = $1, lease_until = $2, attempts = attempts + 1 \
         FROM picked WHERE work_queue.id = picked.id \
         RETURNING {}",
        qualified(sql::WORK_ITEM_COLUMNS)
    ))
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
        None => sqlx::query(sql::COMPLETE_REMOVE).bind(id.0).bind(worker),
        Some(t) => sqlx::query(sql::COMPLETE_AGAIN)
            .bind(id.0)
            .bind(worker)
            .bind(t),
    }
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(done.rows_affected() == 1)
}

/// `columns` with each name qualified by `work_queue.` (an `UPDATE … FROM` returns
/// columns of both tables).
fn qualified(columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("work_queue.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn seed_list_pages(store: &PgStore, pages: &[ListPageSeed]) -> Result<u64> {
    const OP: &str = "seeding the list pages";
    let now = now();
    let mut tx = store.pool.begin().await.map_err(store.query_error(OP))?;
    let mut added = 0;
    for page in pages {
        sqlx::query(sql::SEED_BRING_FORWARD)
            .bind(&page.url)
            .bind(after(now, page.interval))
            .execute(&mut *tx)
            .await
            .map_err(store.query_error(OP))?;
        added += sqlx::query(sql::SEED_INSERT)
            .bind(&page.url)
            .bind(&page.source_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(store.query_error(OP))?
            .rows_affected();
    }
    tx.commit().await.map_err(store.query_error(OP))?;
    Ok(added)
}

pub(super) async fn renew_leases(
    store: &PgStore,
    worker: &str,
    ids: &[WorkId],
    lease: Duration,
) -> Result<Vec<WorkId>> {
    const OP: &str = "renewing leases";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "UPDATE work_queue SET lease_until = $3 WHERE id = ANY($2) AND leased_by = $1 RETURNING id",
    )
    .bind(worker)
    .bind(ids.iter().map(|i| i.0).collect::<Vec<_>>())
    .bind(after(now(), lease))
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    rows.iter()
        .map(|row| {
            Ok(WorkId(
                Decoder {
                    store,
                    operation: OP,
                    row,
                }
                .int(0)?,
            ))
        })
        .collect()
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
