//! Indexing throughput and query latency on generated Chinese articles.
//!
//! `cargo bench -p jujiao-search --bench search`; the query corpora have
//! `JUJIAO_BENCH_ARTICLES` articles (default 10,000), built once in memory. The "web
//! corpus" group is the hot path of `scripts/bench_web.py`: its articles and queries,
//! where nearly every article matches (`-- "web corpus"` runs only that group).
//!
//! The figures below predate the character-pair fields (schema 2).
//!
//! Measured 2026-11-27 on the shared 2-core machine under load (load average 6–10),
//! `cargo bench -p jujiao-search --bench search -- --warm-up-time 1 --measurement-time 4`:
//! indexing ~8,000 articles/s (1,000 in 125 ms incl. commit); top-20 queries on 10,000
//! articles 0.5 ms (`军`) to 2.2 ms (`区委常委会`, `疫情防控`), 5 ms for `中关村 科学城`.

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jujiao_search::{IndexDoc, Order, SearchIndex, SearchQuery};
use std::hint::black_box;

const WORDS: &[&str] = &[
    "区委",
    "常委会",
    "召开",
    "会议",
    "研究",
    "部署",
    "疫情防控",
    "工作",
    "中关村",
    "科学城",
    "建设",
    "加快",
    "推进",
    "高质量",
    "发展",
    "5G",
    "基站",
    "网络",
    "城市更新",
    "老旧小区",
    "改造",
    "接诉即办",
    "民生",
    "保障",
    "营商环境",
    "优化",
    "科技创新",
    "企业",
    "服务",
    "街道",
    "社区",
    "志愿者",
    "垃圾分类",
    "生态",
    "环境",
    "治理",
    "人工智能",
    "产业",
    "园区",
    "招商",
    "引资",
    "教育",
    "医疗",
    "养老",
    "文化",
    "体育",
    "安全生产",
    "检查",
    "调研",
    "座谈",
    "强调",
    "指出",
    "要求",
    "落实",
    "责任",
    "全面",
    "深入",
    "扎实",
];
const NAMES: &[&str] = &["于军", "张伟", "李娜", "王强", "刘洋", "陈静"];
const COLUMNS: &[&str] = &["领导活动", "区内动态", "通知公告", "媒体报道"];

/// A tiny deterministic generator, so every run indexes the same text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn sentence(rng: &mut Lcg, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i == 3 && rng.next(4) == 0 {
            s.push_str(NAMES[rng.next(NAMES.len())]);
        }
        s.push_str(WORDS[rng.next(WORDS.len())]);
    }
    s.push('。');
    s
}

fn articles(n: usize, seed: u64) -> Vec<IndexDoc> {
    let mut rng = Lcg(seed);
    let first = NaiveDate::from_ymd_opt(2023, 1, 1).expect("valid date");
    (0..n)
        .map(|i| {
            let body: Vec<String> = (0..6 + rng.next(10))
                .map(|_| sentence(&mut rng, 12))
                .collect();
            IndexDoc {
                article_id: i as i64 + 1,
                title: sentence(&mut rng, 4),
                body: body.join("\n"),
                column: COLUMNS[rng.next(COLUMNS.len())].to_owned(),
                source: format!("source{}", rng.next(20)),
                date: first.checked_add_days(chrono::Days::new(rng.next(700) as u64)),
                url: format!("https://example.invalid/{i}.html"),
                attachments_text: None,
                disclosure: None,
            }
        })
        .collect()
}

fn indexing(c: &mut Criterion) {
    let docs = articles(1_000, 1);
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("1000 articles + commit", |b| {
        b.iter(|| {
            let index = SearchIndex::in_memory().expect("memory index");
            index.index(black_box(&docs)).expect("index");
            index.commit().expect("commit");
            index
        });
    });
    group.finish();
}

fn querying(c: &mut Criterion) {
    let n = std::env::var("JUJIAO_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let index = SearchIndex::in_memory().expect("memory index");
    for chunk in articles(n, 7).chunks(1_000) {
        index.index(chunk).expect("index");
    }
    index.commit().expect("commit");
    let mut group = c.benchmark_group(format!("query {n} articles"));
    for text in [
        "区委常委会",
        "疫情防控",
        "于军",
        "中关村 科学城",
        "5G",
        "军",
        "\"城市更新 老旧小区\"",
    ] {
        group.bench_with_input(
            BenchmarkId::new("relevance top20", text),
            text,
            |b, text| {
                let q = SearchQuery::new(text);
                b.iter(|| index.search(black_box(&q)).expect("search"));
            },
        );
    }
    group.bench_function("newest top20 column filter 疫情防控", |b| {
        let mut q = SearchQuery::new("疫情防控");
        q.order = Order::Newest;
        q.column = Some("区内动态".into());
        b.iter(|| index.search(black_box(&q)).expect("search"));
    });
    group.finish();
}

/// The articles `scripts/bench_web.py` serves (generated by `bench_import_publish.py`):
/// four sentences repeated, so every query but one matches nearly every article — the
/// worst case for counting and ranking, and the web benchmark's hot path.
fn web_corpus(n: usize) -> Vec<IndexDoc> {
    const SENTENCES: [&str; 4] = [
        "会议传达学习了上级有关会议精神，研究部署下一阶段重点工作。",
        "要聚焦科学城建设，持续优化创新生态，加快培育高精尖产业。",
        "今年以来，全区上下攻坚克难，主要经济指标保持平稳增长。",
        "下一步，将进一步完善工作机制，强化督促检查，形成工作合力。",
    ];
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date");
    (0..n)
        .map(|i| {
            let head: String = SENTENCES[i % 4].chars().take(12).collect();
            let body: Vec<String> = (0..6)
                .map(|k| {
                    format!(
                        "{}{}（{i}-{k}）",
                        SENTENCES[(i + k) % 4],
                        SENTENCES[(i * 7 + k) % 4]
                    )
                })
                .collect();
            IndexDoc {
                article_id: i as i64 + 1,
                title: format!("第{i}号简报文章：{head}"),
                body: body.join("\n"),
                column: COLUMNS[i % COLUMNS.len()].to_owned(),
                source: "legacy".to_owned(),
                date: first.checked_add_days(chrono::Days::new(((i / 40) % 3000) as u64)),
                url: String::new(),
                attachments_text: None,
                disclosure: None,
            }
        })
        .collect()
}

fn web_querying(c: &mut Criterion) {
    let n = std::env::var("JUJIAO_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut index = SearchIndex::in_memory().expect("memory index");
    for chunk in web_corpus(n).chunks(1_000) {
        index.index(chunk).expect("index");
    }
    index.commit().expect("commit");
    eprintln!(
        "web corpus: {n} articles in {} segments",
        index.num_segments()
    );
    // One search thread (the group's name predates the choice), then two: the segments
    // searched side by side.
    for threads in [1, 2] {
        index = index.with_search_threads(threads).expect("threads");
        let name = match threads {
            1 => format!("web corpus {n} articles"),
            t => format!("web corpus {n} articles, {t} search threads"),
        };
        let mut group = c.benchmark_group(name);
        // The queries of scripts/bench_web.py.
        for text in [
            "会议",
            "科学城",
            "创新生态",
            "高精尖产业",
            "平稳增长 攻坚克难",
            "第12345号",
            "上级",
        ] {
            group.bench_with_input(
                BenchmarkId::new("relevance top20", text),
                text,
                |b, text| {
                    let q = SearchQuery::new(text);
                    b.iter(|| index.search(black_box(&q)).expect("search"));
                },
            );
        }
        group.bench_function("newest top20 会议", |b| {
            let mut q = SearchQuery::new("会议");
            q.order = Order::Newest;
            b.iter(|| index.search(black_box(&q)).expect("search"));
        });
        group.finish();
    }
}

criterion_group!(benches, indexing, querying, web_querying);
criterion_main!(benches);
