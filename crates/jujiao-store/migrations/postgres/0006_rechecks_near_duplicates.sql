-- Re-checks of stored article pages and near-duplicate detection (issue 4); the same
-- tables as migrations/sqlite. See "Re-checks" and "Near duplicates" in SCHEMA.md.

-- When each stored page was last fetched and the validators it answered with, so a
-- re-check is a conditional GET. A URL without a row was last fetched when first seen.
CREATE TABLE url_checks (
    url            TEXT    COLLATE "C" PRIMARY KEY,
    checked_at     TIMESTAMPTZ NOT NULL,
    etag           TEXT,
    last_modified  TEXT
);

-- A source's recently stored URLs: the pages due for a re-check are among them.
CREATE INDEX article_urls_by_source_seen ON article_urls (source, first_seen);

-- Articles by normalised title (whitespace removed): the candidates a new text is
-- compared with for near duplicates. The key's rule is `jujiao_store::title_key`; the
-- back-fill below spells the same rule in SQL.
CREATE TABLE title_keys (
    title_key   TEXT    COLLATE "C" NOT NULL,
    article_id  BIGINT  NOT NULL REFERENCES articles (id),
    PRIMARY KEY (title_key, article_id)
);

INSERT INTO title_keys (title_key, article_id)
SELECT REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(title,
       ' ', ''), chr(9), ''), chr(10), ''), chr(13), ''), chr(12288), ''), chr(160), ''),
       id
FROM articles
ON CONFLICT DO NOTHING;

-- URLs recorded as near duplicates of an article from another source.
ALTER TABLE article_urls DROP CONSTRAINT article_urls_kind_check;
ALTER TABLE article_urls ADD CONSTRAINT article_urls_kind_check
    CHECK (kind IN ('primary', 'duplicate', 'near_duplicate'));
