#![allow(clippy::unwrap_used)]
//! Crash safety: `jujiao crawl` killed with SIGKILL at various instants, then run again
//! to the end, must leave every article filed exactly once, nothing lost, and no
//! half-written file in the briefing tree.

use jujiao_demosite::DemoSite;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Article pages the demo site lists that can be collected (24 + 9 + 12).
const EXPECTED_ARTICLES: u64 = 45;

fn jujiao() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jujiao"))
}

fn check_tree(tree: &Path) -> usize {
    let mut txt = 0;
    let mut stack = vec![tree.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
                continue;
            }
            assert!(
                !name.ends_with(".tmp"),
                "half-written file left: {}",
                path.display()
            );
            if name.ends_with(".txt") {
                let bytes = std::fs::read(&path).unwrap();
                let doc = jujiao_legacy::parse(&bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!doc.is_body_empty(), "{} has no text", path.display());
                txt += 1;
            }
        }
    }
    txt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_crawls_lose_nothing_and_file_nothing_twice() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
    let site = DemoSite::start(today).await.unwrap();
    // Kill instants spread over a run (a full run takes a few seconds: the 500 page is
    // retried with backoff); fixed so a failure can be replayed.
    let instants_ms = [40, 150, 300, 600, 1100, 1700];
    for (trial, kill_after) in instants_ms.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        let db = dir.path().join("t.db");
        let config = dir.path().join("jujiao.toml");
        std::fs::create_dir_all(dir.path()).unwrap();
        let text =
            site.config_toml_with_delay(&tree.to_string_lossy(), &db.to_string_lossy(), "5ms");
        jujiao_legacy::write_atomic(&config, text.as_bytes()).unwrap();

        let mut child = jujiao()
            .args(["crawl", "--config"])
            .arg(&config)
            .args(["--day", "2026-06-10"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let rerun = jujiao()
            .args(["crawl", "--config"])
            .arg(&config)
            .args(["--day", "2026-06-10"])
            .output()
            .unwrap();
        let code = rerun.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "trial {trial}: rerun exited {code:?}: {}",
            String::from_utf8_lossy(&rerun.stderr)
        );

        let store = jujiao_store::SqliteStore::open(db.to_str().unwrap())
            .await
            .unwrap();
        let stats = jujiao_store::ArticleStore::stats(&store).await.unwrap();
        assert_eq!(
            stats.articles, EXPECTED_ARTICLES,
            "trial {trial} (kill at {kill_after} ms): {stats:?}"
        );
        assert_eq!(
            stats.filings, EXPECTED_ARTICLES,
            "trial {trial}: filings {stats:?}"
        );
        assert_eq!(
            check_tree(&tree),
            EXPECTED_ARTICLES as usize,
            "trial {trial}: files in the tree"
        );
    }
}
