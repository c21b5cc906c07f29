-- Crawler workers sharing one crawl (`jujiao worker`): who is running and what it does,
-- what a queued article page needs from its list page, and host slots held during a
-- fetch. See "Workers" in SCHEMA.md.

-- The list page's facts about an article link (link text, list date) as JSON, so the
-- worker that fetches the article later can use them.
ALTER TABLE work_queue ADD COLUMN note TEXT;

-- The worker holding a slot while its fetch runs (NULL: free from next_start_at on).
ALTER TABLE host_slots ADD COLUMN held_by TEXT;

CREATE TABLE workers (
    id            TEXT    COLLATE "C" PRIMARY KEY, -- `--id`, default `<host name>-<pid>`
    host_name     TEXT    NOT NULL,
    pid           BIGINT  NOT NULL,
    state         TEXT    NOT NULL,          -- 'running' | 'stopping' | 'stopped'
    started_at    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,      -- heartbeat
    items_done    BIGINT  NOT NULL DEFAULT 0,
    articles_new  BIGINT  NOT NULL DEFAULT 0,
    errors        BIGINT  NOT NULL DEFAULT 0,
    current_item  TEXT,                      -- URL being worked on, NULL when idle
    last_error    TEXT
);
