#![allow(clippy::unwrap_used)]
//! The reliability suite (crate `jujiao-reliability`) in a bounded form, against the
//! binary Cargo just built: every hostile-site scenario, a few kill trials, the disk
//! cases, a short fuzzing run per target with the kept regression inputs, and the web
//! checks. `scripts/reliability.sh` runs the full form and prints the figures.
//! `JUJIAO_KILL_TRIALS` and `JUJIAO_FUZZ_EXECS` raise the trials and executions (CI
//! runs 12 and 20,000).

use jujiao_reliability::{crash, disk, fuzz, hostile_run, scenarios, web};
use std::path::{Path, PathBuf};

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_jujiao"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn scenario(name: &str) {
    let sites = hostile_run::Sites::start().await.unwrap();
    let s = scenarios::all()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap();
    let r = hostile_run::run_scenario(bin(), &sites, &s).await.unwrap();
    eprintln!(
        "{name}: verdict {}, {} files, peak {:.0} MiB, {:.1}s",
        r.verdict,
        r.files,
        r.peak_rss_mib,
        r.elapsed.as_secs_f64()
    );
    match r.known_issue {
        None => assert!(r.is_survived(), "{name}: {:#?}", r.problems),
        Some(note) => eprintln!("{name}: known issue ({note}): {:#?}", r.problems),
    }
}

macro_rules! hostile {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                scenario($name).await;
            }
        )*
        #[test]
        fn every_scenario_has_a_test() {
            let tested = [$($name),*];
            for s in scenarios::all() {
                assert!(tested.contains(&s.name), "no test for scenario {}", s.name);
            }
        }
    };
}

hostile! {
    hostile_endless_list => "endless-list",
    hostile_endless_article => "endless-article",
    hostile_gzip_bomb => "gzip-bomb",
    hostile_brotli_bomb => "brotli-bomb",
    hostile_100k_links => "100k-links",
    hostile_redirect_chain => "redirect-chain",
    hostile_redirect_loop => "redirect-loop",
    hostile_other_hosts => "other-hosts",
    hostile_private_refused => "private-refused",
    hostile_slowloris_body => "slowloris-body",
    hostile_slowloris_headers => "slowloris-headers",
    hostile_invalid_http => "invalid-http",
    hostile_mislabelled_encoding => "mislabelled-encoding",
    hostile_meta_refresh_loop => "meta-refresh-loop",
    hostile_10mb_one_line => "10mb-one-line",
    hostile_nested_100k => "nested-100k",
    hostile_titles => "hostile-titles",
    hostile_script_urls => "script-urls",
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_kills_lose_and_duplicate_nothing() {
    let trials = std::env::var("JUJIAO_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let f = crash::run_trials(bin(), trials, 7).await.unwrap();
    eprintln!("{f:?}");
    assert!(f.is_clean(), "{:#?}", f.failures);
    assert_eq!(f.trials, trials);
}

async fn disk_case(case: &str) {
    match disk::run_case(bin(), case).await.unwrap() {
        disk::DiskOutcome::Ran { error, problems } => {
            eprintln!("{case}: {error}");
            assert!(problems.is_empty(), "{case}: {problems:#?}");
        }
        disk::DiskOutcome::NotRun(why) => {
            // As root the mounts must work: a refusal there is a broken test, not a skip.
            assert!(!is_root(), "{case} could not run as root: {why}");
            eprintln!("{case} skipped (mounting needs root): {why}");
        }
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_output_disk_is_a_clear_error_and_the_next_run_completes() {
    disk_case("output-full").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_database_disk_is_a_clear_error_and_the_next_run_completes() {
    disk_case("database-full").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_output_is_a_clear_error_and_the_next_run_completes() {
    disk_case("output-read-only").await;
}

#[test]
fn fuzz_targets_survive_a_short_run() {
    // 1,500 executions per target by default; CI asks for more (JUJIAO_FUZZ_EXECS).
    let execs = std::env::var("JUJIAO_FUZZ_EXECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let dir = tempfile::tempdir().unwrap();
    for target in fuzz::Target::ALL {
        let r = fuzz::run(target, &root(), execs, 11, dir.path());
        eprintln!("{target:?}: {} executions in {:?}", r.executions, r.elapsed);
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
        assert_eq!(r.executions, execs);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawled_payloads_never_run_and_admin_and_traversal_are_refused() {
    let r = web::run(bin()).await.unwrap();
    let problems: Vec<&String> = r
        .problems
        .iter()
        .filter(|p| {
            let missing = p.starts_with("chromium not installed");
            if missing {
                eprintln!("browser part skipped: {p}");
            }
            !missing
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(r.refused.len() >= 15, "{:#?}", r.refused);
}
