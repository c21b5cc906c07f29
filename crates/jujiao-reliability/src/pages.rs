//! Ordinary pages the hostile scenarios wrap their traps in: a list page of links and
//! article pages shaped like the office's real sources (title, date, paragraphs).

/// A paragraph long enough to count as article text.
pub const FILLER: &str = "区委常委会召开会议，传达学习上级会议精神，研究部署下一阶段重点工作，强调要坚持稳中求进工作总基调，扎实推进各项任务落实。";

/// The day every hostile article is dated.
pub const DAY: &str = "2026-06-10";

/// A list page: one `<li><a>` per `(href, text)`.
pub fn list(links: &[(String, String)]) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>列表</title></head><body><ul class=\"list\">\n",
    );
    for (href, text) in links {
        html.push_str(&format!(
            "<li><a href=\"{href}\">{text}</a><span>{DAY}</span></li>\n"
        ));
    }
    html.push_str("</ul></body></html>\n");
    html
}

/// An article page with `title` (inserted as is: callers escape what must be escaped)
/// and `paragraphs`, followed by `extra` raw HTML inside the body.
pub fn article(title: &str, paragraphs: &[&str], extra: &str) -> String {
    let mut html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <div class=\"title\"><h1>{title}</h1></div><div class=\"info\">发布时间：{DAY} 09:30 来源：演示区委</div>\
         <div class=\"content\">\n"
    );
    for p in paragraphs {
        html.push_str(&format!("<p>{p}</p>\n"));
    }
    html.push_str(extra);
    html.push_str("</div></body></html>\n");
    html
}

/// A plain article: `title` (raw HTML) plus three paragraphs made unique by `key`
/// (the store files identical text from two URLs once, as a duplicate).
pub fn plain(title: &str, key: &str) -> String {
    let paragraphs: Vec<String> = (1..=3)
        .map(|i| format!("{}（{i}）{FILLER}", escape(key)))
        .collect();
    let refs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    article(title, &refs, "")
}

/// Escapes `&`, `<`, `>` and `"` for HTML text and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
