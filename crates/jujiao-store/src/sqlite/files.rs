//! Stored files and the files each article references (`files`, `article_files`).

use super::SqliteStore;
use crate::codec;
use crate::error::Result;
use crate::files::{ArticleFile, ArticleFileEntry, FileRole, StoredFile, TextStatus};
use crate::types::ArticleId;
use chrono::Utc;
use sqlx::Row;
use std::collections::HashMap;

/// URLs per `IN (…)` query: well under SQLite's 32,766 variables.
const URL_CHUNK: usize = 500;

pub(super) async fn files_by_url(
    store: &SqliteStore,
    urls: &[String],
) -> Result<HashMap<String, String>> {
    const OP: &str = "looking up fetched file URLs";
    let mut found = HashMap::new();
    for chunk in urls.chunks(URL_CHUNK) {
        let marks = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT source_url, hash FROM article_files WHERE source_url IN ({marks}) \
             GROUP BY source_url"
        );
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q.bind(u);
        }
        let rows = q
            .fetch_all(&store.pool)
            .await
            .map_err(store.query_error(OP))?;
        for row in rows {
            let url: String = row.try_get(0).map_err(store.query_error(OP))?;
            let hash: String = row.try_get(1).map_err(store.query_error(OP))?;
            found.insert(url, hash);
        }
    }
    Ok(found)
}

pub(super) async fn record_file(store: &SqliteStore, file: &StoredFile) -> Result<bool> {
    const OP: &str = "storing a file";
    let done = sqlx::query(
        "INSERT INTO files (hash, size, mime, text_status, text, stored_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
    )
    .bind(&file.hash)
    .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
    .bind(&file.mime)
    .bind(file.text_status.as_str())
    .bind(&file.text)
    .bind(codec::timestamp_text(Utc::now()))
    .execute(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn attach_files(
    store: &SqliteStore,
    article: ArticleId,
    files: &[ArticleFile],
) -> Result<()> {
    const OP: &str = "attaching files to an article";
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store.query_error(OP))?;
    for f in files {
        sqlx::query(
            "INSERT INTO article_files (article_id, role, position, name, source_url, hash) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (article_id, role, position) \
             DO UPDATE SET name = excluded.name, source_url = excluded.source_url, \
             hash = excluded.hash",
        )
        .bind(article.0)
        .bind(f.role.as_str())
        .bind(i64::from(f.position))
        .bind(&f.name)
        .bind(&f.source_url)
        .bind(&f.hash)
        .execute(&mut *tx)
        .await
        .map_err(store.query_error(OP))?;
    }
    tx.commit().await.map_err(store.query_error(OP))
}

pub(super) async fn detach_files_after(
    store: &SqliteStore,
    article: ArticleId,
    role: FileRole,
    keep: u32,
) -> Result<()> {
    const OP: &str = "detaching files from an article";
    sqlx::query("DELETE FROM article_files WHERE article_id = $1 AND role = $2 AND position > $3")
        .bind(article.0)
        .bind(role.as_str())
        .bind(i64::from(keep))
        .execute(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    Ok(())
}

pub(super) async fn article_files(
    store: &SqliteStore,
    article: ArticleId,
) -> Result<Vec<ArticleFileEntry>> {
    const OP: &str = "reading an article's files";
    let rows = sqlx::query(
        "SELECT af.role, af.position, af.name, af.source_url, af.hash, f.size, f.mime, \
         f.text_status FROM article_files af JOIN files f ON f.hash = af.hash \
         WHERE af.article_id = $1 ORDER BY af.role DESC, af.position",
    )
    .bind(article.0)
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error(OP))?;
    rows.iter()
        .map(|row| {
            let get_text = |i: usize| -> Result<String> {
                row.try_get::<String, _>(i).map_err(store.query_error(OP))
            };
            let get_int = |i: usize| -> Result<i64> {
                row.try_get::<i64, _>(i).map_err(store.query_error(OP))
            };
            let role = get_text(0)?;
            let status = get_text(7)?;
            Ok(ArticleFileEntry {
                file: ArticleFile {
                    role: FileRole::parse(&role)
                        .ok_or_else(|| store.corrupt(OP, "file role", role.clone()))?,
                    position: u32::try_from(get_int(1)?).unwrap_or(0),
                    name: get_text(2)?,
                    source_url: get_text(3)?,
                    hash: get_text(4)?,
                },
                size: u64::try_from(get_int(5)?).unwrap_or(0),
                mime: get_text(6)?,
                text_status: TextStatus::parse(&status)
                    .ok_or_else(|| store.corrupt(OP, "text status", status.clone()))?,
            })
        })
        .collect()
}

pub(super) async fn file(store: &SqliteStore, hash: &str) -> Result<Option<StoredFile>> {
    const OP: &str = "reading a file";
    let row = sqlx::query("SELECT size, mime, text_status, text FROM files WHERE hash = $1")
        .bind(hash)
        .fetch_optional(&store.pool)
        .await
        .map_err(store.query_error(OP))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let size: i64 = row.try_get(0).map_err(store.query_error(OP))?;
    let status: String = row.try_get(2).map_err(store.query_error(OP))?;
    Ok(Some(StoredFile {
        hash: hash.to_owned(),
        size: u64::try_from(size).unwrap_or(0),
        mime: row.try_get(1).map_err(store.query_error(OP))?,
        text_status: TextStatus::parse(&status)
            .ok_or_else(|| store.corrupt(OP, "text status", status.clone()))?,
        text: row.try_get(3).map_err(store.query_error(OP))?,
    }))
}
