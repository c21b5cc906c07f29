-- Issue 17, bug 5a: an imported archive may hold the same story in several places (on
-- several days, or in 国内新闻 and 国际新闻 with different spacing). The archive's texts
-- are one article, but every place keeps its filing, with the file's own title and
-- paragraphs when they differ from the article's, so that publishing writes each file
-- back with the bytes the archive had.
--
-- `UNIQUE (article_id, column_name)` becomes: one filing per article and column for what
-- jujiao collects (legacy_path NULL), one filing per archive path for imported files.

ALTER TABLE filings DROP CONSTRAINT filings_article_id_column_name_key;
ALTER TABLE filings ADD COLUMN legacy_title TEXT;
ALTER TABLE filings ADD COLUMN legacy_paragraphs TEXT;
CREATE INDEX filings_by_article ON filings (article_id);
CREATE UNIQUE INDEX filings_collected_once_per_column ON filings (article_id, column_name)
    WHERE legacy_path IS NULL;
CREATE UNIQUE INDEX filings_by_legacy_path ON filings (legacy_path)
    WHERE legacy_path IS NOT NULL;
