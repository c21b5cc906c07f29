//! Laws: arbitrary input never panics, whatever the bytes.

use proptest::prelude::*;

fn html_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<a href='/x.pdf'>".to_string()),
        Just("</a>".to_string()),
        Just("<script>".to_string()),
        Just("<!--".to_string()),
        Just("<meta charset=gbk>".to_string()),
        Just("<title>标题_网</title>".to_string()),
        Just("&#x4e2d;&amp".to_string()),
        "[\\PC]{0,20}",
        "<[a-z]{1,6}( [a-z]{1,4}=['\"]?[^>]{0,8})?>",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let url = url::Url::parse("http://www.example.gov.cn/a/b.html").ok();
        if let Ok(x) = jujiao_extract::extract(&bytes, url.as_ref(), None, None) {
            let _ = x.to_json();
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Some(u) = url.as_ref() {
            let _ = jujiao_extract::discover_links(&text, u, None, None);
        }
    }

    #[test]
    fn arbitrary_markup_never_panics(html in html_soup(), charset in prop::option::of("[a-z0-9-]{0,10}")) {
        let url = url::Url::parse("http://www.example.gov.cn/a/b.html").ok();
        if let Ok(x) = jujiao_extract::extract(html.as_bytes(), url.as_ref(), charset.as_deref(), None) {
            let v: serde_json::Value = serde_json::from_str(&x.to_json()).expect("valid json");
            prop_assert!(v.is_object());
        }
        if let Some(u) = url.as_ref() {
            let _ = jujiao_extract::discover_links(&html, u, None, None);
        }
    }
}
