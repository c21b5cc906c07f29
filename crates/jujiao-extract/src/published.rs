//! Publish time and byline by ranking candidates rather than taking the first found.
//!
//! Every date the page offers is a candidate: `<meta>` tags, JSON-LD, `<time>`, the URL
//! (TRS `t20200610_…`) and the lines around the headline and the body ([`AreaLine`]).
//! Each gets a score from where it sits (just after the headline is best; before the
//! headline or after the body is weaker; the body's own sentences weaker still), the
//! label before it (`发布时间`, `日期`, `发表于` raise it; `截止`, `出生` sink it) and its
//! shape (a line that is a link title followed by a date is a related-links entry and
//! loses). Candidates that agree with other kinds of evidence on the day gain. Authors are
//! ranked the same way: by zone, distance and how the name was found
//! ([`byline::AuthorKind`]): a photo credit or a name glued after the 来源 outlet only
//! counts when nothing surer is there.

use crate::byline::{self, AuthorKind, Byline};
use crate::date;
use crate::html::Dom;
use crate::title;
use jujiao_model::PublishTime;
use regex::Regex;
use std::sync::LazyLock;
use url::Url;

/// Where a byline-area line sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// Just before the headline (date bars, breadcrumbs); `dist` 1 is the nearest.
    Before,
    /// Between the headline and the body; `dist` 0 is the first line after the headline.
    Header,
    /// The body's first lines (datelines such as `新华社北京12月9日电（记者王攀）`).
    BodyHead,
    /// The body's last lines and a few after it.
    Tail,
}

/// One line of the byline area.
#[derive(Debug, Clone)]
pub(crate) struct AreaLine {
    pub text: String,
    pub zone: Zone,
    pub dist: usize,
    /// Share of the line that is link text.
    pub link_density: f64,
}

/// `<meta>` keys naming the publish time outright.
const STRONG_META: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "PubDate",
    "publishdate",
    "pubdate",
    "publish_date",
    "publishtime",
    "publish-date",
    "published_time",
    "datePublished",
    "firstpublishedtime",
    "OriginalPublicationDate",
    "parsely-pub-date",
    "weibo:article:create_at",
    "article.published",
];

/// Labels that announce the publish time right before a date.
static GOOD_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:发布时间|发布日期|發佈時間|發布時間|發佈日期|发稿时间|發稿時間|发表时间|發表時間|",
        r"发表于|發表於|发布于|發佈於|更新时间|更新時間|时间|時間|日期|发布|發佈|發布|刊登日期)",
        r"\s*[：:]?\s*$",
    ))
    .expect("static regex")
});
/// Labels that say a date is something else than the publish time.
static BAD_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:截止|截至|有效期|出生|成文日期|施行|实施|實施|开幕|闭幕|活动时间|报名|打印|今天是|今日)")
        .expect("static regex")
});
/// Bullets that start the entries of a link list.
const BULLETS: &[char] = &[
    '・', '·', '•', '▪', '►', '■', '□', '◆', '●', '>', '※', '-', '＊', '*',
];

/// One candidate publish time.
#[derive(Debug, Clone)]
struct Cand {
    time: PublishTime,
    score: i32,
    /// The kind of evidence (meta, line, url…): agreement counts across kinds only.
    kind: u8,
}

const K_META: u8 = 0;
const K_JSONLD: u8 = 1;
const K_LINE: u8 = 2;
const K_TIME: u8 = 3;
const K_URL: u8 = 4;
const K_FALLBACK: u8 = 5;

/// Every date in `text` with its byte offset (at most `max`).
fn dates_in(text: &str, max: usize) -> Vec<(PublishTime, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while out.len() < max && from < text.len() {
        let Some((t, at)) = date::find_in(&text[from..]) else {
            break;
        };
        let abs = from + at;
        out.push((t, abs));
        // Step past this date's year so the next search starts after it.
        let mut next = abs + 4;
        while next < text.len() && !text.is_char_boundary(next) {
            next += 1;
        }
        from = next;
    }
    out
}

/// Whether `line` is an entry of a link list: a link title followed by a date.
fn is_list_entry(line: &AreaLine, date_at: usize) -> bool {
    let t = line.text.trim_start();
    let before = line.text[..date_at].trim_matches([' ', '　', '(', '（', '[', '【']);
    // Link titles are headlines: a site address or a short name before the date is not.
    let han = before
        .chars()
        .filter(|c| ('\u{3400}'..='\u{9fff}').contains(c))
        .count();
    if t.starts_with(BULLETS) && han >= 4 {
        return true;
    }
    let has_label = GOOD_LABEL.is_match(before)
        || [
            "来源", "來源", "作者", "记者", "記者", "编辑", "編輯", "稿源",
        ]
        .iter()
        .any(|w| before.contains(w));
    // A breadcrumb (`首页 > 新闻 > 正文 2012-01-12`) is linky too, but its date is the page's.
    let breadcrumb = before.contains(['>', '›', '»', '＞']);
    line.link_density >= 0.3 && han >= 6 && !has_label && !breadcrumb
}

/// The score of a date at `at` in `line`, or `None` when it must not be taken.
fn line_score(line: &AreaLine, at: usize) -> i32 {
    let before = &line.text[..at];
    let tail_before: String = {
        let chars: Vec<char> = before.chars().collect();
        chars[chars.len().saturating_sub(8)..].iter().collect()
    };
    let d = line.dist.min(30) as i32;
    let mut s = match line.zone {
        Zone::Header => 75 - d,
        Zone::BodyHead => 48 - d,
        Zone::Before => 48 - 4 * d,
        Zone::Tail => 36,
    };
    if GOOD_LABEL.is_match(&tail_before) {
        s += 10;
    }
    if BAD_LABEL.is_match(&tail_before) {
        s -= 60;
    }
    if is_list_entry(line, at) {
        s -= 45;
    }
    // A date inside a sentence of prose is what the story is about, not when it was
    // published.
    let (len, lead) = (line.text.chars().count(), before.chars().count());
    if (len > 80 && lead > 30) || (line.zone == Zone::BodyHead && len > 40 && lead > 10) {
        s -= 30;
    }
    s
}

/// Publish time: the best-ranked candidate (see the module documentation).
pub(crate) fn rank_date(
    dom: &Dom,
    raw: &str,
    url: Option<&Url>,
    lines: &[AreaLine],
) -> Option<PublishTime> {
    let mut cands: Vec<Cand> = Vec::new();
    let mut push = |time: PublishTime, score: i32, kind: u8| cands.push(Cand { time, score, kind });
    for (k, v) in title::metas(dom) {
        let k = k.trim();
        let score = if STRONG_META.iter().any(|w| k.eq_ignore_ascii_case(w)) {
            90
        } else if date::META_KEYS.iter().any(|w| k.eq_ignore_ascii_case(w)) {
            62
        } else if date::META_FALLBACK_KEYS
            .iter()
            .any(|w| k.eq_ignore_ascii_case(w))
        {
            30
        } else {
            continue;
        };
        if let Some(t) = date::parse(v) {
            push(t, score, if score == 30 { K_FALLBACK } else { K_META });
        }
    }
    if let Some(t) = title::enp_property(raw, "date").and_then(|v| date::parse(&v)) {
        push(t, 80, K_META);
    }
    for i in dom.elements_named("script") {
        if let Some(t) = dom.text_of_raw(i).and_then(date::from_jsonld) {
            push(t, 85, K_JSONLD);
            break;
        }
    }
    for line in lines {
        for (t, at) in dates_in(&line.text, 2) {
            push(t, line_score(line, at), K_LINE);
        }
    }
    for i in dom.elements_named("time") {
        if let Some(e) = dom.element(i)
            && let Some(t) = e
                .attr("datetime")
                .and_then(date::parse)
                .or_else(|| date::parse(&dom.text(i)))
        {
            push(t, 55, K_TIME);
            break;
        }
    }
    if let Some(t) = url.and_then(|u| date::from_url(u.as_str())) {
        push(t, 45, K_URL);
    }
    best(&cands)
}

/// The winner after agreement bonuses; a day-only winner takes the time of an agreeing
/// candidate that has one.
fn best(cands: &[Cand]) -> Option<PublishTime> {
    let scored: Vec<(i32, &Cand)> = cands
        .iter()
        .map(|c| {
            let mut kinds: Vec<u8> = cands
                .iter()
                .filter(|o| o.kind != c.kind && o.score > 0 && o.time.date() == c.time.date())
                .map(|o| o.kind)
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            (c.score + 8 * kinds.len().min(2) as i32, c)
        })
        .collect();
    let mut winner: Option<(i32, &Cand)> = None;
    for (s, c) in &scored {
        if winner.is_none_or(|(ws, _)| *s > ws) {
            winner = Some((*s, c));
        }
    }
    let (ws, w) = winner?;
    if ws <= 0 {
        return None;
    }
    if matches!(w.time, PublishTime::Date(_)) {
        let day = w.time.date();
        if let Some((_, timed)) = scored
            .iter()
            .filter(|(s, c)| {
                *s > 0 && c.time.date() == day && matches!(c.time, PublishTime::DateTime(_))
            })
            .max_by_key(|(s, _)| *s)
        {
            return Some(timed.time);
        }
    }
    Some(w.time)
}

/// Author, origin and editor from the byline area, the author ranked.
pub(crate) fn rank_byline(dom: &Dom, lines: &[AreaLine]) -> Byline {
    let mut b = Byline::default();
    let mut best: Option<(i32, String)> = None;
    let mut origin_rank: Option<i32> = None;
    let mut label_before = false;
    for line in lines {
        if line.zone == Zone::Before {
            continue;
        }
        // A long line is a paragraph: its byline is at its start (a dateline) in the
        // body's first lines, at its end (`（记者 唐炜）`) in the last ones.
        let chars = line.text.chars().count();
        let text: String = match line.zone {
            _ if chars <= 200 => line.text.clone(),
            Zone::BodyHead => line.text.chars().take(80).collect(),
            Zone::Tail => line.text.chars().skip(chars - 80).collect(),
            _ => continue,
        };
        let r = byline::read_line(&text, label_before);
        label_before = r.label_at_end;
        let d = line.dist.min(25) as i32;
        let place = match line.zone {
            Zone::Header => 60 - d,
            Zone::BodyHead => 52 - d,
            Zone::Tail | Zone::Before => 40,
        };
        if let Some(o) = r.origin
            && origin_rank.is_none_or(|s| place > s)
        {
            origin_rank = Some(place);
            b.origin = Some(o);
        }
        b.editor = b.editor.or(r.editor);
        let Some((name, kind)) = r.author else {
            continue;
        };
        if line.link_density > 0.5 {
            continue;
        }
        let score = place
            + match kind {
                AuthorKind::Labelled | AuthorKind::NextLine => 10,
                AuthorKind::Reporter | AuthorKind::PlaceReport => 5,
                AuthorKind::BeforeDate if line.zone == Zone::Header && line.dist <= 3 => -5,
                AuthorKind::BeforeDate => continue,
                AuthorKind::AfterOrigin => -15,
                AuthorKind::Photo => -45,
            };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, name));
        }
    }
    b.author = best.map(|(_, n)| n);
    if b.origin.is_none() {
        b.origin = title::meta_content(dom, &["ContentSource"]).and_then(|v| {
            let read = byline::read([v.as_str()]).origin;
            read.or_else(|| byline::clean_origin(&v))
        });
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extracts a hand-made page; `url` is the page's address.
    fn run(html: &str, url: Option<&str>) -> crate::Extraction {
        let url = url.map(|u| Url::parse(u).expect("test URL"));
        crate::extract(html.as_bytes(), url.as_ref(), Some("utf-8"), None).expect("extracts")
    }

    fn day(x: &crate::Extraction) -> Option<String> {
        x.publish_time.as_ref().map(|t| t.date().to_string())
    }

    const BODY: &str = "<p>区政府召开常务会议，研究部署今年重点工作，会议听取了各部门关于重点项目推进情况的汇报，并对下一步工作提出了明确要求。</p>\
        <p>会议强调，要坚持问题导向，压实工作责任，确保各项任务按期完成，切实让群众感受到实实在在的变化和成效。</p>\
        <p>会议还研究了其他事项，要求各部门加强协调配合，形成工作合力，推动全区经济社会持续健康发展。</p>";

    fn page(head: &str, before: &str, header: &str, after: &str) -> String {
        format!(
            "<html><head><title>区政府召开常务会议_某某区政府</title>{head}</head><body>\
             <div class=\"top\">{before}</div><h1>区政府召开常务会议</h1>\
             <div class=\"info\">{header}</div><div class=\"content\">{BODY}</div>{after}</body></html>"
        )
    }

    #[test]
    fn the_headers_date_beats_the_date_bar_related_links_and_footer() {
        let html = page(
            "",
            "今天是2024年3月5日 星期二",
            "发布时间：2024-03-01 09:00 来源：某某日报",
            "<ul class=\"related\"><li>・<a href=\"/a\">某某区召开安全生产会议</a> 2024-03-04</li>\
             <li>・<a href=\"/b\">某某区部署春季植树工作</a> 2024-03-03</li></ul>\
             <div class=\"footer\">版权所有 2024-03-05 更新</div>",
        );
        assert_eq!(day(&run(&html, None)).as_deref(), Some("2024-03-01"));
    }

    #[test]
    fn a_date_only_before_the_headline_is_taken_over_related_links() {
        let html = page(
            "",
            "首页 > 生活新闻 2024-1-11",
            "",
            "<ul><li><a href=\"/a\">某某区召开安全生产工作会议</a> 2024-01-09</li>\
             <li><a href=\"/b\">某某区部署春季植树造林工作</a> 2024-01-08</li></ul>",
        );
        assert_eq!(day(&run(&html, None)).as_deref(), Some("2024-01-11"));
    }

    #[test]
    fn publish_time_metas_win() {
        for key in ["PubDate", "publishdate", "firstpublishedtime"] {
            let html = page(
                &format!("<meta name=\"{key}\" content=\"2024-03-01 10:00\">"),
                "今天是2024年3月5日",
                "2024-03-05 浏览次数：12",
                "",
            );
            let x = run(&html, None);
            assert_eq!(day(&x).as_deref(), Some("2024-03-01"), "{key}");
        }
        let html = page(
            "<meta property=\"article:published_time\" content=\"2024-02-29T23:30:00Z\">",
            "",
            "",
            "",
        );
        // 23:30 UTC is the next morning in Beijing.
        assert_eq!(day(&run(&html, None)).as_deref(), Some("2024-03-01"));
    }

    #[test]
    fn a_trs_url_date_beats_related_link_dates() {
        let html = page(
            "",
            "",
            "",
            "<ul><li>・<a href=\"/a\">某某区召开安全生产工作会议</a> 2024-05-09</li>\
             <li>・<a href=\"/b\">某某区部署春季植树造林工作</a> 2024-05-08</li></ul>",
        );
        let x = run(
            &html,
            Some("http://www.example.gov.cn/xw/202406/t20240610_123456.html"),
        );
        assert_eq!(day(&x).as_deref(), Some("2024-06-10"));
    }

    #[test]
    fn the_url_day_settles_two_header_dates() {
        // Two bare dates in the header: the URL agrees with the second one.
        let html = page("", "", "2024-06-12</div><div>2024-06-10 09:30", "");
        let x = run(
            &html,
            Some("http://www.example.gov.cn/xw/202406/t20240610_1.html"),
        );
        assert_eq!(day(&x).as_deref(), Some("2024-06-10"));
        assert_eq!(
            x.publish_time.map(|t| t.to_iso()).as_deref(),
            Some("2024-06-10T09:30:00+08:00"),
            "the day-only URL candidate borrows the line's time"
        );
    }

    #[test]
    fn the_first_post_of_a_forum_thread_gives_the_day() {
        let html = "<html><head><title>关于小区停车难的问题 - 民生论坛</title></head><body>\
            <div class=\"nav\">论坛首页 今日：2024-04-20</div><h1>关于小区停车难的问题</h1>\
            <div class=\"post\"><div class=\"author\">楼主 张三 发表于 2024-04-01 10:00</div>\
            <div class=\"msg\"><p>我们小区停车位严重不足，晚上回来经常找不到车位，希望有关部门能够协调解决。</p></div></div>\
            <div class=\"post\"><div class=\"author\">2楼 李四 发表于 2024-04-03 21:15</div>\
            <div class=\"msg\"><p>同感，我们小区也是这样，晚上八点以后基本就没有车位了，只能停到很远的路边去，每天都很头疼，\
            有时候还会被贴罚单，希望街道和物业能一起想想办法，比如错时共享周边单位的停车位，或者把闲置空地改成临时停车场，\
            这样能缓解不少压力，大家觉得怎么样呢？我觉得这个办法值得试一试。</p></div></div>\
            <div class=\"post\"><div class=\"author\">3楼 王五 发表于 2024-04-05 08:00</div>\
            <div class=\"msg\"><p>支持楼上的建议。</p></div></div></body></html>";
        assert_eq!(day(&run(html, None)).as_deref(), Some("2024-04-01"));
    }

    #[test]
    fn dates_labelled_as_something_else_lose() {
        let html = page(
            "",
            "",
            "报名截止：2024-03-20</div><div>发布日期：2024-03-10",
            "",
        );
        assert_eq!(day(&run(&html, None)).as_deref(), Some("2024-03-10"));
    }

    #[test]
    fn the_headers_author_beats_a_photo_credit_and_the_tail() {
        let html = page(
            "",
            "",
            "2024-03-01 来源：某某日报 作者：见习编辑 李琼皙",
            "<p>（记者 王小明）</p>",
        );
        let x = run(&html, None);
        assert_eq!(x.author.as_deref(), Some("李琼皙"));
        assert_eq!(x.origin.as_deref(), Some("某某日报"));
        let html = page(
            "",
            "",
            "2024-03-01",
            "<p>图为会议现场。快报记者 施向辉 摄</p><p>□快报记者 刘峻</p>",
        );
        assert_eq!(run(&html, None).author.as_deref(), Some("刘峻"));
    }

    #[test]
    fn a_name_left_in_the_origin_field_is_the_author() {
        let html = page("", "", "发布时间：2024-03-01 20:52 来源：全景网 陈祎", "");
        let x = run(&html, None);
        assert_eq!(x.origin.as_deref(), Some("全景网"));
        assert_eq!(x.author.as_deref(), Some("陈祎"));
        let html = page("", "", "发布时间：2024-03-01 来源：人民日报 海外版", "");
        assert_eq!(run(&html, None).author, None);
    }

    #[test]
    fn a_columnists_name_before_the_date_is_the_author() {
        let html = page("", "", "金错刀 2015-06-23 14:42:25 0人参与评论", "");
        assert_eq!(run(&html, None).author.as_deref(), Some("金错刀"));
        let html = page("", "", "南方日报 2015-06-23 14:42:25", "");
        assert_eq!(run(&html, None).author, None);
    }

    #[test]
    fn content_source_meta_gives_the_origin() {
        let html = page(
            "<meta name=\"ContentSource\" content=\"北京市海淀区人民政府\">",
            "",
            "发布日期：2024-03-01",
            "",
        );
        assert_eq!(
            run(&html, None).origin.as_deref(),
            Some("北京市海淀区人民政府")
        );
        // The page's own 来源 line wins over the meta.
        let html = page(
            "<meta name=\"ContentSource\" content=\"北京市海淀区人民政府\">",
            "",
            "发布日期：2024-03-01 来源：区发展改革委",
            "",
        );
        assert_eq!(run(&html, None).origin.as_deref(), Some("区发展改革委"));
    }

    #[test]
    fn attribute_text_does_not_leak_into_fields() {
        let html = page("", "", "发布日期：2024-03-01 来源：size=\"20\"", "");
        assert_eq!(run(&html, None).origin, None);
        let html = page("", "", "发布日期：2024-03-01 来源：新华网 size=\"20\"", "");
        assert_eq!(run(&html, None).origin.as_deref(), Some("新华网"));
    }
}
