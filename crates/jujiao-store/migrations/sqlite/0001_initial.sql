-- jujiao store, initial schema (SQLite). See SCHEMA.md for the reasons behind each choice.
-- Timestamps are UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ`, dates `YYYY-MM-DD`: both sort
-- as text, and both map to TIMESTAMPTZ / DATE in PostgreSQL.

-- One row per distinct text. Holds the current content; superseded content is in
-- `revisions`.
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    fingerprint  BLOB    NOT NULL,          -- SHA-256 of title + visible text, 32 bytes
    revision     INTEGER NOT NULL DEFAULT 1,
    source       TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    published    TEXT,                      -- RFC 3339 with offset, or YYYY-MM-DD
    author       TEXT,
    origin       TEXT,
    editor       TEXT,
    paragraphs   TEXT    NOT NULL,          -- JSON array of raw paragraph strings
    images       TEXT,                      -- JSON array, NULL when empty
    attachments  TEXT,                      -- JSON array, NULL when empty
    fetched_at   TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
-- Exact-duplicate detection. Not UNIQUE: a revision may legitimately arrive at a text
-- another article already has.
CREATE INDEX articles_by_fingerprint ON articles (fingerprint);

-- Every URL ever recorded, and the article it belongs to.
CREATE TABLE article_urls (
    id             INTEGER PRIMARY KEY,     -- insertion order: rows append, only the url index is random
    url            TEXT    NOT NULL UNIQUE,
    article_id     INTEGER NOT NULL REFERENCES articles (id),
    source         TEXT    NOT NULL,
    kind           TEXT    NOT NULL,        -- 'primary' | 'duplicate'
    fingerprint    BLOB    NOT NULL,        -- fingerprint of what this URL served last
    offered_filing TEXT,                    -- duplicates: JSON of the filing not made
    first_seen     TEXT    NOT NULL
);
CREATE INDEX article_urls_by_article ON article_urls (article_id);

-- Superseded content, one row per revision that is no longer current.
CREATE TABLE revisions (
    article_id   INTEGER NOT NULL REFERENCES articles (id),
    revision     INTEGER NOT NULL,
    fingerprint  BLOB    NOT NULL,
    content      TEXT    NOT NULL,          -- the whole Article as JSON
    stored_at    TEXT    NOT NULL,          -- when this content became current
    PRIMARY KEY (article_id, revision)
) WITHOUT ROWID;

-- An article placed in a briefing column on a day.
CREATE TABLE filings (
    id             INTEGER PRIMARY KEY,
    article_id     INTEGER NOT NULL REFERENCES articles (id),
    column_name    TEXT    NOT NULL,
    filing_date    TEXT,                    -- NULL only for undated legacy files
    legacy_path    TEXT,
    legacy_layout  TEXT,                    -- JSON, opaque to the store
    filed_at       TEXT    NOT NULL,
    UNIQUE (article_id, column_name)
);
CREATE INDEX filings_by_date ON filings (filing_date, column_name);

-- Conditional-GET validators of list pages.
CREATE TABLE list_pages (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    updated_at     TEXT NOT NULL
) WITHOUT ROWID;

-- One crawl of one source; the counts are NULL until it finishes.
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    source_id      TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,
    finished_at    TEXT,
    list_pages     INTEGER,
    article_pages  INTEGER,
    new_articles   INTEGER,
    updated        INTEGER,
    unchanged      INTEGER,
    duplicates     INTEGER,
    errors         INTEGER,
    error_samples  TEXT,                    -- JSON array of strings
    verdict        TEXT
);
CREATE INDEX runs_by_source ON runs (source_id, id);
