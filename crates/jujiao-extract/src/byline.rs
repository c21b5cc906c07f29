//! Author, origin and editor from byline lines: `记者 唐炜`, `（记者 唐炜）` at the end of
//! the body, `作者：`, `文/`, `来源：`, `责任编辑：`. Author (who wrote it) and origin (the
//! outlet it comes from, 来源) are different fields.

use regex::Regex;
use std::sync::LazyLock;

/// What the byline lines say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Byline {
    pub author: Option<String>,
    pub origin: Option<String>,
    pub editor: Option<String>,
}

/// Characters a name or an outlet may not contain (they end it).
const NAME_END: &str = r"[^\s　:：|/,，;；)）\]】<>]";

static ORIGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:来源|来自|稿源|信息来源|文章来源|出处)\s*[：:]\s*({NAME_END}{{2,30}})"
    ))
    .expect("static regex")
});
/// CJK ideographs, spelled as ranges: `\p{Han}` needs the regex crate's
/// `unicode-script` feature, which the workspace does not enable (found by fuzzing a
/// build where no other crate turned it on).
const HAN: &str = r"[\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}]";

/// Compiles a pattern in which `{HAN}` stands for [`HAN`].
fn han_regex(pattern: &str) -> Regex {
    Regex::new(&pattern.replace("{HAN}", HAN)).expect("static regex")
}

static AUTHOR: LazyLock<Regex> = LazyLock::new(|| {
    han_regex(concat!(
        r"(?:作者|撰稿|撰文|文字|文)\s*[：:/／︱|]\s*({HAN}{2,12}(?:[ 、，,　]+{HAN}{2,4}){0,3})",
        r"|(?:本报|本台|本网)?(?:记者|通讯员|特约记者)\s*[：:]?\s*({HAN}{2,4}(?:[ 、，,　]+{HAN}{2,4}){0,3})",
        r"|(?i:by)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})",
    ))
});
static EDITOR: LazyLock<Regex> = LazyLock::new(|| {
    han_regex(
        r"(?:责任编辑|责编|编辑)\s*[：:]\s*({HAN}{2,4}(?:[ 、，,　]+{HAN}{2,4}){0,2}|[A-Za-z_]{2,20})",
    )
});
/// Words that follow a name in a byline and must not be taken as part of it.
const STOP: &[&str] = &[
    "作者", "记者", "发布", "时间", "来源", "编辑", "日期", "报道", "摄影", "浏览", "点击", "字号",
];

fn clean_name(s: &str) -> Option<String> {
    let mut s = s.trim().to_string();
    for w in STOP {
        if let Some(p) = s.find(w) {
            s.truncate(p);
        }
    }
    let s = s
        .trim_matches(|c: char| c.is_whitespace() || "　、，,".contains(c))
        .to_string();
    if s.chars().count() < 2 { None } else { Some(s) }
}

/// Reads bylines from `lines` (header lines first, then the body's last lines).
pub(crate) fn read<'a>(lines: impl IntoIterator<Item = &'a str>) -> Byline {
    let mut b = Byline::default();
    for line in lines {
        if line.chars().count() > 200 {
            continue;
        }
        if b.origin.is_none()
            && let Some(c) = ORIGIN.captures(line)
        {
            b.origin = c.get(1).and_then(|m| clean_name(m.as_str()));
        }
        if b.editor.is_none()
            && let Some(c) = EDITOR.captures(line)
        {
            b.editor = c.get(1).and_then(|m| clean_name(m.as_str()));
        }
        if b.author.is_none() {
            let without_editor = EDITOR.replace_all(line, "");
            if let Some(c) = AUTHOR.captures(&without_editor) {
                b.author = (1..=3)
                    .find_map(|k| c.get(k))
                    .and_then(|m| clean_name(m.as_str()));
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byline_forms() {
        let b = read([
            "来源：北京日报  作者：王小明  发布时间：2020-06-10",
            "责任编辑：李四",
        ]);
        assert_eq!(b.origin.as_deref(), Some("北京日报"));
        assert_eq!(b.author.as_deref(), Some("王小明"));
        assert_eq!(b.editor.as_deref(), Some("李四"));
        assert_eq!(read(["本报记者 唐炜"]).author.as_deref(), Some("唐炜"));
        assert_eq!(
            read(["会议要求……。（记者 唐炜）"]).author.as_deref(),
            Some("唐炜")
        );
        assert_eq!(read(["文/张三"]).author.as_deref(), Some("张三"));
        let only_editor = read(["责任编辑：王五"]);
        assert_eq!(only_editor.author, None);
        assert_eq!(only_editor.editor.as_deref(), Some("王五"));
    }
}

#[cfg(test)]
mod stop_tests {
    use super::read;

    #[test]
    fn origin_stops_before_the_author_label() {
        assert_eq!(read(["作者︱春春"]).author.as_deref(), Some("春春"));
        let b = read(["来源：证券时报网作者：李在山"]);
        assert_eq!(b.origin.as_deref(), Some("证券时报网"));
        assert_eq!(b.author.as_deref(), Some("李在山"));
    }
}
