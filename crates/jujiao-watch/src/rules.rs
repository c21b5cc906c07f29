//! Watch rules compiled once into a [`RuleSet`]: the queries go into one
//! [`jujiao_search::QuerySet`] (the search's own parser and character-exact matching),
//! the filters (columns, sources) and recipients stay beside them.

use crate::excerpt::sentence_at;
use chrono::{DateTime, Duration as Span, NaiveTime, TimeZone, Utc};
use jujiao_model::{Article, PublishTime, shanghai};
use jujiao_search::{MatchText, QuerySet, TextScope};
use jujiao_store::{ArticleId, NewWatchMatch, StoredWatchRule};

/// Characters of the body quoted when the match is only in the title.
const LEAD_CHARS: usize = 80;

/// Rules compiled once; see the module documentation.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<StoredWatchRule>,
    queries: QuerySet,
}

/// One rule that matched an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit<'a> {
    pub rule: &'a StoredWatchRule,
    /// The sentence naming what the rule looks for (or the body's start).
    pub excerpt: String,
}

impl RuleSet {
    /// Compiles `rules` (any order).
    pub fn new(rules: Vec<StoredWatchRule>) -> RuleSet {
        let queries = QuerySet::new(rules.iter().map(|r| {
            let scope = if r.title_only {
                TextScope::Title
            } else {
                TextScope::TitleAndBody
            };
            (r.query.as_str(), scope)
        }));
        RuleSet { rules, queries }
    }

    pub fn rules(&self) -> &[StoredWatchRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules `article` (filed in `column`, from source `source`) matches, with the
    /// sentence to quote.
    pub fn hits(&self, article: &Article, column: &str, source: &str) -> Vec<RuleHit<'_>> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let body = article.body();
        let text = MatchText::new(&article.title, &body);
        self.queries
            .matching_with_places(&text)
            .into_iter()
            .filter_map(|(i, at)| {
                let rule = &self.rules[i];
                let in_scope = (rule.columns.is_empty()
                    || rule.columns.iter().any(|c| c == column))
                    && (rule.sources.is_empty() || rule.sources.iter().any(|s| s == source));
                if !in_scope {
                    return None;
                }
                let excerpt = match at {
                    Some(at) => sentence_at(&body, at),
                    None => body.chars().take(LEAD_CHARS).collect(),
                };
                Some(RuleHit { rule, excerpt })
            })
            .collect()
    }

    /// The matches to record for an article just stored as `article_id`, each with its
    /// deliveries due `now` or at the rule's next digest time.
    pub fn new_matches(
        &self,
        article_id: ArticleId,
        article: &Article,
        column: &str,
        now: DateTime<Utc>,
    ) -> Vec<NewWatchMatch> {
        self.hits(article, column, &article.source)
            .into_iter()
            .map(|hit| {
                let due = match hit.rule.digest_minute {
                    Some(minute) => next_digest(now, minute),
                    None => now,
                };
                NewWatchMatch {
                    rule: hit.rule.name.clone(),
                    article_id,
                    // PostgreSQL text cannot hold U+0000 (SCHEMA.md, Conventions).
                    title: article.title.replace('\0', ""),
                    source_id: article.source.clone(),
                    column: column.to_owned(),
                    url: article.url.clone(),
                    published: article.published.map(shown_publish_time),
                    excerpt: hit.excerpt.replace('\0', ""),
                    deliveries: hit.rule.channels.iter().map(|c| (c.clone(), due)).collect(),
                }
            })
            .collect()
    }
}

/// A publish time as messages show it: `2026-12-06 09:30` in Beijing, or the day.
pub fn shown_publish_time(p: PublishTime) -> String {
    match p {
        PublishTime::DateTime(t) => t
            .with_timezone(&shanghai())
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        PublishTime::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// The next time (strictly after `now`, or `now` itself) it is `minute` minutes past
/// midnight in Beijing.
pub fn next_digest(now: DateTime<Utc>, minute: u32) -> DateTime<Utc> {
    let local = now.with_timezone(&shanghai());
    let at = NaiveTime::from_hms_opt(minute / 60 % 24, minute % 60, 0).unwrap_or(NaiveTime::MIN);
    let mut day = local.date_naive();
    loop {
        let candidate = shanghai()
            .from_local_datetime(&day.and_time(at))
            .single()
            .map(|t| t.with_timezone(&Utc));
        match candidate {
            Some(t) if t >= now => return t,
            _ => day += Span::days(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_model::Paragraph;
    use jujiao_store::RuleOrigin;

    fn rule(name: &str, query: &str) -> StoredWatchRule {
        StoredWatchRule {
            name: name.into(),
            query: query.into(),
            columns: Vec::new(),
            sources: Vec::new(),
            title_only: false,
            channels: vec!["群".into()],
            digest_minute: None,
            origin: RuleOrigin::Config,
        }
    }

    fn article(title: &str, body: &[&str]) -> Article {
        Article {
            source: "rmrb".into(),
            url: "https://r.example/1".into(),
            title: title.into(),
            published: None,
            author: None,
            origin: None,
            editor: None,
            paragraphs: body.iter().map(|p| Paragraph::new(*p)).collect(),
            images: Vec::new(),
            attachments: Vec::new(),
            fetched_at: None,
            disclosure: None,
        }
    }

    #[test]
    fn filters_and_excerpts() {
        let mut by_column = rule("栏目", "海淀");
        by_column.columns = vec!["要闻".into()];
        let mut by_source = rule("来源", "海淀");
        by_source.sources = vec!["other".into()];
        let mut title_only = rule("标题", "海淀");
        title_only.title_only = true;
        let set = RuleSet::new(vec![
            rule("全部", "海淀 | 朝阳 -广告"),
            by_column,
            by_source,
            title_only,
        ]);
        let a = article("会议召开", &["第一段。", "区委书记在海淀调研。随后座谈。"]);
        let hits = set.hits(&a, "领导活动", "rmrb");
        let names: Vec<&str> = hits.iter().map(|h| h.rule.name.as_str()).collect();
        assert_eq!(names, ["全部"]);
        assert_eq!(hits[0].excerpt, "区委书记在海淀调研。");
        let names: Vec<String> = set
            .hits(&a, "要闻", "rmrb")
            .iter()
            .map(|h| h.rule.name.clone())
            .collect();
        assert_eq!(names, ["全部", "栏目"]);
        assert!(
            set.hits(&article("海淀广告", &[]), "要闻", "rmrb")
                .iter()
                .all(|h| h.rule.name != "全部")
        );
    }

    #[test]
    fn digests_fall_on_the_next_beijing_time() {
        // 2026-12-06 01:00 UTC is 09:00 in Beijing: an 08:30 digest is tomorrow's.
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 1, 0, 0).unwrap();
        assert_eq!(
            next_digest(now, 8 * 60 + 30),
            Utc.with_ymd_and_hms(2026, 12, 7, 0, 30, 0).unwrap()
        );
        assert_eq!(
            next_digest(now, 18 * 60),
            Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap()
        );
    }
}
