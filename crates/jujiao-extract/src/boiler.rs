//! Boilerplate lines that sit inside article containers: bylines, editor lines, print and
//! share bars, font-size switches, pagination. Only short lines are judged, so a real
//! paragraph that mentions 来源 is never dropped.

/// Lines longer than this (visible characters) are never boilerplate.
const MAX_BOILER_CHARS: usize = 80;

/// Markers that make a short line boilerplate wherever they appear.
const MARKERS: &[&str] = &[
    "责任编辑",
    "责编：",
    "编辑：",
    "编辑:",
    "【纠错】",
    "分享到",
    "分享至",
    "打印本页",
    "关闭窗口",
    "【打印】",
    "【关闭】",
    "打印】",
    "字号：",
    "字号:",
    "【字体",
    "扫一扫",
    "上一篇",
    "下一篇",
    "返回顶部",
    "版权所有",
    "copyright",
    "相关链接",
    "相关新闻",
    "相关阅读",
    "相关文章",
    "点击数",
    "浏览次数",
    "阅读次数",
    "访问量",
    "来源：",
    "来源:",
    "发布时间",
    "发布日期",
    "发稿时间",
    "当前位置",
    "您的位置",
    "您现在的位置",
    "网友评论",
    "我要评论",
    "收藏本页",
    "【大 中 小】",
    "【大中小】",
    "[大 中 小]",
    "打印此页",
    "share this",
    "advertisement",
    "all rights reserved",
    "sign up for",
    "related articles",
    "read more:",
    "更多精彩",
    "点击进入",
    "微信公众号",
    "责任编辑",
    "原标题：",
];

/// Lines up to this long are dropped when they carry a [`STRONG_MARKERS`] phrase.
const MAX_NOTICE_CHARS: usize = 240;

/// Disclaimers, copyright and follow-us notices appended to articles.
const STRONG_MARKERS: &[&str] = &[
    "免责声明",
    "免責聲明",
    "本文仅代表作者",
    "本文僅代表作者",
    "版权声明",
    "版權聲明",
    "转载请注明",
    "轉載請注明",
    "未经授权",
    "未經授權",
    "未经许可",
    "欢迎转载",
    "本网站所刊载",
    "facebook專頁",
    "facebook专页",
    "扫描二维码",
    "微信扫一扫",
    "关注我们",
    "订阅我们",
    "all rights reserved",
    "click here to",
    "follow us on",
    "sign up for our",
];

static MARKERS_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| crate::text::words_regex(MARKERS));
static STRONG_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| crate::text::words_regex(STRONG_MARKERS));

/// True when `line` is a short navigation, byline or tool line.
pub(crate) fn is_boilerplate(line: &str) -> bool {
    let n = line.chars().count();
    if n > MAX_NOTICE_CHARS.max(MAX_BOILER_CHARS) {
        return false;
    }
    let lower = line.to_lowercase();
    if n <= MAX_NOTICE_CHARS && STRONG_RE.is_match(&lower) {
        return true;
    }
    if n > MAX_BOILER_CHARS {
        return false;
    }
    if MARKERS_RE.is_match(&lower) {
        return true;
    }
    if is_bare_timestamp(line) {
        return true;
    }
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(
        compact.as_str(),
        "打印"
            | "关闭"
            | "收藏"
            | "分享"
            | "返回"
            | "大中小"
            | "【大中小】"
            | "[大中小]"
            | "首页"
            | "top"
            | "share"
            | "print"
            | "close"
    )
}

/// A line that is only a date/time (`2011年12月15日 21:34`, `2020-06-10 星期三`).
fn is_bare_timestamp(line: &str) -> bool {
    let rest = line
        .chars()
        .filter(|c| {
            !(c.is_ascii_digit()
                || c.is_whitespace()
                || "-/:：.年月日时分秒()（）[]【】星期周一二三四五六日天".contains(*c))
        })
        .count();
    rest == 0
        && line.chars().filter(char::is_ascii_digit).count() >= 6
        && crate::date::parse(line).is_some()
}

#[cfg(test)]
mod tests {
    use super::is_boilerplate;

    #[test]
    fn short_tool_lines_are_boilerplate_long_text_is_not() {
        assert!(is_boilerplate("责任编辑：王小明"));
        assert!(is_boilerplate("【打印】 【关闭】"));
        assert!(is_boilerplate("字号：大 中 小"));
        assert!(is_boilerplate("2011年12月15日 21:34"));
        assert!(is_boilerplate("2020-06-10 星期三"));
        assert!(!is_boilerplate("2020年6月10日，区委召开会议。"));
        assert!(!is_boilerplate(
            "会议指出，要认真学习贯彻习近平新时代中国特色社会主义思想。"
        ));
        let long = "来源：".to_string() + &"会议强调".repeat(30);
        assert!(!is_boilerplate(&long));
    }
}
