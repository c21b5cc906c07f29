//! The 政府信息公开 metadata table: 索引号, 主题分类, 发文机关, 成文日期, 发文字号,
//! 发布日期, 有效性, 公开方式 → [`Disclosure`].
//!
//! Real layouts vary, and all of these are read:
//! - labels with spaces inside (`索　引　号：`, `标&nbsp;&nbsp;题`), with or without the
//!   colon, in `<strong>`/`<b>`/`<th>`/`<td>`/`<span>`/`<dt>`, the value in the next
//!   cell or the rest of the same element;
//! - label and value in one cell split by `：` (`<td>发文字号：京海政发〔2024〕1号</td>`),
//!   even several pairs in one line;
//! - values split over lines (`〔\n2020〕\n68号`): white space inside a value is dropped;
//! - values written by a script (`var fileNum='…';document.write(fileNum)`);
//! - `<meta name="PubDate">` for 发布日期 and `<meta name="ContentSource">` for the
//!   issuer, used only on a page that has a disclosure table (on a news page they are
//!   the publish time and the 来源).
//!
//! The page is read as a sequence of text pieces in document order, each with the
//! table cell or block it sits in. A piece that starts with a label opens a field; its
//! value is the rest of the piece, else the following pieces of the same cell, else the
//! next cell or element, up to the next label.

use crate::html::{Dom, Kind};
use crate::text::{for_each_visible_run, is_space};
use jujiao_model::Disclosure;
use regex::Regex;
use std::sync::LazyLock;

/// Which field a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    IndexNo,
    Topic,
    Issuer,
    WrittenOn,
    DocNumber,
    PublishedOn,
    Validity,
    Method,
    /// A label of the same table that is not a field (标题, 主题词…): it ends the value
    /// before it.
    Other,
}

/// Labels, spaces removed, longest first within a field's group.
const LABELS: &[(&str, Field)] = &[
    ("索引号", Field::IndexNo),
    ("索取号", Field::IndexNo),
    ("主题分类", Field::Topic),
    ("发文机关", Field::Issuer),
    ("发布机构", Field::Issuer),
    ("发文单位", Field::Issuer),
    ("制发机关", Field::Issuer),
    ("成文日期", Field::WrittenOn),
    ("成文时间", Field::WrittenOn),
    ("发文字号", Field::DocNumber),
    ("发文文号", Field::DocNumber),
    ("文号", Field::DocNumber),
    ("发布日期", Field::PublishedOn),
    ("发布时间", Field::PublishedOn),
    ("有效性", Field::Validity),
    ("时效性", Field::Validity),
    ("效力状态", Field::Validity),
    ("公开方式", Field::Method),
    ("标题", Field::Other),
    ("名称", Field::Other),
    ("主题词", Field::Other),
    ("体裁分类", Field::Other),
    ("组配分类", Field::Other),
    ("服务对象分类", Field::Other),
    ("公开时限", Field::Other),
    ("公开范围", Field::Other),
    ("生成日期", Field::Other),
    ("内容概述", Field::Other),
    ("文件编号", Field::DocNumber),
    ("实施日期", Field::Other),
    ("废止日期", Field::Other),
];

/// The longest a value may be (longer text is a paragraph, not a table value).
const MAX_VALUE_CHARS: usize = 80;

/// One text piece and the cell (`td`/`th`/`dd`/`dt`/`li`/`p`…) it belongs to.
struct Piece {
    /// Text with every kind of white space removed.
    text: String,
    cell: usize,
}

static SCRIPT_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:var|let|const)?\s*([A-Za-z_$][\w$]*)\s*=\s*(?:'([^'\n]*)'|"([^"\n]*)")"#)
        .expect("static regex")
});
static SCRIPT_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"document\.write(?:ln)?\(\s*(?:([A-Za-z_$][\w$]*)|'([^'\n]*)'|"([^"\n]*)")\s*\)"#)
        .expect("static regex")
});
static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("static regex"));

/// The disclosure fields of a page; `None` when it has no disclosure table.
pub(crate) fn find(dom: &Dom) -> Option<Disclosure> {
    if !may_hold_table(dom) {
        return None;
    }
    let pieces = pieces(dom);
    let mut d = Disclosure::default();
    let mut k = 0;
    while k < pieces.len() {
        let Some((field, rest)) = label_at(&pieces[k].text) else {
            k += 1;
            continue;
        };
        let cell = pieces[k].cell;
        let mut value = String::new();
        let mut next = k + 1;
        if !rest.is_empty() {
            value.push_str(rest);
        } else {
            // The rest of the cell; when that is empty, the next cell's pieces.
            let mut value_cell = None;
            while next < pieces.len() && label_at(&pieces[next].text).is_none() {
                let c = pieces[next].cell;
                match value_cell {
                    None if c == cell || value.is_empty() => value_cell = Some(c),
                    Some(v) if v == c => {}
                    _ => break,
                }
                value.push_str(&pieces[next].text);
                next += 1;
                if value.chars().count() > MAX_VALUE_CHARS {
                    break;
                }
            }
        }
        set(&mut d, field, &value);
        k = next.max(k + 1);
    }
    let has_table = d.index_no.is_some()
        || d.doc_number.is_some()
        || d.written_on.is_some()
        || d.validity.is_some()
        || d.topic.is_some()
        || d.method.is_some();
    if !has_table {
        return None;
    }
    if d.published_on.is_none() {
        d.published_on = crate::title::meta_content(dom, &["PubDate"])
            .and_then(|v| crate::date::parse(&v))
            .map(|t| t.date());
    }
    if d.issuer.is_none() {
        d.issuer = crate::title::meta_content(dom, &["ContentSource"])
            .map(|v| squash(&v))
            .filter(|v| !v.is_empty() && v.chars().count() <= MAX_VALUE_CHARS);
    }
    Some(d)
}

/// Stores a value read after a label (a repeated label keeps the first value).
fn set(d: &mut Disclosure, field: Field, value: &str) {
    let value = value.trim_matches(|c: char| matches!(c, '：' | ':' | '|' | '丨'));
    if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS || value == "无" {
        return;
    }
    let text = || Some(value.to_string());
    let day = || crate::date::parse(value).map(|t| t.date());
    match field {
        Field::IndexNo if d.index_no.is_none() => d.index_no = text(),
        Field::Topic if d.topic.is_none() => d.topic = text(),
        Field::Issuer if d.issuer.is_none() => d.issuer = text(),
        Field::WrittenOn if d.written_on.is_none() => d.written_on = day(),
        Field::DocNumber if d.doc_number.is_none() => d.doc_number = text(),
        Field::PublishedOn if d.published_on.is_none() => d.published_on = day(),
        Field::Validity if d.validity.is_none() => d.validity = text(),
        Field::Method if d.method.is_none() => d.method = text(),
        _ => {}
    }
}

/// If `text` starts with a label (and a colon, or is the label alone), the field and
/// the text after the colon.
fn label_at(text: &str) -> Option<(Field, &str)> {
    let text = text.trim_start_matches(['【', '[', '·', '*']);
    if !text.chars().next().is_some_and(starts_a_label) {
        return None;
    }
    for &(label, field) in LABELS {
        let Some(rest) = text.strip_prefix(label) else {
            continue;
        };
        let rest = rest.trim_start_matches(['】', ']']);
        if let Some(after) = rest.strip_prefix('：').or_else(|| rest.strip_prefix(':')) {
            return Some((field, after));
        }
        if rest.is_empty() {
            return Some((field, ""));
        }
    }
    None
}

/// True when some label starts with `c`: most characters of a page start none, and
/// [`label_at`] runs at every character of every text piece ([`push_split`]), so this
/// one look-up keeps the table search from comparing every position with every label
/// (it was a quarter of a crawl's CPU time).
fn starts_a_label(c: char) -> bool {
    static FIRST: LazyLock<Vec<char>> = LazyLock::new(|| {
        let mut first: Vec<char> = LABELS
            .iter()
            .filter_map(|(label, _)| label.chars().next())
            .collect();
        first.sort_unstable();
        first.dedup();
        first
    });
    FIRST.binary_search(&c).is_ok()
}

/// Text without white space of any kind (ideographic spaces and no-break spaces too).
fn squash(text: &str) -> String {
    text.chars().filter(|c| !is_space(*c)).collect()
}

/// Elements that make a cell: the value of a label is looked for in its own cell first.
fn is_cell(name: &str) -> bool {
    matches!(
        name,
        "td" | "th"
            | "dd"
            | "dt"
            | "li"
            | "p"
            | "div"
            | "tr"
            | "table"
            | "ul"
            | "dl"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "body"
    )
}

/// The page's visible text in document order, as [`pieces`] reads it: `each(node, text)`
/// for every text node (its text as parsed) and every script that writes text (the
/// written text, white space already removed; `written` is true). Invisible elements
/// and `<title>` are skipped.
fn walk(dom: &Dom, mut each: impl FnMut(usize, &str, bool)) {
    let mut i = 0;
    while i < dom.nodes.len() {
        match &dom.nodes[i].kind {
            Kind::Element(e) if &*e.name == "script" => {
                if let Some(written) = dom.text_of_raw(i).and_then(script_written) {
                    each(i, &written, true);
                }
                i = dom.end(i).max(i + 1);
                continue;
            }
            Kind::Element(e) if crate::text::is_invisible(&e.name) || &*e.name == "title" => {
                i = dom.end(i).max(i + 1);
                continue;
            }
            Kind::Text(t) => each(i, t, false),
            _ => {}
        }
        i += 1;
    }
}

/// False when the page cannot hold a disclosure table: none of the labels that make one
/// (索引号, 发文字号, 成文日期, 有效性, 主题分类, 公开方式…) occurs in its visible text with white
/// space removed. Every piece [`pieces`] makes is a part of that text (a text node, two
/// neighbouring ones joined, or a script's written text), so a page this rejects has no
/// piece that starts with such a label. Most pages are news pages without a table, and
/// this one pass over their text costs far less than cutting it into pieces.
fn may_hold_table(dom: &Dom) -> bool {
    static TABLE_LABELS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        LABELS
            .iter()
            .filter(|(_, field)| makes_table(*field))
            .map(|(label, _)| *label)
            .collect()
    });
    let mut text = String::new();
    walk(dom, |_, t, _| {
        for_each_visible_run(t, |run| text.push_str(run));
    });
    TABLE_LABELS
        .iter()
        .any(|label| memchr::memmem::find(text.as_bytes(), label.as_bytes()).is_some())
}

/// True for the fields whose presence makes a page's labels a disclosure table (see
/// [`find`]); 发文机关 and 发布日期 alone occur on news pages too.
fn makes_table(field: Field) -> bool {
    matches!(
        field,
        Field::IndexNo
            | Field::DocNumber
            | Field::WrittenOn
            | Field::Validity
            | Field::Topic
            | Field::Method
    )
}

/// The page's text pieces in order. A piece holding several `label：value` pairs (one
/// line of a `<p>`) is split at each label; script-written values become pieces.
fn pieces(dom: &Dom) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    walk(dom, |i, t, written| {
        if written {
            push_split(&mut out, t, cell_of(dom, i));
            return;
        }
        let text = squash(t);
        if text.is_empty() {
            return;
        }
        let cell = cell_of(dom, i);
        // `索<span>　</span>引<span>　</span>号：` is one label.
        match out.pop() {
            Some(last) if last.cell == cell && continues_label(&last.text, &text) => {
                push_split(&mut out, &format!("{}{text}", last.text), cell);
            }
            last => {
                out.extend(last);
                push_split(&mut out, &text, cell);
            }
        }
    });
    out
}

/// True when `before` is the start of a label split by markup and `after` goes on with
/// it (more of the label, or the colon after a whole label).
fn continues_label(before: &str, after: &str) -> bool {
    LABELS.iter().any(|(l, _)| {
        (l.len() > before.len() && l.starts_with(before))
            || (*l == before && after.starts_with(['：', ':']))
    })
}

/// Splits `text` before every label that follows a value (`索引号：A主题分类：B`).
fn push_split(out: &mut Vec<Piece>, text: &str, cell: usize) {
    let mut start = 0;
    let mut cuts = Vec::new();
    for (pos, c) in text.char_indices().skip(1) {
        if starts_a_label(c)
            && let Some((_, _)) = label_at(&text[pos..])
            && LABELS.iter().any(|(l, _)| {
                text[pos..]
                    .strip_prefix(l)
                    .is_some_and(|r| r.starts_with(['：', ':']))
            })
        {
            cuts.push(pos);
        }
    }
    for cut in cuts {
        if cut > start {
            out.push(Piece {
                text: text[start..cut].to_string(),
                cell,
            });
        }
        start = cut;
    }
    out.push(Piece {
        text: text[start..].to_string(),
        cell,
    });
}

/// The nearest ancestor of `i` that is a cell.
fn cell_of(dom: &Dom, i: usize) -> usize {
    let mut j = dom.nodes[i].parent as usize;
    while j != 0 && !is_cell(dom.name(j)) {
        j = dom.nodes[j].parent as usize;
    }
    j
}

/// What a small inline script writes into the page: `document.write(x)` of a variable
/// assigned a string literal, else of literals; markup removed. `None` for other
/// scripts. Pages write a placeholder when the variable is empty
/// (`if(fileNum==''){document.write('无')}else{document.write(fileNum)}`): a variable
/// with a value wins over the literals.
fn script_written(script: &str) -> Option<String> {
    if script.len() > 4096 {
        return None;
    }
    let mut from_vars = String::new();
    let mut literals = String::new();
    for w in SCRIPT_WRITE.captures_iter(script) {
        if let Some(var) = w.get(1) {
            let value = SCRIPT_VAR
                .captures_iter(script)
                .filter(|v| &v[1] == var.as_str())
                .filter_map(|v| {
                    v.get(2)
                        .or_else(|| v.get(3))
                        .map(|m| m.as_str().to_string())
                })
                .find(|v| !v.is_empty())
                .unwrap_or_default();
            from_vars.push_str(&TAGS.replace_all(&value, ""));
        } else if let Some(m) = w.get(2).or_else(|| w.get(3)) {
            literals.push_str(&TAGS.replace_all(m.as_str(), ""));
        }
    }
    let written = squash(if from_vars.is_empty() {
        &literals
    } else {
        &from_vars
    });
    (!written.is_empty()).then_some(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn fixture(name: &str) -> Disclosure {
        let path = format!(
            "{}/tests/fixtures/disclosure/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let page = crate::decode(&bytes, None);
        find(&crate::html::parse(&page.text)).unwrap_or_else(|| panic!("{name}: no table"))
    }

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn table_with_bold_labels_and_ideographic_spaces() {
        let d = fixture("gov_table.html");
        assert_eq!(d.index_no.as_deref(), Some("000014349/2020-00068"));
        assert_eq!(d.topic.as_deref(), Some("财政、金融、审计\\其他"));
        assert_eq!(d.issuer.as_deref(), Some("国务院办公厅"));
        assert_eq!(d.written_on, day(2020, 6, 8));
        assert_eq!(d.doc_number.as_deref(), Some("国办发〔2020〕18号"));
        assert_eq!(d.published_on, day(2020, 6, 10));
        assert_eq!(d.validity, None);
    }

    #[test]
    fn th_labels_without_colons() {
        let d = fixture("th_table.html");
        assert_eq!(d.index_no.as_deref(), Some("11110108000016063X/2024-00012"));
        assert_eq!(d.issuer.as_deref(), Some("北京市海淀区人民政府"));
        assert_eq!(d.doc_number.as_deref(), Some("京海政发〔2024〕1号"));
        assert_eq!(d.validity.as_deref(), Some("现行有效"));
        assert_eq!(d.method.as_deref(), Some("主动公开"));
        assert_eq!(d.written_on, day(2024, 1, 3));
        assert_eq!(d.published_on, day(2024, 1, 5));
    }

    #[test]
    fn label_and_value_in_one_cell_and_values_over_lines() {
        let d = fixture("one_cell.html");
        assert_eq!(d.index_no.as_deref(), Some("11110000000000000A/2020-00371"));
        assert_eq!(d.topic.as_deref(), Some("综合政务/政务公开"));
        assert_eq!(d.issuer.as_deref(), Some("北京市人民政府办公厅"));
        assert_eq!(d.doc_number.as_deref(), Some("京政办发〔2020〕68号"));
        assert_eq!(d.written_on, day(2020, 12, 21));
        assert_eq!(d.published_on, day(2020, 12, 25));
        assert_eq!(d.validity.as_deref(), Some("失效"));
    }

    #[test]
    fn values_written_by_script_and_meta_tags() {
        let d = fixture("script_meta.html");
        assert_eq!(d.doc_number.as_deref(), Some("京海政办发〔2023〕7号"));
        assert_eq!(d.index_no.as_deref(), Some("11110108MB0123456X/2023-00107"));
        assert_eq!(d.validity.as_deref(), Some("废止"));
        // 发布日期 and the issuer only in <meta>.
        assert_eq!(d.published_on, day(2023, 5, 18));
        assert_eq!(d.issuer.as_deref(), Some("北京市海淀区人民政府办公室"));
        assert_eq!(d.written_on, day(2023, 5, 16));
    }

    #[test]
    fn list_items_with_span_labels_several_pairs_on_a_line() {
        let d = fixture("li_spans.html");
        assert_eq!(d.index_no.as_deref(), Some("000013338/2022-00421"));
        assert_eq!(d.topic.as_deref(), Some("城乡建设、环境保护"));
        assert_eq!(d.issuer.as_deref(), Some("某某市生态环境局"));
        assert_eq!(d.doc_number.as_deref(), Some("某环发〔2022〕15号"));
        assert_eq!(d.written_on, day(2022, 9, 1));
        assert_eq!(d.published_on, day(2022, 9, 2));
        assert_eq!(d.validity.as_deref(), Some("现行有效"));
    }

    /// The filing day stays the publish day: 发布日期, not the 成文日期 listed first.
    #[test]
    fn the_publish_day_is_the_tables_publish_day_not_the_written_day() {
        for (name, published) in [
            ("one_cell.html", day(2020, 12, 25)),
            ("th_table.html", day(2024, 1, 5)),
            ("gov_table.html", day(2020, 6, 10)),
            ("li_spans.html", day(2022, 9, 2)),
        ] {
            let path = format!(
                "{}/tests/fixtures/disclosure/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            let bytes = std::fs::read(&path).expect("fixture");
            let x = crate::extract(&bytes, None, None, None).expect("extracted");
            assert_eq!(x.publish_time.map(|t| t.date()), published, "{name}");
            assert!(x.disclosure.is_some(), "{name}");
            let article = x.to_article("s", "https://gov.example/1.html");
            assert_eq!(article.disclosure, x.disclosure, "{name}");
        }
    }

    #[test]
    fn a_news_page_has_no_disclosure() {
        let page = "<html><head><meta name=\"PubDate\" content=\"2024-01-05 10:00\">\
<meta name=\"ContentSource\" content=\"海淀区融媒体中心\"></head><body><h1>区领导调研</h1>\
<div>发布时间：2024-01-05 来源：海淀区融媒体中心</div><p>正文正文。</p></body></html>";
        assert_eq!(find(&crate::html::parse(page)), None);
    }

    #[test]
    fn only_pages_with_a_table_label_are_cut_into_pieces() {
        let may = |html: &str| may_hold_table(&crate::html::parse(html));
        // A news page: 发布时间 and 来源 are not labels that make a table.
        assert!(!may(
            "<div class=info><span>发布时间：2024-10-15</span><span>来源：区政府办</span></div><p>区委召开常委会。</p>"
        ));
        // A label split by markup and white space.
        assert!(may(
            "<td>索<span>　</span>引<span>&nbsp;</span>号：</td><td>000014348/2024-00001</td>"
        ));
        // A label written by a script.
        assert!(may(
            "<td><script>document.write('有效性：有效')</script></td>"
        ));
        // Text in a style element is not read, as in `pieces`.
        assert!(!may("<style>/* 索引号： */</style><p>正文</p>"));
        let page = "<table><tr><td>索<span>　</span>引<span>　</span>号：</td>\
            <td>000014348/2024-00001</td></tr></table>";
        assert_eq!(
            find(&crate::html::parse(page)).and_then(|d| d.index_no),
            Some("000014348/2024-00001".into())
        );
    }

    #[test]
    fn script_written_reads_variables_and_literals() {
        assert_eq!(
            script_written(
                "var fileNum='京海政发〔2024〕1号';if(fileNum==''){document.write('无')}else{document.write(fileNum)}"
            ),
            Some("京海政发〔2024〕1号".into())
        );
        assert_eq!(
            script_written("var str = \"现行有效\"; document.write(str);"),
            Some("现行有效".into())
        );
        assert_eq!(script_written("window.location='x'"), None);
        assert_eq!(
            script_written("var f='';if(f==''){document.write('无')}else{document.write(f)}"),
            Some("无".into())
        );
    }
}
