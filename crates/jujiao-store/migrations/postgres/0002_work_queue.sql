-- Shared crawl work: what to fetch when, who has leased it, and per-host politeness.
-- See "Work queue" in SCHEMA.md. Claimed with FOR UPDATE SKIP LOCKED.

CREATE TABLE work_queue (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('list_page', 'article')),
    url          TEXT    COLLATE "C" NOT NULL,
    source_id    TEXT    NOT NULL,
    due_at       TIMESTAMPTZ NOT NULL,
    leased_by    TEXT,                      -- worker id, NULL when free
    lease_until  TIMESTAMPTZ,               -- NULL when free; ended leases count as free
    attempts     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, url)
);
CREATE INDEX work_queue_by_due ON work_queue (due_at);

-- `concurrency` rows per host (slot 0, 1, …), each the next time it may start a fetch.
CREATE TABLE host_slots (
    host           TEXT    COLLATE "C" NOT NULL,
    slot           INTEGER NOT NULL,
    next_start_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (host, slot)
);
