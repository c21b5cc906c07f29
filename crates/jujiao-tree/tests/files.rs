#![allow(clippy::unwrap_used)]
//! Images and attachments through the tree: an old archive with `图片/` folders (the
//! 12371.cn layout, LEGACY-FORMAT.md variant 4) and an `附件/` folder is imported with
//! its files and published back byte for byte; new articles' files are filed in a
//! folder of the article's name.

use jujiao_legacy::{DateFolderStyle, FileNameMode, render_canonical};
use jujiao_media::FileStore;
use jujiao_model::{Article, Filing, Image, Paragraph};
use jujiao_store::{
    ArticleFile, ArticleStore, FileCatalog, FileRole, SqliteStore, StoredFile, TextStatus,
};
use jujiao_tree::{FileOutcome, ImportOptions, PublishOptions, import, publish};
use std::collections::BTreeMap;
use std::path::Path;

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, bytes))
        .unwrap();
}

/// Every regular file under `root`: relative path → bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap();
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn jpeg(seed: u8) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    v.extend((0..500u32).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)));
    v
}

const MARKER: &str = "-------------------这里有图片------------ ";

/// An old archive modelled on the 12371.cn speeches: the file in a folder of its own
/// name, marker lines where images stood, the images in `图片/`.
fn old_archive(root: &Path) {
    let speech = "习近平重要讲话/党建/1/0在座谈会上的讲话.txt";
    write(
        root,
        &format!("{speech}/0在座谈会上的讲话.txt"),
        format!("在座谈会上的讲话\n  \n  \n第一段讲话内容。\n  \n{MARKER}\n  \n第二段讲话内容。\n  \n{MARKER}\n").as_bytes(),
    );
    write(root, &format!("{speech}/图片/1.jpg"), &jpeg(1));
    write(root, &format!("{speech}/图片/2.jpg"), &jpeg(2));
    // Another speech whose second picture is the same photo as the first one's.
    let other = "习近平重要讲话/党建/1/1在大会上的讲话.txt";
    write(
        root,
        &format!("{other}/1在大会上的讲话.txt"),
        format!("在大会上的讲话\n  \n  \n大会讲话内容。\n  \n{MARKER}\n").as_bytes(),
    );
    write(root, &format!("{other}/图片/1.jpg"), &jpeg(1));
    // A notice with its attachment, in a folder of its own name (no `.txt`).
    let notice = "通知公告/2019-10-21/关于开展检查的通知";
    write(
        root,
        &format!("{notice}/关于开展检查的通知.txt"),
        render_canonical(
            "关于开展检查的通知",
            &["　　各单位：现将检查表印发给你们。"],
        )
        .as_bytes(),
    );
    write(
        root,
        &format!("{notice}/附件/检查表.pdf"),
        b"%PDF-1.4\n% not really readable\n",
    );
    // An ordinary article without files.
    write(
        root,
        "领导活动/2019-10-21/区委常委会召开会议.txt",
        render_canonical("区委常委会召开会议", &["　　会议指出。"]).as_bytes(),
    );
}

#[tokio::test]
async fn an_archive_with_picture_folders_round_trips_with_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_archive(&old);
    let store = SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let files = FileStore::new(dir.path().join("t.db.files"));
    let options = ImportOptions {
        year: Some(2019),
        files: Some(files.clone()),
    };
    let report = import(&store, &old, &options).await.unwrap();
    assert_eq!(report.added(), 4, "{:?}", report.files);
    assert_eq!(report.rejected(), 0, "{:?}", report.files);
    let skipped: Vec<&str> = report
        .files
        .iter()
        .filter(|(_, o)| matches!(o, FileOutcome::Skipped { .. }))
        .map(|(r, _)| r.as_str())
        .collect();
    assert_eq!(
        skipped.len(),
        4,
        "the pictures and the attachment: {skipped:?}"
    );

    // Three pictures, two distinct: stored once each; plus the attachment.
    assert_eq!(
        files.disk_usage(),
        (jpeg(1).len() + jpeg(2).len() + 31) as u64
    );

    let published = dir.path().join("new");
    let p = publish(
        &store,
        &PublishOptions {
            out: published.clone(),
            date_style: DateFolderStyle::Iso,
            mode: FileNameMode::Portable,
            files: Some(files.clone()),
            ..PublishOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(p.failed.is_empty(), "{:?}", p.failed);
    assert_eq!(p.files_written, 4);
    assert_eq!(
        tree(&published),
        tree(&old),
        "the tree comes back byte for byte"
    );

    // Importing again adds nothing and stores nothing twice.
    let again = import(&store, &old, &options).await.unwrap();
    assert_eq!(again.already_imported(), 4);
    assert_eq!(
        files.disk_usage(),
        (jpeg(1).len() + jpeg(2).len() + 31) as u64
    );
    let second = publish(
        &store,
        &PublishOptions {
            out: published.clone(),
            date_style: DateFolderStyle::Iso,
            mode: FileNameMode::Portable,
            files: Some(files),
            ..PublishOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((second.files_written, second.files_unchanged), (0, 4));
}

#[tokio::test]
async fn a_new_articles_files_go_in_a_folder_of_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let files = FileStore::new(dir.path().join("files"));
    let photo = jpeg(5);
    let (hash, _) = files.put(&photo).unwrap();
    let (doc_hash, _) = files.put(b"%PDF-1.7 fake").unwrap();
    for (h, mime) in [(&hash, "image/jpeg"), (&doc_hash, "application/pdf")] {
        store
            .record_file(&StoredFile {
                hash: h.clone(),
                size: 1,
                mime: mime.into(),
                text_status: TextStatus::None,
                text: None,
            })
            .await
            .unwrap();
    }
    let article = Article {
        source: "hd".into(),
        url: "https://hd.example/1.html".into(),
        title: "区长调研/垃圾分类".into(),
        paragraphs: vec![Paragraph::new("　　正文。")],
        images: vec![Image {
            url: "https://hd.example/1.jpg".into(),
            alt: None,
        }],
        ..Article::default()
    };
    let id = store
        .record_articles(&[jujiao_store::ArticleRecord {
            article,
            filing: Filing {
                column: "领导活动".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 6, 10),
                legacy: None,
            },
        }])
        .await
        .unwrap()[0]
        .article_id();
    store
        .attach_files(
            id,
            &[
                ArticleFile {
                    role: FileRole::Image,
                    position: 1,
                    name: "1.jpg".into(),
                    source_url: "https://hd.example/1.jpg".into(),
                    hash,
                },
                ArticleFile {
                    role: FileRole::Attachment,
                    position: 1,
                    name: "实施方案.pdf".into(),
                    source_url: "https://hd.example/a.pdf".into(),
                    hash: doc_hash,
                },
            ],
        )
        .await
        .unwrap();
    let out = dir.path().join("tree");
    let p = publish(
        &store,
        &PublishOptions {
            out: out.clone(),
            date_style: DateFolderStyle::MonthDay,
            mode: FileNameMode::Portable,
            files: Some(files),
            ..PublishOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(p.failed.is_empty(), "{:?}", p.failed);
    let got: Vec<String> = tree(&out).into_keys().collect();
    assert_eq!(
        got,
        vec![
            "领导活动/06月10日/区长调研／垃圾分类.txt",
            "领导活动/06月10日/区长调研／垃圾分类/图片/1.jpg",
            "领导活动/06月10日/区长调研／垃圾分类/附件/实施方案.pdf",
        ]
    );
    assert_eq!(
        std::fs::read(out.join("领导活动/06月10日/区长调研／垃圾分类/图片/1.jpg")).unwrap(),
        photo
    );
}
