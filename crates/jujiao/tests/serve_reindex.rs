#![allow(clippy::unwrap_used)]
//! `jujiao reindex` and `jujiao crawl` while `jujiao serve` runs on the same database:
//! serve used to hold the search index's writer lock for its whole life, so both failed
//! with "being written by another process". Now serve writes only in short sessions, the
//! CLI writes the index, and serve's reader picks the new commit up by itself.

use jujiao_demosite::DemoSite;
use jujiao_store::ArticleStore;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn jujiao() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jujiao"))
}

/// Kills the server when the test ends, also on a failed assertion.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.1 GET on 127.0.0.1; `None` while nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// Articles serve's search finds (an empty query lists them all).
fn searchable(port: u16) -> Option<u64> {
    let (status, body) = get(port, "/api/search?q=")?;
    if status != 200 {
        return None;
    }
    // A chunked body: the JSON object sits between the chunk sizes.
    let json = &body[body.find('{')?..=body.rfind('}')?];
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["total"].as_u64()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} exited {:?}:\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A crawl of the demo site; its deliberate faults make some sources fail (exit 1).
fn crawl(config: &Path) -> std::process::Output {
    let out = jujiao()
        .args(["crawl", "--config"])
        .arg(config)
        .args(["--day", "2026-06-10"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "crawl exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_and_crawl_work_while_serve_runs() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
    let site = DemoSite::start(today).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let db = dir.path().join("t.db");
    let config = dir.path().join("jujiao.toml");
    let text = site.config_toml_with_delay(&tree.to_string_lossy(), &db.to_string_lossy(), "5ms");
    jujiao_legacy::write_atomic(&config, text.as_bytes()).unwrap();
    tokio::task::block_in_place(|| crawl(&config));
    let store = jujiao_store::SqliteStore::open(db.to_str().unwrap())
        .await
        .unwrap();
    let articles = store.stats().await.unwrap().articles;
    assert!(articles > 0);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        jujiao()
            .args(["serve", "--config"])
            .arg(&config)
            .arg("--db")
            .arg(&db)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--no-schedule"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    tokio::task::block_in_place(|| {
        wait_for("serve to answer with every article searchable", || {
            searchable(port) == Some(articles)
        });
    });

    // An article stored behind serve's back, then a full reindex while serve runs.
    store
        .record_articles(&[jujiao_store::ArticleRecord {
            article: jujiao_model::Article {
                source: "legacy".into(),
                url: "https://example.invalid/forest".into(),
                title: "关于开展冬季森林防火检查的通知".into(),
                paragraphs: vec![jujiao_model::Paragraph::new(
                    "各单位：现就森林防火检查通知如下。",
                )],
                ..jujiao_model::Article::default()
            },
            filing: jujiao_model::Filing {
                column: "通知公告".into(),
                date: Some(today),
                legacy: None,
            },
        }])
        .await
        .unwrap();
    tokio::task::block_in_place(|| {
        let out = run(jujiao().args(["reindex", "--db"]).arg(&db));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("{} articles indexed", articles + 1)),
            "{stdout}"
        );
        // serve's reader reloads on the CLI's commit.
        wait_for("serve to see the reindexed article", || {
            searchable(port) == Some(articles + 1)
        });
        let (status, body) = get(port, "/search?q=%E6%A3%AE%E6%9E%97%E9%98%B2%E7%81%AB").unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("<mark>森林防火</mark>"), "{body}");

        // A crawl while serve runs updates the index without a lock warning.
        let out = crawl(&config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("search index not updated"), "{stderr}");
    });
    drop(site);
}
