//! Near duplicates: the same story published by several sources, with a different
//! byline, an edited sentence or another layout, so its fingerprint differs.
//!
//! A new text (URL unknown, fingerprint unknown) is compared with the stored articles
//! that have the same [`title_key`]; it is a near duplicate of one when
//! - the two come from different sources (one source publishing two near-identical
//!   pages — a corrected re-post, a daily notice — keeps both: that is its own editing,
//!   and it keeps the legacy import, which is all one source, lossless),
//! - their publish days are at most [`NEAR_DUPLICATE_DAYS`] apart (when both are known),
//! - and the Jaccard similarity of their bodies' 5-character shingles (whitespace
//!   removed) is at least [`NEAR_DUPLICATE_THRESHOLD`].
//!
//! The threshold was measured on the shared corpus (1,720 legacy briefing files and the
//! 315 labelled pages of `extract-dev`): the 14 pairs of different texts with the same
//! normalised title split into 11 different articles sharing a title (a yearly speech,
//! a recurring column) at 0.02–0.16 and 3 reprints at 0.91, 0.94 and 0.99. 0.8 sits in
//! the gap: no false merge and no miss among same-title pairs. Body similarity alone
//! would not do: 57 pairs with different titles reach 0.8, many of them different
//! articles around the same placeholder or boilerplate text, and some true reprints
//! whose title was edited (those stay missed: the price of looking texts up by title
//! instead of comparing every text with every other). SCHEMA.md has the method.

use jujiao_model::Article;
use std::collections::HashSet;

/// Least shingle Jaccard similarity for two bodies to be the same story.
pub const NEAR_DUPLICATE_THRESHOLD: f64 = 0.8;
/// Most days between two publish days of the same story.
pub const NEAR_DUPLICATE_DAYS: i64 = 2;
/// Characters per shingle: long enough that common phrases (会议指出，要…) do not make
/// unrelated texts look alike, short enough that one edited word changes few shingles.
const SHINGLE: usize = 5;

/// The normalised title near duplicates are looked up by: the title without
/// whitespace (ASCII space, tab, CR, LF, U+3000 ideographic space, U+00A0). Migration
/// 0006 spells the same rule in SQL to back-fill `title_keys`; keep the two equal.
pub fn title_key(title: &str) -> String {
    title
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{3000}' | '\u{a0}'))
        .collect()
}

/// The shingles of an article's visible text (whitespace removed), hashed.
pub(crate) fn shingles(article: &Article) -> HashSet<u64> {
    let chars: Vec<char> = article
        .paragraphs
        .iter()
        .flat_map(|p| p.clean().chars().collect::<Vec<_>>())
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut out = HashSet::with_capacity(chars.len());
    if chars.is_empty() {
        return out;
    }
    for window in chars.windows(SHINGLE.min(chars.len())) {
        out.insert(hash_chars(window));
    }
    out
}

/// FNV-1a over the characters: stable, and enough for sets of a few thousand shingles.
fn hash_chars(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for b in u32::from(*c).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// |a ∩ b| / |a ∪ b|; 0 when both are empty.
pub(crate) fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let common = small.iter().filter(|h| large.contains(h)).count();
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

/// A stored article a new text is compared with.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub article_id: crate::ArticleId,
    /// The source of the article's current content.
    pub source: String,
    pub published: Option<chrono::NaiveDate>,
    pub shingles: HashSet<u64>,
}

impl Candidate {
    pub(crate) fn of(article_id: crate::ArticleId, article: &Article) -> Candidate {
        Candidate {
            article_id,
            source: article.source.clone(),
            published: article.published.map(|p| p.date()),
            shingles: shingles(article),
        }
    }
}

/// The candidate `article` is a near duplicate of (the most similar one; the lowest
/// article id among equals), if any. `candidates` all have the article's title key.
pub(crate) fn best_match(
    article: &Article,
    shingles: &HashSet<u64>,
    candidates: &[Candidate],
) -> Option<crate::ArticleId> {
    let day = article.published.map(|p| p.date());
    let mut best: Option<(f64, crate::ArticleId)> = None;
    for c in candidates {
        if c.source == article.source {
            continue;
        }
        if let (Some(a), Some(b)) = (day, c.published)
            && (a - b).num_days().abs() > NEAR_DUPLICATE_DAYS
        {
            continue;
        }
        let s = jaccard(shingles, &c.shingles);
        if s >= NEAR_DUPLICATE_THRESHOLD
            && best.is_none_or(|(bs, bid)| s > bs || (s == bs && c.article_id < bid))
        {
            best = Some((s, c.article_id));
        }
    }
    best.map(|(_, id)| id)
}

/// The stored (and just added) articles of a batch's titles, by title key.
#[derive(Debug, Default)]
pub(crate) struct NearIndex {
    by_key: std::collections::HashMap<String, Vec<Candidate>>,
}

impl NearIndex {
    pub(crate) fn add(&mut self, key: String, candidate: Candidate) {
        let list = self.by_key.entry(key).or_default();
        if !list.iter().any(|c| c.article_id == candidate.article_id) {
            list.push(candidate);
        }
    }

    /// The article `article` is a near duplicate of, if any. Shingles are computed only
    /// when some article has the same title key.
    pub(crate) fn find(&self, article: &Article) -> Option<crate::ArticleId> {
        let candidates = self.by_key.get(&title_key(&article.title))?;
        best_match(article, &shingles(article), candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_model::{Paragraph, PublishTime};

    fn article(source: &str, day: u32, paras: &[&str]) -> Article {
        Article {
            source: source.into(),
            url: format!("http://{source}.example/a.html"),
            title: "区委常委会召开会议".into(),
            published: Some(PublishTime::Date(
                chrono::NaiveDate::from_ymd_opt(2020, 6, day).unwrap(),
            )),
            paragraphs: paras.iter().map(|p| Paragraph::new(*p)).collect(),
            ..Article::default()
        }
    }

    const STORY: [&str; 3] = [
        "　　6月10日，区委常委会召开会议，传达学习上级有关会议精神，研究部署下一阶段重点工作。",
        "　　会议指出，要聚焦科学城建设，持续优化创新生态，加快培育高精尖产业，推动高质量发展。",
        "　　会议强调，要进一步完善工作机制，强化督促检查，形成工作合力，确保各项任务落到实处。",
    ];

    #[test]
    fn title_key_drops_only_whitespace() {
        assert_eq!(
            title_key(" 不忘初心　牢记使命\u{a0}(图)\t"),
            "不忘初心牢记使命(图)"
        );
        assert_eq!(title_key("A  B"), "AB");
    }

    #[test]
    fn a_reprint_with_a_byline_and_layout_changes_matches() {
        let a = article("qw", 10, &STORY);
        let mut b_paras: Vec<String> = STORY.iter().map(|p| p.replace('　', " ")).collect();
        b_paras.push("（来源：北京日报　记者 张三）".into());
        let b = article(
            "rmw",
            11,
            &b_paras.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let c = Candidate::of(crate::ArticleId(7), &a);
        assert!(jaccard(&shingles(&b), &c.shingles) >= NEAR_DUPLICATE_THRESHOLD);
        assert_eq!(
            best_match(&b, &shingles(&b), &[c]),
            Some(crate::ArticleId(7))
        );
    }

    #[test]
    fn same_source_far_days_or_other_text_do_not_match() {
        let a = article("qw", 10, &STORY);
        let c = Candidate::of(crate::ArticleId(1), &a);
        let same_source = article("qw", 10, &STORY[..2]);
        assert_eq!(
            best_match(
                &same_source,
                &shingles(&same_source),
                std::slice::from_ref(&c)
            ),
            None
        );
        let far = article("rmw", 20, &STORY);
        assert_eq!(
            best_match(&far, &shingles(&far), std::slice::from_ref(&c)),
            None
        );
        let other = article(
            "rmw",
            10,
            &["　　6月10日，区政府召开常务会议，审议通过了关于加强安全生产工作的实施意见。"],
        );
        assert_eq!(best_match(&other, &shingles(&other), &[c]), None);
    }

    #[test]
    fn jaccard_bounds() {
        let a = shingles(&article("x", 1, &STORY));
        assert!((jaccard(&a, &a) - 1.0).abs() < f64::EPSILON);
        assert_eq!(jaccard(&HashSet::new(), &HashSet::new()), 0.0);
    }
}
