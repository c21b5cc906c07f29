//! Decode + extract + list-link discovery on arbitrary bytes: must never panic, overflow
//! the stack or hang. Run: `cargo +nightly fuzz run extract` in `crates/jujiao-extract`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("http://www.example.gov.cn/xw/202006/t20200610_1.html").ok();
    // First byte picks an HTTP charset, to exercise label handling too.
    let charset = match data.first().map(|b| b % 4) {
        Some(0) => Some("gb2312"),
        Some(1) => Some("utf-8"),
        Some(2) => Some("big5"),
        _ => None,
    };
    if let Ok(x) = jujiao_extract::extract(data, base.as_ref(), charset, None) {
        let _ = x.to_json();
    }
    if let Some(b) = base.as_ref() {
        let page = jujiao_extract::decode(data, charset);
        let _ = jujiao_extract::discover_links(&page.text, b, None, None);
    }
});
