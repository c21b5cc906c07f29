#![allow(clippy::unwrap_used)]
//! The collector against a loopback site: images, PDFs with and without a text layer,
//! DOCX, XLSX, a 404 behind a `.pdf` link, an HTML page served as `application/pdf`, a
//! 200 MB attachment refused by the cap while streaming, and one image referenced by
//! three articles stored once.

mod common;

use common::*;
use jujiao_fetch::HttpFetcher;
use jujiao_media::{Collector, FileStore, MediaSettings};
use jujiao_model::{Article, Attachment, AttachmentKind, Filing, Image, Paragraph};
use jujiao_store::{ArticleId, ArticleRecord, FileRole, SqliteStore, Store, TextStatus};
use std::collections::HashMap;
use std::sync::Arc;

fn article(
    url: &str,
    title: &str,
    images: &[String],
    attachments: &[(String, &str, AttachmentKind)],
) -> Article {
    Article {
        source: "test".into(),
        url: url.into(),
        title: title.into(),
        published: None,
        author: None,
        origin: None,
        editor: None,
        paragraphs: vec![Paragraph::new(format!("{title}的正文。"))],
        images: images
            .iter()
            .map(|u| Image {
                url: u.clone(),
                alt: None,
            })
            .collect(),
        attachments: attachments
            .iter()
            .map(|(u, name, kind)| Attachment {
                url: u.clone(),
                name: (*name).to_owned(),
                kind: *kind,
            })
            .collect(),
        fetched_at: None,
        disclosure: None,
    }
}

struct Setup {
    base: String,
    site: SiteState,
    store: Arc<dyn Store>,
    collector: Collector,
    dir: tempfile::TempDir,
}

async fn setup(routes: HashMap<String, Answer>, settings: MediaSettings) -> Setup {
    let (base, site) = serve(routes).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(db.to_str().unwrap()).await.unwrap());
    let files = FileStore::beside_database(db.to_str().unwrap()).unwrap();
    let fetcher = Arc::new(HttpFetcher::new(fetcher_config()));
    let collector = Collector::new(fetcher, Arc::clone(&store), files, settings);
    Setup {
        base,
        site,
        store,
        collector,
        dir,
    }
}

async fn record(store: &Arc<dyn Store>, a: &Article) -> ArticleId {
    let filing = Filing {
        column: "通知公告".into(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 6, 10),
        legacy: None,
    };
    store
        .record_articles(&[ArticleRecord {
            article: a.clone(),
            filing,
        }])
        .await
        .unwrap()[0]
        .article_id()
}

async fn text_of(store: &Arc<dyn Store>, hash: &str) -> String {
    store.file(hash).await.unwrap().unwrap().text.unwrap()
}

fn hits(site: &SiteState, path: &str) -> usize {
    site.hits.lock().unwrap().get(path).copied().unwrap_or(0)
}

#[tokio::test]
async fn every_kind_of_file_is_checked_stored_and_read() {
    let routes = HashMap::from([
        ("/img/1.jpg".to_owned(), ok("image/jpeg", jpeg(1, 3000))),
        // A PNG served with a lazy label: the bytes decide.
        ("/img/2".to_owned(), ok("application/octet-stream", png(7))),
        (
            "/doc/notice.pdf".to_owned(),
            ok(
                "application/pdf",
                text_pdf(&["Budget notice 2026", "Second page: procurement list"]),
            ),
        ),
        (
            "/doc/scan.pdf".to_owned(),
            ok("application/pdf", scanned_pdf()),
        ),
        (
            "/doc/plan.docx".to_owned(),
            ok(
                "application/msword",
                docx(&["关于开展垃圾分类宣传周的实施方案", "一、工作目标 & 要求"]),
            ),
        ),
        (
            "/doc/list.xlsx".to_owned(),
            ok(
                "application/vnd.ms-excel",
                xlsx(&[&["单位", "联系人"], &["海淀区城管委", "张三"]]),
            ),
        ),
        (
            "/doc/login.pdf".to_owned(),
            ok(
                "application/pdf",
                b"<!DOCTYPE html><html><head><title>\xE7\x99\xBB\xE5\xBD\x95</title></head></html>"
                    .to_vec(),
            ),
        ),
        (
            "/download?id=7".to_owned(),
            Answer::File {
                status: 200,
                content_type: "application/pdf",
                body: text_pdf(&["Named by header"]),
                disposition: Some("attachment; filename*=UTF-8''%E5%90%8D%E5%8D%95.pdf"),
            },
        ),
    ]);
    // The site routes by path only; give the download a plain path.
    let mut routes = routes;
    let named = routes.remove("/download?id=7").unwrap();
    routes.insert("/download".to_owned(), named);
    let s = setup(routes, MediaSettings::default()).await;
    let b = &s.base;
    let a = article(
        &format!("{b}/art/1.html"),
        "关于垃圾分类的通知",
        &[format!("{b}/img/1.jpg"), format!("{b}/img/2")],
        &[
            (
                format!("{b}/doc/notice.pdf"),
                "附件1：预算公告",
                AttachmentKind::Pdf,
            ),
            (
                format!("{b}/doc/scan.pdf"),
                "附件2：盖章扫描件.pdf",
                AttachmentKind::Pdf,
            ),
            (
                format!("{b}/doc/plan.docx"),
                "实施方案.docx",
                AttachmentKind::Docx,
            ),
            (
                format!("{b}/doc/list.xlsx"),
                "联系人名单",
                AttachmentKind::Xlsx,
            ),
            (
                format!("{b}/doc/missing.pdf"),
                "已删除的附件.pdf",
                AttachmentKind::Pdf,
            ),
            (
                format!("{b}/doc/login.pdf"),
                "需要登录.pdf",
                AttachmentKind::Pdf,
            ),
            (format!("{b}/download"), "点击下载", AttachmentKind::Pdf),
        ],
    );
    let id = record(&s.store, &a).await;
    let report = s.collector.collect(id, &a, None).await;
    assert_eq!(report.fetched, 7, "{report:?}");
    assert_eq!(report.failures.len(), 2, "{report:?}");
    assert!(
        report.failures[0].contains("missing.pdf: HTTP 404"),
        "{report:?}"
    );
    assert!(
        report.failures[1].contains("login.pdf: the server sent an HTML page"),
        "{report:?}"
    );

    let files = s.store.article_files(id).await.unwrap();
    let listed: Vec<(FileRole, u32, &str, &str, TextStatus)> = files
        .iter()
        .map(|f| {
            (
                f.file.role,
                f.file.position,
                f.file.name.as_str(),
                f.mime.as_str(),
                f.text_status,
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (FileRole::Image, 1, "1.jpg", "image/jpeg", TextStatus::None),
            (FileRole::Image, 2, "2.png", "image/png", TextStatus::None),
            (
                FileRole::Attachment,
                1,
                "附件1：预算公告.pdf",
                "application/pdf",
                TextStatus::Text
            ),
            (
                FileRole::Attachment,
                2,
                "附件2：盖章扫描件.pdf",
                "application/pdf",
                TextStatus::Scanned
            ),
            (
                FileRole::Attachment,
                3,
                "实施方案.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                TextStatus::Text
            ),
            (
                FileRole::Attachment,
                4,
                "联系人名单.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                TextStatus::Text
            ),
            (
                FileRole::Attachment,
                7,
                "名单.pdf",
                "application/pdf",
                TextStatus::Text
            ),
        ]
    );
    let store = &s.store;
    let pdf = text_of(store, &files[2].file.hash).await;
    assert!(pdf.contains("Budget notice 2026"), "{pdf}");
    assert!(pdf.contains("procurement list"), "{pdf}");
    let doc = text_of(store, &files[4].file.hash).await;
    assert_eq!(doc, "关于开展垃圾分类宣传周的实施方案\n一、工作目标 & 要求");
    let sheet = text_of(store, &files[5].file.hash).await;
    assert!(
        sheet.contains("单位\t联系人\n海淀区城管委\t张三\n42.5"),
        "{sheet}"
    );

    // On disk, by hash, the exact bytes served.
    let on_disk = s.collector.files().read(&files[0].file.hash).unwrap();
    assert_eq!(on_disk, jpeg(1, 3000));

    // Collecting again fetches nothing: every stored URL is known.
    let again = s.collector.collect(id, &a, None).await;
    assert_eq!(again.fetched, 0);
    assert_eq!(again.reused, 7);
    assert_eq!(hits(&s.site, "/img/1.jpg"), 1);
    assert_eq!(hits(&s.site, "/doc/notice.pdf"), 1);
    drop(s.dir);
}

#[tokio::test]
async fn a_200_mb_attachment_is_refused_while_streaming() {
    let routes = HashMap::from([(
        "/doc/huge.pdf".to_owned(),
        Answer::Endless {
            total: 200 * 1024 * 1024,
        },
    )]);
    let settings = MediaSettings {
        max_file_bytes: 2 * 1024 * 1024,
        ..MediaSettings::default()
    };
    let s = setup(routes, settings).await;
    let a = article(
        &format!("{}/art/huge.html", s.base),
        "大附件",
        &[],
        &[(
            format!("{}/doc/huge.pdf", s.base),
            "大文件.pdf",
            AttachmentKind::Pdf,
        )],
    );
    let id = record(&s.store, &a).await;
    let report = s.collector.collect(id, &a, None).await;
    assert_eq!(report.fetched, 0);
    assert_eq!(report.failures.len(), 1);
    assert!(
        report.failures[0].contains("larger than the cap of 2097152 bytes"),
        "{report:?}"
    );
    assert!(s.store.article_files(id).await.unwrap().is_empty());
    // The server stopped long before 200 MB (the client hung up after the cap).
    // Waits on the event: the server dropped the body's stream.
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        s.site.stream_ended.notified(),
    )
    .await
    .expect("the server never stopped sending");
    let streamed = *s.site.streamed.lock().unwrap();
    assert!(streamed < 50 * 1024 * 1024, "streamed {streamed} bytes");
    assert_eq!(s.collector.files().disk_usage(), 0);
}

#[tokio::test]
async fn the_per_article_cap_stops_further_files() {
    let routes = HashMap::from([
        ("/img/a.jpg".to_owned(), ok("image/jpeg", jpeg(1, 60_000))),
        ("/img/b.jpg".to_owned(), ok("image/jpeg", jpeg(2, 60_000))),
    ]);
    let settings = MediaSettings {
        max_file_bytes: 100_000,
        max_article_bytes: 100_000,
    };
    let s = setup(routes, settings).await;
    let b = &s.base;
    let a = article(
        &format!("{b}/art/2.html"),
        "两张大图",
        &[format!("{b}/img/a.jpg"), format!("{b}/img/b.jpg")],
        &[],
    );
    let id = record(&s.store, &a).await;
    let report = s.collector.collect(id, &a, None).await;
    assert_eq!(report.fetched, 1, "{report:?}");
    assert_eq!(report.failures.len(), 1, "{report:?}");
    assert!(report.failures[0].contains("b.jpg"), "{report:?}");
}

#[tokio::test]
async fn one_image_used_by_three_articles_is_fetched_and_stored_once() {
    let logo = jpeg(9, 5000);
    let routes = HashMap::from([
        ("/img/logo.jpg".to_owned(), ok("image/jpeg", logo.clone())),
        // The same bytes under another URL: fetched, but stored once.
        (
            "/img/logo-copy.jpg".to_owned(),
            ok("image/jpeg", logo.clone()),
        ),
        ("/img/own.jpg".to_owned(), ok("image/jpeg", jpeg(3, 5000))),
    ]);
    let s = setup(routes, MediaSettings::default()).await;
    let b = &s.base;
    let mut total = jujiao_media::MediaReport::default();
    let mut hashes = Vec::new();
    for i in 0..3 {
        let images = if i == 2 {
            vec![format!("{b}/img/logo-copy.jpg"), format!("{b}/img/own.jpg")]
        } else {
            vec![format!("{b}/img/logo.jpg")]
        };
        let a = article(
            &format!("{b}/art/{i}.html"),
            &format!("稿件{i}"),
            &images,
            &[],
        );
        let id = record(&s.store, &a).await;
        total.merge(s.collector.collect(id, &a, None).await);
        hashes.push(
            s.store.article_files(id).await.unwrap()[0]
                .file
                .hash
                .clone(),
        );
    }
    assert_eq!(
        hits(&s.site, "/img/logo.jpg"),
        1,
        "a stored URL is never fetched twice"
    );
    assert_eq!(total.fetched, 3);
    assert_eq!(total.reused, 1);
    assert_eq!(total.deduplicated, 1);
    assert!(hashes.iter().all(|h| *h == hashes[0]));
    assert_eq!(
        s.collector.files().disk_usage(),
        (logo.len() + jpeg(3, 5000).len()) as u64,
        "the logo is on disk once"
    );
}

/// Regression: articles collected at once (a worker's tasks) each looked the URL up
/// before any had attached it, so a shared image was fetched once per article.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn articles_collected_at_once_fetch_a_shared_image_once() {
    let logo = jpeg(7, 50_000);
    let routes = HashMap::from([("/img/logo.jpg".to_owned(), ok("image/jpeg", logo.clone()))]);
    let s = setup(routes, MediaSettings::default()).await;
    let b = &s.base;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6 {
        let a = article(
            &format!("{b}/art/{i}.html"),
            &format!("同时采集{i}"),
            &[format!("{b}/img/logo.jpg")],
            &[],
        );
        let id = record(&s.store, &a).await;
        let collector = s.collector.clone();
        tasks.spawn(async move { (id, collector.collect(id, &a, None).await) });
    }
    let mut total = jujiao_media::MediaReport::default();
    let mut ids = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (id, report) = done.unwrap();
        ids.push(id);
        total.merge(report);
    }
    assert_eq!(hits(&s.site, "/img/logo.jpg"), 1, "{total:?}");
    assert_eq!((total.fetched, total.reused), (1, 5), "{total:?}");
    assert!(total.failures.is_empty(), "{total:?}");
    for id in ids {
        let files = s.store.article_files(id).await.unwrap();
        assert_eq!(files.len(), 1, "every article is linked to the logo");
        assert_eq!(files[0].file.name, "1.jpg");
    }
    assert_eq!(s.collector.files().disk_usage(), logo.len() as u64);
}

/// An OLE compound file with one stream and no `WordDocument`: what a binary Excel or
/// WPS spreadsheet looks like to the text reader.
fn ole_without_text() -> Vec<u8> {
    use std::io::Write;
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    file.create_stream("/Workbook")
        .unwrap()
        .write_all(&[0x09, 0x08, 0x10, 0x00])
        .unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}

#[tokio::test]
async fn binary_word_and_wps_files_are_read_and_spreadsheets_marked_unsupported() {
    let doc = word97(
        "关于做好防汛工作的通知\r各街道：\r请于\u{13} HYPERLINK \"http://x.example/\" \u{14}6月15日\u{15}前报送值班表。\r",
        "Contact: Office 3, tel 62551234\r",
    );
    let routes = HashMap::from([
        (
            "/doc/notice.wps".to_owned(),
            ok("application/octet-stream", doc.clone()),
        ),
        ("/doc/old.doc".to_owned(), ok("application/msword", doc)),
        (
            "/doc/table.xls".to_owned(),
            ok("application/vnd.ms-excel", ole_without_text()),
        ),
    ]);
    let s = setup(routes, MediaSettings::default()).await;
    let b = &s.base;
    let a = article(
        &format!("{b}/art/ole.html"),
        "防汛通知",
        &[],
        &[
            (
                format!("{b}/doc/notice.wps"),
                "防汛通知.wps",
                AttachmentKind::Wps,
            ),
            (format!("{b}/doc/old.doc"), "旧格式", AttachmentKind::Doc),
            (
                format!("{b}/doc/table.xls"),
                "值班表.xls",
                AttachmentKind::Xls,
            ),
        ],
    );
    let id = record(&s.store, &a).await;
    let report = s.collector.collect(id, &a, None).await;
    assert_eq!((report.fetched, report.deduplicated), (3, 1), "{report:?}");
    assert!(report.failures.is_empty(), "{report:?}");
    let files = s.store.article_files(id).await.unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.file.name.as_str()).collect();
    assert_eq!(names, ["防汛通知.wps", "旧格式.doc", "值班表.xls"]);
    assert_eq!(files[0].text_status, TextStatus::Text);
    let text = text_of(&s.store, &files[0].file.hash).await;
    assert_eq!(
        text,
        "关于做好防汛工作的通知\n各街道：\n请于6月15日前报送值班表。\nContact: Office 3, tel 62551234"
    );
    assert_eq!(
        files[2].text_status,
        TextStatus::None,
        "not read, not failed"
    );
}

#[test]
fn a_word97_file_reads_through_extract_and_damage_is_a_failure() {
    let doc = word97("第一段\r第二段", "");
    let (status, text) = jujiao_media::text::extract("application/msword", &doc);
    assert_eq!(status, TextStatus::Text);
    assert_eq!(text.as_deref(), Some("第一段\n第二段"));
    // A piece table longer than its stream (a damaged file): a failure, not a panic.
    let mut damaged = doc.clone();
    let clx = damaged
        .windows(6)
        .position(|w| w == [0x01, 0x02, 0x00, 0xAA, 0xBB, 0x02])
        .unwrap();
    damaged[clx + 6..clx + 10].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    let (status, _) = jujiao_media::text::extract("application/msword", &damaged);
    assert_eq!(status, TextStatus::Failed);
}
