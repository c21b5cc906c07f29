//! Running the real `jujiao` binary as the office does, and looking at what it left.
//!
//! The suite never calls the crawler in-process: memory is measured on the process
//! (`/usr/bin/time -f %M` when present — the kernel's peak resident set of the child —
//! else `VmHWM` from `/proc/<pid>/status` polled every 5 ms), kills are real SIGKILLs,
//! and the output folder is whatever the binary wrote.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `jujiao` binary under test: `JUJIAO_BIN`, else the one Cargo built beside this
/// executable (`target/<profile>/jujiao`).
pub fn jujiao_bin() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("JUJIAO_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let exe = std::env::current_exe().context("while locating the test executable")?;
    for dir in exe.ancestors().skip(1).take(3) {
        let candidate = dir.join("jujiao");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "no jujiao binary beside {} — build it (cargo build -p jujiao) or set JUJIAO_BIN",
        exe.display()
    )
}

/// How one run of the binary ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set of the process, in KiB.
    pub peak_rss_kib: u64,
    pub elapsed: Duration,
}

/// Runs `jujiao <args>` to the end (killed after `limit`), measuring its peak memory.
pub fn run_measured(bin: &Path, args: &[&str], limit: Duration) -> anyhow::Result<Finished> {
    let time = Path::new("/usr/bin/time");
    let rss_file = tempfile::NamedTempFile::new().context("while making a temp file")?;
    let gnu_time = time.is_file()
        && Command::new(time)
            .args(["-f", "%M", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mut command = if gnu_time {
        let mut c = Command::new(time);
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(rss_file.path())
            .arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("while starting {}", bin.display()))?;
    let pid = child.id();
    // Pipes are drained on threads so a chatty child cannot block on a full pipe.
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let mut polled_peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if !gnu_time {
            polled_peak = polled_peak.max(vm_hwm_kib(pid).unwrap_or(0));
        }
        if started.elapsed() > limit {
            child.kill().ok();
            let status = child.wait()?;
            let stderr = err.join().unwrap_or_default();
            bail!(
                "jujiao {} still running after {limit:?} (killed, {status}): {stderr}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let peak_rss_kib = if gnu_time {
        let text = std::fs::read_to_string(rss_file.path()).unwrap_or_default();
        // GNU time writes "Command exited with non-zero status N" before the figure.
        text.lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .next_back()
            .unwrap_or(0)
    } else {
        polled_peak
    };
    Ok(Finished {
        code: status.code(),
        stdout,
        stderr,
        peak_rss_kib,
        elapsed,
    })
}

fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Every file and folder under `root` (symlinks not followed), relative to it.
pub fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path.clone());
            }
            if let Ok(rel) = path.strip_prefix(root) {
                found.push(rel.to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// Paths under `work` that are neither the output folder's content nor the expected
/// database, search index and config files: anything the run wrote where it should not.
pub fn escaped(work: &Path, out: &Path, allowed: &[&str]) -> Vec<PathBuf> {
    let out_rel = out.strip_prefix(work).unwrap_or(out).to_path_buf();
    walk(work)
        .into_iter()
        .filter(|rel| {
            let in_out = rel.starts_with(&out_rel) || out_rel.starts_with(rel);
            let first = rel
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .unwrap_or_default();
            !in_out && !allowed.iter().any(|a| first.starts_with(a))
        })
        .collect()
}

/// Files in the tree that are links (a published tree holds none).
pub fn symlinks(root: &Path) -> Vec<PathBuf> {
    walk(root)
        .into_iter()
        .filter(|rel| {
            std::fs::symlink_metadata(root.join(rel)).is_ok_and(|m| m.file_type().is_symlink())
        })
        .collect()
}
