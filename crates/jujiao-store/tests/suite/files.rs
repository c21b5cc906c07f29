//! The contract for stored files: recorded once by hash, referenced by several
//! articles, found by source URL, listed per article in order.

use crate::common::record;
use jujiao_store::{ArticleFile, FileRole, Store, StoredFile, TextStatus};
use std::sync::Arc;

fn stored(hash: &str, mime: &str, text: Option<&str>) -> StoredFile {
    StoredFile {
        hash: hash.to_owned(),
        size: 1234,
        mime: mime.to_owned(),
        text_status: if text.is_some() {
            TextStatus::Text
        } else {
            TextStatus::None
        },
        text: text.map(str::to_owned),
    }
}

fn reference(role: FileRole, position: u32, name: &str, url: &str, hash: &str) -> ArticleFile {
    ArticleFile {
        role,
        position,
        name: name.to_owned(),
        source_url: url.to_owned(),
        hash: hash.to_owned(),
    }
}

pub async fn files_are_stored_once_and_shared(store: Arc<dyn Store>) {
    let logo = "a".repeat(64);
    let pdf = "b".repeat(64);
    assert!(
        store
            .record_file(&stored(&logo, "image/png", None))
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_file(&stored(&logo, "image/png", None))
            .await
            .unwrap(),
        "the same hash is stored once"
    );
    assert!(
        store
            .record_file(&stored(&pdf, "application/pdf", Some("通知全文 附件一")))
            .await
            .unwrap()
    );

    let outcomes = store
        .record_articles(&[
            record("https://f.example/1", "第一篇", &["一"]),
            record("https://f.example/2", "第二篇", &["二"]),
        ])
        .await
        .unwrap();
    let (a1, a2) = (outcomes[0].article_id(), outcomes[1].article_id());
    // Attachments given before images: the listing still shows images first.
    store
        .attach_files(
            a1,
            &[
                reference(
                    FileRole::Attachment,
                    1,
                    "关于开展工作的通知.pdf",
                    "https://f.example/a.pdf",
                    &pdf,
                ),
                reference(
                    FileRole::Image,
                    2,
                    "2.png",
                    "https://f.example/logo.png",
                    &logo,
                ),
                reference(
                    FileRole::Image,
                    1,
                    "1.png",
                    "https://f.example/logo2.png",
                    &logo,
                ),
            ],
        )
        .await
        .unwrap();
    store
        .attach_files(
            a2,
            &[reference(
                FileRole::Image,
                1,
                "1.png",
                "https://f.example/logo.png",
                &logo,
            )],
        )
        .await
        .unwrap();

    let listed = store.article_files(a1).await.unwrap();
    let order: Vec<(FileRole, u32)> = listed
        .iter()
        .map(|e| (e.file.role, e.file.position))
        .collect();
    assert_eq!(
        order,
        vec![
            (FileRole::Image, 1),
            (FileRole::Image, 2),
            (FileRole::Attachment, 1)
        ]
    );
    assert_eq!(listed[2].file.name, "关于开展工作的通知.pdf");
    assert_eq!(listed[2].mime, "application/pdf");
    assert_eq!(listed[2].size, 1234);
    assert_eq!(listed[2].text_status, TextStatus::Text);
    assert_eq!(store.article_files(a2).await.unwrap().len(), 1);

    let known = store
        .files_by_url(&[
            "https://f.example/logo.png".to_owned(),
            "https://f.example/a.pdf".to_owned(),
            "https://f.example/unknown.jpg".to_owned(),
        ])
        .await
        .unwrap();
    assert_eq!(known.len(), 2);
    assert_eq!(known["https://f.example/logo.png"], logo);
    assert_eq!(known["https://f.example/a.pdf"], pdf);

    let file = store.file(&pdf).await.unwrap().unwrap();
    assert_eq!(file.text.as_deref(), Some("通知全文 附件一"));
    assert_eq!(store.file(&"c".repeat(64)).await.unwrap(), None);

    // Re-attaching a position replaces it; other positions stay.
    store
        .attach_files(
            a1,
            &[reference(
                FileRole::Image,
                2,
                "2.png",
                "https://f.example/other.png",
                &logo,
            )],
        )
        .await
        .unwrap();
    let listed = store.article_files(a1).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[1].file.source_url, "https://f.example/other.png");
}

pub async fn attaching_an_unknown_file_fails(store: Arc<dyn Store>) {
    let id = store
        .record_articles(&[record("https://f.example/x", "标题", &["正文"])])
        .await
        .unwrap()[0]
        .article_id();
    let missing = "d".repeat(64);
    let err = store
        .attach_files(
            id,
            &[reference(
                FileRole::Image,
                1,
                "1.jpg",
                "https://f.example/1.jpg",
                &missing,
            )],
        )
        .await;
    assert!(err.is_err(), "a reference to an unrecorded file is refused");
    assert!(store.article_files(id).await.unwrap().is_empty());
}

pub async fn files_past_a_revisions_own_are_detached(store: Arc<dyn Store>) {
    let (one, two) = ("c".repeat(64), "d".repeat(64));
    for h in [&one, &two] {
        store
            .record_file(&stored(h, "image/jpeg", None))
            .await
            .unwrap();
    }
    let id = store
        .record_articles(&[record("https://f.example/r", "修订", &["一"])])
        .await
        .unwrap()[0]
        .article_id();
    store
        .attach_files(
            id,
            &[
                reference(FileRole::Image, 1, "1.jpg", "https://f.example/1.jpg", &one),
                reference(FileRole::Image, 2, "2.jpg", "https://f.example/2.jpg", &two),
                reference(
                    FileRole::Attachment,
                    1,
                    "a.pdf",
                    "https://f.example/a",
                    &two,
                ),
            ],
        )
        .await
        .unwrap();
    store
        .detach_files_after(id, FileRole::Image, 1)
        .await
        .unwrap();
    let left: Vec<(FileRole, u32)> = store
        .article_files(id)
        .await
        .unwrap()
        .iter()
        .map(|e| (e.file.role, e.file.position))
        .collect();
    assert_eq!(left, [(FileRole::Image, 1), (FileRole::Attachment, 1)]);
    store
        .detach_files_after(id, FileRole::Attachment, 0)
        .await
        .unwrap();
    assert_eq!(store.article_files(id).await.unwrap().len(), 1);
}
