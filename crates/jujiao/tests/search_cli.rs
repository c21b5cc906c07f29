#![allow(clippy::unwrap_used)]
//! `jujiao search` on the command line, its output read by another program.
//!
//! Regression: `jujiao search 工作 | head` panicked ("failed printing to stdout: Broken
//! pipe", a backtrace, exit 101) when the reader stopped reading before the results
//! were all written. A reader that stops is not an error: the command ends quietly.

use jujiao_demosite::DemoSite;
use std::io::Read;
use std::process::{Command, Stdio};

fn jujiao() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jujiao"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_reading_ends_the_search_quietly() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
    let site = DemoSite::start(today).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    let db = dir.path().join("t.db");
    let config = dir.path().join("jujiao.toml");
    let text = site.config_toml_with_delay(&tree.to_string_lossy(), &db.to_string_lossy(), "5ms");
    jujiao_legacy::write_atomic(&config, text.as_bytes()).unwrap();
    let crawled = tokio::task::block_in_place(|| {
        jujiao()
            .args(["crawl", "--config"])
            .arg(&config)
            .args(["--day", "2026-06-10"])
            .output()
            .unwrap()
    });
    // The demo site's deliberate faults make some sources fail (exit 1).
    assert!(
        matches!(crawled.status.code(), Some(0 | 1)),
        "crawl: {}",
        String::from_utf8_lossy(&crawled.stderr)
    );
    let search = || {
        let mut c = jujiao();
        c.args(["search", "--db"])
            .arg(&db)
            .args(["--json", "--limit", "100", "的"]);
        c
    };

    // Read to the end: several hits, each a JSON line.
    let full = search().output().unwrap();
    assert!(full.status.success(), "{full:?}");
    let lines = String::from_utf8(full.stdout).unwrap().lines().count();
    assert!(lines >= 2, "too few hits to test with: {lines}");

    // The reader goes away before the command writes: every write fails (EPIPE).
    let mut child = search()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit {:?}: {stderr}", status.code());
    assert!(!stderr.contains("panicked"), "{stderr}");
}
