-- Images and attachments: content-addressed files and what each article references.
-- See "Files" in SCHEMA.md. The bytes live on disk (jujiao-media), not here.

CREATE TABLE files (
    hash         TEXT    PRIMARY KEY,       -- SHA-256 of the bytes, lower-case hex
    size         INTEGER NOT NULL,
    mime         TEXT    NOT NULL,          -- from the bytes (magic), not the server's label
    text_status  TEXT    NOT NULL,          -- 'text' | 'scanned' | 'none' | 'failed'
    text         TEXT,                      -- extracted text of an attachment, if any
    stored_at    TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE article_files (
    article_id   INTEGER NOT NULL REFERENCES articles (id),
    role         TEXT    NOT NULL,          -- 'image' | 'attachment'
    position     INTEGER NOT NULL,          -- 1-based, in page order per role
    name         TEXT    NOT NULL,          -- safe file name shown and filed
    source_url   TEXT    NOT NULL,
    hash         TEXT    NOT NULL REFERENCES files (hash),
    PRIMARY KEY (article_id, role, position)
) WITHOUT ROWID;
CREATE INDEX article_files_by_url ON article_files (source_url);
CREATE INDEX article_files_by_hash ON article_files (hash);
