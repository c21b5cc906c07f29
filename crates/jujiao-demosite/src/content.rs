//! The demo site's pages, generated from a few templates written for the demo (no real
//! site's text). Structures follow what the office's real sources do: TRS list pages with
//! `index_N.html` pagination and relative `./YYYYMM/t…html` links, article bodies in
//! `div.TRS_Editor` with nested paragraphs, bylines, images and a PDF attachment, a site
//! in GBK that declares `gb2312` but uses characters outside it, and a newspaper edition
//! with page PDFs.

use chrono::{Duration, NaiveDate};

/// A section (column page) of the demo site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// District leaders' activities (UTF-8, TRS).
    Leaders,
    /// Notices, one with a PDF attachment (UTF-8, TRS).
    Notices,
    /// Economic news in GBK declaring gb2312.
    Economy,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Leaders, Section::Notices, Section::Economy];

    pub fn path(self) -> &'static str {
        match self {
            Section::Leaders => "qwyw/cwhd",
            Section::Notices => "qwyw/tzgg",
            Section::Economy => "cj/gdxw",
        }
    }

    fn count(self) -> usize {
        match self {
            Section::Leaders => 24,
            Section::Notices => 9,
            Section::Economy => 12,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Section::Leaders => "常委活动",
            Section::Notices => "通知公告",
            Section::Economy => "财经滚动",
        }
    }

    pub fn is_gbk(self) -> bool {
        self == Section::Economy
    }
}

/// Items per list page (TRS sites usually show 10–20).
pub const PAGE_SIZE: usize = 10;

/// One article of the demo site.
#[derive(Debug, Clone)]
pub struct DemoArticle {
    pub section: Section,
    pub number: usize,
    pub date: NaiveDate,
    pub title: String,
}

impl DemoArticle {
    /// Path relative to the section: `202611/t20261127_1003.html`.
    pub fn rel(&self) -> String {
        format!(
            "{}/t{}_{}.html",
            self.date.format("%Y%m"),
            self.date.format("%Y%m%d"),
            1000 + self.number
        )
    }
}

const LEADER_TITLES: [&str; 8] = [
    "区委常委会召开第{n}次会议",
    "区领导调研重点项目建设进展",
    "区政府召开常务会议研究优化营商环境工作",
    "区人大常委会开展“我在基层·保民生”专题调研",
    "区委理论学习中心组开展第{n}次集体学习",
    "区领导检查安全生产和消防工作",
    "区委书记主持召开科学城建设推进会",
    "区政协委员视察垃圾分类工作｜现场推进",
];
const NOTICE_TITLES: [&str; 3] = [
    "关于做好第{n}批重点工作任务落实的通知",
    "关于公布2026年度区级科技项目名单的公告",
    "关于调整部分公交线路的通告",
];
const ECONOMY_TITLES: [&str; 4] = [
    "第{n}届中关村论坛签约项目总额创新高",
    "堃喆科技完成新一轮融资 估值超百亿",
    "前三季度全区规上工业增加值同比增长",
    "央行：保持流动性合理充裕",
];
pub(crate) const SENTENCES: [&str; 10] = [
    "会议传达学习了上级有关会议精神，研究部署下一阶段重点工作。",
    "会议指出，要坚持稳中求进工作总基调，统筹推进经济社会发展各项任务。",
    "要聚焦科学城建设，持续优化创新生态，加快培育高精尖产业。",
    "要压实工作责任，细化任务清单，确保各项措施落地见效。",
    "与会同志结合分管工作谈认识体会，提出了具体意见建议。",
    "要坚持以人民为中心的发展思想，扎实办好民生实事。",
    "今年以来，全区上下攻坚克难，主要经济指标保持平稳增长。",
    "下一步，将进一步完善工作机制，强化督促检查，形成工作合力。",
    "调研中，区领导详细了解项目进展情况，听取企业意见建议。",
    "会议还研究了其他事项。",
];

/// Every article of the demo site, newest first per section, dated back from `today`.
pub fn articles(today: NaiveDate) -> Vec<DemoArticle> {
    let mut out = Vec::new();
    for section in Section::ALL {
        let titles: &[&str] = match section {
            Section::Leaders => &LEADER_TITLES,
            Section::Notices => &NOTICE_TITLES,
            Section::Economy => &ECONOMY_TITLES,
        };
        for number in 0..section.count() {
            let date = today - Duration::days((number / 3) as i64);
            let title = titles[number % titles.len()].replace("{n}", &(180 - number).to_string());
            out.push(DemoArticle {
                section,
                number,
                date,
                title,
            });
        }
    }
    out
}

/// The list page `page` (0 = `index.html`) of a section, or `None` past the last page.
pub fn list_page(all: &[DemoArticle], section: Section, page: usize) -> Option<String> {
    let items: Vec<&DemoArticle> = all.iter().filter(|a| a.section == section).collect();
    let pages = items.len().div_ceil(PAGE_SIZE);
    if page >= pages {
        return None;
    }
    let mut lis = String::new();
    for a in items.iter().skip(page * PAGE_SIZE).take(PAGE_SIZE) {
        match section {
            Section::Economy => lis.push_str(&format!(
                "<li><span><a href=\"./{}\" target=\"_blank\">{}</a></span><span class=\"f2\">{}</span></li>\n",
                a.rel(),
                a.title,
                a.date.format("%m/%d 09:30")
            )),
            _ => lis.push_str(&format!(
                "<li><a href=\"./{}\" title=\"{}\">{}</a><b>{}</b></li>\n",
                a.rel(),
                a.title,
                a.title,
                a.date.format("%Y-%m-%d")
            )),
        }
    }
    if section == Section::Leaders && page == 0 {
        // A link the site's robots.txt forbids, one that fails with 500 and one whose
        // page is an error page served with status 200.
        lis.push_str("<li><a href=\"/private/internal.html\">内部通知（仅限内网）</a><b>2026-01-01</b></li>\n");
        lis.push_str("<li><a href=\"./202601/t20260101_9500.html\">服务器出错的页面</a><b>2026-01-01</b></li>\n");
        lis.push_str(
            "<li><a href=\"./202601/t20260101_9404.html\">已删除的页面</a><b>2026-01-01</b></li>\n",
        );
    }
    let mut pager = String::new();
    for p in 0..pages {
        let href = if p == 0 {
            "index.html".to_owned()
        } else {
            format!("index_{p}.html")
        };
        pager.push_str(&format!("<a href=\"{href}\">{}</a> ", p + 1));
    }
    let (charset, list_class) = match section {
        Section::Economy => ("gb2312", "con"),
        _ => ("utf-8", "secList"),
    };
    Some(format!(
        "<!DOCTYPE html>\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\
<title>{name}_演示区政府网站</title></head><body>\
<div class=\"header\"><a href=\"/\">首页</a> <a href=\"/qwyw/cwhd/\">常委活动</a> <a href=\"/qwyw/tzgg/\">通知公告</a> <a href=\"/cj/gdxw/\">财经滚动</a></div>\
<div class=\"main\"><h2>{name}</h2><ul class=\"{list_class}\">\n{lis}</ul>\
<div class=\"page\">{pager}</div></div>\
<div class=\"footer\">主办：演示区人民政府办公室 京ICP备00000000号 <a href=\"/about.html\">关于我们</a></div></body></html>\n",
        name = section.name()
    ))
}

/// An article page.
pub fn article_page(a: &DemoArticle) -> String {
    let mut body = String::new();
    let n = 3 + a.number % 4;
    for i in 0..n {
        let s1 = SENTENCES[(a.number + i) % SENTENCES.len()];
        let s2 = SENTENCES[(a.number * 3 + i + 1) % SENTENCES.len()];
        // Nested paragraphs: the old `div.TRS_Editor > p` selectors missed these.
        if i % 2 == 1 {
            body.push_str(&format!(
                "<div class=\"Custom_UnionStyle\"><p>　　{s1}{s2}</p></div>\n"
            ));
        } else {
            body.push_str(&format!("<p>　　{s1}{s2}</p>\n"));
        }
    }
    if a.section == Section::Leaders && a.number.is_multiple_of(4) {
        body.push_str("<p style=\"text-align:center\"><img src=\"./W020261127_photo.png\" alt=\"会议现场\"></p>\n");
    }
    if a.section == Section::Leaders {
        body.push_str("<p>　　（记者 唐炜）</p>\n");
    }
    if a.section == Section::Notices && a.number == 0 {
        body.push_str(
            "<p>附件：<a href=\"./P020261127_notice.pdf\">重点工作任务清单.pdf</a></p>\n",
        );
    }
    let origin = match a.section {
        Section::Economy => "中国经济演示网",
        _ => "演示区委宣传部",
    };
    let charset = if a.section.is_gbk() {
        "gb2312"
    } else {
        "utf-8"
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\
<meta name=\"PubDate\" content=\"{date} 09:30:00\"><title>{title}_{section}_演示区政府网站</title></head><body>\
<div class=\"header\"><a href=\"/\">首页</a> &gt; <a href=\"../\">{section}</a></div>\
<div class=\"titleCon\"><h1>{title}</h1><div class=\"info\">发布时间：{date} 09:30　来源：{origin}</div></div>\
<div class=\"TRS_Editor\">\n{body}</div>\
<div class=\"related\"><h3>相关新闻</h3><ul><li><a href=\"/qwyw/cwhd/\">更多常委活动</a></li><li><a href=\"/qwyw/tzgg/\">更多通知公告</a></li></ul></div>\
<div class=\"footer\">主办：演示区人民政府办公室 京ICP备00000000号</div></body></html>\n",
        title = a.title,
        section = a.section.name(),
        date = a.date.format("%Y-%m-%d"),
    )
}

/// The newspaper edition's front page for a day: links to its page PDFs, including one
/// that the server answers with an HTML error page and one that is missing.
pub fn edition_page(day: NaiveDate) -> String {
    let d = day.format("%Y-%m/%d");
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>演示日报 {day}</title></head><body>\
<ul class=\"pages\">\
<li><a href=\"/paper/pdf/{d}/01.pdf\">第01版：要闻</a></li>\
<li><a href=\"/paper/pdf/{d}/02.pdf\">第02版：区域</a></li>\
<li><a href=\"/paper/pdf/{d}/03.pdf\">第03版：经济</a></li>\
<li><a href=\"/paper/pdf/{d}/04.pdf\">第04版：专版</a></li>\
</ul></body></html>"
    )
}

/// A small but valid one-page PDF.
pub fn pdf(label: &str) -> Vec<u8> {
    let content = format!("BT /F1 24 Tf 72 720 Td ({label}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x56, 0xc7, 0x2f, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
