#![allow(clippy::unwrap_used)]
//! `jujiao sources check` as staff run it: against the demo site on 127.0.0.1, with and
//! without `--dry-run`, and with a source id that is not in the file.

use jujiao_demosite::DemoSite;
use std::process::{Command, Output};

fn jujiao(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .args(args)
        .output()
        .unwrap()
}

struct Setup {
    site: DemoSite,
    dir: tempfile::TempDir,
    config: String,
}

async fn setup() -> Setup {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap();
    let site = DemoSite::start(today).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("jujiao.toml");
    let text = site.config_toml(
        &dir.path().join("tree").to_string_lossy(),
        &dir.path().join("t.db").to_string_lossy(),
    );
    jujiao_legacy::write_atomic(&config, text.as_bytes()).unwrap();
    Setup {
        site,
        dir,
        config: config.to_string_lossy().into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_previews_the_first_list_page_and_stores_nothing() {
    let s = setup().await;
    let out = tokio::task::spawn_blocking({
        let config = s.config.clone();
        move || {
            jujiao(&[
                "sources",
                "check",
                "--config",
                &config,
                "--source",
                "demo-tzgg",
            ])
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("valid, 4 sources"), "{stdout}");
    assert!(stdout.contains("[demo-tzgg]"), "{stdout}");
    assert!(
        !stdout.contains("[demo-cj]"),
        "only the chosen source: {stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("first list page:"))
        .unwrap_or_else(|| panic!("no preview line: {stdout}"));
    let items: usize = line
        .split("first list page: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(items > 0, "{line}");
    assert!(line.ends_with("health: ok"), "{line}");
    // At most five items are shown, each with its date and an article link on the site.
    let shown: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("    2026-") && l.contains(&s.site.base_url()))
        .collect();
    assert_eq!(shown.len(), items.min(5), "{stdout}");
    assert!(s.site.traffic().total() > 0, "the list page was fetched");
    // A preview stores nothing: the database and the tree of the sources file stay absent.
    assert!(!s.dir.path().join("t.db").exists());
    assert!(!s.dir.path().join("tree").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_explains_every_source_and_sends_nothing() {
    let s = setup().await;
    let out = tokio::task::spawn_blocking({
        let config = s.config.clone();
        move || jujiao(&["sources", "check", "--config", &config, "--dry-run"])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for id in ["demo-cwhd", "demo-tzgg", "demo-cj", "demo-paper"] {
        assert!(
            stdout.contains(&format!("[{id}]")),
            "{id} missing: {stdout}"
        );
    }
    assert!(
        stdout.contains(&format!("GET {}/qwyw/tzgg/", s.site.base_url())),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: nothing was sent"), "{stdout}");
    assert_eq!(s.site.traffic().total(), 0, "a dry run sends nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_source_id_is_a_clear_error() {
    let s = setup().await;
    let out = tokio::task::spawn_blocking({
        let config = s.config.clone();
        move || {
            jujiao(&[
                "sources", "check", "--config", &config, "--source", "no-such",
            ])
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no source with id \"no-such\""), "{stderr}");
    assert!(stderr.contains(&s.config), "names the file: {stderr}");
    assert_eq!(s.site.traffic().total(), 0);
}
