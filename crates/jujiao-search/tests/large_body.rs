#![allow(clippy::unwrap_used)]
//! Regression: indexing a 10 MB body (the reliability suite's "10mb-one-line" page) built
//! a vector of every character token, every pair and every jieba word of the body before
//! tantivy saw the first one: ~400 MB of heap for one article, and the crawl peaked at
//! ~700 MiB; a search hit on it listed every token again for its snippet. Both now
//! stream. This file holds one test so that the process's peak memory is this test's
//! own.

use chrono::NaiveDate;
use jujiao_search::{IndexDoc, SearchIndex, SearchQuery};

/// Peak resident memory of this process so far (`VmHWM`), in MiB; `None` off Linux.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[test]
fn a_10mb_body_is_indexed_in_bounded_memory_and_found() {
    let filler = "区委常委会召开会议，传达学习上级会议精神，研究部署下一阶段重点工作，强调要坚持稳中求进工作总基调，扎实推进各项任务落实。";
    let mut body = filler.repeat(10 * 1024 * 1024 / filler.len());
    body.push_str("文末独有的词语：鸿雁传书。");
    let index = SearchIndex::in_memory().unwrap();
    let before = peak_rss_mib();
    index
        .index(&[IndexDoc {
            article_id: 1,
            title: "一行十兆的文章".into(),
            body,
            column: "测试".into(),
            source: "big".into(),
            date: NaiveDate::from_ymd_opt(2026, 6, 10),
            url: "http://127.0.0.1/big.html".into(),
            attachments_text: None,
            disclosure: None,
        }])
        .unwrap();
    index.commit().unwrap();
    if let (Some(before), Some(after)) = (before, peak_rss_mib()) {
        eprintln!("peak RSS {before} MiB before indexing, {after} MiB after");
        // Before the fix the growth was ~400 MiB; the body itself is 10 MiB and tantivy
        // keeps a few copies of it (stored field, per-field values) plus its postings.
        assert!(after - before < 200, "indexing took {} MiB", after - before);
    }
    // The text at the very end is indexed: nothing was cut off. Finding it builds the
    // hit's snippet from the whole body, which once listed every token of it (~170 MB).
    let found = index.search(&SearchQuery::new("鸿雁传书")).unwrap();
    assert_eq!(found.total, 1);
    assert!(
        jujiao_search::marked_html(&found.hits[0].snippet, &found.hits[0].snippet_marks)
            .contains("<mark>鸿雁传书</mark>")
    );
    if let (Some(before), Some(after)) = (before, peak_rss_mib()) {
        eprintln!("peak RSS {after} MiB after the search");
        assert!(
            after - before < 200,
            "indexing and searching took {} MiB",
            after - before
        );
    }
}
