//! [`WorkQueue`] and [`HostSlots`]: the queue several workers share, their heartbeats,
//! and per-host politeness. Every claim is one statement: SQLite runs it under its
//! single writer's lock; PostgreSQL picks rows `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers skip the rows another is taking instead of waiting for it, and never get the
//! same row.

use super::{d, signed};
use crate::codec::now;
use crate::error::Result;
use crate::types::{RunId, WorkId};
use crate::work::{
    HostHold, HostPause, HostSlot, ListPageSeed, NewWork, QueueStats, WorkItem, WorkKind,
    WorkerState, WorkerStatus, after, earliest,
};
use crate::{HostSlots, WorkQueue};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The columns [`d::This::decode_item`] reads, in its order.
const WORK_ITEM_COLUMNS: &str =
    "id, kind, source_id, url, due_at, lease_until, attempts, note, run_id";

/// The columns [`d::This::decode_worker`] reads, in its order.
const WORKER_COLUMNS: &str = "id, host_name, pid, state, started_at, last_seen, items_done, \
     articles_new, errors, current_item, last_error";

impl d::This {
    fn decode_item(&self, operation: &'static str, row: &d::Row) -> Result<WorkItem> {
        let d = self.decoder(operation, row);
        let kind = d.text(1)?;
        Ok(WorkItem {
            id: WorkId(d.int(0)?),
            kind: WorkKind::parse(&kind).ok_or_else(|| d.corrupt("work kind", kind.clone()))?,
            source_id: d.text(2)?,
            url: d.text(3)?,
            due_at: d.timestamp(4)?,
            lease_until: d.timestamp(5)?,
            attempts: d.small(6, "attempts")?,
            note: d.opt_text(7)?,
            run: d.opt_int(8)?.map(RunId),
        })
    }

    fn decode_worker(&self, operation: &'static str, row: &d::Row) -> Result<WorkerStatus> {
        let d = self.decoder(operation, row);
        let state = d.text(3)?;
        let pid = d.int(2)?;
        Ok(WorkerStatus {
            id: d.text(0)?,
            host_name: d.text(1)?,
            pid: u32::try_from(pid)
                .map_err(|_| d.corrupt("worker pid", format!("{pid} is out of range")))?,
            state: WorkerState::parse(&state)
                .ok_or_else(|| d.corrupt("worker state", state.clone()))?,
            started_at: d.timestamp(4)?,
            last_seen: d.timestamp(5)?,
            items_done: d.count(6)?,
            articles_new: d.count(7)?,
            errors: d.count(8)?,
            current_item: d.opt_text(9)?,
            last_error: d.opt_text(10)?,
        })
    }

    /// Takes the lowest of `host`'s first `concurrency` slots that is free at `now`
    /// (creating the slots on first use): it becomes busy until `until`, held by
    /// `holder` (`None`: a start that nobody releases). `Err(t)`: none is free, ask
    /// again at `t`.
    async fn take_host_slot(
        &self,
        operation: &'static str,
        host: &str,
        concurrency: u32,
        until: DateTime<Utc>,
        holder: Option<&str>,
    ) -> Result<std::result::Result<u32, DateTime<Utc>>> {
        let concurrency = d::small(concurrency.max(1));
        let now = now();
        sqlx::query(
            "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2) \
             INSERT INTO host_slots (host, slot, next_start_at) SELECT $1, n, $3 FROM s \
             WHERE true ON CONFLICT (host, slot) DO NOTHING",
        )
        .bind(host)
        .bind(concurrency)
        .bind(d::time(DateTime::<Utc>::UNIX_EPOCH))
        .execute(&self.pool)
        .await
        .map_err(self.query_error(operation))?;
        let taken = sqlx::query(&format!(
            "UPDATE host_slots SET next_start_at = $4, held_by = $5 WHERE host = $1 AND slot = \
             (SELECT slot FROM host_slots WHERE host = $1 AND slot < $2 AND next_start_at <= $3 \
              ORDER BY slot LIMIT 1{}) RETURNING slot",
            d::SKIP_LOCKED
        ))
        .bind(host)
        .bind(concurrency)
        .bind(d::time(now))
        .bind(d::time(until))
        .bind(holder)
        .fetch_optional(&self.pool)
        .await
        .map_err(self.query_error(operation))?;
        if let Some(row) = taken {
            return Ok(Ok(self.decoder(operation, &row).small(0, "slot")?));
        }
        let row =
            sqlx::query("SELECT MIN(next_start_at) FROM host_slots WHERE host = $1 AND slot < $2")
                .bind(host)
                .bind(concurrency)
                .fetch_one(&self.pool)
                .await
                .map_err(self.query_error(operation))?;
        let next = self.decoder(operation, &row).timestamp(0)?;
        // A slot that another worker was taking (skipped as locked) may already be free
        // again by now; asking at `now` is then the honest answer.
        Ok(Err(next.max(now)))
    }
}

#[async_trait]
impl WorkQueue for d::This {
    async fn schedule_work(&self, items: &[NewWork]) -> Result<()> {
        const OP: &str = "queueing work";
        // Deduplicated first: one statement may not update the same row twice.
        let items = earliest(items);
        if items.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO work_queue (kind, url, source_id, due_at, note, run_id) {} \
             ON CONFLICT (kind, url) DO UPDATE SET due_at = CASE \
                WHEN excluded.due_at < work_queue.due_at THEN excluded.due_at \
                ELSE work_queue.due_at END, \
             note = COALESCE(work_queue.note, excluded.note), \
             run_id = COALESCE(work_queue.run_id, excluded.run_id)",
            d::WORK_ROWS
        );
        d::bind_work_rows(sqlx::query(&sql), &items)
            .execute(&self.pool)
            .await
            .map_err(self.query_error(OP))?;
        Ok(())
    }

    async fn seed_list_pages(&self, pages: &[ListPageSeed]) -> Result<u64> {
        const OP: &str = "seeding the list pages";
        let now = now();
        let mut tx = self.begin_write(OP).await?;
        let mut added = 0;
        for page in pages {
            // A queued list page is brought forward to at most its interval from now,
            // never pushed back.
            sqlx::query(
                "UPDATE work_queue SET due_at = CASE WHEN due_at > $2 THEN $2 ELSE due_at END \
                 WHERE kind = 'list_page' AND url = $1",
            )
            .bind(&page.url)
            .bind(d::time(after(now, page.interval)))
            .execute(&mut *tx)
            .await
            .map_err(self.query_error(OP))?;
            added += sqlx::query(
                "INSERT INTO work_queue (kind, url, source_id, due_at) \
                 VALUES ('list_page', $1, $2, $3) ON CONFLICT (kind, url) DO NOTHING",
            )
            .bind(&page.url)
            .bind(&page.source_id)
            .bind(d::time(now))
            .execute(&mut *tx)
            .await
            .map_err(self.query_error(OP))?
            .rows_affected();
        }
        tx.commit().await.map_err(self.query_error(OP))?;
        Ok(added)
    }

    async fn renew_leases(
        &self,
        worker: &str,
        ids: &[WorkId],
        lease: Duration,
    ) -> Result<Vec<WorkId>> {
        const OP: &str = "renewing leases";
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        let rows = sqlx::query(&format!(
            "UPDATE work_queue SET lease_until = $3 WHERE id {} AND leased_by = $1 RETURNING id",
            d::in_list("$2")
        ))
        .bind(worker)
        .bind(d::int_list(&ids))
        .bind(d::time(after(now(), lease)))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        let mut held = rows
            .iter()
            .map(|row| Ok(WorkId(self.decoder(OP, row).int(0)?)))
            .collect::<Result<Vec<_>>>()?;
        held.sort_unstable();
        Ok(held)
    }

    async fn claim_due_work(
        &self,
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
            "UPDATE work_queue SET leased_by = $1, lease_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM work_queue \
                WHERE due_at <= $3 AND kind {} \
                  AND (lease_until IS NULL OR lease_until <= $3) \
                ORDER BY due_at, id LIMIT $5{}) \
             RETURNING {WORK_ITEM_COLUMNS}",
            d::in_list("$4"),
            d::SKIP_LOCKED
        ))
        .bind(worker)
        .bind(d::time(after(now, lease)))
        .bind(d::time(now))
        .bind(d::text_list(&kinds))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        let mut items = rows
            .iter()
            .map(|row| self.decode_item(OP, row))
            .collect::<Result<Vec<_>>>()?;
        items.sort_by_key(|i| (i.due_at, i.id));
        Ok(items)
    }

    async fn complete_work(
        &self,
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
            .bind(d::time(t)),
        }
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_expired_leases(&self) -> Result<u64> {
        const OP: &str = "releasing ended leases";
        let done = sqlx::query(
            "UPDATE work_queue SET leased_by = NULL, lease_until = NULL WHERE lease_until <= $1",
        )
        .bind(d::time(now()))
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(done.rows_affected())
    }

    async fn report_worker(&self, s: &WorkerStatus) -> Result<()> {
        const OP: &str = "recording a worker's heartbeat";
        sqlx::query(&format!(
            "INSERT INTO workers ({WORKER_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (id) DO UPDATE SET host_name = excluded.host_name, \
                pid = excluded.pid, state = excluded.state, started_at = excluded.started_at, \
                last_seen = excluded.last_seen, items_done = excluded.items_done, \
                articles_new = excluded.articles_new, errors = excluded.errors, \
                current_item = excluded.current_item, last_error = excluded.last_error"
        ))
        .bind(&s.id)
        .bind(&s.host_name)
        .bind(i64::from(s.pid))
        .bind(s.state.as_str())
        .bind(d::time(s.started_at))
        .bind(d::time(s.last_seen))
        .bind(signed(s.items_done))
        .bind(signed(s.articles_new))
        .bind(signed(s.errors))
        .bind(s.current_item.as_deref())
        .bind(s.last_error.as_deref())
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(())
    }

    async fn workers(&self) -> Result<Vec<WorkerStatus>> {
        const OP: &str = "listing workers";
        let rows = sqlx::query(&format!(
            "SELECT {WORKER_COLUMNS} FROM workers ORDER BY last_seen DESC, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter().map(|row| self.decode_worker(OP, row)).collect()
    }

    async fn queue_stats(&self) -> Result<QueueStats> {
        const OP: &str = "counting queued work";
        let row = sqlx::query(
            "SELECT \
                COUNT(*) FILTER (WHERE due_at <= $1 \
                    AND (lease_until IS NULL OR lease_until <= $1)), \
                COUNT(*) FILTER (WHERE lease_until > $1), \
                COUNT(*) FILTER (WHERE due_at > $1 \
                    AND (lease_until IS NULL OR lease_until <= $1)), \
                COUNT(*) FILTER (WHERE kind = 'article') \
             FROM work_queue",
        )
        .bind(d::time(now()))
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        let d = self.decoder(OP, &row);
        Ok(QueueStats {
            due: d.count(0)?,
            leased: d.count(1)?,
            waiting: d.count(2)?,
            articles: d.count(3)?,
        })
    }
}

#[async_trait]
impl HostSlots for d::This {
    async fn claim_host_slot(
        &self,
        host: &str,
        interval: Duration,
        concurrency: u32,
    ) -> Result<HostSlot> {
        const OP: &str = "claiming a host slot";
        let until = after(now(), interval);
        Ok(
            match self
                .take_host_slot(OP, host, concurrency, until, None)
                .await?
            {
                Ok(_) => HostSlot::Granted,
                Err(next) => HostSlot::NotBefore(next),
            },
        )
    }

    async fn hold_host_slot(
        &self,
        host: &str,
        holder: &str,
        concurrency: u32,
        hold: Duration,
    ) -> Result<HostHold> {
        const OP: &str = "holding a host slot";
        let until = after(now(), hold);
        let taken = self.take_host_slot(OP, host, concurrency, until, Some(holder));
        Ok(match taken.await? {
            Ok(slot) => HostHold::Held { slot },
            Err(next) => HostHold::NotBefore(next),
        })
    }

    async fn release_host_slot(
        &self,
        host: &str,
        slot: u32,
        holder: &str,
        gap: Duration,
    ) -> Result<bool> {
        const OP: &str = "releasing a host slot";
        let done = sqlx::query(
            "UPDATE host_slots SET next_start_at = $4, held_by = NULL \
             WHERE host = $1 AND slot = $2 AND held_by = $3",
        )
        .bind(host)
        .bind(d::small(slot))
        .bind(holder)
        .bind(d::time(after(now(), gap)))
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(done.rows_affected() == 1)
    }

    async fn renew_host_holds(
        &self,
        holder: &str,
        slots: &[(String, u32)],
        hold: Duration,
    ) -> Result<u64> {
        const OP: &str = "renewing host slot holds";
        let until = after(now(), hold);
        let mut renewed = 0;
        for (host, slot) in slots {
            // Renewed only by its holder, never shortened.
            renewed += sqlx::query(
                "UPDATE host_slots SET next_start_at = \
                    CASE WHEN next_start_at < $4 THEN $4 ELSE next_start_at END \
                 WHERE host = $1 AND slot = $2 AND held_by = $3",
            )
            .bind(host)
            .bind(d::small(*slot))
            .bind(holder)
            .bind(d::time(until))
            .execute(&self.pool)
            .await
            .map_err(self.query_error(OP))?
            .rows_affected();
        }
        Ok(renewed)
    }

    async fn pause_host(&self, host: &str, until: DateTime<Utc>, reason: &str) -> Result<()> {
        self.store_host_pause(host, until, reason).await
    }

    async fn host_pause(&self, host: &str) -> Result<Option<HostPause>> {
        self.read_host_pause(host).await
    }
}
