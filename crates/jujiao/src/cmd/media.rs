//! Where stored images and attachments live, and the crawl's file collector.

use jujiao_config::Settings;
use jujiao_fetch::Fetch;
use jujiao_media::{Collector, FileStore, MediaSettings};
use jujiao_store::Store;
use std::sync::Arc;

/// The file folder: `settings.files`, else `<db>.files` beside an SQLite database.
/// `None` for PostgreSQL without `settings.files` (workers on several machines must
/// share one folder, which jujiao cannot guess).
pub fn file_store(settings: Option<&Settings>, db: &str) -> Option<FileStore> {
    match settings.and_then(|s| s.files.clone()) {
        Some(dir) => Some(FileStore::new(dir)),
        None => FileStore::beside_database(db),
    }
}

/// Where the crawl keeps files and its caps, when `settings.media` is on and a file
/// folder is known (else a warning and `None`).
pub fn media(settings: &Settings, db: &str) -> Option<(FileStore, MediaSettings)> {
    if !settings.media {
        return None;
    }
    let Some(files) = file_store(Some(settings), db) else {
        eprintln!(
            "warning: images and attachments are not collected: set settings.files to a \
             folder all workers share (needed with PostgreSQL) / 未设置 settings.files，不下载图片和附件"
        );
        return None;
    };
    Some((
        files,
        MediaSettings {
            max_file_bytes: settings.media_max_file_bytes,
            max_article_bytes: settings.media_max_article_bytes,
        },
    ))
}

/// The crawl's collector, when `settings.media` is on and a file folder is known.
pub fn collector(
    settings: &Settings,
    db: &str,
    fetcher: Arc<dyn Fetch>,
    store: Arc<dyn Store>,
) -> Option<Collector> {
    let (files, caps) = media(settings, db)?;
    Some(Collector::new(fetcher, store, files, caps))
}
