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
    "記者",
    "通讯员",
    "通訊員",
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

/// Job titles written before a name (`作者：见习编辑 李琼皙`): dropped, the name kept.
const TITLES: &[&str] = &[
    "见习编辑",
    "实习编辑",
    "特约记者",
    "特約記者",
    "见习记者",
    "實習記者",
    "实习记者",
    "本报记者",
    "本報記者",
    "实习生",
    "记者",
    "記者",
    "通讯员",
    "通訊員",
    "编辑",
    "編輯",
];

/// HTML attribute text (`size="20"`, `class=x`) that leaked into a byline field.
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"[A-Za-z][\w-]*\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s"'<>]*)"#).expect("static regex")
});

fn clean_name(s: &str) -> Option<String> {
    let without_attrs = ATTRIBUTE.replace_all(s, " ");
    let mut s = without_attrs
        .trim_matches(|c: char| c.is_whitespace() || "　\"'<>".contains(c))
        .to_string();
    if s.contains(['<', '>', '"', '=']) {
        return None;
    }
    while let Some(t) = TITLES.iter().find(|t| s.starts_with(**t)) {
        s = s[t.len()..]
            .trim_start_matches([' ', '　', ':', '：'])
            .to_string();
    }
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

/// An origin written bare (a `<meta name="ContentSource">` value), cleaned like a name.
pub(crate) fn clean_origin(v: &str) -> Option<String> {
    let v = v.trim();
    (v.chars().count() <= 40).then(|| clean_name(v)).flatten()
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

/// Words that follow `记者` in running text (`记者获悉`, `记者从…了解到`, `記者會`): not
/// names.
const NOT_NAMES: &[&str] = &[
    "会",
    "會",
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

/// `【台灣醒報記者陳昭妤台北報導】`: a reporter's name written straight before a city
/// and 報導, with no separator; the city list tells where the name ends.
static GLUED_PLACE_REPORT: LazyLock<Regex> = LazyLock::new(|| {
    han_regex(concat!(
        r"(?:記者|记者)\s*({HAN}{2,3}?)\s*",
        r"(?:台北|臺北|新北|桃園|桃园|台中|臺中|台南|臺南|高雄|基隆|新竹|苗栗|彰化|南投|雲林|",
        r"嘉義|屏東|宜蘭|花蓮|台東|臺東|澎湖|金門|馬祖|綜合|综合|香港|澳門|澳门|北京|上海)",
        r"(?:報導|报道)",
    ))
});

fn place_report(line: &str) -> Option<String> {
    let name = PLACE_REPORT
        .captures(line)
        .or_else(|| GLUED_PLACE_REPORT.captures(line))?
        .get(1)?
        .as_str();
    if DESKS.iter().any(|d| name.ends_with(d)) || NOT_NAMES.iter().any(|w| name.starts_with(w)) {
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

/// How an author name was found: some ways are surer than others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthorKind {
    /// After a label: `作者：`, `文/`, `撰文`, `By`.
    Labelled,
    /// `记者 唐炜`, `（记者 唐炜）`, `通讯员 王五`.
    Reporter,
    /// `王小明／台北報導`.
    PlaceReport,
    /// A name alone on the line after a label that ended the line before.
    NextLine,
    /// A name at the start of a header line, right before the date (`金错刀 2015-06-23`).
    BeforeDate,
    /// A name left after the outlet in a 来源 field (`来源：全景网 陈祎`).
    AfterOrigin,
    /// A photo credit (`记者 施向辉 摄`): the photographer, taken only when nothing else is.
    Photo,
}

/// What one byline line says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineRead {
    pub author: Option<(String, AuthorKind)>,
    pub origin: Option<String>,
    pub editor: Option<String>,
    /// The line ends with a byline label and no name: the name is on the next line.
    pub label_at_end: bool,
}

/// `记者 施向辉 摄`, `記者楊菁菁攝`, `摄影：王五`: the line credits a photo.
fn is_photo_credit(line: &str, name: &str) -> bool {
    let Some(at) = line.find(name) else {
        return false;
    };
    let rest = line[at + name.len()..].trim_start_matches([' ', '　']);
    rest.starts_with(['摄', '攝']) || line[..at].contains("摄影") || line[..at].contains("攝影")
}

/// `<name> <date>` at the start of a line: a name of 2–4 ideographs that is no outlet.
static NAME_BEFORE_DATE: LazyLock<Regex> =
    LazyLock::new(|| han_regex(r"^\s*({HAN}{2,4})\s*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}"));

/// A name of 2–3 ideographs right after the outlet in a 来源 field, ending the field.
static AFTER_ORIGIN: LazyLock<Regex> = LazyLock::new(|| {
    han_regex(concat!(
        r"(?:来源|來源|稿源)\s*[：:]?\s*{HAN}{2,12}[ 　]+({HAN}{2,3})",
        r"(?:$|[ 　]|\d)",
    ))
});

fn not_outlet(name: &str) -> bool {
    !DESKS.iter().any(|d| name.ends_with(d))
        && !name.ends_with('版')
        && ![
            "原创", "转载", "来源", "來源", "发布", "时间", "日期", "更新", "星期", "首页", "首頁",
            "正文", "发表", "发稿",
        ]
        .iter()
        .any(|w| name.contains(w))
}

/// Reads one line; `label_before` says the line before ended with a byline label.
pub(crate) fn read_line(line: &str, label_before: bool) -> LineRead {
    let mut r = LineRead::default();
    if line.chars().count() > 200 {
        return r;
    }
    if label_before {
        r.author = bare_names(line)
            .map(|n| (n, AuthorKind::NextLine))
            .or_else(|| reporter(line).map(|n| (n, AuthorKind::Reporter)));
    }
    r.label_at_end = (line.contains("作者") || line.contains("记者") || line.contains("記者"))
        && ends_with_label(line);
    if let Some(c) = ORIGIN.captures(line) {
        r.origin = c.get(1).and_then(|m| clean_name(m.as_str()));
    }
    if let Some(c) = EDITOR.captures(line) {
        r.editor = c.get(1).and_then(|m| clean_name(m.as_str()));
    }
    if r.author.is_none() {
        let without_editor = EDITOR.replace_all(line, "");
        let l = without_editor.as_ref();
        r.author = AUTHOR
            .captures(l)
            .and_then(|c| (1..=3).find_map(|k| c.get(k)))
            .and_then(|m| clean_name(m.as_str()))
            .map(|n| (n, AuthorKind::Labelled))
            .or_else(|| place_report(l).map(|n| (n, AuthorKind::PlaceReport)))
            .or_else(|| reporter(l).map(|n| (n, AuthorKind::Reporter)))
            .or_else(|| {
                let n = NAME_BEFORE_DATE.captures(l)?.get(1)?.as_str();
                not_outlet(n)
                    .then(|| clean_name(n))
                    .flatten()
                    .map(|n| (n, AuthorKind::BeforeDate))
            })
            .or_else(|| {
                let n = AFTER_ORIGIN.captures(l)?.get(1)?.as_str();
                not_outlet(n)
                    .then(|| clean_name(n))
                    .flatten()
                    .map(|n| (n, AuthorKind::AfterOrigin))
            });
        if let Some((name, kind)) = &mut r.author
            && *kind == AuthorKind::Reporter
            && is_photo_credit(l, name.split('、').next().unwrap_or(name))
        {
            *kind = AuthorKind::Photo;
        }
    }
    r
}

/// Reads bylines from `lines` in order: the first author, origin and editor found (a
/// photo credit only when no line names an author).
pub(crate) fn read<'a>(lines: impl IntoIterator<Item = &'a str>) -> Byline {
    let mut b = Byline::default();
    let mut photo = None;
    let mut label_before = false;
    for line in lines {
        let r = read_line(line, label_before);
        label_before = r.label_at_end;
        b.origin = b.origin.or(r.origin);
        b.editor = b.editor.or(r.editor);
        match r.author {
            Some((n, AuthorKind::Photo)) => photo = photo.or(Some(n)),
            Some((n, _)) if b.author.is_none() => b.author = Some(n),
            _ => {}
        }
    }
    b.author = b.author.or(photo);
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

#[cfg(test)]
mod ranking_tests {
    use super::{AuthorKind, read, read_line};

    #[test]
    fn job_titles_before_the_name_are_dropped() {
        assert_eq!(
            read(["作者：见习编辑 李琼皙"]).author.as_deref(),
            Some("李琼皙")
        );
        assert_eq!(read(["文/記者 範維"]).author.as_deref(), Some("範維"));
    }

    #[test]
    fn a_photo_credit_is_taken_only_when_nothing_else_is() {
        assert_eq!(
            read_line("快报记者 施向辉 摄", false).author,
            Some(("施向辉".to_string(), AuthorKind::Photo))
        );
        assert_eq!(
            read(["快报记者 施向辉 摄", "□快报记者 刘峻"])
                .author
                .as_deref(),
            Some("刘峻")
        );
        assert_eq!(read(["记者 施向辉 摄"]).author.as_deref(), Some("施向辉"));
    }

    #[test]
    fn a_name_glued_to_the_city_of_the_report() {
        assert_eq!(
            read(["【某某醒報記者陳昭妤台北報導】流感病例頻傳"])
                .author
                .as_deref(),
            Some("陳昭妤")
        );
        assert_eq!(
            read(["〔記者王明綜合報導〕"]).author.as_deref(),
            Some("王明")
        );
        assert_eq!(read(["記者會於台北報導廳舉行"]).author, None);
    }

    #[test]
    fn origin_and_author_in_one_field() {
        let r = read_line("来源：全景网 陈祎", false);
        assert_eq!(r.origin.as_deref(), Some("全景网"));
        assert_eq!(
            r.author,
            Some(("陈祎".to_string(), AuthorKind::AfterOrigin))
        );
        assert_eq!(read_line("来源：人民日报 海外版", false).author, None);
        assert_eq!(read_line("来源：新华网 2024-03-01", false).author, None);
        assert_eq!(read_line("来源：凤凰网 编辑：杨苏雯", false).author, None);
    }

    #[test]
    fn attribute_text_is_no_name() {
        assert_eq!(read(["来源：size=\"20\""]).origin, None);
        assert_eq!(
            read(["来源：新华网 size=\"20\""]).origin.as_deref(),
            Some("新华网")
        );
        assert_eq!(read(["作者：class=byline"]).author, None);
    }
}
