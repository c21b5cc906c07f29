-- Issue 17, bug 5a: an imported archive may hold the same story in several places (on
-- several days, or in 国内新闻 and 国际新闻 with different spacing). The archive's texts
-- are one article, but every place keeps its filing, with the file's own title and
-- paragraphs when they differ from the article's, so that publishing writes each file
-- back with the bytes the archive had.
--
-- `UNIQUE (article_id, column_name)` becomes: one filing per article and column for what
-- jujiao collects (legacy_path NULL), one filing per archive path for imported files.
-- SQLite cannot drop a table constraint: the table is rebuilt (nothing refers to it).
-- The new columns are added to the old table first: a second process opening the same
-- new file at once then fails at once ("duplicate column name", which the store's open
-- retries as a migration race) instead of rebuilding the table a second time.

ALTER TABLE filings ADD COLUMN legacy_title TEXT;
ALTER TABLE filings ADD COLUMN legacy_paragraphs TEXT;

CREATE TABLE filings_0013 (
    id                 INTEGER PRIMARY KEY,
    article_id         INTEGER NOT NULL REFERENCES articles (id),
    column_name        TEXT    NOT NULL,
    filing_date        TEXT,                -- NULL only for undated legacy files
    legacy_path        TEXT,
    legacy_layout      TEXT,                -- JSON, opaque to the store
    filed_at           TEXT    NOT NULL,
    legacy_title       TEXT,                -- the file's own title, when not the article's
    legacy_paragraphs  TEXT                 -- the file's own paragraphs (JSON), likewise
);
INSERT INTO filings_0013 (id, article_id, column_name, filing_date, legacy_path,
                          legacy_layout, filed_at, legacy_title, legacy_paragraphs)
    SELECT id, article_id, column_name, filing_date, legacy_path, legacy_layout, filed_at,
           legacy_title, legacy_paragraphs
    FROM filings;
DROP TABLE filings;
ALTER TABLE filings_0013 RENAME TO filings;
CREATE INDEX filings_by_date ON filings (filing_date, column_name);
CREATE INDEX filings_by_article ON filings (article_id);
CREATE UNIQUE INDEX filings_collected_once_per_column ON filings (article_id, column_name)
    WHERE legacy_path IS NULL;
CREATE UNIQUE INDEX filings_by_legacy_path ON filings (legacy_path)
    WHERE legacy_path IS NOT NULL;
