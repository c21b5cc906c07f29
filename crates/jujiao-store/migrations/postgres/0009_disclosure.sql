-- The 政府信息公开 table of an article (issue 15): 索引号, 主题分类, 发文机关, 成文日期,
-- 发文字号, 发布日期, 有效性, 公开方式. One row per article that has one, written in
-- the article's own transaction (src/disclosure.rs). See "Disclosure" in SCHEMA.md.
-- Days are TEXT `YYYY-MM-DD` as in SQLite, so both backends share the SQL.

CREATE TABLE disclosures (
    article_id   BIGINT PRIMARY KEY REFERENCES articles (id),
    index_no     TEXT,
    topic        TEXT,
    issuer       TEXT,
    written_on   TEXT,
    doc_number   TEXT,
    published_on TEXT,
    validity     TEXT,
    method       TEXT
);
CREATE INDEX disclosures_by_doc_number ON disclosures (doc_number);
CREATE INDEX disclosures_by_issuer ON disclosures (issuer);
