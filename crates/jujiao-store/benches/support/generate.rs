//! Generated briefing articles for benchmarks: the shape of an imported legacy tree
//! (about 2.7 KB of text in ten paragraphs, seven columns, a year of days, a legacy
//! placement with a layout) with one in fifty files an exact repeat of an earlier one,
//! as old trees have them.

use chrono::{Duration, NaiveDate};
use jujiao_model::{Article, Filing, LegacyPlacement, Paragraph, PublishTime};
use jujiao_store::ArticleRecord;

const COLUMNS: [&str; 7] = [
    "领导活动",
    "通知公告",
    "国内新闻",
    "国际新闻",
    "财经动态",
    "北京新闻",
    "健康新闻",
];

/// A small deterministic generator (xorshift64*), so runs are comparable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `min` to `min + spread - 1` CJK characters.
    fn chinese(&mut self, min: u64, spread: u64) -> String {
        let chars = min + self.below(spread);
        (0..chars)
            .map(|_| char::from_u32(0x4e00 + self.below(0x5000) as u32).unwrap_or('中'))
            .collect()
    }
}

/// Record `i` of a generated import; records depend only on `i`.
pub fn record(i: u64) -> ArticleRecord {
    // Every 50th record repeats the text of record i - 17 under another path.
    let text_of = if i % 50 == 49 { i - 17 } else { i };
    let mut rng = Rng::new(text_of.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef);
    let title = rng.chinese(12, 14);
    let paragraphs = (0..10)
        .map(|_| Paragraph::new(format!("　　{}。", rng.chinese(80, 20))))
        .collect();
    let day =
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default() + Duration::days((i % 365) as i64);
    let column = COLUMNS[(i % 7) as usize];
    let rel_path = format!("{column}/{}/{i}{title}.txt", day.format("%m月%d日"));
    ArticleRecord {
        article: Article {
            source: "legacy".into(),
            url: format!("legacy:{rel_path}"),
            title,
            published: Some(PublishTime::Date(day)),
            paragraphs,
            ..Article::default()
        },
        filing: Filing {
            column: column.into(),
            date: Some(day),
            legacy: Some(LegacyPlacement {
                rel_path,
                layout: serde_json::json!({"variant": "html", "title_newline": true, "indent": "　　"}),
            }),
        },
    }
}
