//! A coarse guard on matching cost in the test build: 1,000 rules against a long
//! article must stay far below a millisecond-scale budget per article even unoptimised
//! (the criterion bench `benches/rules.rs` gives the optimised figure). Tests the
//! shape, not the constant: a matcher that rescanned the text per rule or per hit
//! (1,000 passes over 3,000 characters) takes tens of milliseconds here.

#![allow(clippy::unwrap_used)]

use jujiao_model::{Article, Paragraph};
use jujiao_store::{RuleOrigin, StoredWatchRule};
use jujiao_watch::RuleSet;
use std::time::Instant;

#[test]
fn a_thousand_rules_cost_about_one_pass_over_the_article() {
    let words = [
        "海淀",
        "中关村",
        "科学城",
        "区委书记",
        "疫情防控",
        "营商环境",
        "人工智能",
        "安全生产",
    ];
    let absent = ["广告", "招聘", "体育", "娱乐"];
    let rules: Vec<StoredWatchRule> = (0..1000)
        .map(|i| StoredWatchRule {
            name: format!("规则{i}"),
            query: format!(
                "{} {}|{} -{}",
                words[i % 8],
                words[(i / 8) % 8],
                i,
                absent[i % 4]
            ),
            columns: Vec::new(),
            sources: Vec::new(),
            title_only: false,
            channels: Vec::new(),
            digest_minute: None,
            origin: RuleOrigin::Web,
        })
        .collect();
    let set = RuleSet::new(rules);
    let para =
        "区委书记在中关村科学城调研人工智能企业，强调要优化营商环境，做好疫情防控和安全生产工作。";
    let article = Article {
        source: "s".into(),
        url: "https://s.example/1".into(),
        title: "海淀区召开推进会".into(),
        published: None,
        author: None,
        origin: None,
        editor: None,
        paragraphs: (0..60).map(|_| Paragraph::new(para)).collect(),
        images: Vec::new(),
        attachments: Vec::new(),
        fetched_at: None,
        disclosure: None,
    };
    let hits = set.hits(&article, "要闻", "s").len();
    assert!(hits > 0);
    let mut times: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(set.hits(&article, "要闻", "s"));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    eprintln!(
        "1,000 rules against one {}-character article: median {median:.3} ms ({hits} rules match), test build",
        article.body().chars().count()
    );
    assert!(median < 10.0, "median {median:.3} ms");
}
