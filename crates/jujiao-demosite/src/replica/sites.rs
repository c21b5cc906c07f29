//! The replica sites' pages, one function per site, each shaped as
//! `../shared/SOURCES-TODAY.md` describes the real one (the evidence is named beside
//! each). Three articles per list, dated [`EDITION_DAY`] and the two days before.

use axum::http::{HeaderMap, Uri};

/// Every host the replicas answer for.
pub const REPLICA_HOSTS: &[&str] = &[
    "hdqw.bjhd.gov.cn",
    "hdrd.bjhd.gov.cn",
    "www.bjhd.gov.cn",
    "zyk.bjhd.gov.cn",
    "www.gov.cn",
    "world.people.com.cn",
    "www.ce.cn",
    "www.beijing.gov.cn",
    "www.nhc.gov.cn",
    "www.12371.cn",
    "jhsjk.people.cn",
    "paper.people.com.cn",
    "bjrbdzb.bjd.com.cn",
    "www.haidian001.com",
];

/// The day the replicas' newest articles and newspaper editions carry (a Friday).
pub const EDITION_DAY: (i32, u32, u32) = (2026, 12, 4);
/// A Sunday: 北京日报 has no edition (its day page answers 404).
pub const NO_EDITION_DAY: (i32, u32, u32) = (2026, 12, 6);

/// What a replica answers.
pub(crate) struct Answer {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    /// `Location` of a redirect.
    pub location: Option<String>,
}

const HTML: Option<&str> = Some("text/html; charset=utf-8");

fn ok(body: String) -> Answer {
    Answer {
        location: None,
        status: 200,
        content_type: HTML,
        body: body.into_bytes(),
    }
}

fn status(code: u16, text: &str) -> Answer {
    Answer {
        location: None,
        status: code,
        content_type: HTML,
        body: format!("<html><body><h1>{code}</h1><p>{text}</p></body></html>").into_bytes(),
    }
}

fn not_found() -> Answer {
    status(404, "页面不存在")
}

/// GBK bytes of a page that declares gb2312 (人民网, 中国经济网).
fn gbk(body: &str) -> Answer {
    let (bytes, _, _) = encoding_rs::GBK.encode(body);
    Answer {
        location: None,
        status: 200,
        content_type: Some("text/html"),
        body: bytes.into_owned(),
    }
}

/// A small PDF (the `%PDF-` signature and a little body).
fn pdf(name: &str) -> Answer {
    Answer {
        location: None,
        status: 200,
        content_type: Some("application/pdf"),
        body: format!("%PDF-1.4\n% replica page {name}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
            .into_bytes(),
    }
}

/// The three days of the lists: (yyyy, mm, dd).
fn days() -> [(i32, u32, u32); 3] {
    let (y, m, d) = EDITION_DAY;
    [(y, m, d), (y, m, d - 1), (y, m, d - 2)]
}

/// Titles per site, newest first.
fn titles(site: &str) -> [String; 3] {
    let t = |a: &str, b: &str, c: &str| [a.to_owned(), b.to_owned(), c.to_owned()];
    match site {
        "hdqw-cwhd" => t(
            "区委常委会召开会议研究部署近期重点工作",
            "区委书记调研中关村科学城建设",
            "区委常委会传达学习全会精神",
        ),
        "hdqw-tzgg" => t(
            "关于开展冬季安全生产检查的通知",
            "关于做好岁末年初有关工作的通知",
            "关于举办理论学习专题讲座的通知",
        ),
        "hdrd" => t(
            "区人大常委会召开第二十次会议",
            "区人大代表视察街道民生实事项目",
            "区人大常委会开展执法检查",
        ),
        "bjhd" => t(
            "海淀区召开区委常委会扩大会议",
            "区领导调研中关村科学城创新街区",
            "海淀区部署冬季供暖保障工作",
        ),
        "gov" => t(
            "国务院常务会议研究部署稳就业工作",
            "国务院新闻办公室举行新闻发布会",
            "全国冬春农田水利建设工作推进",
        ),
        "people" => t(
            "联合国气候变化大会闭幕 多方呼吁加强合作",
            "多国领导人出席东盟峰会 聚焦区域发展",
            "国际观察：全球贸易格局出现新变化",
        ),
        "ce" => t(
            "11月制造业采购经理指数回升至扩张区间",
            "前11个月全国铁路发送旅客创新高",
            "多地出台措施促进消费持续恢复",
        ),
        "yaowen" => t(
            "北京市召开全市冬季安全工作会议",
            "北京市政府常务会议研究城市更新工作",
            "北京冬季供暖平稳运行 市民温暖过冬",
        ),
        "gqrd" => t(
            "朝阳区打造国际消费中心城市主承载区",
            "海淀区发布人工智能产业新政策",
            "丰台区推进丽泽金融商务区建设",
        ),
        "12371" => t(
            "深入学习贯彻党的创新理论",
            "以学促干推动高质量发展见实效",
            "把调查研究贯穿主题教育始终",
        ),
        "jhsjk" => t(
            "在中央经济工作会议上的讲话",
            "在全国劳动模范表彰大会上的讲话",
            "在二十届中央政治局集体学习时的讲话",
        ),
        _ => t(
            "第一篇文章的标题文字",
            "第二篇文章的标题文字",
            "第三篇文章的标题文字",
        ),
    }
}

/// Paragraphs of an article about `title`.
fn paragraphs(title: &str) -> [String; 3] {
    [
        format!("本网讯　{title}。会议强调，要坚持以人民为中心的发展思想，把各项工作抓实抓细，确保取得实效。"),
        "会议指出，今年以来各项工作稳步推进，经济社会发展保持良好态势，群众获得感、幸福感、安全感持续增强。".to_owned(),
        "会议要求，各部门要加强统筹协调，压实工作责任，狠抓任务落实，以实际行动推动各项决策部署落地见效。".to_owned(),
    ]
}

fn ps(title: &str) -> String {
    paragraphs(title)
        .iter()
        .map(|p| format!("<p>{p}</p>"))
        .collect()
}

fn ymd((y, m, d): (i32, u32, u32)) -> String {
    format!("{y}-{m:02}-{d:02}")
}

fn compact((y, m, d): (i32, u32, u32)) -> String {
    format!("{y}{m:02}{d:02}")
}

/// Answers one request to one of the replica hosts.
pub(crate) fn answer(host: &str, uri: &Uri, headers: &HeaderMap) -> Answer {
    let path = uri.path();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let is_browser = header("user-agent").starts_with("Mozilla/5.0");
    if path == "/robots.txt" && host != "www.nhc.gov.cn" {
        return Answer {
            location: None,
            status: 200,
            content_type: Some("text/plain"),
            body: b"User-agent: *\nDisallow: /private/\n".to_vec(),
        };
    }
    match host {
        "hdqw.bjhd.gov.cn" => hdqw(path),
        "hdrd.bjhd.gov.cn" => hdrd(path),
        // RSSHub gov/beijing/bjhd (2026): a Referer is required.
        "www.bjhd.gov.cn" | "zyk.bjhd.gov.cn" => {
            let referer = header("referer");
            if !(referer.starts_with("https://www.bjhd.gov.cn/")
                || referer.starts_with("https://www.beijing.gov.cn/"))
            {
                return status(403, "Forbidden: 非法访问");
            }
            bjhd(host, path)
        }
        "www.gov.cn" => gov(path),
        "world.people.com.cn" => people(path),
        "www.ce.cn" => ce(path),
        // RSSHub gov/beijing (2025–2026): Referer https://www.beijing.gov.cn/ required.
        "www.beijing.gov.cn" => {
            if !header("referer").starts_with("https://www.beijing.gov.cn/") {
                return status(403, "Forbidden");
            }
            beijing(path)
        }
        // RSSHub issue #3906: 412 and a script-only page that sets a cookie.
        "www.nhc.gov.cn" => Answer {
            location: None,
            status: 412,
            content_type: HTML,
            body: concat!(
                "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">",
                "<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=41283;",
                "$_ts.cd=\"qbxrrpAlEaqxcGAlqqWkcsAqxcqXcqQ\";</script>",
                "<script type=\"text/javascript\" r='m' src=\"/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js\"></script>",
                "</head><body></body></html>"
            )
            .as_bytes()
            .to_vec(),
        },
        "www.12371.cn" => party(path),
        // alisen39/whatshot people_cn.py: 403 without a browser User-Agent.
        "jhsjk.people.cn" => {
            if !is_browser {
                return status(403, "Forbidden");
            }
            jhsjk(uri)
        }
        "paper.people.com.cn" => rmrb(path),
        "bjrbdzb.bjd.com.cn" => {
            if !is_browser {
                return status(403, "Forbidden");
            }
            bjrb(path)
        }
        "www.haidian001.com" => hdb(path),
        _ => not_found(),
    }
}

/// A TRS list `ul.<class> > li > a` with the date in `<tag>` (海淀区委, 区人大).
fn trs_list(head: &str, class: &str, date_tag: &str, items: &[(String, String, String)]) -> String {
    let lis: String = items
        .iter()
        .map(|(href, title, date)| {
            format!("<li><a href=\"{href}\" target=\"_blank\" title=\"{title}\">{title}</a><{date_tag}>{date}</{date_tag}></li>\n")
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{head}</title></head><body>\
<div class=\"header\"><a href=\"/\">首页</a><a href=\"/qwyw/\">区委要闻</a><a href=\"/zwgk/\">政务公开</a></div>\
<div class=\"main\"><h2>{head}</h2><ul class=\"{class}\">\n{lis}</ul>\
<div class=\"page\"><a href=\"./index_1.html\">下一页</a></div></div>\
<div class=\"footer\">主办：中共北京市海淀区委 <a href=\"/wzdt/\">网站地图</a></div></body></html>"
    )
}

/// The old system's TRS article: `div.titleCon > h1` or `h1`, `div.TRS_Editor`.
fn trs_article(title: &str, date: &str, origin: &str, title_wrap: bool) -> String {
    let h1 = if title_wrap {
        format!("<div class=\"titleCon\"><h1>{title}</h1></div>")
    } else {
        format!("<h1>{title}</h1>")
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
<meta name=\"PubDate\" content=\"{date} 09:30\"></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a> &gt; <a href=\"../\">栏目</a></div>{h1}\
<div class=\"info\"><span>发布时间：{date}</span><span>来源：{origin}</span></div>\
<div class=\"TRS_Editor\">{}</div><div class=\"footer\">版权所有</div></body></html>",
        ps(title)
    )
}

/// 海淀区委 (https now, .htm articles; 2020 selectors).
fn hdqw(path: &str) -> Answer {
    for (col, key, head) in [
        ("cwhd", "hdqw-cwhd", "常委活动"),
        ("tzgg", "hdqw-tzgg", "通知公告"),
    ] {
        let dir = format!("/qwyw/{col}/");
        let Some(rest) = path.strip_prefix(&dir) else {
            continue;
        };
        let titles = titles(key);
        let items: Vec<(String, String, String)> = days()
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let ym = &compact(*d)[..6];
                (
                    format!(
                        "./{ym}/t{}_48065{i}{}.htm",
                        compact(*d),
                        if col == "tzgg" { 1 } else { 0 }
                    ),
                    titles[i].clone(),
                    ymd(*d),
                )
            })
            .collect();
        if rest.is_empty() || rest == "index.html" {
            return ok(trs_list(head, "secList", "b", &items));
        }
        if let Some((_, title, date)) = items
            .iter()
            .find(|(href, _, _)| href.strip_prefix("./") == Some(rest))
        {
            return ok(trs_article(title, date, "中共北京市海淀区委办公室", true));
        }
    }
    not_found()
}

/// 海淀区人大 (no evidence after 2020: the 2020 shape).
fn hdrd(path: &str) -> Answer {
    let Some(rest) = path.strip_prefix("/xwzx/jdxw/") else {
        return not_found();
    };
    let titles = titles("hdrd");
    let items: Vec<(String, String, String)> = days()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                format!("./{}/t{}_31200{i}.html", &compact(*d)[..6], compact(*d)),
                titles[i].clone(),
                ymd(*d),
            )
        })
        .collect();
    if rest.is_empty() || rest == "index.html" {
        return ok(trs_list("焦点新闻", "txtList", "span", &items));
    }
    match items
        .iter()
        .find(|(href, _, _)| href.strip_prefix("./") == Some(rest))
    {
        Some((_, title, date)) => ok(trs_article(title, date, "海淀区人大常委会办公室", false)),
        None => not_found(),
    }
}

/// 海淀区政府 要闻 (RSSHub gov/beijing/bjhd, 2026): the list is written by
/// `document.write` lines; focus pictures under /ywdt/jdt/; articles on zyk with
/// `.shtml` and `_hd.shtml`, meta PubDate and ContentSource, body #mainText.
fn bjhd(host: &str, path: &str) -> Answer {
    let titles = titles("bjhd");
    let urls: Vec<String> = days()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let hd = if i == 1 { "_hd" } else { "" };
            format!(
                "/ywdt/hdyw/{}/t{}_48010{i}{hd}.shtml",
                &compact(*d)[..6],
                compact(*d)
            )
        })
        .collect();
    if host == "www.bjhd.gov.cn" && (path == "/ywdt/" || path == "/ywdt/index.shtml") {
        let mut lines = String::from(
            "document.write('<li class=\"jdt\"><a href=\"https://zyk.bjhd.gov.cn/ywdt/jdt/202612/t20261204_4801999.shtml\"><img src=\"/img/jdt.jpg\">焦点图：海淀冬日美景</a></li>');\n",
        );
        for (i, d) in days().iter().enumerate() {
            // One line whole, one split into a concatenation, as the real script varies.
            if i == 1 {
                lines.push_str(&format!(
                    "document.write('<li><a href=\"https://zyk.bjhd.gov.cn{}\" target=\"_blank\" ' + 'title=\"{}\">' + '{}' + '</a>');\ndocument.writeln(\"<span>{}</span></li>\");\n",
                    urls[i], titles[i], titles[i], ymd(*d)
                ));
            } else {
                lines.push_str(&format!(
                    "document.write('<li><a href=\"https://zyk.bjhd.gov.cn{}\" target=\"_blank\" title=\"{}\">{}</a><span>{}</span></li>');\n",
                    urls[i], titles[i], titles[i], ymd(*d)
                ));
            }
        }
        return ok(format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>要闻动态_北京市海淀区人民政府</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/zwgk/\">政务公开</a><a href=\"/hdyw/\">要闻动态</a><a href=\"/hdfw/\">政务服务</a></div>\
<div class=\"listBox\"><ul class=\"list\">\n<script type=\"text/javascript\">\n{lines}</script>\n</ul></div>\
<div class=\"footer\">主办：北京市海淀区人民政府办公室</div></body></html>"
        ));
    }
    if host == "zyk.bjhd.gov.cn"
        && let Some(i) = urls.iter().position(|u| u == path)
    {
        let d = ymd(days()[i]);
        let title = &titles[i];
        return ok(format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_北京市海淀区人民政府</title>\
<meta name=\"PubDate\" content=\"{d} 10:12:00\"><meta name=\"ContentSource\" content=\"海淀区融媒体中心\"></head><body>\
<div class=\"nav\"><a href=\"https://www.bjhd.gov.cn/\">首页</a></div><div class=\"article\"><h1>{title}</h1>\
<div class=\"info\">发布时间：{d}　来源：海淀区融媒体中心</div><div id=\"mainText\">{}</div></div>\
<div class=\"footer\">主办：北京市海淀区人民政府办公室</div></body></html>",
            ps(title)
        ));
    }
    not_found()
}

/// 中国政府网 要闻 (RSSHub gov/cn/news): a JSON list; articles with meta
/// firstpublishedtime (both forms) and #UCAP-CONTENT.
fn gov(path: &str) -> Answer {
    let titles = titles("gov");
    let urls: Vec<String> = days()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "/yaowen/liebiao/{}/content_705000{i}.htm",
                &compact(*d)[..6]
            )
        })
        .collect();
    // The 2020 list URL now redirects to the home page, which holds no list.
    if path.starts_with("/xinwen/") {
        return Answer {
            location: Some("https://www.gov.cn/".into()),
            status: 301,
            content_type: HTML,
            body: Vec::new(),
        };
    }
    if path == "/" {
        return ok("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>中国政府网</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/yaowen/\">要闻</a><a href=\"/zhengce/\">政策</a></div></body></html>".into());
    }
    if path == "/yaowen/liebiao/YAOWENLIEBIAO.json" {
        let items: Vec<String> = days()
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!(
                    "{{\"TITLE\":\"{}\",\"URL\":\"https://www.gov.cn{}\",\"DOCRELPUBTIME\":\"{} 18:0{i}\",\"SUB_TITLE\":\"\"}}",
                    titles[i],
                    urls[i],
                    ymd(*d)
                )
            })
            .collect();
        return Answer {
            location: None,
            status: 200,
            content_type: Some("application/json"),
            body: format!("[{}]", items.join(",")).into_bytes(),
        };
    }
    let Some(i) = urls.iter().position(|u| u == path) else {
        return not_found();
    };
    let d = ymd(days()[i]);
    // Both forms seen: `YYYY-MM-DD HH:mm:ss` and `YYYY-MM-DD-HH:mm:ss`.
    let first = if i == 1 {
        format!("{d}-18:01:00")
    } else {
        format!("{d} 18:0{i}:00")
    };
    let title = &titles[i];
    ok(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_要闻_中国政府网</title>\
<meta name=\"firstpublishedtime\" content=\"{first}\"><meta name=\"author\" content=\"新华社\"></head><body>\
<div class=\"header\"><a href=\"/\">首页</a><a href=\"/yaowen/\">要闻</a></div>\
<div class=\"article\"><h1 id=\"ti\">{title}</h1><div class=\"pages-date\">{d} 18:0{i}　来源：新华社</div>\
<div id=\"UCAP-CONTENT\" class=\"trs_editor_view\">{}</div></div><div class=\"footer\">中国政府网</div></body></html>",
        ps(title)
    ))
}

/// 人民网 国际 (RSSHub people): GBK, links in `div.p2j_list`, body `.rm_txt_con`, the
/// date `YYYY年MM月DD日HH:MM` in the page.
fn people(path: &str) -> Answer {
    let titles = titles("people");
    let urls: Vec<String> = days()
        .iter()
        .enumerate()
        .map(|(i, d)| format!("/n1/{}/{}/c1002-4060000{i}.html", d.0, &compact(*d)[4..]))
        .collect();
    if path == "/GB/157278/index.html" {
        let lis: String = days()
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!(
                    "<li><a href='{}' target=_blank>{}</a> <i>{}</i></li>\n",
                    urls[i],
                    titles[i],
                    ymd(*d)
                )
            })
            .collect();
        return gbk(&format!(
            "<html><head><meta http-equiv=\"content-type\" content=\"text/html;charset=GB2312\"><title>滚动--国际--人民网</title></head><body>\
<div class=\"nav\"><a href=\"http://www.people.com.cn/\">人民网首页</a><a href=\"/GB/1029/\">时事</a><a href=\"/GB/157278/\">滚动</a></div>\
<div class=\"p2j_list\"><ul>\n{lis}</ul></div><div class=\"footer\">人民网版权所有</div></body></html>"
        ));
    }
    let Some(i) = urls.iter().position(|u| u == path) else {
        return not_found();
    };
    let (y, m, d) = days()[i];
    let title = &titles[i];
    gbk(&format!(
        "<html><head><meta http-equiv=\"content-type\" content=\"text/html;charset=GB2312\"><title>{title}--国际--人民网</title></head><body>\
<div class=\"nav\"><a href=\"http://www.people.com.cn/\">人民网首页</a></div><div class=\"col-1\"><h1>{title}</h1>\
<div class=\"col-1-1\">{y}年{m:02}月{d:02}日08:3{i} | 来源：人民网－国际频道</div>\
<div class=\"rm_txt_con cf\">{}</div></div><div class=\"footer\">人民网版权所有</div></body></html>",
        ps(title)
    ))
}

/// 中国经济网 滚动: the 2025 URL scheme `/YYYYMM/tYYYYMMDD_N.shtml`; the old template's
/// `span#articleTime` and `div.TRS_Editor`; titles end `_中国经济网`; gb2312.
fn ce(path: &str) -> Answer {
    let titles = titles("ce");
    let urls: Vec<String> = days()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "/xwzx/gnsz/gdxw/{}/t{}_291683{i}.shtml",
                &compact(*d)[..6],
                compact(*d)
            )
        })
        .collect();
    if path == "/xwzx/gnsz/gdxw/" || path == "/xwzx/gnsz/gdxw/index.shtml" {
        let lis: String = days()
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!(
                    "<li><span class=\"f1\"><a href=\"{}\" target=\"_blank\">{}</a></span><span class=\"f2\">{:02}/{:02} 10:0{i}</span></li>\n",
                    urls[i], titles[i], d.1, d.2
                )
            })
            .collect();
        return gbk(&format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>滚动新闻_中国经济网</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/xwzx/\">新闻</a><a href=\"/cysc/\">产业</a></div>\
<div class=\"left\"><ul class=\"news-list\">\n{lis}</ul></div><div class=\"footer\">中国经济网版权所有</div></body></html>"
        ));
    }
    let Some(i) = urls.iter().position(|u| u == path) else {
        return not_found();
    };
    let (y, m, d) = days()[i];
    let title = &titles[i];
    gbk(&format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>{title}_中国经济网</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a></div><h1 id=\"articleTitle\">{title}</h1>\
<div class=\"laiyuan\"><span id=\"articleTime\">{y}年{m:02}月{d:02}日 10:0{i}</span>　<span id=\"articleSource\">来源：经济日报</span></div>\
<div class=\"TRS_Editor\">{}</div><div class=\"footer\">中国经济网版权所有</div></body></html>",
        ps(title)
    ))
}

/// 首都之窗 (RSSHub gov/beijing): `ul.list li` with `a[title]` and a date span; meta
/// PubDate with two datetimes run together, meta ContentSource, `#mainText`.
fn beijing(path: &str) -> Answer {
    for (col, key, head, n) in [
        ("yaowen", "yaowen", "要闻", 4861670),
        ("gqrd", "gqrd", "各区热点", 4861680),
    ] {
        let dir = format!("/ywdt/{col}/");
        let Some(rest) = path.strip_prefix(&dir) else {
            continue;
        };
        let titles = titles(key);
        let rels: Vec<String> = days()
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{}/t{}_{}.html", &compact(*d)[..6], compact(*d), n + i))
            .collect();
        if rest.is_empty() || rest == "index.html" {
            let lis: String = days()
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    format!(
                        "<li><a href=\"./{}\" title=\"{}\" target=\"_blank\">{}</a><span>{}</span></li>\n",
                        rels[i],
                        titles[i],
                        titles[i],
                        ymd(*d)
                    )
                })
                .collect();
            return ok(format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{head}_首都之窗_北京市人民政府门户网站</title></head><body>\
<div class=\"header\"><a href=\"/\">首页</a><a href=\"/ywdt/\">要闻动态</a><a href=\"/zhengce/\">政策文件</a></div>\
<div class=\"listBox\"><ul class=\"list\">\n{lis}</ul></div><div class=\"footer\">北京市人民政府办公厅主办</div></body></html>"
            ));
        }
        let Some(i) = rels.iter().position(|r| r == rest) else {
            return not_found();
        };
        let d = ymd(days()[i]);
        let title = &titles[i];
        return ok(format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_首都之窗_北京市人民政府门户网站</title>\
<meta name=\"PubDate\" content=\"{d} 08:00{d} 08:00\"><meta name=\"ContentSource\" content=\"北京日报\"></head><body>\
<div class=\"header\"><a href=\"/\">首页</a></div><div class=\"article\"><h1>{title}</h1>\
<div class=\"info\">日期：{d}　来源：北京日报</div><div id=\"mainText\">{}</div></div>\
<div class=\"footer\">北京市人民政府办公厅主办</div></body></html>",
            ps(title)
        ));
    }
    not_found()
}

/// 共产党员网 (RSSHub 12371/zxfb): a column's items are an inline `item=[{…}]` array
/// with single-quoted strings; articles `/YYYY/MM/DD/ARTI<digits>.shtml`, body `.word`.
fn party(path: &str) -> Answer {
    const COLUMNS: [&str; 6] = ["dtbb", "gzbs", "dcyj", "xxyt", "gdpl", "jszg"];
    let titles = titles("12371");
    let url = |c: usize, i: usize| {
        let (y, m, d) = days()[i];
        format!("/{y}/{m:02}/{d:02}/ARTI17648{c}000{i}.shtml")
    };
    for (c, col) in COLUMNS.iter().enumerate() {
        if path == format!("/cxsm/{col}/") || path == format!("/cxsm/{col}/index.shtml") {
            let items: Vec<String> = days()
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    format!(
                        "{{title:'{}（{col}）', link_add:'https://www.12371.cn{}', brief:'{} 09:3{i}:00', photo:''}}",
                        titles[i],
                        url(c, i),
                        ymd(*d)
                    )
                })
                .collect();
            return ok(format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>共产党员网</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/special/\">专题</a><a href=\"/djyw/\">党建要闻</a></div>\
<div class=\"dyw1_box\"><ul id=\"showData\"></ul></div>\n<script type=\"text/javascript\">\n\
var item=[{}];\nfor (var i = 0; i < item.length; i++) {{ $('#showData').append('<li><a href=\"' + item[i].link_add + '\">' + item[i].title + '</a></li>'); }}\n\
</script><div class=\"footer\">共产党员网</div></body></html>",
                items.join(",\n")
            ));
        }
        for (i, t) in titles.iter().enumerate() {
            if path == url(c, i) {
                let d = ymd(days()[i]);
                let title = format!("{t}（{col}）");
                return ok(format!(
                    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_共产党员网</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a></div><div class=\"big_title\"><h1>{title}</h1></div>\
<div class=\"title_bottom\"><i>来源：人民日报</i><i>{d} 09:3{i}</i></div><div class=\"word\">{}</div>\
<div class=\"footer\">共产党员网</div></body></html>",
                    ps(&title)
                ));
            }
        }
    }
    not_found()
}

/// 习近平重要讲话数据库 (alisen39/whatshot people_cn.py, RSSHub people/xjpjh): JSON with
/// `source=2`, served as text/html; articles `/article/{id}`.
fn jhsjk(uri: &Uri) -> Answer {
    let path = uri.path();
    let query = uri.query().unwrap_or_default();
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_owned()
    };
    let titles = titles("jhsjk");
    if path == "/testnew/result" {
        if param("source") != "2" {
            return ok("<html><body><div class=\"fr\"><ul></ul></div></body></html>".into());
        }
        let Ok(kind) = param("type").parse::<u32>() else {
            return status(400, "bad type");
        };
        let page: u32 = param("page").parse().unwrap_or(1);
        if page > 2 {
            return Answer {
                location: None,
                status: 200,
                content_type: HTML,
                body: b"{\"status\":1,\"list\":[]}".to_vec(),
            };
        }
        let items: Vec<String> = days()
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let id = 40_000_000 + kind * 100 + page * 10 + i as u32;
                format!(
                    "{{\"article_id\":\"{id}\",\"title\":\"{}（{kind}-{page}）\",\"input_date\":\"{} 07:0{i}:00\",\"origin_name\":\"人民日报\"}}",
                    titles[i],
                    ymd(*d)
                )
            })
            .collect();
        // Served as text/html, as the real endpoint does.
        return Answer {
            location: None,
            status: 200,
            content_type: HTML,
            body: format!(
                "{{\"status\":1,\"total\":6,\"list\":[{}]}}",
                items.join(",")
            )
            .into_bytes(),
        };
    }
    let Some(id) = path
        .strip_prefix("/article/")
        .and_then(|s| s.parse::<u32>().ok())
        .filter(|id| (40_000_000..40_100_000).contains(id))
    else {
        return not_found();
    };
    let (kind, page, i) = ((id - 40_000_000) / 100, (id % 100) / 10, (id % 10) as usize);
    if i > 2 {
        return not_found();
    }
    let d = ymd(days()[i]);
    let title = format!("{}（{kind}-{page}）", titles[i]);
    ok(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}--习近平系列重要讲话数据库</title></head><body>\
<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/result?type=101\">经济</a></div>\
<div class=\"d2txt clearfix\"><h1>{title}</h1><div class=\"d2txt_1 clearfix\">来源：人民日报　{d} 07:0{i}:00</div>\
<div class=\"d2txt_con clearfix\">{}</div></div><div class=\"footer\">人民网版权所有</div></body></html>",
        ps(&title)
    ))
}

/// 人民日报 (RSSHub people/rmrb, people/paper): `pc/layout/YYYYMM/DD/node_NN.html`, the
/// pages in `#list`, a PDF per page; every day has an edition.
fn rmrb(path: &str) -> Answer {
    let Some(rest) = path.strip_prefix("/rmrb/pc/layout/") else {
        if let Some(name) = path.strip_prefix("/rmrb/pc/attachement/") {
            return pdf(name);
        }
        return not_found();
    };
    // rest = YYYYMM/DD/node_NN.html
    let parts: Vec<&str> = rest.split('/').collect();
    let [ym, dd, node] = parts.as_slice() else {
        return not_found();
    };
    let Some(n) = node
        .strip_prefix("node_")
        .and_then(|n| n.strip_suffix(".html"))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=4).contains(n))
    else {
        return not_found();
    };
    let list: String = (1..=4)
        .map(|k| {
            format!(
                "<li><a id=\"pageLink\" href=\"node_{k:02}.html\">{k:02}版：{}</a></li>",
                ["要闻", "要闻", "评论", "国际"][k as usize - 1]
            )
        })
        .collect();
    ok(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>人民日报</title></head><body>\
<div class=\"paper-bot\"><div class=\"swiper-container\"><div id=\"list\" class=\"swiper-slide\"><ul>{list}</ul></div></div>\
<p class=\"right btn\"><a href=\"../../../attachement/{ym}/{dd}/rmrb{ym}{dd}{n:02}.pdf\">PDF下载</a></p>\
<ul class=\"news-list\"><li><a href=\"../../../content/{ym}/{dd}/content_3000{n}.html\">本版文章</a></li></ul></div></body></html>"
    ))
}

/// 北京日报 (RSSHub bjd/utils, whatshot epaper_local): paperindex.htm jumps by script to
/// the day page; page links `a[data-href]` in `div.nav-items`; the meta says gb2312 but
/// the bytes are UTF-8; no edition on Sundays (404).
fn bjrb(path: &str) -> Answer {
    let today = compact(EDITION_DAY);
    if path == "/bjrb/paperindex.htm" {
        return ok(format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>\
<script>var u = 'mobile/{}/{today}/{today}_m.html'; window.location.href = 'mobile/{}/{today}/{today}_m.html';</script></body></html>",
            EDITION_DAY.0, EDITION_DAY.0
        ));
    }
    if let Some(rest) = path.strip_prefix("/bjrb/mobile/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if let [_, day, file] = parts.as_slice() {
            if file.ends_with(".pdf") {
                return pdf(file);
            }
            let is_day_page = *file == format!("{day}_m.html");
            let date = chrono::NaiveDate::parse_from_str(day, "%Y%m%d").ok();
            let is_sunday =
                date.is_some_and(|d| chrono::Datelike::weekday(&d) == chrono::Weekday::Sun);
            if is_day_page && date.is_some() && !is_sunday {
                let items: String = (1..=3)
                    .map(|k| {
                        format!(
                            "<div class=\"nav-panel\"><div class=\"nav-panel-heading\">第{k:02}版：{}</div>\
<a href=\"javascript:void(0)\" data-href=\"{day}_{k:03}/{day}_{k:03}.html\">第{k:02}版</a></div>",
                            ["要闻", "要闻", "北京新闻"][k - 1]
                        )
                    })
                    .collect();
                return ok(format!(
                    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>北京日报</title></head>\
<body><div class=\"nav-items\">{items}</div></body></html>"
                ));
            }
        }
        if let [_, _, page, file] = parts.as_slice()
            && file.ends_with(".html")
        {
            let date = page
                .get(..8)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y%m%d").ok());
            if date.is_some_and(|d| chrono::Datelike::weekday(&d) != chrono::Weekday::Sun) {
                return ok(format!(
                    "<html><head><meta charset=\"utf-8\"></head><body><div id=\"main-title\">{page}</div>\
<a href=\"../{page}.pdf\">下载PDF</a></body></html>"
                ));
            }
        }
    }
    not_found()
}

/// 海淀报 (no evidence after 2019: the old shape) on port 88.
fn hdb(path: &str) -> Answer {
    if let Some(name) = path.strip_prefix("/hdb/images/") {
        return pdf(name);
    }
    if path.starts_with("/hdb/html/") && path.ends_with("/node_49.htm") {
        let links: String = (1..=4)
            .map(|k| format!("<a href=\"../../../images/hdb{k:02}.pdf\">第{k}版 PDF</a> "))
            .collect();
        return ok(format!(
            "<html><head><meta charset=\"utf-8\"><title>海淀报</title></head><body>{links}</body></html>"
        ));
    }
    not_found()
}
