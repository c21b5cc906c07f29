//! Bytes as a CSS selector of the supported subset: parsed, then matched on a small list
//! page and used as per-source body/title rules on an article. Must never panic.
//!
//! Run: `cargo +nightly fuzz run selectors` from the repository root.
#![no_main]

use jujiao_extract::{RawRules, Rules, select::Selector};
use libfuzzer_sys::fuzz_target;

const LIST: &str = "<ul class=secList><li><a href=a.html title=x>一</a><b>2020-06-10</b></li>\
    <li id=main><a href='b.pdf'>二</a></li></ul><div class=TRS_Editor><p>文</p><p>字<br>行</p></div>";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(selector) = Selector::parse(&text) else {
        return;
    };
    let Ok(base) = url::Url::parse("http://example.gov.cn/list/") else {
        return;
    };
    let _ = jujiao_extract::discover_links(LIST, &base, Some(&selector), Some(&selector));
    let raw = RawRules {
        title: Some(text.to_string()),
        body: Some(text.to_string()),
        ..RawRules::default()
    };
    if let Ok(rules) = Rules::compile(&raw) {
        let _ = jujiao_extract::extract(LIST.as_bytes(), Some(&base), None, Some(&rules));
    }
});
