//! End-to-end store throughput: imports N generated articles into a fresh store through
//! `record_articles` in batches, then reads every filing back the way `jujiao publish`
//! does, and prints articles per second. Repeats and reports medians.
//!
//! `cargo run --release -p jujiao-store --example bulk -- [articles] [batch] [runs] [postgres-url]`
//! (defaults 100000 1000 3). Without a URL each run uses a fresh SQLite file; with a
//! `postgres://` URL each run uses a fresh schema in that database, dropped afterwards.
//! One process, one writer: the figure to compare the backends by, not a concurrency
//! benchmark.

#[path = "../benches/support/generate.rs"]
mod generate;

use jujiao_store::{FilingQuery, PgStore, RecordOutcome, SqliteStore, Store};
use sqlx::{Connection, Executor, Row};
use std::time::Instant;

/// Where one run's store lives, so that it can be measured and removed.
enum Place {
    File {
        /// Removes the file when the run is done.
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        store: SqliteStore,
    },
    Schema {
        url: String,
        schema: String,
        store: PgStore,
    },
}

impl Place {
    async fn open(
        pg: Option<&str>,
        run: u64,
    ) -> Result<(Self, Box<dyn Store>), Box<dyn std::error::Error>> {
        Ok(match pg {
            None => {
                let dir = tempfile::tempdir()?;
                let path = dir.path().join(jujiao_store::DEFAULT_DB);
                let store = SqliteStore::open_path(&path).await?;
                (
                    Place::File {
                        _dir: dir,
                        path,
                        store: store.clone(),
                    },
                    Box::new(store),
                )
            }
            Some(url) => {
                let schema = format!("jujiao_bulk_{}_{run}", std::process::id());
                let store = PgStore::open_in_schema(url, &schema).await?;
                let place = Place::Schema {
                    url: url.to_owned(),
                    schema,
                    store: store.clone(),
                };
                (place, Box::new(store))
            }
        })
    }

    /// Closes the store (SQLite checkpoints its WAL into the file).
    async fn close(&self) {
        match self {
            Place::File { store, .. } => store.close().await,
            Place::Schema { store, .. } => store.close().await,
        }
    }

    /// Bytes on disk: the file, or the schema's tables with their indexes and TOAST.
    async fn size(&self) -> Result<u64, Box<dyn std::error::Error>> {
        Ok(match self {
            Place::File { path, .. } => std::fs::metadata(path)?.len(),
            Place::Schema { url, schema, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await?;
                let row = sqlx::query(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::int8 FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = $1 AND c.relkind = 'r'",
                )
                .bind(schema)
                .fetch_one(&mut conn)
                .await?;
                u64::try_from(row.try_get::<i64, _>(0)?)?
            }
        })
    }

    async fn remove(self) -> Result<(), Box<dyn std::error::Error>> {
        if let Place::Schema { url, schema, .. } = self {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            conn.execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str())
                .await?;
        }
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> Result<u64, std::num::ParseIntError> {
        args.get(i).map_or(Ok(default), |a| a.parse())
    };
    let total = number(0, 100_000)?;
    let batch = number(1, 1_000)?.max(1);
    let runs = number(2, 3)?.max(1);
    let pg = args.get(3).map(String::as_str);
    println!(
        "backend: {}",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    let mut imports = Vec::new();
    let mut reads = Vec::new();
    for run in 1..=runs {
        let (place, store) = Place::open(pg, run).await?;
        let records: Vec<_> = (0..total).map(generate::record).collect();

        let (start, cpu) = (Instant::now(), cpu_seconds());
        let (mut added, mut duplicates) = (0u64, 0u64);
        for chunk in records.chunks(batch as usize) {
            for outcome in store.record_articles(chunk).await? {
                match outcome {
                    RecordOutcome::Added { .. } => added += 1,
                    RecordOutcome::Duplicate { .. } => duplicates += 1,
                    _ => {}
                }
            }
        }
        let import = start.elapsed();
        let import_cpu = cpu_seconds() - cpu;

        let (start, cpu) = (Instant::now(), cpu_seconds());
        let mut q = FilingQuery {
            limit: 1_000,
            ..FilingQuery::default()
        };
        let mut read = 0u64;
        let mut paragraphs = 0usize;
        loop {
            let page = store.filed_articles(&q).await?;
            let Some(last) = page.last() else { break };
            q.after = Some(last.filing_id);
            read += page.len() as u64;
            paragraphs += page
                .iter()
                .map(|f| f.article.paragraphs.len())
                .sum::<usize>();
        }
        let readback = start.elapsed();
        let read_cpu = cpu_seconds() - cpu;
        drop(store);
        place.close().await;
        let size = place.size().await?;
        place.remove().await?;

        let import_rate = total as f64 / import.as_secs_f64();
        let read_rate = read as f64 / readback.as_secs_f64();
        println!(
            "run {run}: import {total} ({added} added, {duplicates} duplicates) in {:.2}s = {:.0}/s; \
             read back {read} filings ({paragraphs} paragraphs) in {:.2}s = {:.0}/s; {:.0} MB on disk\n       \
             CPU time (both threads): import {import_cpu:.2}s = {:.0}/CPU-s, read {read_cpu:.2}s = {:.0}/CPU-s",
            import.as_secs_f64(),
            import_rate,
            readback.as_secs_f64(),
            read_rate,
            size as f64 / 1e6,
            total as f64 / import_cpu,
            read as f64 / read_cpu,
        );
        imports.push(import_rate);
        reads.push(read_rate);
    }
    println!(
        "median of {runs}: import {:.0} articles/s, read {:.0} filings/s (batch {batch})",
        median(&mut imports),
        median(&mut reads)
    );
    Ok(())
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, 100 ticks/s),
/// to tell the store's cost from waiting for a busy machine. 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
