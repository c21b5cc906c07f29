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

/// The office's unchanged preset checked against the replicas of its sources
/// (`jujiao_demosite::replica`), reached with `--resolve` and `--cacert` as a staging
/// mirror would be: one verdict line per source, the 412 gateway named, exit code 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_prints_one_verdict_per_preset_source_against_the_replicas() {
    use jujiao_demosite::replica::{CA_PEM, Replicas};
    let replicas = Replicas::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("replica-ca.pem");
    jujiao_legacy::write_atomic(&ca, CA_PEM.as_bytes()).unwrap();
    let preset = concat!(env!("CARGO_MANIFEST_DIR"), "/../../presets/legacy.toml");
    let mut args: Vec<String> = [
        "sources", "check", "--brief", "--config", preset, "--cacert",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.push(ca.to_string_lossy().into_owned());
    for (host, addr) in replicas.resolve() {
        args.push("--resolve".into());
        args.push(format!("{host}={addr}"));
    }
    // Four sources on four hosts keep the preset's 2 s politeness delay short.
    for id in ["hdqw-cwhd", "nhc-xwdt", "jhsjk-101", "12371-dtbb"] {
        args.push("--source".into());
        args.push(id.into());
    }
    let out = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        jujiao(&refs)
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = |id: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("no line for {id}: {stdout}"))
            .to_owned()
    };
    assert!(
        line("hdqw-cwhd").starts_with("ok ") && line("hdqw-cwhd").ends_with("ok: 3 items"),
        "{stdout}"
    );
    assert!(line("12371-dtbb").ends_with("ok: 3 items"), "{stdout}");
    assert!(line("jhsjk-101").ends_with("ok: 3 items"), "{stdout}");
    let nhc = line("nhc-xwdt");
    assert!(
        nhc.starts_with("FAIL") && nhc.contains("challenge page (HTTP 412"),
        "{stdout}"
    );
    assert!(stdout.contains("4 sources checked, 1 failed"), "{stdout}");
}
