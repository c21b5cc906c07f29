//! Matching one article against 1,000 watch rules, compiled once (the target:
//! at most 1 ms). `cargo bench -p jujiao-watch --bench rules`.

use criterion::{Criterion, criterion_group, criterion_main};
use jujiao_model::{Article, Paragraph};
use jujiao_store::{RuleOrigin, StoredWatchRule};
use jujiao_watch::RuleSet;
use std::hint::black_box;

const WORDS: &[&str] = &[
    "海淀",
    "中关村",
    "科学城",
    "区委书记",
    "疫情防控",
    "营商环境",
    "人工智能",
    "乡村振兴",
    "教育",
    "医疗",
    "养老",
    "住房",
    "交通",
    "生态",
    "文旅",
    "招商",
    "安全生产",
    "应急",
    "防汛",
    "消防",
    "财政",
    "审计",
    "统计",
    "信访",
    "民政",
    "街道",
    "社区",
    "企业",
];

fn rules(n: usize) -> Vec<StoredWatchRule> {
    (0..n)
        .map(|i| {
            let w = |k: usize| WORDS[(i * 7 + k * 13) % WORDS.len()];
            let query = match i % 4 {
                0 => format!("{} {}", w(0), w(1)),
                1 => format!("\"{}{}\" -{}", w(0), w(2), w(3)),
                2 => format!("{}|{}|{} {}", w(0), w(1), w(2), i),
                _ => format!("{} -{}", w(1), w(4)),
            };
            StoredWatchRule {
                name: format!("规则{i}"),
                query,
                columns: Vec::new(),
                sources: Vec::new(),
                title_only: i % 5 == 0,
                channels: vec!["群".into()],
                digest_minute: None,
                origin: RuleOrigin::Web,
            }
        })
        .collect()
}

fn article() -> Article {
    let para = "区委书记在中关村科学城调研人工智能企业，强调要优化营商环境，做好疫情防控和安全生产工作，\
                推动教育、医疗、养老等民生事业发展。";
    Article {
        source: "bench".into(),
        url: "https://bench.example/1".into(),
        title: "海淀区召开推进会 部署营商环境和安全生产".into(),
        published: None,
        author: None,
        origin: None,
        editor: None,
        // About 3,000 characters: a long news article.
        paragraphs: (0..25).map(|_| Paragraph::new(para)).collect(),
        images: Vec::new(),
        attachments: Vec::new(),
        fetched_at: None,
        disclosure: None,
    }
}

fn bench(c: &mut Criterion) {
    let set = RuleSet::new(rules(1000));
    let a = article();
    let hits = set.hits(&a, "要闻", "bench").len();
    assert!(
        hits > 0 && hits < 1000,
        "{hits} rules match: the bench must exercise both outcomes"
    );
    c.bench_function("1000 rules against one article", |b| {
        b.iter(|| black_box(set.hits(black_box(&a), "要闻", "bench")).len());
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
