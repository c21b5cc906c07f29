-- Images and attachments: content-addressed files and what each article references.
-- See "Files" in SCHEMA.md. The bytes live on disk (jujiao-media), not here.

CREATE TABLE files (
    hash         TEXT    COLLATE "C" PRIMARY KEY,   -- SHA-256 of the bytes, lower-case hex
    size         BIGINT  NOT NULL,
    mime         TEXT    NOT NULL,
    text_status  TEXT    NOT NULL CHECK (text_status IN ('text', 'scanned', 'none', 'failed')),
    text         TEXT,
    stored_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE article_files (
    article_id   BIGINT  NOT NULL REFERENCES articles (id),
    role         TEXT    NOT NULL CHECK (role IN ('image', 'attachment')),
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    source_url   TEXT    COLLATE "C" NOT NULL,
    hash         TEXT    COLLATE "C" NOT NULL REFERENCES files (hash),
    PRIMARY KEY (article_id, role, position)
);
CREATE INDEX article_files_by_url ON article_files (source_url);
CREATE INDEX article_files_by_hash ON article_files (hash);
