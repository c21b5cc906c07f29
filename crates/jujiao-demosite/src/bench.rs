//! A generated site for the end-to-end throughput benchmark, shaped like a real TRS government
//! site: `articles` article pages spread over `hosts` loopback hosts (127.0.0.31, .32, …),
//! TRS list pages of `per_page` links each (`index.html`, `index_1.html`, … with a pager),
//! article pages of 30–60 KB made of a header (top bar, logo, search form, 24-item
//! navigation), a breadcrumb, `div.titleCon > h1`, a `发布时间：` line, `div.TRS_Editor`
//! paragraphs, a share bar, a related-links block and a footer with a links menu.
//! Most of a page's bytes are markup around a few KB of text, as on the real sites.
//!
//! Everything is derived from the article's number through a fixed pseudo-random sequence,
//! so the site is deterministic and costs no memory: pages are generated on each request.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// How the benchmark's sources extract articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extraction {
    /// `[source.article]` title and body selectors.
    Selectors,
    /// No article selectors: automatic extraction.
    Automatic,
}

/// A running benchmark site. Dropping it stops the servers.
#[derive(Debug)]
pub struct BenchSite {
    addrs: Vec<SocketAddr>,
    shape: Arc<Shape>,
    _stop: Vec<oneshot::Sender<()>>,
}

#[derive(Debug)]
struct Shape {
    articles: usize,
    per_page: usize,
    hosts: usize,
    requests: AtomicU64,
}

#[derive(Clone)]
struct HostState {
    shape: Arc<Shape>,
    host: usize,
}

impl Shape {
    /// Articles on host `h`: global numbers `h, h + hosts, h + 2·hosts, …`.
    fn on_host(&self, h: usize) -> usize {
        (self.articles + self.hosts - 1 - h) / self.hosts
    }
}

impl BenchSite {
    /// Serves `articles` articles on `hosts` loopback addresses 127.0.0.31… (free ports),
    /// `per_page` links per list page.
    pub async fn start(
        articles: usize,
        per_page: usize,
        hosts: usize,
    ) -> std::io::Result<BenchSite> {
        let hosts = hosts.clamp(1, 200);
        let shape = Arc::new(Shape {
            articles,
            per_page: per_page.max(1),
            hosts,
            requests: AtomicU64::new(0),
        });
        let mut addrs = Vec::new();
        let mut stops = Vec::new();
        for host in 0..hosts {
            let ip = std::net::Ipv4Addr::new(127, 0, 0, 31 + host as u8);
            let listener = tokio::net::TcpListener::bind((ip, 0)).await?;
            addrs.push(listener.local_addr()?);
            let app = Router::new()
                .fallback(|State(s): State<HostState>, uri: Uri| async move {
                    serve(&s.shape, s.host, uri.path())
                })
                .with_state(HostState {
                    shape: Arc::clone(&shape),
                    host,
                });
            let (stop, stopped) = oneshot::channel::<()>();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
            stops.push(stop);
        }
        Ok(BenchSite {
            addrs,
            shape,
            _stop: stops,
        })
    }

    /// Base URL of host `i`.
    pub fn base_url(&self, i: usize) -> String {
        format!("http://{}", self.addrs[i])
    }

    /// Every host's base URL.
    pub fn base_urls(&self) -> Vec<String> {
        (0..self.addrs.len()).map(|i| self.base_url(i)).collect()
    }

    /// Number of list pages on host `i`.
    pub fn list_pages(&self, i: usize) -> usize {
        self.shape.on_host(i).div_ceil(self.shape.per_page).max(1)
    }

    /// Requests served so far.
    pub fn requests(&self) -> u64 {
        self.shape.requests.load(Ordering::Relaxed)
    }

    /// A sources file crawling the whole site with politeness off: one source per host
    /// (`bench0`, `bench1`, …), 4 requests in flight per host, no media.
    pub fn config_toml(&self, output: &str, database: &str, extraction: Extraction) -> String {
        let mut text = format!(
            "[settings]\ndatabase = \"{database}\"\noutput = \"{output}\"\ndelay = \"0s\"\n\
concurrency_per_host = 4\nallow_private = true\nmedia = false\n"
        );
        for i in 0..self.addrs.len() {
            let _ = write!(
                text,
                "\n[[source]]\nid = \"bench{i}\"\nname = \"基准站点{i}\"\ncolumn = \"政务动态\"\n\
list_urls = [\"{base}/news/\"]\npagination = {{ kind = \"trs\", pages = {pages} }}\n\
link = \"ul.list > li > a\"\nmax_new_per_run = {max}\n",
                base = self.base_url(i),
                pages = self.list_pages(i),
                max = self.shape.on_host(i),
            );
            if extraction == Extraction::Selectors {
                text.push_str(
                    "\n[source.article]\ntitle = \"div.titleCon > h1\"\nbody = \"div.TRS_Editor p\"\n",
                );
            }
        }
        text
    }
}

fn serve(shape: &Shape, host: usize, path: &str) -> Response {
    shape.requests.fetch_add(1, Ordering::Relaxed);
    let html =
        |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    if path == "/robots.txt" {
        return (StatusCode::OK, "User-agent: *\nAllow: /\n").into_response();
    }
    if let Some(rest) = path.strip_prefix("/news/") {
        let page = match rest {
            "" | "index.html" => Some(0),
            r => r
                .strip_prefix("index_")
                .and_then(|r| r.strip_suffix(".html"))
                .and_then(|n| n.parse::<usize>().ok()),
        };
        if let Some(page) = page
            && (page == 0 || page * shape.per_page < shape.on_host(host))
        {
            return html(list_page(shape, host, page));
        }
        if let Some(n) = rest
            .rsplit_once('_')
            .and_then(|(_, n)| n.strip_suffix(".html"))
            .and_then(|n| n.parse::<usize>().ok())
            && n < shape.articles
            && n % shape.hosts == host
        {
            return html(article_page(n, host));
        }
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// A small fixed pseudo-random sequence (SplitMix64), seeded by the article number.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.range(0, from.len() - 1)]
    }
}

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "会议", "强调", "要求", "坚持", "推进", "全面", "深化", "改革", "工作", "发展", "高质量", "区委", "区政府", "领导", "干部",
    "群众", "服务", "落实", "责任", "制度", "建设", "防控", "经济", "社会", "民生", "保障", "安全", "生产", "创新", "科技",
    "企业", "营商环境", "优化", "政策", "措施", "项目", "规划", "城市", "治理", "街道", "社区", "党建", "引领", "学习", "部署",
    "统筹", "协调", "加强", "提升", "水平", "能力", "机制", "体系", "重点", "任务", "目标", "进一步", "扎实", "有序", "开展",
    "专项", "行动", "检查", "督导", "调研", "座谈", "研究", "审议", "通过", "实施", "方案", "意见", "通知", "年度", "计划",
    "资金", "预算", "绩效", "公开", "信息", "数据", "平台", "数字化", "教育", "医疗", "卫生", "文化", "体育", "养老", "就业",
    "住房", "交通", "环境", "生态", "绿色", "低碳", "水务", "园林", "农业", "产业", "园区", "人才", "高校", "科研", "成果",
    "转化", "全区", "各部门", "各单位", "负责同志", "参加", "出席", "主持", "指出", "表示", "介绍", "情况", "问题", "整改",
    "成效", "经验", "做法", "推广", "满意度", "热线", "办理", "回访", "基层", "一线", "志愿者", "防汛", "消防", "应急", "演练",
    "宣传", "培训", "考核", "评估", "监督", "管理", "法治", "依法", "行政", "审批", "试点", "示范", "标准", "质量", "效率",
    "常态化", "精细化", "网格化", "便民", "惠民", "老旧小区", "改造", "垃圾分类", "物业", "停车", "整治", "风险", "隐患", "排查",
    "稳定", "协同", "联动", "共建", "共治", "共享", "机关", "作风", "纪律",
];

#[rustfmt::skip]
const NAV: &[&str] = &[
    "首页", "走进本区", "政务公开", "政务服务", "政民互动", "数据开放", "专题专栏", "区情概况", "机构职能", "领导信息", "规划计划",
    "财政信息", "人事信息", "统计信息", "应急管理", "重点领域", "新闻发布会", "在线访谈", "征集调查", "热线办理", "办事指南", "便民服务",
    "企业服务", "个人服务",
];

#[rustfmt::skip]
const LINKS: &[&str] = &[
    "国务院办公厅", "发展和改革委员会", "教育委员会", "科学技术委员会", "经济和信息化局", "公安局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "规划和自然资源委员会", "生态环境局", "住房和城乡建设委员会", "交通委员会", "水务局", "农业农村局", "商务局", "文化和旅游局",
    "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局", "统计局", "城市管理委员会", "园林绿化局", "体育局", "医疗保障局", "政务服务管理局",
    "信访办", "东区", "西区", "南区", "北区", "新城区", "老城区", "开发区", "高新区", "科学城",
];

const COLUMN: &str = "政务动态";

fn site_name(host: usize) -> String {
    format!("基准区人民政府门户网站{host}")
}

fn day_of(n: usize) -> (u32, u32) {
    (1 + (n / 28 / 28) as u32 % 12, 1 + (n / 28) as u32 % 28)
}

fn article_path(n: usize) -> String {
    let (m, d) = day_of(n);
    format!("./2025{m:02}/t2025{m:02}{d:02}_{n}.html")
}

fn title(n: usize) -> String {
    let mut rng = Rng::new(n as u64 ^ 0x5151);
    let words = rng.range(5, 10);
    let mut t = String::new();
    for _ in 0..words {
        t.push_str(rng.pick(WORDS));
    }
    t
}

fn sentence(rng: &mut Rng, out: &mut String) {
    let n = rng.range(8, 22);
    for i in 0..n {
        out.push_str(rng.pick(WORDS));
        if i != 0 && i != n - 1 && rng.range(0, 99) < 12 {
            out.push('，');
        }
    }
    out.push('。');
}

fn header(out: &mut String, site: &str, base: &str) {
    let _ = write!(
        out,
        "<div class=\"topbar\"><span>欢迎访问{site}</span><a href=\"{base}wza/\">无障碍</a>\
<a href=\"{base}english/\">English</a><a href=\"{base}sitemap/\">网站地图</a></div>\n\
<div class=\"header\"><div class=\"logo\"><a href=\"{base}\"><img src=\"{base}images/logo.png\" alt=\"{site}\"></a></div>\
<form class=\"search\" action=\"{base}search/\" method=\"get\"><input name=\"q\" type=\"text\" placeholder=\"请输入关键字\">\
<button type=\"submit\">搜索</button></form></div>\n<div class=\"nav\"><ul>"
    );
    for (i, item) in NAV.iter().enumerate() {
        let _ = write!(
            out,
            "<li><a href=\"{base}col/col{}/index.html\" target=\"_blank\">{item}</a></li>",
            1000 + i
        );
    }
    out.push_str("</ul></div>\n");
}

fn footer(out: &mut String, site: &str, base: &str) {
    out.push_str("<div class=\"links\"><select onchange=\"window.open(this.value)\"><option>友情链接</option>");
    for (i, name) in LINKS.iter().enumerate() {
        let _ = write!(
            out,
            "<option value=\"http://www.example.gov.cn/link/{i}/\">{name}</option>"
        );
    }
    let _ = write!(
        out,
        "</select></div>\n<div class=\"footer\"><p><a href=\"{base}about/\">关于我们</a> | \
<a href=\"{base}contact/\">联系我们</a> | <a href=\"{base}sitemap/\">网站地图</a></p>\
<p>主办单位：{site}办公室　承办单位：区政务服务管理局</p>\
<p>网站标识码：0000000001　京ICP备00000000号　京公网安备00000000000000号</p>\
<script type=\"text/javascript\">var _trs_uv = 1; document.write(unescape(\"%3Cspan id='_ideConac' %3E%3C/span%3E\"));</script></div>\n"
    );
}

fn list_page(shape: &Shape, host: usize, page: usize) -> String {
    let site = site_name(host);
    let count = shape.on_host(host).div_ceil(shape.per_page).max(1);
    let name = |k: usize| {
        if k == 0 {
            "./index.html".to_owned()
        } else {
            format!("./index_{k}.html")
        }
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
<title>{COLUMN}_{site}</title>\n</head>\n<body>\n"
    );
    header(&mut out, &site, "../");
    let _ = write!(
        out,
        "<div class=\"position\">当前位置：<a href=\"../\">首页</a> &gt; <a href=\"./\">{COLUMN}</a></div>\n\
<div class=\"main\"><div class=\"list_title\">{COLUMN}</div>\n<ul class=\"list\">\n"
    );
    let first = page * shape.per_page;
    for k in first..(first + shape.per_page).min(shape.on_host(host)) {
        let n = host + k * shape.hosts;
        let (m, d) = day_of(n);
        let t = title(n);
        let _ = writeln!(
            out,
            "<li><a href=\"{}\" target=\"_blank\" title=\"{t}\">{t}</a><span>2025-{m:02}-{d:02}</span></li>",
            article_path(n)
        );
    }
    let _ = write!(
        out,
        "</ul>\n<div class=\"page\"><script type=\"text/javascript\">createPageHTML({count}, {page}, \"index\", \"html\");</script>\n\
<span>共{count}页</span> <a href=\"{}\">首页</a>",
        name(0)
    );
    if page > 0 {
        let _ = write!(out, " <a href=\"{}\">上一页</a>", name(page - 1));
    }
    if page + 1 < count {
        let _ = write!(out, " <a href=\"{}\">下一页</a>", name(page + 1));
    }
    let _ = write!(
        out,
        " <a href=\"{}\">尾页</a></div>\n</div>\n",
        name(count - 1)
    );
    footer(&mut out, &site, "../");
    out.push_str("</body>\n</html>\n");
    out
}

/// The article page of article `n`: 30–60 KB, the related-links block padding it to size.
pub fn article_page(n: usize, host: usize) -> String {
    let mut rng = Rng::new(n as u64);
    let site = site_name(host);
    let (m, d) = day_of(n);
    let when = format!(
        "2025-{m:02}-{d:02} {:02}:{:02}",
        rng.range(8, 18),
        rng.range(0, 59)
    );
    let t = title(n);
    let source = rng.pick(LINKS);
    let target = 30_000 + rng.range(0, 30_000);
    let mut out = String::with_capacity(target + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
<title>{t}_{site}</title>\n<meta name=\"SiteName\" content=\"{site}\">\n<meta name=\"ColumnName\" content=\"{COLUMN}\">\n\
<meta name=\"ArticleTitle\" content=\"{t}\">\n<meta name=\"PubDate\" content=\"{when}\">\n\
<meta name=\"ContentSource\" content=\"{source}\">\n\
<link rel=\"stylesheet\" type=\"text/css\" href=\"../../images/style.css\">\n</head>\n<body>\n"
    );
    header(&mut out, &site, "../../");
    let _ = write!(
        out,
        "<div class=\"position\">当前位置：<a href=\"../../\">首页</a> &gt; <a href=\"../\">{COLUMN}</a></div>\n\
<div class=\"content\">\n<div class=\"titleCon\"><h1>{t}</h1>\n\
<div class=\"info\"><span>发布时间：{when}</span><span>来源：{source}</span>\
<span>字号：[<a href=\"javascript:doZoom(18)\">大</a> <a href=\"javascript:doZoom(16)\">中</a> \
<a href=\"javascript:doZoom(14)\">小</a>]</span></div></div>\n<div class=\"TRS_Editor\">\n"
    );
    for _ in 0..rng.range(4, 12) {
        out.push_str("<p style=\"text-indent:2em;\">");
        for _ in 0..rng.range(2, 6) {
            sentence(&mut rng, &mut out);
        }
        out.push_str("</p>\n");
    }
    out.push_str(
        "</div>\n<div class=\"share\">分享到：<a href=\"javascript:;\" class=\"wx\">微信</a>\
<a href=\"javascript:;\" class=\"wb\">微博</a></div>\n<div class=\"related\"><h3>相关链接</h3><ul>\n",
    );
    let mut tail = String::from("</ul></div>\n</div>\n");
    footer(&mut tail, &site, "../../");
    tail.push_str("</body>\n</html>\n");
    let mut i = 0;
    while out.len() + tail.len() < target {
        let _ = writeln!(
            out,
            "<li><a href=\"../../col/col{}/art_{}.html\" target=\"_blank\">{}{}{}工作情况</a></li>",
            2000 + i,
            rng.range(100_000, 999_999),
            rng.pick(LINKS),
            rng.pick(WORDS),
            rng.pick(WORDS)
        );
        i += 1;
    }
    out.push_str(&tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_pages_are_30_to_60_kb_and_deterministic() {
        for n in [0, 1, 7, 999, 12_345] {
            let page = article_page(n, n % 4);
            assert!(
                (30_000..62_000).contains(&page.len()),
                "{n}: {}",
                page.len()
            );
            assert_eq!(page, article_page(n, n % 4));
            assert!(page.contains("<div class=\"titleCon\"><h1>"));
            assert!(page.contains("发布时间：2025-"));
        }
        assert_ne!(article_page(1, 0), article_page(2, 0));
    }
}
