-- Shared crawl work: what to fetch when, who has leased it, and per-host politeness.
-- See "Work queue" in SCHEMA.md.

CREATE TABLE work_queue (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,          -- 'list_page' | 'article'
    url          TEXT    NOT NULL,
    source_id    TEXT    NOT NULL,
    due_at       TEXT    NOT NULL,
    leased_by    TEXT,                      -- worker id, NULL when free
    lease_until  TEXT,                      -- NULL when free; ended leases count as free
    attempts     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, url)
);
CREATE INDEX work_queue_by_due ON work_queue (due_at);

-- `concurrency` rows per host (slot 0, 1, …), each the next time it may start a fetch.
CREATE TABLE host_slots (
    host           TEXT    NOT NULL,
    slot           INTEGER NOT NULL,
    next_start_at  TEXT    NOT NULL,
    PRIMARY KEY (host, slot)
) WITHOUT ROWID;
