//! Throughput of every export format on generated articles.
//!
//! ```text
//! cargo run --release -p jujiao-export --example export_bench -- [ARTICLES] [RUNS] [DIR]
//! ```
//!
//! Records ARTICLES (default 10,000) generated articles — ten paragraphs of about 90
//! CJK characters each, nine columns, thirty days — in an in-memory SQLite store, then
//! for each format runs the whole [`export`] (store read included) RUNS times (default
//! 3) into memory and prints the median time, articles/s and the output size. The
//! store read alone ([`collect`]) is measured the same way for comparison. With DIR,
//! each format is also written to `DIR/briefing.<ext>` (for opening by hand).

use chrono::{Duration, NaiveDate};
use jujiao_export::{ExportOptions, Format, collect, export, export_to_path};
use jujiao_model::{Article, Filing, Image, Paragraph, PublishTime};
use jujiao_store::{ArticleRecord, ArticleStore, SqliteStore, Store};
use std::io::Cursor;
use std::time::{Duration as Elapsed, Instant};

const COLUMNS: [&str; 9] = [
    "领导活动",
    "通知公告",
    "国内新闻",
    "国际新闻",
    "北京新闻",
    "财经动态",
    "健康新闻",
    "专题报道",
    "网络聚焦/国内新闻",
];

/// A deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chinese(&mut self, min: u64, spread: u64) -> String {
        let n = min + self.next() % spread;
        (0..n)
            .map(|_| char::from_u32(0x4e00 + (self.next() % 0x5000) as u32).unwrap_or('中'))
            .collect()
    }
}

fn record(i: u64) -> ArticleRecord {
    let mut rng = Rng(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let day =
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default() + Duration::days((i % 30) as i64);
    let title = format!("{}/{}？", rng.chinese(8, 10), rng.chinese(4, 6));
    ArticleRecord {
        article: Article {
            source: "bench".into(),
            url: format!(
                "https://news.example.test/{}/{i}.html",
                day.format("%Y%m%d")
            ),
            title,
            published: day.and_hms_opt(9, 30, 0).map(PublishTime::from_shanghai),
            author: Some(format!("记者 {}", rng.chinese(2, 2))),
            origin: Some("人民日报".into()),
            editor: None,
            paragraphs: (0..10)
                .map(|_| Paragraph::new(format!("　　{}。", rng.chinese(80, 20))))
                .collect(),
            images: vec![Image {
                url: format!("https://news.example.test/img/{i}.jpg"),
                alt: None,
            }],
            attachments: Vec::new(),
            fetched_at: None,
            disclosure: None,
        },
        filing: Filing {
            column: COLUMNS[(i % COLUMNS.len() as u64) as usize].into(),
            date: Some(day),
            legacy: None,
        },
    }
}

fn median(mut v: Vec<Elapsed>) -> Elapsed {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let dir = args.next().map(std::path::PathBuf::from);
    let store = SqliteStore::in_memory().await?;
    let records: Vec<_> = (0..n).map(record).collect();
    for chunk in records.chunks(1_000) {
        store.record_articles(chunk).await?;
    }
    let options = ExportOptions::default();
    let store: &dyn Store = &store;

    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let got = collect(store, &options).await?;
        times.push(t.elapsed());
        assert_eq!(got.len() as u64, n);
    }
    let m = median(times);
    println!(
        "{:<7} {:>8} articles {:>12} {:>9.3} s {:>10.0} articles/s",
        "(read)",
        n,
        "",
        m.as_secs_f64(),
        n as f64 / m.as_secs_f64()
    );
    for format in Format::ALL {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let report = export(store, &options, format, Cursor::new(Vec::new())).await?;
            times.push(t.elapsed());
            assert_eq!(report.articles as u64, n);
            bytes = report.bytes;
        }
        let m = median(times);
        println!(
            "{:<7} {:>8} articles {:>8.1} MiB {:>9.3} s {:>10.0} articles/s",
            format.name(),
            n,
            bytes as f64 / (1024.0 * 1024.0),
            m.as_secs_f64(),
            n as f64 / m.as_secs_f64()
        );
    }
    if let Some(dir) = dir {
        std::fs::create_dir_all(&dir)?;
        for format in Format::ALL {
            let path = dir.join(format!("briefing.{}", format.extension()));
            let report = export_to_path(store, &options, format, &path).await?;
            println!("wrote {} ({} bytes)", path.display(), report.bytes);
        }
    }
    Ok(())
}
