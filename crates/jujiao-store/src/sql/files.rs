//! [`FileCatalog`]: stored files and the files each article references (`files`,
//! `article_files`).

use super::d;
use crate::FileCatalog;
use crate::codec::now;
use crate::error::Result;
use crate::files::{ArticleFile, ArticleFileEntry, FileRole, StoredFile, TextStatus};
use crate::types::ArticleId;
use async_trait::async_trait;
use std::collections::HashMap;

/// URLs per query: well under SQLite's 32,766 variables and PostgreSQL's message size.
const URL_CHUNK: usize = 500;

#[async_trait]
impl FileCatalog for d::This {
    async fn files_by_url(&self, urls: &[String]) -> Result<HashMap<String, String>> {
        const OP: &str = "looking up fetched file URLs";
        let sql = format!(
            "SELECT source_url, MIN(hash) FROM article_files WHERE source_url {} \
             GROUP BY source_url",
            d::in_list("$1")
        );
        let mut found = HashMap::new();
        for chunk in urls.chunks(URL_CHUNK) {
            let rows = sqlx::query(&sql)
                .bind(d::text_list(chunk))
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_error(OP))?;
            for row in &rows {
                let d = self.decoder(OP, row);
                found.insert(d.text(0)?, d.text(1)?);
            }
        }
        Ok(found)
    }

    async fn record_file(&self, file: &StoredFile) -> Result<bool> {
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
        .bind(d::time(now()))
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(done.rows_affected() == 1)
    }

    async fn attach_files(&self, article: ArticleId, files: &[ArticleFile]) -> Result<()> {
        const OP: &str = "attaching files to an article";
        let mut tx = self.begin_write(OP).await?;
        for f in files {
            sqlx::query(
                "INSERT INTO article_files (article_id, role, position, name, source_url, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (article_id, role, position) \
                 DO UPDATE SET name = excluded.name, source_url = excluded.source_url, \
                 hash = excluded.hash",
            )
            .bind(article.0)
            .bind(f.role.as_str())
            .bind(d::small(f.position))
            .bind(&f.name)
            .bind(&f.source_url)
            .bind(&f.hash)
            .execute(&mut *tx)
            .await
            .map_err(self.query_error(OP))?;
        }
        tx.commit().await.map_err(self.query_error(OP))
    }

    async fn detach_files_after(
        &self,
        article: ArticleId,
        role: FileRole,
        keep: u32,
    ) -> Result<()> {
        const OP: &str = "detaching files from an article";
        sqlx::query(
            "DELETE FROM article_files WHERE article_id = $1 AND role = $2 AND position > $3",
        )
        .bind(article.0)
        .bind(role.as_str())
        .bind(d::small(keep))
        .execute(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        Ok(())
    }

    async fn article_files(&self, article: ArticleId) -> Result<Vec<ArticleFileEntry>> {
        const OP: &str = "reading an article's files";
        let rows = sqlx::query(
            "SELECT af.role, af.position, af.name, af.source_url, af.hash, f.size, f.mime, \
             f.text_status FROM article_files af JOIN files f ON f.hash = af.hash \
             WHERE af.article_id = $1 ORDER BY af.role DESC, af.position",
        )
        .bind(article.0)
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_error(OP))?;
        rows.iter()
            .map(|row| {
                let d = self.decoder(OP, row);
                let role = d.text(0)?;
                let status = d.text(7)?;
                Ok(ArticleFileEntry {
                    file: ArticleFile {
                        role: FileRole::parse(&role)
                            .ok_or_else(|| d.corrupt("file role", role.clone()))?,
                        position: d.small(1, "file position")?,
                        name: d.text(2)?,
                        source_url: d.text(3)?,
                        hash: d.text(4)?,
                    },
                    size: d.count(5)?,
                    mime: d.text(6)?,
                    text_status: TextStatus::parse(&status)
                        .ok_or_else(|| d.corrupt("text status", status.clone()))?,
                })
            })
            .collect()
    }

    async fn file(&self, hash: &str) -> Result<Option<StoredFile>> {
        const OP: &str = "reading a file";
        let row = sqlx::query("SELECT size, mime, text_status, text FROM files WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_error(OP))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let d = self.decoder(OP, &row);
        let status = d.text(2)?;
        Ok(Some(StoredFile {
            hash: hash.to_owned(),
            size: d.count(0)?,
            mime: d.text(1)?,
            text_status: TextStatus::parse(&status)
                .ok_or_else(|| d.corrupt("text status", status.clone()))?,
            text: d.opt_text(3)?,
        }))
    }
}
