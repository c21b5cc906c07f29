#![allow(clippy::unwrap_used)]
//! `jujiao worker` collects images: two worker processes share the crawl of a loopback
//! site whose articles share a logo and a group photo, with one configured
//! `settings.files` folder — on one SQLite file, and on PostgreSQL as workers on several
//! machines would. Each distinct file is stored once on disk and in the database, linked
//! to every article that shows it, and `jujiao publish` files it under each article's
//! `图片/` folder.
//!
//! PostgreSQL is `$JUJIAO_TEST_PG`, else postgres://postgres@127.0.0.1:5432/test; when
//! that default does not answer the PostgreSQL test prints a message and passes. It
//! works in its own schema (the workers get it through the URL's `options[search_path]`).

mod common;

use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use jujiao_store::{FileRole, FilingQuery};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ARTICLES: usize = 6;

type Hits = Arc<Mutex<HashMap<String, usize>>>;

fn png(seed: u8) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend(std::iter::repeat_n(seed, 2000));
    v
}

fn jpeg(seed: u8) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    v.extend(std::iter::repeat_n(seed, 3000));
    v.extend([0xFF, 0xD9]);
    v
}

/// The images article `i` shows, in page order.
fn images_of(i: usize) -> Vec<String> {
    let mut v = vec!["/img/logo.png".to_owned()];
    if i < 3 {
        v.push("/img/group.jpg".to_owned());
    }
    v.push(format!("/img/own{i}.jpg"));
    v
}

fn bytes_of(path: &str) -> Option<Vec<u8>> {
    match path {
        "/img/logo.png" => Some(png(1)),
        "/img/group.jpg" => Some(jpeg(2)),
        p => p
            .strip_prefix("/img/own")
            .and_then(|r| r.strip_suffix(".jpg"))
            .and_then(|n| n.parse::<u8>().ok())
            .map(|n| jpeg(10 + n)),
    }
}

async fn page(hits: Hits, uri: Uri) -> axum::response::Response {
    let path = uri.path().to_owned();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let html =
        |s: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], s).into_response();
    if path == "/news/" {
        let items: String = (0..ARTICLES)
            .map(|i| format!("<li><a href=\"a{i}.html\">区里召开第{i}次工作会议</a></li>"))
            .collect();
        return html(format!(
            "<html><head><meta charset=\"utf-8\"></head><body><ul class=\"list\">{items}</ul></body></html>"
        ));
    }
    if let Some(i) = path
        .strip_prefix("/news/a")
        .and_then(|r| r.strip_suffix(".html"))
        .and_then(|n| n.parse::<usize>().ok())
    {
        let imgs: String = images_of(i)
            .iter()
            .map(|src| format!("<p><img src=\"{src}\"></p>"))
            .collect();
        return html(format!(
            "<html><head><meta charset=\"utf-8\"><title>区里召开第{i}次工作会议</title></head><body>\
             <h1>区里召开第{i}次工作会议</h1><div class=\"info\">发布时间：2026-06-10 09:30</div>\
             <div class=\"content\"><p>　　6月10日，区里召开第{i}次工作会议，研究部署近期重点工作。</p>\
             {imgs}<p>　　会议要求，各部门要抓好落实，确保各项任务按期完成。</p></div></body></html>"
        ));
    }
    match bytes_of(&path) {
        Some(bytes) => {
            let mime = if path.ends_with(".png") {
                "image/png"
            } else {
                "image/jpeg"
            };
            ([(header::CONTENT_TYPE, mime)], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(hits: Hits) -> String {
    let app = axum::Router::new().fallback(move |uri: Uri| page(Arc::clone(&hits), uri));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn jujiao(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jujiao"));
    c.args(args)
        .env("JUJIAO_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir` whose parent folder is `图片`, by article folder name.
fn image_folders(dir: &Path, found: &mut HashMap<String, Vec<(String, Vec<u8>)>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            image_folders(&path, found);
        } else if path.parent().and_then(|p| p.file_name()) == Some("图片".as_ref()) {
            let article = path.parent().unwrap().parent().unwrap();
            let title = article.file_name().unwrap().to_string_lossy().into_owned();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            found
                .entry(title)
                .or_default()
                .push((name, std::fs::read(&path).unwrap()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_sqlite_store_shared_images_once_and_file_them_for_every_article() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db").to_str().unwrap().to_owned();
    two_workers_share_images(dir.path(), &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres_store_shared_images_once_and_file_them_for_every_article() {
    let Some((_store, schema)) = common::pg_schema("files").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    two_workers_share_images(dir.path(), &schema.url()).await;
}

/// Two `jujiao worker` processes crawl the site into `db`, then `jujiao publish` writes
/// the tree; checks the files in the database, on disk and in the tree.
async fn two_workers_share_images(dir: &Path, db: &str) {
    let hits: Hits = Arc::default();
    let base = serve(Arc::clone(&hits)).await;
    let shared: PathBuf = dir.join("shared-files");
    let config = dir.join("jujiao.toml");
    let text = format!(
        r#"[settings]
database = "unused.db"
output = "{tree}"
files = "{shared}"
delay = "0s"
concurrency_per_host = 2
allow_private = true

[[source]]
id = "qu"
column = "工作动态"
list_urls = ["{base}/news/"]
link = "ul.list a"
[source.article]
title = "h1"
body = "div.content p"
date = "div.info"
"#,
        tree = dir.join("unused-tree").display(),
        shared = shared.display(),
    );
    jujiao_legacy::write_atomic(&config, text.as_bytes()).unwrap();
    let config_arg = config.to_str().unwrap().to_owned();
    let children: Vec<_> = (0..2)
        .map(|i| {
            let id = format!("w{i}");
            let args = [
                "worker",
                "--until-idle",
                "--tasks",
                "3",
                "--heartbeat",
                "200ms",
                "--id",
                &id,
                "--db",
                db,
                "--config",
                &config_arg,
            ];
            jujiao(&args).spawn().unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        children
            .into_iter()
            .map(|mut child| {
                while child.try_wait().unwrap().is_none() {
                    if started.elapsed() > Duration::from_secs(90) {
                        let _ = child.kill();
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                child.wait_with_output().unwrap()
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for out in &outputs {
        assert_success(out);
    }

    // Each distinct file once in the database and once on disk; each article linked to
    // all of its images, in page order.
    let distinct = 2 + ARTICLES;
    let store = jujiao_store::open_store(db).await.unwrap();
    let filed = store
        .filed_articles(&FilingQuery {
            since: None,
            until: None,
            column: None,
            after: None,
            limit: 100,
        })
        .await
        .unwrap();
    assert_eq!(filed.len(), ARTICLES);
    let mut hashes = HashSet::new();
    for f in &filed {
        let i: usize = f
            .article
            .url
            .strip_prefix(&format!("{base}/news/a"))
            .and_then(|r| r.strip_suffix(".html"))
            .unwrap()
            .parse()
            .unwrap();
        let images: Vec<_> = store
            .article_files(f.article_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.file.role == FileRole::Image)
            .collect();
        let urls: Vec<&str> = images
            .iter()
            .map(|e| e.file.source_url.strip_prefix(&base).unwrap())
            .collect();
        assert_eq!(urls, images_of(i), "article {i}");
        hashes.extend(images.iter().map(|e| e.file.hash.clone()));
    }
    assert_eq!(hashes.len(), distinct);
    for hash in &hashes {
        assert!(store.file(hash).await.unwrap().is_some(), "{hash} recorded");
    }
    let on_disk: usize = std::fs::read_dir(&shared)
        .unwrap()
        .flatten()
        .map(|d| std::fs::read_dir(d.path()).unwrap().count())
        .sum();
    assert_eq!(on_disk, distinct, "every file once in the shared folder");
    // A URL one worker stored is not fetched again; two workers asking in the same
    // instant may each fetch it once.
    let hits = hits.lock().unwrap().clone();
    for shared_image in ["/img/logo.png", "/img/group.jpg"] {
        let n = hits.get(shared_image).copied().unwrap_or(0);
        assert!((1..=2).contains(&n), "{shared_image} fetched {n} times");
    }

    // Published: each article's images in its own 图片/ folder, numbered in page order.
    let tree = dir.join("tree");
    let out = jujiao(&[
        "publish",
        "--db",
        db,
        "--files",
        shared.to_str().unwrap(),
        "--out",
        tree.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_success(&out);
    let mut found = HashMap::new();
    image_folders(&tree, &mut found);
    assert_eq!(found.len(), ARTICLES, "{:?}", found.keys());
    for i in 0..ARTICLES {
        let mut filed = found.remove(&format!("区里召开第{i}次工作会议")).unwrap();
        filed.sort();
        let expected: Vec<(String, Vec<u8>)> = images_of(i)
            .iter()
            .zip(1..)
            .map(|(src, n)| {
                let ext = src.rsplit('.').next().unwrap();
                (format!("{n}.{ext}"), bytes_of(src).unwrap())
            })
            .collect();
        assert_eq!(filed, expected, "article {i}");
    }
}
