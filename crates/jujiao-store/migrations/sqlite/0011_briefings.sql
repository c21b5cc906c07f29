-- The editor's desk: briefing series (每日简报), their issues (一期) and the items an
-- issue draws from articles. See "Briefings" in SCHEMA.md.

CREATE TABLE briefing_series (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,   -- the red header's text
    unit          TEXT    NOT NULL,          -- 编印单位
    numbering     TEXT    NOT NULL,          -- 'continuous' | 'yearly'
    columns_json  TEXT    NOT NULL,          -- JSON array of column names, in order
    send_to       TEXT    NOT NULL,          -- 报送
    copy_to       TEXT    NOT NULL,          -- 抄送
    copies        INTEGER NOT NULL,          -- 印数
    updated_by    TEXT,                      -- NULL: seeded from the sources file
    updated_at    TEXT    NOT NULL
);

CREATE TABLE briefing_issues (
    id            INTEGER PRIMARY KEY,
    series_id     INTEGER NOT NULL REFERENCES briefing_series(id),
    kind          TEXT    NOT NULL,          -- 'regular' | 'supplement' (增刊)
    status        TEXT    NOT NULL,          -- 'draft' | 'issued'
    issue_date    TEXT    NOT NULL,          -- the date printed under the header
    columns_json  TEXT    NOT NULL,          -- section order, JSON array
    send_to       TEXT    NOT NULL,
    copy_to       TEXT    NOT NULL,
    copies        INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1, -- optimistic check of concurrent edits
    created_by    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_by    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    corrects      INTEGER REFERENCES briefing_issues(id), -- the issue this one corrects (更正)
    -- Set when issued, never changed after:
    number        INTEGER,                   -- 期号
    year_key      INTEGER,                   -- the year for yearly numbering, else 0
    correction    INTEGER,                   -- 0 for the issue, 1, 2 … for its corrections
    issued_by     TEXT,
    issued_at     TEXT,
    article_mark  INTEGER,                   -- highest article id when issued ("new since")
    issued_text   TEXT                       -- JSON: the issue exactly as issued
);

CREATE UNIQUE INDEX briefing_issues_number
    ON briefing_issues (series_id, kind, year_key, number, correction);
CREATE INDEX briefing_issues_series ON briefing_issues (series_id, status);

CREATE TABLE briefing_items (
    issue_id      INTEGER NOT NULL REFERENCES briefing_issues(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,          -- order within the issue (column order aside)
    article_id    INTEGER NOT NULL REFERENCES articles(id),
    column_name   TEXT    NOT NULL,          -- the section it is printed in
    title         TEXT,                      -- the edited title; NULL: the article's
    mode          TEXT    NOT NULL,          -- 'full' | 'first' | 'summary'
    paragraphs    INTEGER,                   -- for 'first'
    summary       TEXT,                      -- for 'summary' (摘要)
    note          TEXT,                      -- 按语
    PRIMARY KEY (issue_id, position)
);

CREATE INDEX briefing_items_article ON briefing_items (article_id);
