//! Verification and anti-bot pages: recognised, never read as articles or lists.
//!
//! Government sites often sit behind a gateway that answers a robot with a page of
//! script (瑞数, 加速乐, 网宿), a "verify you are human" stub (云锁) or a block page
//! (安全狗, 360 网站卫士, generic WAFs). Such an answer is neither the list nor the
//! article: filing it would file a page of JavaScript, and reading it as a list finds
//! nothing. [`detect`] is a pure classifier over what a fetch returns — status,
//! headers, body bytes — giving the [`Vendor`] and the evidence (the marker seen), so
//! the crawler can report `被验证页拦截` and leave the host alone for a while. Nothing
//! here tries to solve or get around a challenge.
//!
//! Markers are only believed on a page that has little to read (a real article that
//! mentions `safedog` in its text is an article): the page must be a stub
//! ([`STUB_VISIBLE_CHARS`]) unless the status itself is a vendor's challenge status.
//! Script markers are looked for after removing quotes, `+` and parentheses, because
//! 加速乐 writes its cookie name as `('_')+('_')+('j')+('s')+('l')…`.

use crate::html::{self, Kind};
use crate::text::{is_invisible, is_space};

/// A page with at most this many visible characters (scripts and styles not counted)
/// is a stub: a verification page, not an article or a list.
pub const STUB_VISIBLE_CHARS: usize = 400;

/// A page with at most this many visible characters has nothing to read: a vendor's
/// cookie on such a page is believed (on a page with text it is just the gateway's
/// cookie on a page that passed).
pub const EMPTY_VISIBLE_CHARS: usize = 40;

/// Who serves the verification page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// 瑞数信息 (Botgate): HTTP 412 or 202 with a script-only page using `$_ts`.
    Ruishu,
    /// 加速乐 (知道创宇): HTTP 521 setting `__jsl_clearance` by script.
    Jiasule,
    /// 云锁: a page redirecting to `?security_verify_data=…`, cookie `yunsuo_session…`.
    Yunsuo,
    /// 安全狗 (网站安全狗): block page linking `safedog`, cookie `safedog-flow-item`.
    Safedog,
    /// 360 网站卫士 / 安域: HTTP 493, "安域防护".
    Wangzhanweishi360,
    /// 网宿 (ChinaNetCenter WZWS): `wzwschallenge` script, cookie `wzws_cid`.
    Wangsu,
    /// A block page of no known vendor ("您的访问被拦截").
    Generic,
}

impl Vendor {
    /// The name shown in reports and health.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Ruishu => "瑞数",
            Vendor::Jiasule => "加速乐",
            Vendor::Yunsuo => "云锁",
            Vendor::Safedog => "安全狗",
            Vendor::Wangzhanweishi360 => "360网站卫士",
            Vendor::Wangsu => "网宿",
            Vendor::Generic => "拦截页",
        }
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A recognised verification page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub vendor: Vendor,
    /// What was seen, for the report: e.g. `HTTP 521, script sets __jsl_clearance`.
    pub evidence: String,
}

impl std::fmt::Display for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.vendor.name(), self.evidence)
    }
}

/// Marker texts in the body (after squashing), their vendor and how they read.
const BODY_MARKERS: &[(&str, Vendor, &str)] = &[
    (
        "__jsl_clearance",
        Vendor::Jiasule,
        "script sets __jsl_clearance",
    ),
    (
        "security_verify_data",
        Vendor::Yunsuo,
        "page redirects with security_verify_data",
    ),
    ("yunsuo_session", Vendor::Yunsuo, "page sets yunsuo_session"),
    (
        "wzwschallenge",
        Vendor::Wangsu,
        "script defines wzwschallenge",
    ),
    ("wzws_cid", Vendor::Wangsu, "page mentions wzws_cid"),
    ("safedog", Vendor::Safedog, "block page of safedog"),
    ("安域防护", Vendor::Wangzhanweishi360, "page says 安域防护"),
    ("网站卫士", Vendor::Wangzhanweishi360, "page says 网站卫士"),
    (
        "您的访问被拦截",
        Vendor::Generic,
        "page says 您的访问被拦截",
    ),
    (
        "访问请求可能对网站造成安全威胁",
        Vendor::Generic,
        "page says 访问请求可能对网站造成安全威胁",
    ),
    (
        "已被网站管理员设置拦截",
        Vendor::Generic,
        "page says 已被网站管理员设置拦截",
    ),
];

/// Header markers: (header name, lower-case text in its value, vendor). Only believed
/// together with a stub page or a non-2xx status: behind 加速乐 or 网宿 a normal page
/// sets these cookies too.
const HEADER_MARKERS: &[(&str, &str, Vendor)] = &[
    ("set-cookie", "__jsl_clearance", Vendor::Jiasule),
    ("set-cookie", "__jsluid", Vendor::Jiasule),
    ("set-cookie", "yunsuo_session", Vendor::Yunsuo),
    ("set-cookie", "wzws_cid", Vendor::Wangsu),
    ("set-cookie", "safedog-flow-item", Vendor::Safedog),
    ("server", "yunsuo", Vendor::Yunsuo),
    ("server", "safedog", Vendor::Safedog),
    ("server", "wzws", Vendor::Wangsu),
    ("server", "360wzb", Vendor::Wangzhanweishi360),
    ("server", "360wzws", Vendor::Wangzhanweishi360),
];

/// Classifies an HTTP answer. `headers` are (name, value) pairs in any case (pass
/// `&[]` when they were not kept); `body` the bytes as received (decoded here the way
/// pages are: BOM, `<meta>`, detection).
pub fn detect(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Option<Challenge> {
    if !is_worth_a_look(status, headers, body) {
        return None;
    }
    let page = crate::decode(body, None);
    detect_text(status, headers, &page.text)
}

/// [`detect`] on an already decoded page.
pub fn detect_text(status: u16, headers: &[(&str, &str)], text: &str) -> Option<Challenge> {
    if !is_worth_a_look(status, headers, text.as_bytes()) {
        return None;
    }
    let dom = html::parse(text);
    let visible = visible_chars(&dom);
    let is_stub = visible <= STUB_VISIBLE_CHARS;
    // Quotes, `+`, parentheses and white space removed: `('_')+('_')+('j')…` reads
    // `__j…`. Lower-cased for the ASCII markers (Chinese is unaffected).
    let squashed: String = text
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '+' | '(' | ')') && !is_space(*c))
        .flat_map(char::to_lowercase)
        .collect();

    // 瑞数: `$_ts` set by a script on a page with nothing to read.
    if is_stub && (squashed.contains("$_ts=window[$_ts]") || squashed.contains("$_ts.cd=")) {
        let how = if matches!(status, 412 | 202) {
            format!("HTTP {status}, script-only page using $_ts")
        } else {
            "script-only page using $_ts".to_string()
        };
        return Some(Challenge {
            vendor: Vendor::Ruishu,
            evidence: how,
        });
    }
    let vendor_status = matches!(status, 412 | 493 | 521);
    if is_stub || vendor_status {
        for &(marker, vendor, how) in BODY_MARKERS {
            if squashed.contains(marker) {
                return Some(Challenge {
                    vendor,
                    evidence: with_status(status, how),
                });
            }
        }
    }
    if visible <= EMPTY_VISIBLE_CHARS || !(200..300).contains(&status) {
        for &(name, marker, vendor) in HEADER_MARKERS {
            let hit = headers.iter().find(|(n, v)| {
                n.eq_ignore_ascii_case(name) && v.to_ascii_lowercase().contains(marker)
            });
            if hit.is_some() {
                let how = format!("{name} header has {marker}, page has nothing to read");
                return Some(Challenge {
                    vendor,
                    evidence: with_status(status, &how),
                });
            }
        }
    }
    // A vendor's own status with a page that is only script: 加速乐's 521 and
    // 360's 493 are not statuses an origin server sends.
    match status {
        521 if is_stub && has_script(&dom) => Some(Challenge {
            vendor: Vendor::Jiasule,
            evidence: "HTTP 521, script-only page".into(),
        }),
        493 => Some(Challenge {
            vendor: Vendor::Wangzhanweishi360,
            evidence: "HTTP 493".into(),
        }),
        _ => None,
    }
}

/// Pages bigger than this are only parsed when a vendor status, header or ASCII marker
/// says so: every article page passes through [`detect`], and a 100 KB article should
/// not be parsed twice.
const LOOK_ALWAYS_BYTES: usize = 32 * 1024;

/// ASCII markers looked for in the raw bytes of a big page (any encoding keeps them).
const ASCII_NEEDLES: &[&str] = &[
    "$_ts",
    "__jsl_clearance",
    "security_verify",
    "yunsuo",
    "wzws",
    "safedog",
];

/// A cheap gate before decoding and parsing.
fn is_worth_a_look(status: u16, headers: &[(&str, &str)], body: &[u8]) -> bool {
    matches!(status, 202 | 412 | 493 | 521)
        || body.len() <= LOOK_ALWAYS_BYTES
        || !(200..300).contains(&status) && !headers.is_empty()
        || ASCII_NEEDLES
            .iter()
            .any(|n| memchr::memmem::find(body, n.as_bytes()).is_some())
}

fn with_status(status: u16, how: &str) -> String {
    if (200..300).contains(&status) {
        how.to_string()
    } else {
        format!("HTTP {status}, {how}")
    }
}

/// Non-space characters of text outside scripts, styles and the like.
fn visible_chars(dom: &html::Dom) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < dom.nodes.len() {
        match &dom.nodes[i].kind {
            Kind::Element(e) if is_invisible(&e.name) || &*e.name == "title" => {
                i = dom.end(i).max(i + 1);
                continue;
            }
            Kind::Text(t) => n += t.chars().filter(|c| !is_space(*c)).count(),
            _ => {}
        }
        i += 1;
    }
    n
}

fn has_script(dom: &html::Dom) -> bool {
    dom.elements_named("script").next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/challenge/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn vendor_of(status: u16, headers: &[(&str, &str)], name: &str) -> Option<Vendor> {
        detect(status, headers, &fixture(name)).map(|c| c.vendor)
    }

    #[test]
    fn ruishu_412_script_only_page() {
        let c = detect(412, &[], &fixture("ruishu_412.html")).expect("瑞数 page");
        assert_eq!(c.vendor, Vendor::Ruishu);
        assert!(c.evidence.contains("412"), "{}", c.evidence);
        assert!(c.evidence.contains("$_ts"), "{}", c.evidence);
        assert_eq!(vendor_of(202, &[], "ruishu_412.html"), Some(Vendor::Ruishu));
    }

    #[test]
    fn jiasule_521_obfuscated_cookie_name() {
        let c = detect(521, &[], &fixture("jiasule_521.html")).expect("加速乐 page");
        assert_eq!(c.vendor, Vendor::Jiasule);
        assert!(c.evidence.contains("521") && c.evidence.contains("__jsl_clearance"));
        // The second stage (`go({...})`) names it plainly.
        assert_eq!(
            vendor_of(521, &[], "jiasule_521_go.html"),
            Some(Vendor::Jiasule)
        );
    }

    #[test]
    fn yunsuo_verify_page() {
        assert_eq!(vendor_of(200, &[], "yunsuo.html"), Some(Vendor::Yunsuo));
    }

    #[test]
    fn safedog_block_page() {
        assert_eq!(vendor_of(200, &[], "safedog.html"), Some(Vendor::Safedog));
    }

    #[test]
    fn wangzhanweishi_360_493() {
        let c = detect(493, &[], &fixture("360_493.html")).expect("360 page");
        assert_eq!(c.vendor, Vendor::Wangzhanweishi360);
        assert!(c.evidence.contains("安域防护"), "{}", c.evidence);
    }

    #[test]
    fn wangsu_challenge_script() {
        assert_eq!(vendor_of(200, &[], "wangsu.html"), Some(Vendor::Wangsu));
    }

    #[test]
    fn generic_block_pages_in_gbk_and_utf8() {
        let c = detect(403, &[], &fixture("generic_gbk.html")).expect("GBK block page");
        assert_eq!(c.vendor, Vendor::Generic);
        assert!(c.evidence.contains("您的访问被拦截"), "{}", c.evidence);
        assert_eq!(
            vendor_of(200, &[], "generic_threat.html"),
            Some(Vendor::Generic)
        );
    }

    #[test]
    fn cookie_header_with_empty_page_is_a_challenge() {
        let body = b"<html><head><script src=\"/a.js\"></script></head><body></body></html>";
        let c = detect(200, &[("Set-Cookie", "wzws_cid=abc; path=/")], body).expect("stub");
        assert_eq!(c.vendor, Vendor::Wangsu);
    }

    #[test]
    fn normal_pages_behind_a_gateway_are_not_challenges() {
        // The article fixture of this crate, served with a 加速乐 cookie as real
        // protected sites do once the visitor has passed.
        let article = std::fs::read(format!(
            "{}/tests/fixtures/trs_nested.html",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        assert_eq!(
            detect(200, &[("set-cookie", "__jsluid_s=1")], &article),
            None
        );
        // An article that writes about 安全狗 and 网站卫士 is an article.
        let mut long = String::from("<html><body><h1>网络安全</h1><p>");
        for _ in 0..60 {
            long.push_str("某单位部署safedog和网站卫士等防护软件，加强网络安全。");
        }
        long.push_str("</p></body></html>");
        assert_eq!(detect(200, &[], long.as_bytes()), None);
        // A short ordinary page, and a plain 404.
        assert_eq!(detect(200, &[], "<p>通知</p>".as_bytes()), None);
        assert_eq!(detect(404, &[], b"<h1>404 Not Found</h1>"), None);
        assert_eq!(detect(521, &[], b"Web server is down"), None);
    }
}
