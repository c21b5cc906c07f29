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
const NAME_END: &str = r"[^\s　:：|/,，;；()（）\[\]【】<>]";

static ORIGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:来源|來源|来自|稿源|信息来源|文章来源|出处)\s*[：:]\s*({NAME_END}{{2,30}})"
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
        r"(?:作者|撰稿|撰文|文字|文)\s*[：:/／︱|╱]\s*({HAN}{2,12}(?:[ 、，,　]+{HAN}{2,4}){0,3})",
        r"|(?i:by)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})",
        r"|(?:^|[》\s])作者\s+({HAN}{2,4})\s*$",
    ))
});
static EDITOR: LazyLock<Regex> = LazyLock::new(|| {
    han_regex(
        r"(?:责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[：:]\s*({HAN}{2,4}(?:[ 、，,　]+{HAN}{2,4}){0,2}|[A-Za-z_]{2,20})",
    )
});
/// Words that follow a name in a byline and must not be taken as part of it.
const STOP: &[&str] = &[
    "见习",
    "作者",
    "记者",
    "通讯员",
    "实习",
    "文字",
    "出处",
    "发布",
    "时间",
    "来源",
    "编辑",
    "日期",
    "报道",
    "報導",
    "摄影",
    "浏览",
    "点击",
    "字号",
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

/// Characters after which `记者` starts a byline (line start, brackets, `本报`, `电`).
fn is_byline_context(before: &str) -> bool {
    let before = before.trim_end_matches([' ', '　']);
    before.is_empty()
        || before.ends_with([
            '（', '(', '）', ')', '【', '[', '|', '/', '／', '╱', '〔', '◎', '：', ':', '讯', '電',
            '电', '报', '報', '台', '网', '網', '社', '闻', '聞',
        ])
        || before.ends_with("本报特约")
        || before.ends_with("实习")
        || before.ends_with("见习")
        || before.ends_with("實習")
}

/// What may follow a reporter's name.
fn ends_name(rest: &str) -> bool {
    rest.is_empty()
        || rest.starts_with([
            ' ', '　', '）', ')', '】', ']', '〕', '/', '／', '╱', '|', '、', '，', ',', '。',
            '摄', '攝',
        ])
        || [
            "报道",
            "報導",
            "通讯员",
            "通訊員",
            "实习生",
            "發自",
            "发自",
            "编辑",
            "編輯",
            "整理",
        ]
        .iter()
        .any(|w| rest.starts_with(w))
}

/// Words that follow `记者` in running text (`记者获悉`, `记者从…了解到`): not names.
const NOT_NAMES: &[&str] = &[
    "见习",
    "获悉",
    "了解",
    "从",
    "发现",
    "看到",
    "注意",
    "采访",
    "昨天",
    "今天",
    "日前",
    "近日",
    "昨日",
    "随后",
    "在",
    "来到",
    "走访",
    "询问",
    "致电",
    "联系",
    "查询",
    "调查",
    "还",
    "也",
    "又",
    "就",
    "同",
    "与",
    "和",
    "对",
    "向",
    "将",
    "已",
    "会",
    "问",
    "了",
    "们",
    "站",
    "证实",
    "表示",
    "介绍",
    "透露",
    "指出",
    "说",
    "称",
    "实地",
    "报道",
    "摄影",
    "摄",
    "编辑",
    "通讯员",
    "实习生",
    "发自",
    "整理",
];

/// `记者 唐炜`, `（记者 唐炜）`, `本报记者 张三、李四`, `通讯员 王五` in byline position.
fn reporter(line: &str) -> Option<String> {
    for label in ["特约记者", "特約記者", "记者", "記者", "通讯员", "通訊員"] {
        let mut from = 0;
        while let Some(off) = line[from..].find(label) {
            let at = from + off;
            from = at + label.len();
            if !is_byline_context(&line[..at]) {
                continue;
            }
            let rest = line[from..].trim_start_matches([' ', '　', '：', ':']);
            let mut names = Vec::new();
            let mut cur = rest;
            while names.len() < 4 {
                let Some(name) = leading_name(cur) else { break };
                names.push(name);
                cur = &cur[name.len()..];
                let next = cur.trim_start_matches([' ', '　', '、']);
                if next.len() == cur.len() || leading_name(next).is_none() {
                    break;
                }
                cur = next;
            }
            if !names.is_empty() {
                return Some(names.join("、"));
            }
        }
    }
    None
}

/// The shortest run of 2–4 ideographs at the start of `s` that a name boundary follows.
fn leading_name(s: &str) -> Option<&str> {
    if NOT_NAMES.iter().any(|w| s.starts_with(w)) {
        return None;
    }
    let mut end = 0;
    for (k, c) in s.char_indices().take(4) {
        if !('\u{3400}'..='\u{9fff}').contains(&c) {
            break;
        }
        end = k + c.len_utf8();
        if k > 0 && ends_name(&s[end..]) {
            return Some(&s[..end]);
        }
    }
    let _ = end;
    None
}

/// `王小明／台北報導`, `【某某報╱記者李大華／即時報導】`, `〔編譯趙子明／綜合報導〕`: a name
/// before `／<place>報導`, the way Taiwanese and Hong Kong outlets sign.
static PLACE_REPORT: LazyLock<Regex> = LazyLock::new(|| {
    han_regex(concat!(
        r"^\s*[【〔\[(（◎]?\s*(?:{HAN}{2,6}[╱／/])?\s*",
        r"(?:特約記者|特约记者|記者|记者|編譯|编译|文)?\s*({HAN}{2,4})\s*[／/╱]\s*{HAN}{0,8}(?:報導|报道)",
    ))
});

/// Endings of desk and outlet names (`國際中心／綜合報導`, `華視新聞╱報導`): not people.
const DESKS: &[&str] = &[
    "中心", "新聞", "新闻", "報", "报", "社", "台", "網", "网", "部", "組", "组", "室",
];

fn place_report(line: &str) -> Option<String> {
    let name = PLACE_REPORT.captures(line)?.get(1)?.as_str();
    if DESKS.iter().any(|d| name.ends_with(d)) {
        return None;
    }
    clean_name(name)
}

/// A line that ends with a byline label and no name (`某某商报 作者：`): the name is
/// on the next line.
fn ends_with_label(line: &str) -> bool {
    let l = line.trim_end_matches([' ', '　', '：', ':']);
    l.len() < line.trim_end_matches([' ', '　']).len() || l.ends_with("记者") || l.ends_with("記者")
}

/// A line that is only a name or two (`孙立`, `欧阳云 宋宇`).
fn bare_names(line: &str) -> Option<String> {
    let t = line.trim_matches([' ', '　']);
    let parts: Vec<&str> = t
        .split([' ', '　', '、'])
        .filter(|p| !p.is_empty())
        .collect();
    let is_name = |p: &str| {
        (2..=4).contains(&p.chars().count())
            && p.chars().all(|c| ('\u{3400}'..='\u{9fff}').contains(&c))
            && !STOP
                .iter()
                .chain(["記者", "通讯员", "通訊員"].iter())
                .any(|w| p.contains(w))
    };
    (!parts.is_empty() && parts.len() <= 3 && parts.iter().all(|p| is_name(p)))
        .then(|| parts.join("、"))
}

/// Reads bylines from `lines` (header lines first, then the body's last lines).
pub(crate) fn read<'a>(lines: impl IntoIterator<Item = &'a str>) -> Byline {
    let mut b = Byline::default();
    let mut label_before = false;
    for line in lines {
        if line.chars().count() > 200 {
            label_before = false;
            continue;
        }
        if b.author.is_none() && label_before {
            b.author = bare_names(line).or_else(|| reporter(line));
        }
        label_before = (line.contains("作者") || line.contains("记者") || line.contains("記者"))
            && ends_with_label(line);
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
            b.author = AUTHOR
                .captures(&without_editor)
                .and_then(|c| (1..=3).find_map(|k| c.get(k)))
                .and_then(|m| clean_name(m.as_str()))
                .or_else(|| reporter(&without_editor))
                .or_else(|| place_report(&without_editor));
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
        assert_eq!(
            read(["新华社北京12月9日电（记者王攀）"]).author.as_deref(),
            Some("王攀")
        );
        assert_eq!(
            read(["本报记者 张三、李四 报道"]).author.as_deref(),
            Some("张三、李四")
        );
        assert_eq!(
            read(["（记者 欧阳晓明）"]).author.as_deref(),
            Some("欧阳晓明")
        );
        assert_eq!(read(["记者获悉，其妻子陆某已报警。"]).author, None);
        assert_eq!(read(["据记者了解，发生激烈冲突。"]).author, None);
        assert_eq!(
            read(["来源：京华时报(北京)"]).origin.as_deref(),
            Some("京华时报")
        );
        let only_editor = read(["责任编辑：王五"]);
        assert_eq!(only_editor.author, None);
        assert_eq!(only_editor.editor.as_deref(), Some("王五"));
    }
}

#[cfg(test)]
mod traditional_tests {
    use super::read;

    #[test]
    fn traditional_and_place_report_bylines() {
        let author = |l: &[&str]| read(l.iter().copied()).author;
        assert_eq!(author(&["記者王小明／台北報導"]).as_deref(), Some("王小明"));
        assert_eq!(
            author(&["【某某報╱記者李大華／即時報導】"]).as_deref(),
            Some("李大華")
        );
        assert_eq!(
            author(&["〔編譯趙子明／綜合報導〕一項研究發現"]).as_deref(),
            Some("趙子明")
        );
        assert_eq!(author(&["周美玲／台北報導"]).as_deref(), Some("周美玲"));
        assert_eq!(
            author(&["◎ 記者吳佳穎/採訪報導"]).as_deref(),
            Some("吳佳穎")
        );
        assert_eq!(author(&["國際中心／綜合報導"]), None);
        assert_eq!(author(&["華視新聞╱報導"]), None);
        assert_eq!(
            author(&["某某商报 作者：", "孙立"]).as_deref(),
            Some("孙立")
        );
        assert_eq!(
            author(&["作者：", "欧阳云 宋宇"]).as_deref(),
            Some("欧阳云、宋宇")
        );
        assert_eq!(author(&["发布时间：2020-06-10", "孙立"]), None);
        assert_eq!(read(["來源：中央社"]).origin.as_deref(), Some("中央社"));
        assert_eq!(
            author(&["某某报 作者：", "实习记者 孙立"]).as_deref(),
            Some("孙立")
        );
        assert_eq!(
            author(&["某某新闻记者 孙立 王平"]).as_deref(),
            Some("孙立、王平")
        );
        assert_eq!(author(&["某报见习记者 孙立"]).as_deref(), Some("孙立"));
        assert_eq!(author(&["《某某》作者 孙立"]).as_deref(), Some("孙立"));
        assert_eq!(author(&["专家对某某时报记者表示，市场平稳。"]), None);
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
