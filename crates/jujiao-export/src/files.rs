//! The stored images and attachments of the exported articles ([`ExportFiles`]): the
//! zip puts them where `jujiao publish` files them (`<title>/图片/1.jpg`,
//! `<title>/附件/<name>`), the Word briefing embeds the images.

use crate::error::Result;
use jujiao_media::FileStore;
use jujiao_store::{ArticleFileEntry, FileRole, FiledArticle, Store};
use std::collections::HashMap;

/// The files of a set of articles, listed once (reading the bytes happens while
/// writing, one file at a time).
#[derive(Debug, Clone)]
pub struct ExportFiles {
    files: FileStore,
    by_article: HashMap<i64, Vec<ArticleFileEntry>>,
}

impl ExportFiles {
    /// Lists the stored files of `articles` (only articles that reference any are
    /// asked about).
    pub async fn collect(
        store: &dyn Store,
        files: FileStore,
        articles: &[FiledArticle],
    ) -> Result<Self> {
        let mut by_article = HashMap::new();
        for fa in articles {
            let a = &fa.article;
            if (a.images.is_empty() && a.attachments.is_empty())
                || by_article.contains_key(&fa.article_id.0)
            {
                continue;
            }
            let entries = store.article_files(fa.article_id).await?;
            if !entries.is_empty() {
                by_article.insert(fa.article_id.0, entries);
            }
        }
        Ok(Self { files, by_article })
    }

    /// The stored files of an article, images first.
    pub fn of(&self, article_id: i64) -> &[ArticleFileEntry] {
        self.by_article.get(&article_id).map_or(&[], Vec::as_slice)
    }

    /// The stored images of an article, in page order.
    pub fn images_of(&self, article_id: i64) -> impl Iterator<Item = &ArticleFileEntry> {
        self.of(article_id)
            .iter()
            .filter(|e| e.file.role == FileRole::Image)
    }

    /// The bytes of a stored file.
    pub fn read(&self, entry: &ArticleFileEntry) -> std::io::Result<Vec<u8>> {
        self.files.read(&entry.file.hash)
    }
}
