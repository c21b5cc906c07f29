//! Runs the hostile scenarios: one `jujiao crawl` process per scenario against the
//! [`HostileSite`], then the checks every scenario shares plus its own.

use crate::hostile::HostileSite;
use crate::runner::{escaped, run_measured, symlinks, walk};
use crate::scenarios::{self, RSS_LIMIT_MIB, RUN_LIMIT, Scenario, Seen};
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How one scenario went.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: &'static str,
    pub what: &'static str,
    pub verdict: String,
    pub exit_code: Option<i32>,
    pub peak_rss_mib: f64,
    pub elapsed: Duration,
    pub files: usize,
    /// Empty when the scenario was survived.
    pub problems: Vec<String>,
    /// The scenario's open finding, if any (see [`Scenario::known_issue`]).
    pub known_issue: Option<&'static str>,
}

impl ScenarioResult {
    pub fn is_survived(&self) -> bool {
        self.problems.is_empty()
    }

    /// Survived, or failing only as its known issue says.
    pub fn is_acceptable(&self) -> bool {
        self.is_survived() || self.known_issue.is_some()
    }
}

/// Both loopback sites: the scenarios' own host and "another host" on 127.0.0.2
/// (same port, so links to it differ from the source's only by host).
#[derive(Debug)]
pub struct Sites {
    pub main: HostileSite,
    pub other: HostileSite,
}

impl Sites {
    pub async fn start() -> anyhow::Result<Sites> {
        // Build the big replies before serving: a handler busy compressing a bomb
        // would starve the other scenarios' requests and make them time out.
        tokio::task::spawn_blocking(|| {
            crate::hostile::gzip_bomb();
            crate::hostile::brotli_bomb();
            scenarios::many_links_page();
        })
        .await
        .context("while building the bombs")?;
        let all = Arc::new(scenarios::all());
        let handler = scenarios::handler(all);
        let main = HostileSite::start("127.0.0.1", Arc::clone(&handler))
            .await
            .context("while starting the hostile site on 127.0.0.1")?;
        let port = main.base().rsplit(':').next().unwrap_or("0").to_owned();
        let other = HostileSite::start_on(&format!("127.0.0.2:{port}"), handler)
            .await
            .context("while starting the second host on 127.0.0.2")?;
        Ok(Sites { main, other })
    }
}

/// The sources file of one scenario.
fn config(scenario: &Scenario, sites: &Sites, db: &Path, out: &Path) -> String {
    let ctx = scenarios::context(&sites.main.base(), scenario.name);
    let lists: Vec<String> = (scenario.list_urls)(&ctx)
        .iter()
        .map(|u| format!("\"{u}\""))
        .collect();
    format!(
        "[settings]\ndatabase = \"{db}\"\noutput = \"{out}\"\ndelay = \"1ms\"\n\
         concurrency_per_host = 4\nallow_private = {private}\nrespect_robots = false\n\
         timeout = \"2s\"\n\n[[source]]\nid = \"{name}\"\ncolumn = \"测试\"\n\
         list_urls = [{lists}]\nlink = \"ul.list > li > a\"\n{extra}\n",
        db = db.display(),
        out = out.display(),
        private = scenario.allow_private,
        name = scenario.name,
        lists = lists.join(", "),
        extra = scenario.source,
    )
}

/// Runs one scenario with the binary `bin` in a fresh folder.
pub async fn run_scenario(
    bin: &Path,
    sites: &Sites,
    scenario: &Scenario,
) -> anyhow::Result<ScenarioResult> {
    let work = tempfile::tempdir().context("while making a work folder")?;
    // The output folder sits two levels down, so a "../../x" that escaped it would
    // still land inside the work folder, where it is found.
    let out = work.path().join("a").join("b").join("out");
    let db = work.path().join("j.db");
    let config_path = work.path().join("jujiao.toml");
    jujiao_legacy::write_atomic(&config_path, config(scenario, sites, &db, &out).as_bytes())
        .with_context(|| format!("while writing {}", config_path.display()))?;
    let other_before = sites.other.hits("/");
    let prefix = format!("/s/{}/", scenario.name);

    let bin = bin.to_path_buf();
    let config_arg = config_path.to_string_lossy().into_owned();
    let finished = tokio::task::spawn_blocking(move || {
        run_measured(&bin, &["crawl", "--config", &config_arg], RUN_LIMIT)
    })
    .await
    .context("the measuring thread failed")??;

    let mut problems = Vec::new();
    if !matches!(finished.code, Some(0 | 1)) {
        problems.push(format!(
            "exit {:?} (0 or 1 expected): {}",
            finished.code,
            tail(&finished.stderr)
        ));
    }
    let store = jujiao_store::open_store(&db.to_string_lossy())
        .await
        .context("while opening the scenario's database")?;
    let runs = store.last_runs().await.context("while reading runs")?;
    let summary = runs
        .iter()
        .find(|r| r.source_id == scenario.name)
        .and_then(|r| r.summary.clone());
    let verdict = summary
        .as_ref()
        .map(|s| s.verdict.clone())
        .unwrap_or_else(|| "(no finished run)".into());
    if verdict != scenario.verdict {
        problems.push(format!(
            "verdict \"{verdict}\", expected \"{}\" (errors: {:?})",
            scenario.verdict,
            summary.as_ref().map(|s| &s.error_samples)
        ));
    }
    let peak_rss_mib = finished.peak_rss_kib as f64 / 1024.0;
    if peak_rss_mib > RSS_LIMIT_MIB as f64 {
        problems.push(format!(
            "peak memory {peak_rss_mib:.0} MiB > {RSS_LIMIT_MIB} MiB"
        ));
    }
    let outside = escaped(work.path(), &out, &["j.db", "jujiao.toml"]);
    if !outside.is_empty() {
        problems.push(format!("written outside the output folder: {outside:?}"));
    }
    let links = symlinks(&out);
    if !links.is_empty() {
        problems.push(format!("symlinks in the tree: {links:?}"));
    }

    let mut seen = Seen {
        other_host_hits: sites.other.hits("/") - other_before,
        errors: summary.map(|s| s.error_samples).unwrap_or_default(),
        ..Seen::default()
    };
    seen.hits = sites.main.hits_under(&prefix);
    for rel in walk(&out) {
        let path = out.join(&rel);
        let name = rel.to_string_lossy().into_owned();
        if !path.is_file() {
            continue;
        }
        if name.ends_with(".tmp") {
            problems.push(format!("half-written file {name}"));
        }
        if name.ends_with(".txt") {
            match jujiao_legacy::read_file(&path) {
                Ok(doc) => seen.docs.push((doc.title.clone(), doc.paragraphs.clone())),
                Err(e) => problems.push(format!("{name} unreadable: {e}")),
            }
            seen.files.push(name);
        }
    }
    let stats = store.stats().await.context("while reading store stats")?;
    if seen.files.len() != scenario.files || stats.filings as usize != scenario.files {
        problems.push(format!(
            "{} briefing files and {} filings, expected {}",
            seen.files.len(),
            stats.filings,
            scenario.files
        ));
    }
    problems.extend((scenario.check)(&seen));
    Ok(ScenarioResult {
        name: scenario.name,
        what: scenario.what,
        verdict,
        exit_code: finished.code,
        peak_rss_mib,
        elapsed: finished.elapsed,
        files: seen.files.len(),
        problems,
        known_issue: scenario.known_issue,
    })
}

fn tail(text: &str) -> String {
    let start = text.len().saturating_sub(600);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    text[start..].to_owned()
}

/// Runs every scenario (or those whose name contains `filter`) one after the other.
pub async fn run_all(bin: &Path, filter: Option<&str>) -> anyhow::Result<Vec<ScenarioResult>> {
    let sites = Sites::start().await?;
    let mut results = Vec::new();
    for scenario in scenarios::all() {
        if filter.is_some_and(|f| !scenario.name.contains(f)) {
            continue;
        }
        results.push(run_scenario(bin, &sites, &scenario).await?);
    }
    Ok(results)
}
