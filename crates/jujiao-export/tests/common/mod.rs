//! A small real store for the export tests: articles in several columns and on several
//! days, titles with `/`, `?`, `|`, markup characters, an equal title twice in one
//! folder, an imported legacy filing with its own layout, and an undated filing.

#![allow(dead_code)]

pub mod read;

use chrono::{DateTime, NaiveDate, Utc};
use jujiao_legacy::Layout;
use jujiao_model::{
    Article, Attachment, AttachmentKind, Filing, Image, LegacyPlacement, Paragraph, PublishTime,
};
use jujiao_store::{ArticleRecord, ArticleStore, SqliteStore};

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("a November day")
}

/// The title-line layout of an imported legacy file (its title line repeats the file
/// name with `.txt`, as old variant 2 files do).
pub fn legacy_layout() -> Layout {
    Layout {
        title_line: Some("旧文：区政府召开常务会议.txt".into()),
        ..Layout::canonical()
    }
}

pub struct Spec {
    pub column: &'static str,
    pub date: Option<u32>,
    pub title: &'static str,
    pub paragraphs: &'static [&'static str],
    pub legacy_path: Option<&'static str>,
}

/// The records, in insertion (filing id) order.
pub const SPECS: &[Spec] = &[
    Spec {
        column: "健康新闻",
        date: Some(27),
        title: "冬季流感高发？专家提醒",
        paragraphs: &[
            "　　近期流感进入高发期。",
            "　　专家建议：*勤洗手*、戴口罩。",
        ],
        legacy_path: None,
    },
    Spec {
        column: "领导活动",
        date: Some(27),
        title: "区委书记调研/座谈会召开",
        paragraphs: &[
            "　　11月27日，区委书记到街道调研。\r\n　　随后召开座谈会。",
            "　　会议强调，要抓好落实。",
        ],
        legacy_path: None,
    },
    Spec {
        column: "国内新闻",
        date: Some(27),
        title: "国务院常务会议|部署今冬明春工作",
        paragraphs: &[
            "　　国务院总理主持召开国务院常务会议。",
            "　　1. 部署保暖保供。",
        ],
        legacy_path: None,
    },
    Spec {
        column: "专题",
        date: Some(27),
        title: "学习贯彻<全会>精神",
        paragraphs: &["　　各单位认真学习。"],
        legacy_path: None,
    },
    Spec {
        column: "国际新闻",
        date: Some(28),
        title: "联合国气候大会开幕",
        paragraphs: &["　　大会在日内瓦开幕。"],
        legacy_path: None,
    },
    Spec {
        column: "北京新闻",
        date: Some(26),
        title: "北京地铁新线开通",
        paragraphs: &["　　新线今日开通。"],
        legacy_path: None,
    },
    Spec {
        column: "领导活动",
        date: Some(27),
        title: "区委书记调研/座谈会召开",
        paragraphs: &["　　同题的第二篇文章，内容不同。"],
        legacy_path: None,
    },
    Spec {
        column: "网络聚焦/国内新闻",
        date: Some(27),
        title: "旧文：区政府召开常务会议",
        paragraphs: &["　　区政府召开常务会议。", "　　会议研究了有关事项。"],
        legacy_path: Some("网络聚焦/国内新闻/11月27日/旧文：区政府召开常务会议.txt"),
    },
    Spec {
        column: "领导活动",
        date: None,
        title: "无日期的旧材料",
        paragraphs: &["　　这是一篇没有日期的材料。"],
        legacy_path: None,
    },
];

pub fn url_of(i: usize) -> String {
    format!("https://news.example.test/a/{i}.html?from=index&x=1")
}

pub fn record(i: usize, s: &Spec) -> ArticleRecord {
    let date = s.date.map(day);
    let published = match i % 3 {
        0 => date
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .map(PublishTime::from_shanghai),
        1 => date.map(PublishTime::Date),
        _ => None,
    };
    ArticleRecord {
        article: Article {
            source: "demo".into(),
            url: if s.legacy_path.is_some() {
                format!("legacy:{}", s.legacy_path.unwrap_or_default())
            } else {
                url_of(i)
            },
            title: s.title.into(),
            published,
            author: i.is_multiple_of(2).then(|| "记者 唐炜".to_owned()),
            origin: (!i.is_multiple_of(2)).then(|| "人民日报".to_owned()),
            editor: Some("张三".into()),
            paragraphs: s.paragraphs.iter().map(|p| Paragraph::new(*p)).collect(),
            images: vec![Image {
                url: format!("https://news.example.test/img/{i}.jpg"),
                alt: None,
            }],
            attachments: if i == 2 {
                vec![Attachment {
                    url: "https://news.example.test/files/通知.pdf".into(),
                    name: "通知.pdf".into(),
                    kind: AttachmentKind::Pdf,
                }]
            } else {
                Vec::new()
            },
            fetched_at: DateTime::<Utc>::from_timestamp(1_795_000_000 + i as i64, 0),
            disclosure: None,
        },
        filing: Filing {
            column: s.column.into(),
            date,
            legacy: s.legacy_path.map(|p| LegacyPlacement {
                rel_path: p.into(),
                layout: legacy_layout().to_json(),
            }),
        },
    }
}

pub async fn store() -> SqliteStore {
    let store = SqliteStore::in_memory().await.expect("an in-memory store");
    let records: Vec<_> = SPECS
        .iter()
        .enumerate()
        .map(|(i, s)| record(i, s))
        .collect();
    let outcomes = store.record_articles(&records).await.expect("record");
    assert_eq!(outcomes.len(), SPECS.len());
    store
}

/// Spec indexes in the expected export order for the 26–28 November range (the undated
/// filing is left out by a date range).
pub const ORDER_IN_RANGE: [usize; 8] = [1, 6, 2, 7, 4, 5, 0, 3];
