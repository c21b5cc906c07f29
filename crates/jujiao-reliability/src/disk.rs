//! Full and read-only disks, made real with mounts: a tiny tmpfs under the output
//! folder or the database, and a read-only bind mount over the output folder (as root,
//! `chmod` would not stop a write). Each case: the run fails with an error naming the
//! place, the store stays readable and consistent, and once the disk is fixed the next
//! run completes with every article filed once.
//!
//! Mounting needs root (CAP_SYS_ADMIN); where it is refused the cases report
//! [`DiskOutcome::NotRun`] with the reason instead of pretending.

use crate::crash::{DAY, EXPECTED_ARTICLES, tally};
use anyhow::Context;
use jujiao_demosite::DemoSite;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How one disk case went.
#[derive(Debug, Clone)]
pub enum DiskOutcome {
    /// The case ran: `problems` is empty when it behaved.
    Ran {
        /// The error the failing run printed (its last line).
        error: String,
        problems: Vec<String>,
    },
    NotRun(String),
}

/// The disk cases by name.
pub const CASES: [&str; 3] = ["output-full", "database-full", "output-read-only"];

struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount(args: &[&str], target: &Path) -> Result<Mount, String> {
    std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    let out = Command::new("mount")
        .args(args)
        .arg(target)
        .output()
        .map_err(|e| format!("mount: {e}"))?;
    if out.status.success() {
        Ok(Mount(target.to_path_buf()))
    } else {
        Err(format!(
            "mount {} {}: {}",
            args.join(" "),
            target.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn crawl(bin: &Path, config: &Path) -> anyhow::Result<(Option<i32>, String)> {
    let out = Command::new(bin)
        .arg("crawl")
        .arg("--config")
        .arg(config)
        .args(["--day", DAY])
        .output()
        .with_context(|| format!("while running {}", bin.display()))?;
    // A failed file is reported in the run's summary on stdout ("filing …: <path>: create
    // folder failed: Read-only file system (os error 30)"); fatal errors go to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stderr
        .lines()
        .rev()
        .chain(stdout.lines().rev())
        .find(|l| l.contains("error"))
        .unwrap_or_default()
        .to_owned();
    Ok((out.status.code(), last))
}

/// Runs one case (`output-full`, `database-full` or `output-read-only`).
pub async fn run_case(bin: &Path, case: &str) -> anyhow::Result<DiskOutcome> {
    let today = chrono::NaiveDate::parse_from_str(DAY, "%Y-%m-%d").context("the demo day")?;
    let site = DemoSite::start(today)
        .await
        .context("while starting the demo site")?;
    let dir = tempfile::tempdir().context("while making a work folder")?;
    let tree = dir.path().join("tree");
    let db_dir = dir.path().join("db");
    std::fs::create_dir_all(&db_dir).context("while making the db folder")?;
    let db = db_dir.join("t.db");
    let config = dir.path().join("jujiao.toml");
    let text = site.config_toml_with_delay(&tree.to_string_lossy(), &db.to_string_lossy(), "5ms");
    jujiao_legacy::write_atomic(&config, text.as_bytes())
        .with_context(|| format!("while writing {}", config.display()))?;

    let bin_owned = bin.to_path_buf();
    let config_owned = config.clone();
    let run = move || {
        let (bin, config) = (bin_owned.clone(), config_owned.clone());
        async move {
            tokio::task::spawn_blocking(move || crawl(&bin, &config))
                .await
                .context("the run thread failed")?
        }
    };

    let mut problems = Vec::new();
    let (guard, place) = match case {
        "output-full" => match mount(&["-t", "tmpfs", "-o", "size=48k", "tmpfs"], &tree) {
            Ok(m) => (m, tree.clone()),
            Err(e) => return Ok(DiskOutcome::NotRun(e)),
        },
        "database-full" => match mount(&["-t", "tmpfs", "-o", "size=320k", "tmpfs"], &db_dir) {
            Ok(m) => (m, db_dir.clone()),
            Err(e) => return Ok(DiskOutcome::NotRun(e)),
        },
        _ => {
            let real = dir.path().join("tree-real");
            std::fs::create_dir_all(&real).context("while making the tree folder")?;
            std::fs::create_dir_all(&tree).context("while making the tree folder")?;
            let bind = match mount(&["--bind", &real.to_string_lossy()], &tree) {
                Ok(m) => m,
                Err(e) => return Ok(DiskOutcome::NotRun(e)),
            };
            // The remount is the same mount as `bind`: its guard must not unmount it
            // (only `bind`'s guard does, once).
            match mount(&["-o", "remount,bind,ro"], &tree) {
                Ok(remount) => std::mem::forget(remount),
                Err(e) => return Ok(DiskOutcome::NotRun(e)),
            }
            (bind, tree.clone())
        }
    };

    let (code, error) = run().await?;
    if code == Some(0) {
        problems.push(format!("the run on a broken disk exited 0 ({case})"));
    }
    let place_named =
        error.contains(&*place.to_string_lossy()) || error.contains(&*dir.path().to_string_lossy());
    if !place_named {
        problems.push(format!("the error does not name the place: {error:?}"));
    }
    let cause_named = [
        "No space left",
        "database or disk is full",
        "Read-only",
        "只读",
        "空间",
    ]
    .iter()
    .any(|c| error.contains(c));
    if !cause_named {
        problems.push(format!("the error does not say why: {error:?}"));
    }
    // The store must open and answer while the disk is still broken (read-only use).
    if case != "database-full" {
        match jujiao_store::open_store(&db.to_string_lossy()).await {
            Ok(store) => {
                if let Err(e) = store.stats().await {
                    problems.push(format!("store unreadable after the failure: {e}"));
                }
            }
            Err(e) => problems.push(format!("store does not open after the failure: {e}")),
        }
    }

    // Fix the disk: for the tmpfs cases copy what is there out, unmount, copy back (a
    // bigger disk with the same files); for the read-only case just unmount.
    let kept = dir.path().join("kept");
    if case != "output-read-only" {
        copy_tree(&place, &kept)?;
    }
    drop(guard);
    if case != "output-read-only" {
        std::fs::remove_dir_all(&place).ok();
        copy_tree(&kept, &place)?;
    }
    let (code_after, line_after) = run().await?;
    if !matches!(code_after, Some(0 | 1)) {
        problems.push(format!(
            "the run after the fix exited {code_after:?}: {line_after}"
        ));
    }
    let (t, notes) = tally(&db, &tree).await?;
    if t.lost + t.duplicated + t.half_written > 0 {
        problems.push(format!(
            "after the fix: {} lost, {} duplicated, {} half-written of {EXPECTED_ARTICLES}: {notes:?}",
            t.lost, t.duplicated, t.half_written
        ));
    }
    Ok(DiskOutcome::Ran { error, problems })
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("while making {}", to.display()))?;
    for rel in crate::runner::walk(from) {
        let (src, dst) = (from.join(&rel), to.join(&rel));
        if src.is_dir() {
            std::fs::create_dir_all(&dst)
                .with_context(|| format!("while making {}", dst.display()))?;
        } else {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).ok();
            }
            std::fs::copy(&src, &dst)
                .with_context(|| format!("while copying {}", src.display()))?;
        }
    }
    Ok(())
}
