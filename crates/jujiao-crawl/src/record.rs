//! After a batch is recorded: the images and attachments of its new and revised
//! articles are collected by the crawler's [`jujiao_media::Collector`], if it has one
//! (`Crawler::with_media`). One article after the other: the files are mostly on the
//! article's own host, which the fetcher holds to one request at a time anyway.

use crate::Crawler;
use crate::report::SourceReport;
use jujiao_store::{ArticleRecord, RecordOutcome};

pub(crate) async fn collect_batch(
    crawler: &Crawler,
    source_id: &str,
    records: &[ArticleRecord],
    outcomes: &[RecordOutcome],
    report: &mut SourceReport,
) {
    let Some(collector) = &crawler.media else {
        return;
    };
    for (record, outcome) in records.iter().zip(outcomes) {
        let article = &record.article;
        let id = match outcome {
            RecordOutcome::Added { article_id, .. } | RecordOutcome::Revised { article_id, .. } => {
                *article_id
            }
            _ => continue,
        };
        if article.images.is_empty() && article.attachments.is_empty() {
            continue;
        }
        let media = collector.collect(id, article, Some(source_id)).await;
        report.files += u64::from(media.fetched + media.reused);
        for failure in media.failures {
            report.file_failed(format!("file {failure}"));
        }
    }
}
