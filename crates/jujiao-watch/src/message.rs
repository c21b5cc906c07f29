//! Alert messages: a batch of deliveries rendered for one channel, split into as many
//! messages as its size limit needs — always between two items, never inside a
//! character. Times are Beijing time; each item links to the article in the web app
//! (`[web] base_url`), or to its page when no base URL is configured.

use chrono::{DateTime, Utc};
use jujiao_config::ChannelKind;
use jujiao_model::shanghai;
use jujiao_store::{Delivery, DeliveryId};

/// 企业微信 markdown content limit, in bytes of UTF-8.
pub const WECOM_MARKDOWN_BYTES: usize = 4096;
/// 企业微信 text content limit, in bytes of UTF-8.
pub const WECOM_TEXT_BYTES: usize = 2048;
/// 钉钉 markdown: the robot accepts 20,000 bytes; kept well under.
pub const DINGTALK_BYTES: usize = 18_000;
/// 飞书: a request body of at most 20 KB.
pub const FEISHU_BYTES: usize = 15_000;
/// Generic webhook and e-mail: items per message.
pub const MAX_ITEMS: usize = 100;
/// Bytes kept for the header line of a message ("### 关注提醒（N 条）", and
/// [`REPEAT_MARK`] when it is sent again).
const HEADER_BYTES: usize = 100;

/// One message: its title, its rendered text and the deliveries it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub text: String,
    pub items: Vec<Delivery>,
    /// Sent again after a send whose outcome is unknown: it may have arrived before.
    pub possible_repeat: bool,
}

/// What the header of a message sent again says.
pub const REPEAT_MARK: &str = "（重发：上次发送结果未知，可能重复）";

impl Message {
    pub fn ids(&self) -> Vec<DeliveryId> {
        self.items.iter().map(|d| d.id).collect()
    }

    /// The message's key: the same deliveries always make the same key, so a message
    /// sent again is recognisable (the webhook's `Idempotency-Key`, the e-mail's
    /// `Message-ID`).
    pub fn key(&self) -> String {
        let ids: Vec<String> = self.items.iter().map(|d| d.id.0.to_string()).collect();
        format!("jujiao-{}", ids.join("-"))
    }

    /// Marks the message as possibly repeated, in its title and on its first line (the
    /// header's reserve holds the mark, so a message stays within its channel's size).
    pub fn mark_possible_repeat(&mut self) {
        if self.possible_repeat {
            return;
        }
        self.possible_repeat = true;
        self.title.push_str(REPEAT_MARK);
        let (first, rest) = self.text.split_once('\n').unwrap_or((&self.text, ""));
        self.text = format!("{first}{REPEAT_MARK}\n{rest}");
    }
}

/// How a channel's text is written and how much one message may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub markdown: bool,
    /// Most bytes of text (header included), if the channel has a limit.
    pub max_bytes: Option<usize>,
}

impl Layout {
    pub fn of(kind: &ChannelKind) -> Layout {
        match kind {
            ChannelKind::Wecom { markdown: true, .. } => Layout {
                markdown: true,
                max_bytes: Some(WECOM_MARKDOWN_BYTES),
            },
            ChannelKind::Wecom {
                markdown: false, ..
            } => Layout {
                markdown: false,
                max_bytes: Some(WECOM_TEXT_BYTES),
            },
            ChannelKind::Dingtalk => Layout {
                markdown: true,
                max_bytes: Some(DINGTALK_BYTES),
            },
            ChannelKind::Feishu { .. } => Layout {
                markdown: false,
                max_bytes: Some(FEISHU_BYTES),
            },
            ChannelKind::Webhook | ChannelKind::Email(_) => Layout {
                markdown: false,
                max_bytes: None,
            },
        }
    }
}

/// `2026-12-06 09:30` in Beijing time.
pub fn beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Where an item links: the web app's article page, or the article's own page.
pub fn link(base_url: Option<&str>, d: &Delivery) -> String {
    match base_url {
        Some(base) => format!("{base}/articles/{}", d.article_id.0),
        None => d.url.clone(),
    }
}

/// The time shown for an item: its publish time, else when it matched.
fn shown_time(d: &Delivery) -> String {
    d.published.clone().unwrap_or_else(|| beijing(d.matched_at))
}

/// One item's text.
pub fn render_item(d: &Delivery, base_url: Option<&str>, markdown: bool) -> String {
    let url = link(base_url, d);
    let meta = format!("{} · {} · {}", d.source_id, d.column, shown_time(d));
    if markdown {
        let title = d.title.replace(['[', ']'], "");
        let mut s = format!("**【{}】**[{}]({})\n{}", d.rule, title, url, meta);
        if !d.excerpt.is_empty() {
            s.push_str("\n> ");
            s.push_str(&d.excerpt.replace('\n', " "));
        }
        s
    } else {
        let mut s = format!("【{}】{}\n{}\n{}", d.rule, d.title, meta, url);
        if !d.excerpt.is_empty() {
            s.push('\n');
            s.push_str(&d.excerpt.replace('\n', " "));
        }
        s
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A message's first line. Each message is composed on its own (the rest of a batch
/// waits for the channel's next send slot), so it counts only its own items.
fn header(n: usize, markdown: bool) -> String {
    let h = format!("关注提醒（{n} 条）");
    if markdown { format!("### {h}") } else { h }
}

/// Renders `items` into messages for a channel of `layout`; see the module
/// documentation. An item too long for a message on its own is shortened (its excerpt
/// first) at a character boundary.
pub fn compose(items: &[Delivery], layout: Layout, base_url: Option<&str>) -> Vec<Message> {
    let budget = layout.max_bytes.map(|m| m.saturating_sub(HEADER_BYTES));
    let mut groups: Vec<(Vec<Delivery>, Vec<String>, usize)> = Vec::new();
    for d in items {
        let mut text = render_item(d, base_url, layout.markdown);
        if let Some(budget) = budget
            && text.len() > budget
        {
            let cut = cut_at_char(&text, budget.saturating_sub(3)).to_owned();
            text = cut + "…";
        }
        let fits = groups.last().is_some_and(|(g, _, bytes)| {
            g.len() < MAX_ITEMS && budget.is_none_or(|b| bytes + 2 + text.len() <= b)
        });
        if !fits {
            groups.push((Vec::new(), Vec::new(), 0));
        }
        let (g, texts, bytes) = groups.last_mut().expect("a group was just pushed");
        *bytes += text.len() + 2;
        g.push(d.clone());
        texts.push(text);
    }
    groups
        .into_iter()
        .map(|(items, texts, _)| {
            let title = header(items.len(), false);
            let text = format!(
                "{}\n\n{}",
                header(items.len(), layout.markdown),
                texts.join("\n\n")
            );
            Message {
                title,
                text,
                items,
                possible_repeat: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jujiao_store::ArticleId;

    pub(crate) fn delivery(i: i64, title: &str, excerpt: &str) -> Delivery {
        Delivery {
            id: DeliveryId(i),
            channel: "群".into(),
            attempts: 0,
            rule: "区领导".into(),
            article_id: ArticleId(i),
            title: title.into(),
            source_id: "rmrb".into(),
            column: "领导活动".into(),
            url: format!("https://r.example/{i}"),
            published: None,
            excerpt: excerpt.into(),
            matched_at: chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 6, 1, 30, 0).unwrap(),
            message_key: None,
            in_flight: false,
            possible_repeat: false,
            sent_at: None,
        }
    }

    #[test]
    fn items_link_to_the_web_app_in_beijing_time() {
        let d = delivery(7, "区委书记调研", "区委书记张三到海淀调研。");
        let text = render_item(&d, Some("https://jj.example"), true);
        assert_eq!(
            text,
            "**【区领导】**[区委书记调研](https://jj.example/articles/7)\nrmrb · 领导活动 · 2026-12-06 09:30\n> 区委书记张三到海淀调研。"
        );
        assert!(render_item(&d, None, false).contains("https://r.example/7"));
    }

    #[test]
    fn long_batches_split_between_items_within_the_limit() {
        let items: Vec<Delivery> = (0..60)
            .map(|i| delivery(i, &format!("第{i}条消息标题"), &"很长的摘句。".repeat(10)))
            .collect();
        for markdown in [true, false] {
            let limit = if markdown {
                WECOM_MARKDOWN_BYTES
            } else {
                WECOM_TEXT_BYTES
            };
            let layout = Layout {
                markdown,
                max_bytes: Some(limit),
            };
            let messages = compose(&items, layout, Some("https://jj.example"));
            assert!(messages.len() > 1);
            let mut seen = Vec::new();
            for m in &messages {
                assert!(m.text.len() <= limit, "{} > {limit}", m.text.len());
                for d in &m.items {
                    assert!(
                        m.text.contains(&format!("第{}条消息标题", d.id.0)),
                        "an item is whole in its message"
                    );
                    seen.push(d.id.0);
                }
            }
            assert_eq!(
                seen,
                (0..60).collect::<Vec<_>>(),
                "every item once, in order"
            );
        }
    }

    #[test]
    fn a_repeat_is_marked_within_the_limit_and_keeps_its_key() {
        let items: Vec<Delivery> = (0..60)
            .map(|i| delivery(i, &format!("第{i}条消息标题"), &"很长的摘句。".repeat(10)))
            .collect();
        let layout = Layout {
            markdown: true,
            max_bytes: Some(WECOM_MARKDOWN_BYTES),
        };
        for mut m in compose(&items, layout, None) {
            let key = m.key();
            m.mark_possible_repeat();
            m.mark_possible_repeat();
            assert!(m.text.len() <= WECOM_MARKDOWN_BYTES, "{}", m.text.len());
            assert_eq!(m.text.matches(REPEAT_MARK).count(), 1);
            assert!(m.text.starts_with("### 关注提醒（") && m.title.ends_with(REPEAT_MARK));
            assert_eq!(m.key(), key);
        }
    }

    #[test]
    fn an_item_longer_than_a_message_is_cut_at_a_character() {
        let d = delivery(1, "标题", &"长".repeat(3000));
        let layout = Layout {
            markdown: false,
            max_bytes: Some(WECOM_TEXT_BYTES),
        };
        let messages = compose(&[d], layout, None);
        assert_eq!(messages.len(), 1);
        assert!(messages[0].text.len() <= WECOM_TEXT_BYTES);
        assert!(messages[0].text.ends_with('…'));
        assert_eq!(cut_at_char("长长", 4), "长");
    }
}
