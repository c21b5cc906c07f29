-- Re-checks of stored article pages and near-duplicate detection (issue 4).
-- See "Re-checks" and "Near duplicates" in SCHEMA.md.

-- When each stored page was last fetched and the validators it answered with, so a
-- re-check is a conditional GET. A URL without a row was last fetched when first seen.
CREATE TABLE url_checks (
    url            TEXT    PRIMARY KEY,
    checked_at     TEXT    NOT NULL,
    etag           TEXT,
    last_modified  TEXT
) WITHOUT ROWID;

-- A source's recently stored URLs: the pages due for a re-check are among them.
CREATE INDEX article_urls_by_source_seen ON article_urls (source, first_seen);

-- Articles by normalised title (whitespace removed): the candidates a new text is
-- compared with for near duplicates. The key's rule is `jujiao_store::title_key`; the
-- back-fill below spells the same rule in SQL.
CREATE TABLE title_keys (
    title_key   TEXT    NOT NULL,
    article_id  INTEGER NOT NULL REFERENCES articles (id),
    PRIMARY KEY (title_key, article_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO title_keys (title_key, article_id)
SELECT REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(title,
       ' ', ''), char(9), ''), char(10), ''), char(13), ''), char(12288), ''), char(160), ''),
       id
FROM articles;
