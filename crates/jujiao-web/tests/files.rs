#![allow(clippy::unwrap_used)]
//! Stored images and attachments in the web app: shown inline and listed from jujiao
//! itself (never hot-linked), served with their type and real name, found by the text
//! of an attachment ("附件：name"), and packed into the zip export.

mod common;

use common::*;
use jujiao_media::FileStore;
use jujiao_model::{Attachment, AttachmentKind};
use jujiao_store::{ArticleFile, FileRole, SqliteStore, Store, StoredFile, TextStatus};
use std::io::{Read, Write};
use std::sync::Arc;

fn docx(text: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("word/document.xml", options).unwrap();
    write!(
        zip,
        "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
         <w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    v.extend((0..2000u32).map(|i| (i % 251) as u8));
    v
}

struct App {
    base: String,
    client: reqwest::Client,
    id: i64,
    _dir: tempfile::TempDir,
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db.to_string_lossy()).await.unwrap());
    let files = FileStore::beside_database(&db.to_string_lossy()).unwrap();
    let mut a = article(
        "gov",
        7,
        "关于开展垃圾分类宣传周活动的通知",
        &["各街道：现将有关事项通知如下。"],
    );
    a.attachments = vec![
        Attachment {
            url: "https://news.example.com/gov/fangan.docx".into(),
            name: "实施方案.docx".into(),
            kind: AttachmentKind::Docx,
        },
        Attachment {
            url: "https://news.example.com/gov/scan.pdf".into(),
            name: "盖章件.pdf".into(),
            kind: AttachmentKind::Pdf,
        },
        Attachment {
            url: "https://news.example.com/gov/list.xls".into(),
            name: "名单.xls".into(),
            kind: AttachmentKind::Xls,
        },
    ];
    let id = store
        .record_articles(&[record(a, "通知公告", day())])
        .await
        .unwrap()[0]
        .article_id();
    let (image, _) = jujiao_media::store_local(store.as_ref(), &files, jpeg())
        .await
        .unwrap();
    let (doc, _) = jujiao_media::store_local(
        store.as_ref(),
        &files,
        docx("参加人员为各社区网格员和志愿者骨干"),
    )
    .await
    .unwrap();
    // Files whose text is not searchable: a scan and a binary spreadsheet.
    let mut unread = Vec::new();
    for (bytes, mime, status) in [
        (
            &b"%PDF-1.4 scanned"[..],
            "application/pdf",
            TextStatus::Scanned,
        ),
        (
            &b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 xls"[..],
            "application/vnd.ms-excel",
            TextStatus::None,
        ),
    ] {
        let (hash, _) = files.put(bytes).unwrap();
        store
            .record_file(&StoredFile {
                hash: hash.clone(),
                size: bytes.len() as u64,
                mime: mime.into(),
                text_status: status,
                text: None,
            })
            .await
            .unwrap();
        unread.push(hash);
    }
    store
        .attach_files(
            id,
            &[
                ArticleFile {
                    role: FileRole::Attachment,
                    position: 2,
                    name: "盖章件.pdf".into(),
                    source_url: "https://news.example.com/gov/scan.pdf".into(),
                    hash: unread[0].clone(),
                },
                ArticleFile {
                    role: FileRole::Attachment,
                    position: 3,
                    name: "名单.xls".into(),
                    source_url: "https://news.example.com/gov/list.xls".into(),
                    hash: unread[1].clone(),
                },
                ArticleFile {
                    role: FileRole::Image,
                    position: 1,
                    name: "1.jpg".into(),
                    source_url: "https://news.example.com/img/7.jpg".into(),
                    hash: image,
                },
                ArticleFile {
                    role: FileRole::Attachment,
                    position: 1,
                    name: "实施方案.docx".into(),
                    source_url: "https://news.example.com/gov/fangan.docx".into(),
                    hash: doc,
                },
            ],
        )
        .await
        .unwrap();
    let state = searchable(&store).await.files(Some(files)).build();
    App {
        base: serve(state).await,
        client: reqwest::Client::new(),
        id: id.0,
        _dir: dir,
    }
}

impl App {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_briefing_page_shows_stored_images_and_attachments_not_the_originals() {
    let app = start().await;
    let id = app.id;
    let r = app.get(&format!("/?date={}", day())).await;
    assert_eq!(r.status(), 200);
    let page = body(r).await.replace("&#x2f;", "/");
    assert!(
        page.contains(&format!("<img src=\"/articles/{id}/files/image/1\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a href=\"/articles/{id}/files/attachment/1\" download>实施方案.docx</a>"
        )),
        "{page}"
    );
    assert!(
        !page.contains("news.example.com/img/7.jpg\""),
        "no hot-link: {page}"
    );
    assert!(!page.contains("（原网站）"), "{page}");
}

#[tokio::test]
async fn the_article_page_shows_stored_images_and_lists_attachments() {
    let app = start().await;
    let id = app.id;
    let r = app.get(&format!("/articles/{id}")).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    // The templates escape `/` in attribute values as `&#x2f;` (what browsers read as `/`).
    let page = body(r).await.replace("&#x2f;", "/");
    assert!(
        page.contains(&format!(
            "<img src=\"/articles/{id}/files/image/1\" alt=\"会议现场\""
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a href=\"/articles/{id}/files/attachment/1\" download>实施方案.docx</a>"
        )),
        "{page}"
    );
    assert!(
        !page.contains("news.example.com/img/7.jpg\""),
        "no hot-link"
    );
    // Attachments whose text is not searchable say so; the readable one says nothing.
    for (name, note) in [
        ("盖章件.pdf", "扫描件，没有文字层，未编入检索"),
        ("名单.xls", "不支持读取此格式的文字，未编入检索"),
    ] {
        let at = page.find(&format!("download>{name}</a>")).unwrap();
        let line = &page[at..at + page[at..].find("</li>").unwrap()];
        assert!(line.contains(note), "{line}");
    }
    let docx_at = page.find("download>实施方案.docx</a>").unwrap();
    let docx_line = &page[docx_at..docx_at + page[docx_at..].find("</li>").unwrap()];
    assert!(!docx_line.contains("未编入检索"), "{docx_line}");

    let img = app.get(&format!("/articles/{id}/files/image/1")).await;
    assert_eq!(img.status(), 200);
    assert_eq!(content_type(&img), "image/jpeg");
    assert_eq!(img.headers()["x-content-type-options"], "nosniff");
    assert!(
        img.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(bytes(img).await, jpeg());

    let doc = app.get(&format!("/articles/{id}/files/attachment/1")).await;
    assert_eq!(
        content_type(&doc),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(
        doc.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"____.docx\"; \
         filename*=UTF-8''%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88.docx"
    );

    for missing in ["image/2", "attachment/0", "video/1", "image/x"] {
        let r = app.get(&format!("/articles/{id}/files/{missing}")).await;
        assert_eq!(r.status(), 404, "{missing}");
    }
    assert_eq!(app.get("/articles/999/files/image/1").await.status(), 404);
}

#[tokio::test]
async fn a_word_only_in_an_attachment_finds_the_article_and_names_the_file() {
    let app = start().await;
    let page = body(app.get("/search?q=%E7%BD%91%E6%A0%BC%E5%91%98").await).await;
    assert!(page.contains("关于开展垃圾分类宣传周活动的通知"), "{page}");
    assert!(page.contains("附件：实施方案.docx"), "{page}");
    // A word of the body is shown by its snippet, not as an attachment hit.
    let page = body(app.get("/search?q=%E8%A1%97%E9%81%93").await).await;
    assert!(!page.contains("附件：实施方案.docx"), "{page}");
}

#[tokio::test]
async fn the_zip_export_carries_the_files_beside_the_article() {
    let app = start().await;
    let r = app
        .get(&format!(
            "/export/download?since={DAY}&until={DAY}&format=zip"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let data = bytes(r).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(data)).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    let folder = "通知公告/11月20日/关于开展垃圾分类宣传周活动的通知";
    assert!(names.contains(&format!("{folder}.txt")), "{names:?}");
    assert!(names.contains(&format!("{folder}/图片/1.jpg")), "{names:?}");
    assert!(
        names.contains(&format!("{folder}/附件/实施方案.docx")),
        "{names:?}"
    );
    let mut img = Vec::new();
    zip.by_name(&format!("{folder}/图片/1.jpg"))
        .unwrap()
        .read_to_end(&mut img)
        .unwrap();
    assert_eq!(img, jpeg());
}

#[tokio::test]
async fn the_word_briefing_embeds_the_images() {
    let app = start().await;
    let r = app
        .get(&format!(
            "/export/download?since={DAY}&until={DAY}&format=docx"
        ))
        .await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes(r).await)).unwrap();
    let mut media = Vec::new();
    zip.by_name("word/media/image1.jpg")
        .unwrap()
        .read_to_end(&mut media)
        .unwrap();
    assert_eq!(media, jpeg());
    let mut rels = String::new();
    zip.by_name("word/_rels/document.xml.rels")
        .unwrap()
        .read_to_string(&mut rels)
        .unwrap();
    assert!(rels.contains("Target=\"media/image1.jpg\""), "{rels}");
    let mut doc = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut doc)
        .unwrap();
    assert!(doc.contains("<a:blip r:embed=\"rImg1\"/>"), "{doc}");
}
