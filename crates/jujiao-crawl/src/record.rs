//! The one way the crawler records articles: [`Crawler::record`]. The batch goes to the
//! store in one transaction (`WatchStore::record_articles_watched`); then the images and attachments
//! of its added and revised articles are collected by the crawler's
//! [`jujiao_media::Collector`], if it has one (`Crawler::with_media`).
//!
//! Every path that records articles goes through here — a run's article pages
//! (`pipeline`, which every list source shares), re-checks of stored pages
//! (`recheck`: a revision may bring new images) and a worker's article items
//! (`worker`) — so no path can record an article and forget its files. The test at the
//! bottom fails if any other module of the crate calls the store's `record_articles`.
//!
//! The batch is recorded through the watch rules (`jujiao_watch::Watcher::record`): the
//! added and revised articles are tested against them and their new matches written to
//! the store's alert outbox in the articles' own transaction — for every path, since
//! every path records here.
//!
//! Files are collected one article after the other: they are mostly on the article's
//! own host, which the fetcher holds to its per-host limit anyway.

use crate::Crawler;
use crate::report::SourceReport;
use jujiao_media::MediaReport;
use jujiao_store::{ArticleRecord, RecordOutcome, StoreError};

/// What recording a batch did.
#[derive(Debug)]
pub(crate) struct Recorded {
    /// One outcome per record, in order.
    pub outcomes: Vec<RecordOutcome>,
    /// The files of the added and revised articles.
    pub files: MediaReport,
}

impl Recorded {
    /// Counts the files in a source's report; each file not kept is a file failure
    /// (never an article error: a missing image does not make a source fail).
    pub(crate) fn count_files(&mut self, report: &mut SourceReport) {
        report.files += u64::from(self.files.fetched + self.files.reused);
        for failure in self.files.failures.drain(..) {
            report.file_failed(format!("file {failure}"));
        }
    }

    /// Logs a worker's files for one article page: each file not kept as a warning
    /// (the worker's error count is for pages: a missing image fails no item).
    pub(crate) fn log_files(&self, worker: &str, url: &str) {
        let f = &self.files;
        if f.fetched + f.reused > 0 {
            tracing::debug!(
                worker,
                url,
                fetched = f.fetched,
                reused = f.reused,
                bytes = f.bytes,
                "files collected"
            );
        }
        for failure in &f.failures {
            tracing::warn!(worker, url, "file not kept: {failure}");
        }
    }
}

impl Crawler {
    /// Records `records` (all of source `source_id`) in one transaction, then collects
    /// the files of the articles added or revised. A store failure records nothing and
    /// collects nothing; a file failure is in [`Recorded::files`].
    pub(crate) async fn record(
        &self,
        source_id: &str,
        records: &[ArticleRecord],
    ) -> Result<Recorded, StoreError> {
        // The watch matches are written in the articles' own transaction.
        let (outcomes, _) = self.watcher.record(records, chrono::Utc::now()).await?;
        let mut files = MediaReport::default();
        if let Some(collector) = &self.media {
            for (record, outcome) in records.iter().zip(&outcomes) {
                let article = &record.article;
                let has_files = !article.images.is_empty() || !article.attachments.is_empty();
                let id = match outcome {
                    RecordOutcome::Added { article_id, .. } if has_files => *article_id,
                    // Also without files: the revision may have dropped the old ones.
                    RecordOutcome::Revised { article_id, .. } => *article_id,
                    _ => continue,
                };
                files.merge(collector.collect(id, article, Some(source_id)).await);
            }
        }
        Ok(Recorded { outcomes, files })
    }
}

#[cfg(test)]
mod tests {
    /// The crate's modules, read at compile time: a new module must be added here,
    /// which is the moment to ask whether it records articles.
    const MODULES: &[(&str, &str)] = &[
        ("api_source.rs", include_str!("api_source.rs")),
        ("attachment.rs", include_str!("attachment.rs")),
        ("check.rs", include_str!("check.rs")),
        ("edition.rs", include_str!("edition.rs")),
        ("feed.rs", include_str!("feed.rs")),
        ("host_pause.rs", include_str!("host_pause.rs")),
        ("html_list.rs", include_str!("html_list.rs")),
        ("json_list.rs", include_str!("json_list.rs")),
        ("lib.rs", include_str!("lib.rs")),
        ("lists.rs", include_str!("lists.rs")),
        ("pipeline.rs", include_str!("pipeline.rs")),
        ("recheck.rs", include_str!("recheck.rs")),
        ("report.rs", include_str!("report.rs")),
        ("shared_hosts.rs", include_str!("shared_hosts.rs")),
        ("tally.rs", include_str!("tally.rs")),
        ("urls.rs", include_str!("urls.rs")),
        ("worker/items.rs", include_str!("worker/items.rs")),
        ("worker/lease.rs", include_str!("worker/lease.rs")),
        ("worker/mod.rs", include_str!("worker/mod.rs")),
        ("worker/summary.rs", include_str!("worker/summary.rs")),
    ];

    #[test]
    fn every_module_records_articles_through_crawler_record() {
        let mut listed: Vec<&str> = MODULES.iter().map(|(name, _)| *name).collect();
        listed.push("record.rs");
        listed.sort_unstable();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut present: Vec<String> = Vec::new();
        let mut folders = vec![dir.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder)
                .expect("the crate's src folder is readable")
                .flatten()
            {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let relative = path.strip_prefix(&dir).expect("under src");
                    present.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        present.sort_unstable();
        assert_eq!(listed, present, "list every module of src/ in MODULES");
        for (name, text) in MODULES {
            assert!(
                !text.contains(".record_articles("),
                "{name} calls the store's record_articles: record through Crawler::record \
                 so the articles' images and attachments are collected"
            );
        }
    }
}
