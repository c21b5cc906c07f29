//! `jujiao-reliability`: runs the reliability suite against a `jujiao` binary and
//! prints its figures. Exit code 0 when every check passed, 1 otherwise.
//!
//! ```text
//! jujiao-reliability [--bin PATH] [--trials N] [--fuzz-execs N] [--seed S]
//!                    [--only hostile,crash,disk,fuzz,web]
//! ```

use anyhow::{Context, bail};
use jujiao_reliability::{crash, disk, fuzz, hostile_run, runner, web};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug)]
struct Options {
    bin: Option<PathBuf>,
    trials: u32,
    fuzz_execs: u64,
    seed: u64,
    only: Vec<String>,
    root: PathBuf,
}

fn parse() -> anyhow::Result<Options> {
    let mut o = Options {
        bin: None,
        trials: 100,
        fuzz_execs: 100_000,
        seed: 20_260_610,
        only: Vec::new(),
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--bin" => o.bin = Some(PathBuf::from(value()?)),
            "--trials" => o.trials = value()?.parse().context("--trials")?,
            "--fuzz-execs" => o.fuzz_execs = value()?.parse().context("--fuzz-execs")?,
            "--seed" => o.seed = value()?.parse().context("--seed")?,
            "--only" => o.only = value()?.split(',').map(str::to_owned).collect(),
            "--root" => o.root = PathBuf::from(value()?),
            "-h" | "--help" => {
                println!(
                    "jujiao-reliability [--bin PATH] [--trials N] [--fuzz-execs N] [--seed S] [--only hostile,crash,disk,fuzz,web]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other} (see --help)"),
        }
    }
    Ok(o)
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("jujiao-reliability: error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<bool> {
    let o = parse()?;
    let bin = match &o.bin {
        Some(b) => b.clone(),
        None => runner::jujiao_bin()?,
    };
    let wants = |part: &str| o.only.is_empty() || o.only.iter().any(|p| p == part);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")?;
    let mut all_ok = true;
    println!("jujiao reliability suite — binary {}", bin.display());

    if wants("hostile") {
        let started = Instant::now();
        let results = runtime.block_on(hostile_run::run_all(&bin, None))?;
        println!("\n## Hostile sites");
        println!(
            "{:<22} {:<20} {:>5} {:>9} {:>7}  result",
            "scenario", "verdict", "files", "peak RSS", "time"
        );
        for r in &results {
            println!(
                "{:<22} {:<20} {:>5} {:>6.0} MiB {:>6.1}s  {}",
                r.name,
                r.verdict,
                r.files,
                r.peak_rss_mib,
                r.elapsed.as_secs_f64(),
                if r.is_survived() {
                    "survived"
                } else {
                    "FAILED"
                }
            );
            for p in &r.problems {
                println!("    - {p}");
            }
        }
        let survived = results.iter().filter(|r| r.is_survived()).count();
        let peak = results.iter().map(|r| r.peak_rss_mib).fold(0.0, f64::max);
        println!(
            "hostile scenarios survived: {survived}/{} (largest peak RSS {peak:.0} MiB, {:.0}s)",
            results.len(),
            started.elapsed().as_secs_f64()
        );
        all_ok &= results.iter().all(|r| r.is_acceptable());
    }

    if wants("crash") {
        let started = Instant::now();
        let f = runtime.block_on(crash::run_trials(&bin, o.trials, o.seed))?;
        println!(
            "\n## Kill trials (SIGKILL at random instants, seed {})",
            o.seed
        );
        println!(
            "kill trials: {} ({} crawl, {} publish; {} landed mid-run): {} lost, {} duplicated, {} half-written, {} failed reruns ({:.0}s)",
            f.trials,
            f.crawl_kills,
            f.publish_kills,
            f.killed_while_running,
            f.lost,
            f.duplicated,
            f.half_written,
            f.failed_reruns,
            started.elapsed().as_secs_f64()
        );
        for failure in &f.failures {
            println!("    - {failure}");
        }
        all_ok &= f.is_clean();
    }

    if wants("disk") {
        println!("\n## Full and read-only disks");
        for case in disk::CASES {
            match runtime.block_on(disk::run_case(&bin, case))? {
                disk::DiskOutcome::Ran { error, problems } => {
                    let ok = problems.is_empty();
                    println!(
                        "{case:<18} {}  error shown: {error}",
                        if ok { "survived" } else { "FAILED" }
                    );
                    for p in &problems {
                        println!("    - {p}");
                    }
                    all_ok &= ok;
                }
                disk::DiskOutcome::NotRun(why) => println!("{case:<18} not run: {why}"),
            }
        }
    }

    if wants("fuzz") {
        println!(
            "\n## Fuzzing ({} executions per target, seed {})",
            o.fuzz_execs, o.seed
        );
        let findings_dir = o.root.join("target/fuzz-findings");
        for target in fuzz::Target::ALL {
            let r = fuzz::run(target, &o.root, o.fuzz_execs, o.seed, &findings_dir);
            println!(
                "{:<16} {:>9} executions from {:>2} seeds in {:>6.1}s, slowest {:>7.1} ms: {} findings",
                target.name(),
                r.executions,
                r.seeds,
                r.elapsed.as_secs_f64(),
                r.slowest.as_secs_f64() * 1000.0,
                r.findings.len()
            );
            for f in r.findings.iter().take(10) {
                println!("    - {f}");
            }
            all_ok &= r.findings.is_empty();
        }
    }

    if wants("web") {
        let r = runtime.block_on(web::run(&bin))?;
        println!("\n## Web app against crawled payloads");
        println!(
            "{} XSS payloads, {} pages loaded in headless Chromium; {} hostile requests refused",
            r.payloads,
            r.pages.len(),
            r.refused.len()
        );
        for p in &r.refused {
            println!("    refused: {p}");
        }
        for p in &r.problems {
            println!("    - PROBLEM: {p}");
        }
        all_ok &= r.problems.is_empty();
    }

    println!(
        "\nreliability suite: {}",
        if all_ok {
            "all checks passed"
        } else {
            "FAILURES (see above)"
        }
    );
    Ok(all_ok)
}
