-- Watch rules, their matches and the outbox of alert deliveries. See "Watch" in SCHEMA.md.
-- Times are milliseconds since 1970 (UTC) in both backends, so the SQL is shared.

CREATE TABLE watch_rules (
    name           TEXT    PRIMARY KEY,
    query          TEXT    NOT NULL,
    columns        TEXT    NOT NULL,          -- JSON array of column names
    sources        TEXT    NOT NULL,          -- JSON array of source ids
    title_only     INTEGER NOT NULL,
    channels       TEXT    NOT NULL,          -- JSON array of channel names
    digest_minute  INTEGER,                   -- daily digest at this minute (Beijing)
    origin         TEXT    NOT NULL,          -- 'config' | 'web'
    updated_ms     INTEGER NOT NULL
);

-- One row per (rule, article): a rule fires once per article, whatever revisions follow.
CREATE TABLE watch_matches (
    id           INTEGER PRIMARY KEY,
    rule         TEXT    NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles (id),
    matched_ms   INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    source_id    TEXT    NOT NULL,
    column_name  TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    published    TEXT,
    excerpt      TEXT    NOT NULL,
    UNIQUE (rule, article_id)
);
CREATE INDEX watch_matches_by_time ON watch_matches (matched_ms);

-- One row per (match, channel): delivered once, leased while being sent.
CREATE TABLE watch_outbox (
    id              INTEGER PRIMARY KEY,
    match_id        INTEGER NOT NULL REFERENCES watch_matches (id),
    channel         TEXT    NOT NULL,
    due_ms          INTEGER NOT NULL,
    leased_by       TEXT,
    lease_until_ms  INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_ms    INTEGER,
    UNIQUE (match_id, channel)
);
CREATE INDEX watch_outbox_due ON watch_outbox (channel, delivered_ms, due_ms);

-- Per channel, the earliest time the next message may be sent (rate limits shared by
-- every process).
CREATE TABLE watch_channel_slots (
    channel   TEXT    PRIMARY KEY,
    next_ms   INTEGER NOT NULL
);
