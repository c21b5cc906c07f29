//! Kill trials: `jujiao crawl` (which publishes at its end) and `jujiao publish` killed
//! with SIGKILL at random instants, each followed by a clean run, then everything
//! counted: filings lost, filed twice, files half-written.
//!
//! The instants are drawn from a seeded generator over the measured length of a full
//! run (plus 10 %), so a failing trial can be replayed with the same seed.

use crate::runner::walk;
use anyhow::{Context, bail};
use jujiao_demosite::DemoSite;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Articles the demo site offers (24 + 9 + 12 pages; the edition is a zip, not a filing).
pub const EXPECTED_ARTICLES: u64 = 45;
/// The demo's day.
pub const DAY: &str = "2026-06-10";

/// A small seeded generator (SplitMix64): enough to spread kill instants, replayable.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// What the trials found, all counts over every trial.
#[derive(Debug, Clone, Default)]
pub struct CrashFigures {
    pub trials: u32,
    /// Trials whose victim was `jujiao crawl` / `jujiao publish`.
    pub crawl_kills: u32,
    pub publish_kills: u32,
    /// Kills that landed before the process had finished on its own.
    pub killed_while_running: u32,
    pub lost: u64,
    pub duplicated: u64,
    pub half_written: u64,
    /// Clean runs after a kill that did not exit 0 or 1.
    pub failed_reruns: u32,
    /// Descriptions of the trials that went wrong (seed and instant included).
    pub failures: Vec<String>,
}

impl CrashFigures {
    pub fn is_clean(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.half_written == 0 && self.failed_reruns == 0
    }
}

struct Work {
    _dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
    tree: PathBuf,
}

fn work(site: &DemoSite) -> anyhow::Result<Work> {
    let dir = tempfile::tempdir().context("while making a trial folder")?;
    let tree = dir.path().join("tree");
    let db = dir.path().join("t.db");
    let config = dir.path().join("jujiao.toml");
    let text = site.config_toml_with_delay(&tree.to_string_lossy(), &db.to_string_lossy(), "5ms");
    jujiao_legacy::write_atomic(&config, text.as_bytes())
        .with_context(|| format!("while writing {}", config.display()))?;
    Ok(Work {
        _dir: dir,
        config,
        db,
        tree,
    })
}

fn crawl_args(w: &Work) -> Vec<String> {
    vec![
        "crawl".into(),
        "--config".into(),
        w.config.to_string_lossy().into_owned(),
        "--day".into(),
        DAY.into(),
    ]
}

fn publish_args(w: &Work) -> Vec<String> {
    vec![
        "publish".into(),
        "--db".into(),
        w.db.to_string_lossy().into_owned(),
        "--out".into(),
        w.tree.to_string_lossy().into_owned(),
    ]
}

/// Runs to the end; returns the exit code and how long it took.
fn run(bin: &Path, args: &[String]) -> anyhow::Result<(Option<i32>, Duration)> {
    let started = Instant::now();
    let status = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("while running {}", bin.display()))?;
    Ok((status.code(), started.elapsed()))
}

/// Starts, SIGKILLs after `after`; true when the kill landed while it ran.
fn run_killed(bin: &Path, args: &[String], after: Duration) -> anyhow::Result<bool> {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("while starting {}", bin.display()))?;
    let deadline = Instant::now() + after;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(1).min(deadline - Instant::now()));
    }
    let running = child.try_wait()?.is_none();
    child.kill().ok(); // SIGKILL on Unix
    child.wait()?;
    Ok(running)
}

/// What a finished store and tree hold, compared with the demo site.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub lost: u64,
    pub duplicated: u64,
    pub half_written: u64,
}

/// Counts lost, duplicated and half-written filings in `db` and `tree`.
pub async fn tally(db: &Path, tree: &Path) -> anyhow::Result<(Tally, Vec<String>)> {
    let mut t = Tally::default();
    let mut notes = Vec::new();
    let store = jujiao_store::open_store(&db.to_string_lossy())
        .await
        .with_context(|| format!("while opening {}", db.display()))?;
    let stats = store.stats().await.context("while reading store stats")?;
    if stats.articles < EXPECTED_ARTICLES {
        t.lost += EXPECTED_ARTICLES - stats.articles;
        notes.push(format!("store holds {} articles", stats.articles));
    }
    if stats.articles > EXPECTED_ARTICLES {
        t.duplicated += stats.articles - EXPECTED_ARTICLES;
        notes.push(format!("store holds {} articles", stats.articles));
    }
    if stats.filings != stats.articles {
        t.duplicated += stats.filings.saturating_sub(stats.articles);
        t.lost += stats.articles.saturating_sub(stats.filings);
        notes.push(format!(
            "{} filings for {} articles",
            stats.filings, stats.articles
        ));
    }
    let mut txt = 0u64;
    let mut titles: HashMap<(PathBuf, String), u32> = HashMap::new();
    for rel in walk(tree) {
        let path = tree.join(&rel);
        if !path.is_file() {
            continue;
        }
        let name = rel.to_string_lossy().into_owned();
        if name.ends_with(".tmp") || name.contains(".tmp") {
            t.half_written += 1;
            notes.push(format!("temporary file left: {name}"));
        } else if name.ends_with(".txt") {
            txt += 1;
            match jujiao_legacy::read_file(&path) {
                Ok(doc) if !doc.is_body_empty() => {
                    let dir = rel.parent().map(Path::to_path_buf).unwrap_or_default();
                    *titles.entry((dir, doc.title)).or_default() += 1;
                }
                Ok(_) => {
                    t.half_written += 1;
                    notes.push(format!("{name} has no text"));
                }
                Err(e) => {
                    t.half_written += 1;
                    notes.push(format!("{name} unreadable: {e}"));
                }
            }
        } else if name.ends_with(".zip") {
            let bytes = std::fs::read(&path).with_context(|| format!("while reading {name}"))?;
            let tail = &bytes[bytes.len().saturating_sub(66_000)..];
            if !tail.windows(4).any(|w| w == b"PK\x05\x06") {
                t.half_written += 1;
                notes.push(format!("{name} is not a complete zip"));
            }
        }
    }
    if txt < EXPECTED_ARTICLES {
        t.lost += EXPECTED_ARTICLES - txt;
        notes.push(format!("{txt} briefing files in the tree"));
    }
    if txt > EXPECTED_ARTICLES {
        t.duplicated += txt - EXPECTED_ARTICLES;
        notes.push(format!("{txt} briefing files in the tree"));
    }
    for ((dir, title), n) in titles {
        if n > 1 {
            // Counted once more than it should be, unless the excess was already
            // counted by the file total above.
            notes.push(format!("{} × \"{title}\" in {}", n, dir.display()));
        }
    }
    Ok((t, notes))
}

/// Runs `trials` kill trials against a fresh demo site; alternate trials kill the crawl
/// and the publish step.
pub async fn run_trials(bin: &Path, trials: u32, seed: u64) -> anyhow::Result<CrashFigures> {
    let today = chrono::NaiveDate::parse_from_str(DAY, "%Y-%m-%d").context("the demo day")?;
    let site = DemoSite::start(today)
        .await
        .context("while starting the demo site")?;
    let bin = bin.to_path_buf();

    // Calibrate: how long a full crawl and a full publish of this machine take.
    let w = work(&site)?;
    let (code, crawl_time) = blocking({
        let (bin, args) = (bin.clone(), crawl_args(&w));
        move || run(&bin, &args)
    })
    .await?;
    if !matches!(code, Some(0 | 1)) {
        bail!("a full crawl of the demo site exited {code:?}");
    }
    let (t, notes) = tally(&w.db, &w.tree).await?;
    if t.lost + t.duplicated + t.half_written > 0 {
        bail!("an uninterrupted crawl is already wrong: {notes:?}");
    }
    std::fs::remove_dir_all(&w.tree).context("while clearing the calibration tree")?;
    let (_, publish_time) = blocking({
        let (bin, args) = (bin.clone(), publish_args(&w));
        move || run(&bin, &args)
    })
    .await?;

    let mut rng = SplitMix::new(seed);
    let mut figures = CrashFigures::default();
    for trial in 0..trials {
        let w = work(&site)?;
        let is_publish = trial % 2 == 1;
        let span = if is_publish { publish_time } else { crawl_time };
        let span_us = (span.as_micros() as u64 * 11 / 10).max(1000);
        let after = Duration::from_micros(rng.below(span_us));
        let running = if is_publish {
            figures.publish_kills += 1;
            // A complete store, then a publish into an empty folder, killed.
            blocking({
                let (bin, args) = (bin.clone(), crawl_args(&w));
                move || run(&bin, &args)
            })
            .await?;
            std::fs::remove_dir_all(&w.tree).context("while clearing the tree")?;
            blocking({
                let (bin, args) = (bin.clone(), publish_args(&w));
                move || run_killed(&bin, &args, after)
            })
            .await?
        } else {
            figures.crawl_kills += 1;
            blocking({
                let (bin, args) = (bin.clone(), crawl_args(&w));
                move || run_killed(&bin, &args, after)
            })
            .await?
        };
        if running {
            figures.killed_while_running += 1;
        }
        // The clean run: the office's next crawl (which publishes too).
        let (code, _) = blocking({
            let (bin, args) = (bin.clone(), crawl_args(&w));
            move || run(&bin, &args)
        })
        .await?;
        let what = if is_publish { "publish" } else { "crawl" };
        if !matches!(code, Some(0 | 1)) {
            figures.failed_reruns += 1;
            figures.failures.push(format!(
                "trial {trial} (seed {seed}, {what} killed at {after:?}): rerun exited {code:?}"
            ));
        }
        let (t, notes) = tally(&w.db, &w.tree).await?;
        figures.lost += t.lost;
        figures.duplicated += t.duplicated;
        figures.half_written += t.half_written;
        if t.lost + t.duplicated + t.half_written > 0 {
            figures.failures.push(format!(
                "trial {trial} (seed {seed}, {what} killed at {after:?}): {notes:?}"
            ));
        }
        figures.trials += 1;
    }
    Ok(figures)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a trial thread failed")?
}
