#![allow(clippy::unwrap_used)]
//! Import and publish on real files and a real SQLite store.

use jujiao_legacy::{DateFolderStyle, FileNameMode, render_canonical};
use jujiao_store::{ArticleStore, SqliteStore};
use jujiao_tree::{FileOutcome, ImportOptions, PublishOptions, import, publish};
use std::path::Path;

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, bytes))
        .unwrap();
}

fn outcome<'a>(report: &'a jujiao_tree::ImportReport, rel: &str) -> &'a FileOutcome {
    &report
        .files
        .iter()
        .find(|(r, _)| r == rel)
        .unwrap_or_else(|| panic!("{rel} not reported: {:?}", report.files))
        .1
}

#[tokio::test]
async fn bad_files_are_reported_one_by_one_and_the_import_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let good = render_canonical("区委常委会召开会议", &["　　会议指出。", "　　会议强调。"]);
    write(
        root,
        "领导活动/2019-10-21/区委常委会召开会议.txt",
        good.as_bytes(),
    );
    write(root, "领导活动/2019-10-21/空文件.txt", b"");
    write(
        root,
        "领导活动/2019-10-21/图片.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    );
    write(
        root,
        "领导活动/2019-10-21/乱码.txt",
        b"\xc7\xf8\xce\xaf\n<div>\xff\xfe</div>",
    );
    std::fs::create_dir_all(root.join("领导活动/2019-10-21/目录.txt")).unwrap();
    // A 200 MB file, sparse so the test stays cheap: refused before being read.
    let big = std::fs::File::create(root.join("领导活动/2019-10-21/巨大.txt")).unwrap();
    big.set_len(200 * 1024 * 1024).unwrap();
    write(
        root,
        "报纸/北京日报0804.zip",
        &[0x50, 0x4b, 5, 6].repeat(5)[..20]
            .iter()
            .copied()
            .chain([0, 0])
            .collect::<Vec<u8>>(),
    );
    write(
        root,
        "领导活动/2019-10-22/区委常委会召开会议.txt",
        good.as_bytes(),
    );

    let store = SqliteStore::in_memory().await.unwrap();
    let report = import(
        &store,
        root,
        &ImportOptions {
            year: Some(2019),
            ..ImportOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(report.added(), 1, "{:?}", report.files);
    assert_eq!(
        report.duplicates(),
        1,
        "the same article in a second date folder"
    );
    let reason = |rel: &str| match outcome(&report, rel) {
        FileOutcome::Rejected { reason } => reason.clone(),
        other => panic!("{rel}: {other:?}"),
    };
    assert!(reason("领导活动/2019-10-21/空文件.txt").contains("empty"));
    assert!(reason("领导活动/2019-10-21/图片.txt").contains("binary"));
    assert!(reason("领导活动/2019-10-21/乱码.txt").contains("UTF-8"));
    assert!(reason("领导活动/2019-10-21/目录.txt").contains("directory"));
    assert!(reason("领导活动/2019-10-21/巨大.txt").contains("too large"));
    assert!(reason("报纸/北京日报0804.zip").contains("empty zip"));

    let again = import(
        &store,
        root,
        &ImportOptions {
            year: Some(2019),
            ..ImportOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(again.added(), 0);
    assert_eq!(
        again.already_imported(),
        2,
        "the original and its duplicate"
    );
    // One article, filed in both date folders (issue 17, bug 5a).
    assert_eq!(store.stats().await.unwrap().filings, 2);
}

#[tokio::test]
async fn publish_is_idempotent_and_keeps_same_titles_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::in_memory().await.unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2020, 6, 11).unwrap();
    let records: Vec<_> = ["第一篇", "第二篇"]
        .iter()
        .enumerate()
        .map(|(i, text)| jujiao_store::ArticleRecord {
            article: jujiao_model::Article {
                source: "s".into(),
                url: format!("http://a.example/{i}.html"),
                title: "标题/含斜线?".into(),
                paragraphs: vec![jujiao_model::Paragraph::new(*text)],
                ..Default::default()
            },
            filing: jujiao_model::Filing {
                column: "领导活动".into(),
                date: Some(day),
                legacy: None,
            },
        })
        .collect();
    store.record_articles(&records).await.unwrap();
    let options = PublishOptions {
        out: dir.path().to_path_buf(),
        date_style: DateFolderStyle::MonthDay,
        mode: FileNameMode::Portable,
        ..Default::default()
    };
    let first = publish(&store, &options).await.unwrap();
    assert_eq!((first.written, first.unchanged), (2, 0));
    let folder = dir.path().join("领导活动/06月11日");
    let a = std::fs::read_to_string(folder.join("标题／含斜线？.txt")).unwrap();
    let b = std::fs::read_to_string(folder.join("标题／含斜线？ (2).txt")).unwrap();
    assert_eq!(a, render_canonical("标题/含斜线?", &["第一篇"]));
    assert_eq!(b, render_canonical("标题/含斜线?", &["第二篇"]));
    let second = publish(&store, &options).await.unwrap();
    assert_eq!((second.written, second.unchanged), (0, 2));
}

/// Issue 17, bug 5a: the same story filed on two days and in a second column (there with
/// different spacing) is one article, but every file keeps its place and its bytes.
#[tokio::test]
async fn an_archive_story_filed_in_several_places_is_written_back_in_each() {
    let dir = tempfile::tempdir().unwrap();
    let (root, out) = (dir.path().join("tree"), dir.path().join("out"));
    let title = "国务院常务会议部署稳就业工作";
    let first = "　　国务院总理主持召开国务院常务会议，部署进一步做好稳就业工作，确保重点群体就业\
                 稳定；听取关于保障农民工工资支付情况的汇报，要求各地区各部门压实责任。";
    let second = "　　会议指出，就业是最大的民生。要坚持就业优先政策，加大对中小微企业的支持力度，\
                  拓宽高校毕业生就业渠道，做好退役军人、农民工等群体就业工作。";
    let story = render_canonical(title, &[first, second]);
    let spaced = render_canonical(title, &[&first.replacen('，', "， ", 2), second]);
    let near = render_canonical(title, &[first, &second.replace("最大的", "最基本的")]);
    let files = [
        (
            "网络聚焦/国内新闻/10月15日/国务院常务会议部署稳就业工作.txt",
            &story,
        ),
        (
            "网络聚焦/国内新闻/10月16日/国务院常务会议部署稳就业工作.txt",
            &story,
        ),
        (
            "网络聚焦/国际新闻/10月15日/国务院常务会议部署稳就业工作.txt",
            &spaced,
        ),
        (
            "网络聚焦/财经新闻/10月15日/国务院常务会议部署稳就业工作.txt",
            &near,
        ),
    ];
    for (rel, text) in &files {
        write(&root, rel, text.as_bytes());
    }
    let db = dir.path().join("store.db");
    let store = SqliteStore::open_path(&db).await.unwrap();
    let options = ImportOptions {
        year: Some(2020),
        ..Default::default()
    };
    let report = import(&store, &root, &options).await.unwrap();
    // The edited text stays an article of its own (one source's near-identical pages
    // are its own editing); the other two are the first one's text.
    assert_eq!(report.added(), 2, "{:?}", report.files);
    assert_eq!(report.duplicates(), 2, "{:?}", report.files);
    assert_eq!(store.stats().await.unwrap().articles, 2);
    assert_eq!(store.stats().await.unwrap().filings, 4);

    let publish_options = PublishOptions {
        out: out.clone(),
        date_style: DateFolderStyle::MonthDay,
        mode: FileNameMode::Posix,
        ..Default::default()
    };
    let published = publish(&store, &publish_options).await.unwrap();
    assert_eq!((published.written, published.failed.len()), (4, 0));
    for (rel, text) in &files {
        let back = std::fs::read(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(String::from_utf8(back).unwrap(), **text, "{rel}");
    }

    // A second import of the same archive adds nothing and files nothing again.
    let again = import(&store, &root, &options).await.unwrap();
    assert_eq!(again.already_imported(), 4, "{:?}", again.files);
    assert_eq!(store.stats().await.unwrap().filings, 4);
    let republished = publish(&store, &publish_options).await.unwrap();
    assert_eq!((republished.written, republished.unchanged), (0, 4));
}
