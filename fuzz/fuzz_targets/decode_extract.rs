//! A web page as the crawler gets it: a `Content-Type` header and the body bytes, through
//! the project's decoding and then extraction (automatic and with per-source selectors)
//! and list-link discovery. Must never panic, overflow the stack or hang.
//!
//! Input: the first line is the `Content-Type` header value, the rest is the body.
//! Run: `cargo +nightly fuzz run decode_extract` from the repository root.
#![no_main]

use jujiao_extract::{RawRules, Rules, select::Selector};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use url::Url;

struct Fixed {
    base: Url,
    rules: Rules,
    link: Selector,
    date: Selector,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let raw = RawRules {
            title: Some("div.title h1, h1".into()),
            body: Some("div.TRS_Editor, div.content p".into()),
            date: Some("div.info > span".into()),
            author: Some("span.author".into()),
            origin: Some("div.info span".into()),
            min_paragraph_chars: Some(2),
            drop_patterns: vec!["^责任编辑".into(), r"^\s*【打印】".into()],
        };
        Fixed {
            base: Url::parse("http://www.example.gov.cn/xw/202006/t20200610_1.html")
                .expect("a valid URL"),
            rules: Rules::compile(&raw).expect("valid rules"),
            link: Selector::parse("ul.list > li > a").expect("a valid selector"),
            date: Selector::parse("ul.list > li > span").expect("a valid selector"),
        }
    })
}

/// The `charset` parameter of a `Content-Type` value, as the fetcher reads it
/// (`jujiao_fetch::charset_of`, which this crate does not build: it pulls the whole
/// HTTP stack into a sanitizer build).
fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(['"', '\'']).trim();
        (!value.is_empty()).then(|| value.to_ascii_lowercase())
    })
}

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let charset = charset_of(&String::from_utf8_lossy(header));
    let f = fixed();
    for rules in [None, Some(&f.rules)] {
        if let Ok(x) = jujiao_extract::extract(body, Some(&f.base), charset.as_deref(), rules) {
            let _ = x.to_json();
            let _ = x.body();
            let _ = x.to_article("fuzz", f.base.as_str());
        }
    }
    let page = jujiao_extract::decode(body, charset.as_deref());
    let _ = jujiao_extract::discover_links(&page.text, &f.base, None, None);
    let _ = jujiao_extract::discover_links(&page.text, &f.base, Some(&f.link), Some(&f.date));
});
