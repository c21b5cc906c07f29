//! `jujiao search QUERY` and `jujiao reindex`: the full-text index beside the database.

use super::DbArgs;
use crate::ExitStatus;
use anyhow::Context;
use chrono::NaiveDate;
use jujiao_search::{Order, SearchIndex, SearchQuery, SearchResults};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The index folder; default: beside the database (`jujiao.db.search`).
    #[arg(long)]
    pub index: Option<PathBuf>,
}

impl IndexArgs {
    pub fn dir(&self) -> anyhow::Result<PathBuf> {
        index_dir(&self.db.db, self.index.as_deref())
    }
}

/// The index folder for a database: the one given, else beside the database file.
pub fn index_dir(db: &str, given: Option<&Path>) -> anyhow::Result<PathBuf> {
    match given {
        Some(p) => Ok(p.to_owned()),
        None => jujiao_search::index_dir_for_db(db).with_context(|| {
            format!(
                "the database {db} has no folder beside it for the search index: give --index DIR"
            )
        }),
    }
}

#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// What to look for: words separated by spaces must all occur; "quotes" keep a
    /// phrase together; -word excludes.
    pub query: String,
    #[command(flatten)]
    pub index: IndexArgs,
    /// Only this column.
    #[arg(long)]
    pub column: Option<String>,
    /// Only this source id.
    #[arg(long)]
    pub source: Option<String>,
    /// First briefing day (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<NaiveDate>,
    /// Last briefing day (YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Newest first instead of best match first.
    #[arg(long)]
    pub newest: bool,
    /// How many hits.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// One JSON object per hit.
    #[arg(long)]
    pub json: bool,
}

pub async fn search(args: SearchArgs) -> anyhow::Result<ExitStatus> {
    let dir = args.index.dir()?;
    if !dir.exists() {
        anyhow::bail!(
            "no search index at {} yet: run `jujiao reindex` (or a crawl) first",
            dir.display()
        );
    }
    let index = SearchIndex::open(&dir)
        .with_context(|| format!("while opening the search index {}", dir.display()))?;
    let query = SearchQuery {
        column: args.column.clone(),
        source: args.source.clone(),
        since: args.since,
        until: args.until,
        order: if args.newest {
            Order::Newest
        } else {
            Order::Relevance
        },
        limit: args.limit,
        ..SearchQuery::new(args.query.clone())
    };
    let results = index.search(&query).context("while searching")?;
    match print_hits(&mut std::io::stdout().lock(), &results, &args) {
        Ok(()) => Ok(ExitStatus::Ok),
        // The reader stopped reading (`jujiao search 工作 | head`): nothing went wrong.
        Err(e) if super::reader_stopped(&e) => Ok(ExitStatus::Ok),
        Err(e) => Err(e).context("while writing the results"),
    }
}

/// The hits as JSON lines (`--json`) or for a reader.
fn print_hits(
    out: &mut impl Write,
    results: &SearchResults,
    args: &SearchArgs,
) -> std::io::Result<()> {
    if args.json {
        for h in &results.hits {
            let line = serde_json::json!({
                "article_id": h.article_id, "title": h.title, "column": h.column,
                "source": h.source, "date": h.date.map(|d| d.to_string()), "url": h.url,
                "score": h.score, "snippet": h.snippet,
                "snippet_marks": jujiao_search::char_ranges(&h.snippet, &h.snippet_marks),
                "snippet_html": jujiao_search::marked_html(&h.snippet, &h.snippet_marks),
            });
            writeln!(out, "{line}")?;
        }
    } else {
        writeln!(out, "{} articles match “{}”", results.total, args.query)?;
        for h in &results.hits {
            let date = h.date.map_or_else(|| "—".to_owned(), |d| d.to_string());
            writeln!(
                out,
                "\n{}  [{}] {}  #{}",
                date, h.column, h.title, h.article_id
            )?;
            writeln!(
                out,
                "    {}",
                terminal_snippet(&h.snippet, &h.snippet_marks)
            )?;
        }
    }
    out.flush()
}

/// The snippet for a terminal: matches in 【】.
fn terminal_snippet(snippet: &str, marks: &[std::ops::Range<usize>]) -> String {
    jujiao_search::marked_parts(snippet, marks)
        .into_iter()
        .map(|(piece, is_mark)| {
            if is_mark {
                format!("【{piece}】")
            } else {
                piece.to_owned()
            }
        })
        .collect()
}

pub async fn reindex(args: IndexArgs) -> anyhow::Result<ExitStatus> {
    let store = args.db.open().await?;
    let dir = args.dir()?;
    let index = SearchIndex::open(&dir)
        .with_context(|| format!("while opening the search index {}", dir.display()))?;
    let report = jujiao_search::rebuild(&index, store.as_ref())
        .await
        .context("while rebuilding the search index")?;
    println!(
        "search index {}: {} articles indexed in {:.1}s",
        dir.display(),
        report.articles,
        report.elapsed.as_secs_f64()
    );
    Ok(ExitStatus::Ok)
}
