//! The shared work queue and host slots on SQLite: every claim is one write (a single
//! statement, or a `BEGIN IMMEDIATE` transaction), so SQLite's single writer makes it
//! atomic across processes sharing the file.

use super::SqliteStore;
use super::read::Decoder;
use crate::codec;
use crate::error::{Result, StoreError};
use crate::types::WorkId;
use crate::work::{
    HostSlot, ListPageSeed, NewWork, WorkItem, WorkKind, after, earliest, sql, work_item_from_row,
};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use std::time::Duration;

pub(super) async fn schedule_work(store: &SqliteStore, items: &[NewWork]) -> Result<()> {
    const OP: &str = "queueing work";
    if items.is_empty() {
        return Ok(());
    }
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store.query_error(OP))?;
    for item in earliest(items) {
        sqlx::query(
            "INSERT INTO work_queue (kind, url, source_id, due_at, note, run_id) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (kind, url) DO UPDATE SET due_at = MIN(due_at, excluded.due_at), \
             note = COALESCE(note, excluded.note), run_id = COALESCE(run_id, excluded.run_id)",
        )
        .bind(item.kind.as_str())
        .bind(&item.url)
        .bind(&item.source_id)
        .bind(codec::timestamp_text(item.due_at))
        .bind(item.note.as_deref())
        .bind(item.run.map(|r| r.0))
        .execute(&mut *tx)
        .await
        .map_err(store.query_error(OP))?;
    }
    tx.commit().await.map_err(store.query_error(OP))
}

fn decode_item(store: &SqliteStore, operation: &'static str, row: &SqliteRow) -> Result<WorkItem> {
    Ok(work_item_from_row!(Decoder {
        store,
        operation,
        row,
    }))
}

pub(super) async fn claim_due_work(
    store: &SqliteStore,
    worker: &str,
    kinds: &[WorkKind],
    limit: u32,
    lease: Duration,
) -> Result<Vec<WorkItem>> {
    const OP: &str = "claiming work";
    if kinds.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let kinds = serde_json::to_string(&kinds).map_err(|source| StoreError::Encode {
        operation: OP,
        what: "work kinds",
        source,
    })?;
    // One statement: SQLite runs it under its write lock, so two workers cannot pick
    // the same rows.
    let rows = sqlx::query(&format!(
        "UPDATE work_queue SET leased_by = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM work_queue \
            WHERE due_at <= $3 AND kind IN (SELECT value FROM json_each($4)) \
              AND (lease_until IS NULL OR lease_until <= $3) \
            ORDER BY due_at, id LIMIT $5) \
         RETURNING {}",
        sql::WORK_ITEM_COLUMNS
    ))
    .bind(worker)
    .bind(codec::timestamp_text(after(now, lease)))
    .bind(codec::timestamp_text(now))
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
    store: &SqliteStore,
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
            .bind(codec::timestamp_text(t)),
    }
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn seed_list_pages(store: &SqliteStore, pages: &[ListPageSeed]) -> Result<u64> {
    const OP: &str = "seeding the list pages";
    let now = Utc::now();
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store.query_error(OP))?;
    let mut added = 0;
    for page in pages {
        sqlx::query(sql::SEED_BRING_FORWARD)
            .bind(&page.url)
            .bind(codec::timestamp_text(after(now, page.interval)))
            .execute(&mut *tx)
            .await
            .map_err(store.query_error(OP))?;
        added += sqlx::query(sql::SEED_INSERT)
            .bind(&page.url)
            .bind(&page.source_id)
            .bind(codec::timestamp_text(now))
            .execute(&mut *tx)
            .await
            .map_err(store.query_error(OP))?
            .rows_affected();
    }
    tx.commit().await.map_err(store.query_error(OP))?;
    Ok(added)
}

pub(super) async fn renew_leases(
    store: &SqliteStore,
    worker: &str,
    ids: &[WorkId],
    lease: Duration,
) -> Result<Vec<WorkId>> {
    const OP: &str = "renewing leases";
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let until = codec::timestamp_text(after(Utc::now(), lease));
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store.query_error(OP))?;
    let mut held = Vec::new();
    for id in ids {
        let done =
            sqlx::query("UPDATE work_queue SET lease_until = $3 WHERE id = $2 AND leased_by = $1")
                .bind(worker)
                .bind(id.0)
                .bind(&until)
                .execute(&mut *tx)
                .await
                .map_err(store.query_error(OP))?;
        if done.rows_affected() == 1 {
            held.push(*id);
        }
    }
    tx.commit().await.map_err(store.query_error(OP))?;
    Ok(held)
}

pub(super) async fn release_expired_leases(store: &SqliteStore) -> Result<u64> {
    const OP: &str = "releasing ended leases";
    let done = sqlx::query(
        "UPDATE work_queue SET leased_by = NULL, lease_until = NULL WHERE lease_until <= $1",
    )
    .bind(codec::timestamp_text(Utc::now()))
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(done.rows_affected())
}

pub(super) async fn claim_host_slot(
    store: &SqliteStore,
    host: &str,
    interval: Duration,
    concurrency: u32,
) -> Result<HostSlot> {
    const OP: &str = "claiming a host slot";
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
    let granted = sqlx::query(
        "UPDATE host_slots SET next_start_at = $4 WHERE host = $1 AND slot = \
         (SELECT slot FROM host_slots WHERE host = $1 AND slot < $2 AND next_start_at <= $3 \
          ORDER BY slot LIMIT 1)",
    )
    .bind(host)
    .bind(concurrency)
    .bind(codec::timestamp_text(now))
    .bind(codec::timestamp_text(after(now, interval)))
    .execute(&mut *tx)
    .await
    .map_err(store.query_error(OP))?
    .rows_affected()
        == 1;
    let answer = if granted {
        HostSlot::Granted
    } else {
        let row =
            sqlx::query("SELECT MIN(next_start_at) FROM host_slots WHERE host = $1 AND slot < $2")
                .bind(host)
                .bind(concurrency)
                .fetch_one(&mut *tx)
                .await
                .map_err(store.query_error(OP))?;
        HostSlot::NotBefore(
            Decoder {
                store,
                operation: OP,
                row: &row,
            }
            .timestamp(0)?,
        )
    };
    tx.commit().await.map_err(store.query_error(OP))?;
    Ok(answer)
}
