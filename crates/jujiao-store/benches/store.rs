//! Criterion benches of the store's hot paths on a real SQLite file and, when
//! `$JUJIAO_BENCH_PG` (or `$JUJIAO_TEST_PG`) names a PostgreSQL database, on a fresh
//! schema there (dropped afterwards): recording a batch of 1,000 new articles, the same
//! 1,000 again (all unchanged), and reading 1,000 filed articles back for publishing.
//! The 100,000-article end-to-end figure comes from `examples/bulk.rs`.

mod support {
    pub mod generate;
}

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jujiao_store::{FilingQuery, PgStore, SqliteStore, Store};
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU64, Ordering};
use support::generate;

const BATCH: u64 = 1_000;
/// Articles already in the store while measuring, so indexes are not trivially small.
const PRELOAD: u64 = 20_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = rt
        .block_on(SqliteStore::open_path(dir.path().join("bench.db")))
        .expect("open the bench store");
    bench_store(c, &rt, "store", &sqlite);

    let pg_url = std::env::var("JUJIAO_BENCH_PG")
        .or_else(|_| std::env::var("JUJIAO_TEST_PG"))
        .ok();
    if let Some(url) = pg_url {
        let schema = format!("jujiao_bench_{}", std::process::id());
        let pg = rt
            .block_on(PgStore::open_in_schema(&url, &schema))
            .expect("open the PostgreSQL bench store");
        bench_store(c, &rt, "store_postgres", &pg);
        rt.block_on(async {
            pg.close().await;
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            conn.execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str())
                .await
        })
        .expect("drop the bench schema");
    }
}

/// The three measurements on one store, as benchmark group `group`.
fn bench_store(c: &mut Criterion, rt: &tokio::runtime::Runtime, group: &str, store: &dyn Store) {
    let preload: Vec<_> = (0..PRELOAD).map(generate::record).collect();
    for chunk in preload.chunks(BATCH as usize) {
        rt.block_on(store.record_articles(chunk)).expect("preload");
    }

    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(20);
    let next = AtomicU64::new(PRELOAD);
    group.bench_function("record_articles/1000 new", |b| {
        b.iter_batched(
            || {
                let from = next.fetch_add(BATCH, Ordering::Relaxed);
                (from..from + BATCH)
                    .map(generate::record)
                    .collect::<Vec<_>>()
            },
            |batch| rt.block_on(store.record_articles(&batch)).expect("record"),
            BatchSize::PerIteration,
        );
    });
    let known: Vec<_> = preload[..BATCH as usize].to_vec();
    group.bench_function("record_articles/1000 unchanged", |b| {
        b.iter(|| rt.block_on(store.record_articles(&known)).expect("record"));
    });
    group.bench_function("filed_articles/1000", |b| {
        let q = FilingQuery {
            limit: BATCH as u32,
            ..FilingQuery::default()
        };
        b.iter(|| rt.block_on(store.filed_articles(&q)).expect("read"));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
