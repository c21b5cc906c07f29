//! The editor's briefing (简报) as issued: [`compose`] turns a draft and the articles it
//! draws from into the frozen [`IssuedText`]; [`docx`] writes it as a Word file in the
//! GB/T 9704-2012 layout offices use for 简报, [`markdown`] as text for a chat group.
//! Both writers read the issued text only, so an issued issue renders the same bytes
//! whatever happens to its articles later.

pub mod docx;

use crate::text::display_lines;
use chrono::{Datelike, NaiveDate};
use jujiao_model::briefing::chinese_numeral;
use jujiao_model::{IssuedItem, IssuedSection, IssuedText, ItemMode, SeriesSettings};
use jujiao_store::{ArticleId, Draft, StoredArticle};
use std::collections::HashMap;

/// `2026年12月6日`: the date as the header prints it (no leading zeros).
pub fn header_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The issue as it will be issued: each item's final title, its paragraphs per its mode
/// (all, the first N, or the editor's summary) and its note; sections in the draft's
/// order. Items whose article is missing from `articles` are left out (the caller
/// checks them first). `number` is set by the store when it issues.
pub fn compose(
    series: &SeriesSettings,
    draft: &Draft,
    articles: &HashMap<ArticleId, StoredArticle>,
) -> IssuedText {
    let sections = draft
        .sections()
        .into_iter()
        .map(|(column, items)| IssuedSection {
            column: column.to_owned(),
            items: items
                .into_iter()
                .filter_map(|item| {
                    let stored = articles.get(&item.article_id)?;
                    let a = &stored.article;
                    let (is_summary, paragraphs) = match &item.mode {
                        ItemMode::Full => (false, display_lines(a)),
                        ItemMode::First { paragraphs } => {
                            let n = (*paragraphs).max(1) as usize;
                            (false, display_lines(a).into_iter().take(n).collect())
                        }
                        ItemMode::Summary { summary } => (
                            true,
                            summary
                                .lines()
                                .map(str::trim)
                                .filter(|l| !l.is_empty())
                                .map(str::to_owned)
                                .collect(),
                        ),
                    };
                    let title = item
                        .title
                        .as_deref()
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .unwrap_or(a.title.trim())
                        .to_owned();
                    Some(IssuedItem {
                        article_id: stored.id.0,
                        revision: stored.revision,
                        title,
                        source: a
                            .origin
                            .clone()
                            .filter(|o| !o.trim().is_empty())
                            .unwrap_or_else(|| a.source.clone()),
                        url: a.url.clone(),
                        note: item
                            .note
                            .as_deref()
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(str::to_owned),
                        is_summary,
                        paragraphs,
                    })
                })
                .collect(),
        })
        .filter(|s: &IssuedSection| !s.items.is_empty())
        .collect();
    IssuedText {
        series: series.name.clone(),
        unit: series.unit.clone(),
        kind: draft.kind,
        number: 0,
        date: draft.date,
        is_correction: false,
        sections,
        send_to: draft.send_to.clone(),
        copy_to: draft.copy_to.clone(),
        copies: draft.copies,
    }
}

/// The issue as plain text with light Markdown, for pasting into a chat group: the
/// header, the table of contents, each section and item, the closing block.
pub fn markdown(text: &IssuedText) -> String {
    let mut s = String::new();
    s.push_str(&format!("# {}\n\n", text.series));
    s.push_str(&format!(
        "{}　{}　{}\n\n",
        text.number_label(),
        text.unit,
        header_date(text.date)
    ));
    s.push_str("**目录**\n\n");
    for (i, section) in text.sections.iter().enumerate() {
        s.push_str(&format!(
            "{}、{}\n",
            chinese_numeral(i as u32 + 1),
            section.column
        ));
        for item in &section.items {
            s.push_str(&format!("- {}\n", item.title));
        }
    }
    for (i, section) in text.sections.iter().enumerate() {
        s.push_str(&format!(
            "\n## {}、{}\n",
            chinese_numeral(i as u32 + 1),
            section.column
        ));
        for item in &section.items {
            s.push_str(&format!("\n### {}\n\n", item.title));
            if let Some(note) = &item.note {
                s.push_str(&format!("> 【按语】{note}\n\n"));
            }
            for p in &item.paragraphs {
                s.push_str(&format!("　　{p}\n\n"));
            }
            s.push_str(&format!("（来源：{}）\n", item.source));
        }
    }
    s.push_str("\n---\n\n");
    if !text.send_to.is_empty() {
        s.push_str(&format!("报送：{}\n\n", text.send_to));
    }
    if !text.copy_to.is_empty() {
        s.push_str(&format!("抄送：{}\n\n", text.copy_to));
    }
    if text.copies > 0 {
        s.push_str(&format!("（共印{}份）\n", text.copies));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use jujiao_model::{Article, IssueKind, Paragraph};
    use jujiao_store::DraftItem;

    pub(crate) fn stored(id: i64, title: &str, paragraphs: &[&str]) -> StoredArticle {
        let article = Article {
            source: "区政府网".into(),
            url: format!("https://x.example/{id}"),
            title: title.into(),
            paragraphs: paragraphs.iter().map(|p| Paragraph::new(*p)).collect(),
            ..Article::default()
        };
        StoredArticle {
            id: ArticleId(id),
            revision: 2,
            fingerprint: article.fingerprint(),
            article,
            filings: Vec::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn compose_applies_modes_titles_notes_and_section_order() {
        let articles: HashMap<ArticleId, StoredArticle> = [
            stored(1, "原题一", &["甲段", "乙段", "丙段"]),
            stored(2, "原题二", &["正文"]),
            stored(3, "原题三", &["一", "二"]),
        ]
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
        let item = |id, column: &str, mode| DraftItem {
            article_id: ArticleId(id),
            column: column.into(),
            title: None,
            mode,
            note: None,
        };
        let mut first = item(1, "本区动态", ItemMode::First { paragraphs: 2 });
        first.note = Some("  请各单位参阅。 ".into());
        let mut second = item(
            2,
            "领导活动",
            ItemMode::Summary {
                summary: "编者摘要第一行\n\n第二行".into(),
            },
        );
        second.title = Some("改后标题".into());
        let draft = Draft {
            kind: IssueKind::Regular,
            date: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
            columns: vec!["领导活动".into(), "本区动态".into()],
            items: vec![
                first,
                second,
                item(3, "本区动态", ItemMode::Full),
                item(9, "本区动态", ItemMode::Full),
            ],
            send_to: "区委领导".into(),
            copy_to: String::new(),
            copies: 30,
        };
        let text = compose(&SeriesSettings::default_daily(), &draft, &articles);
        let titles: Vec<&str> = text.titles().collect();
        assert_eq!(titles, ["改后标题", "原题一", "原题三"]);
        let lead = &text.sections[0].items[0];
        assert!(lead.is_summary);
        assert_eq!(lead.paragraphs, ["编者摘要第一行", "第二行"]);
        let one = &text.sections[1].items[0];
        assert_eq!(one.paragraphs, ["甲段", "乙段"]);
        assert_eq!(one.note.as_deref(), Some("请各单位参阅。"));
        assert_eq!(one.revision, 2);
        assert_eq!(text.sections[1].items[1].paragraphs, ["一", "二"]);

        let md = markdown(&text);
        assert!(md.starts_with("# 每日简报\n\n（未签发）"), "{md}");
        assert!(
            md.contains("一、领导活动\n- 改后标题\n二、本区动态\n- 原题一\n- 原题三"),
            "{md}"
        );
        assert!(md.contains("> 【按语】请各单位参阅。"), "{md}");
        assert!(
            md.contains("报送：区委领导") && md.contains("（共印30份）"),
            "{md}"
        );
        assert!(!md.contains("抄送"), "{md}");
    }

    #[test]
    fn header_dates_have_no_leading_zeros() {
        assert_eq!(
            header_date(NaiveDate::from_ymd_opt(2026, 1, 6).unwrap()),
            "2026年1月6日"
        );
    }
}
