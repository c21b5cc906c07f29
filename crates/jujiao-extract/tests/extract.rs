//! End-to-end extraction on fixture pages written for these tests (modelled on real
//! government and news pages), stored as exact bytes.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use jujiao_extract::{ExtractError, Method, RawRules, Rules, extract};
use jujiao_model::{AttachmentKind, PublishTime};
use url::Url;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn trs_url() -> Url {
    Url::parse("http://www.example.gov.cn/zwdt/202006/t20200610_123456.html").unwrap()
}

#[test]
fn gbk_page_declaring_gb2312_decodes_as_gb18030() {
    let x = extract(&fixture("gbk_declares_gb2312.html"), None, None, None).unwrap();
    assert_eq!(x.encoding, "gb18030");
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    assert_eq!(x.title.as_deref(), Some("海淀区召开防汛工作部署会"));
    assert_eq!(x.paragraphs.len(), 2, "{:?}", x.paragraphs);
    assert!(
        x.paragraphs[1].contains("镕基、喆、堃"),
        "{:?}",
        x.paragraphs[1]
    );
    assert_eq!(
        x.publish_time.map(|t| t.to_iso()).as_deref(),
        Some("2020-06-10")
    );
    assert_eq!(x.origin.as_deref(), Some("海淀区人民政府"));
}

#[test]
fn utf8_bytes_beat_a_gb2312_label() {
    let x = extract(&fixture("utf8_declares_gb2312.html"), None, None, None).unwrap();
    assert_eq!(x.encoding, "UTF-8");
    assert_eq!(x.warnings.len(), 1);
    assert_eq!(x.title.as_deref(), Some("区政府召开常务会议"));
    assert!(x.body().contains("城市更新、营商环境优化"));
}

#[test]
fn trs_page_automatic_finds_nested_paragraphs_bylines_and_media() {
    let x = extract(&fixture("trs_nested.html"), Some(&trs_url()), None, None).unwrap();
    assert_eq!(x.method, Method::Automatic);
    assert_eq!(x.title.as_deref(), Some("区委常委会召开第182次会议"));
    let body = x.body();
    for part in [
        "区委书记主持召开",
        "以人民为中心",
        "扎实做好防汛准备",
        "（记者 唐炜）",
    ] {
        assert!(body.contains(part), "missing {part}: {body}");
    }
    for junk in [
        "首页",
        "打印本页",
        "责任编辑",
        "相关新闻",
        "版权所有",
        "not text",
    ] {
        assert!(!body.contains(junk), "kept {junk}: {body}");
    }
    assert_eq!(x.paragraphs.len(), 4, "{:?}", x.paragraphs);
    assert!(x.paragraphs[1].starts_with("会议指出"));
    assert_eq!(
        x.publish_time.map(|t| t.to_iso()).as_deref(),
        Some("2020-06-10T09:30:00+08:00")
    );
    assert_eq!(x.origin.as_deref(), Some("北京日报"));
    assert_eq!(x.author.as_deref(), Some("王小明"));
    assert_eq!(x.editor.as_deref(), Some("李四"));
    assert_eq!(x.images.len(), 1);
    assert_eq!(
        x.images[0].url,
        "http://www.example.gov.cn/zwdt/202006/W020200610123456.jpg"
    );
    assert_eq!(x.images[0].alt.as_deref(), Some("会议现场"));
    let kinds: Vec<_> = x.attachments.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AttachmentKind::Pdf, AttachmentKind::Docx]);
    assert_eq!(
        x.attachments[0].url,
        "http://www.example.gov.cn/zwdt/202006/P020200610987654.pdf"
    );
    assert_eq!(x.attachments[1].name, "关于做好防汛工作的通知");
}

fn trs_rules(body: &str) -> Rules {
    Rules::compile(&RawRules {
        title: Some("div.title h2".into()),
        body: Some(body.into()),
        date: Some("div.xx".into()),
        min_paragraph_chars: Some(10),
        drop_patterns: vec!["记者".into()],
        ..RawRules::default()
    })
    .unwrap()
}

#[test]
fn selector_mode_takes_nested_paragraphs_and_applies_filters() {
    let rules = trs_rules("div.TRS_Editor");
    let x = extract(
        &fixture("trs_nested.html"),
        Some(&trs_url()),
        None,
        Some(&rules),
    )
    .unwrap();
    assert_eq!(x.method, Method::Selectors);
    assert_eq!(x.paragraphs.len(), 3, "{:?}", x.paragraphs);
    assert!(x.paragraphs[2].starts_with("会议强调"), "nested div p kept");
    assert_eq!(
        x.publish_time.map(|t| t.to_iso()).as_deref(),
        Some("2020-06-10T09:30:00+08:00")
    );
    assert_eq!(x.title.as_deref(), Some("区委常委会召开第182次会议"));
}

#[test]
fn selector_mode_descendant_selector_does_not_duplicate_text() {
    let rules = trs_rules("div.TRS_Editor p, div.TRS_Editor");
    let x = extract(&fixture("trs_nested.html"), None, None, Some(&rules)).unwrap();
    assert_eq!(x.paragraphs.len(), 3, "{:?}", x.paragraphs);
}

#[test]
fn selector_matching_nothing_falls_back_to_automatic() {
    let rules = trs_rules("div.no-such-class");
    let x = extract(&fixture("trs_nested.html"), None, None, Some(&rules)).unwrap();
    assert_eq!(x.method, Method::SelectorsWithAutomaticFallback);
    assert!(x.warnings.iter().any(|w| w.contains("div.no-such-class")));
    // The fallback still honours the source's paragraph filters.
    assert_eq!(x.paragraphs.len(), 3, "{:?}", x.paragraphs);
}

#[test]
fn jsonld_date_and_english_byline() {
    let x = extract(&fixture("jsonld_date.html"), None, None, None).unwrap();
    assert_eq!(x.title.as_deref(), Some("Council approves new park plan"));
    assert_eq!(
        x.publish_time,
        PublishTime::parse_iso("2020-06-10T09:30:00+08:00")
    );
    assert_eq!(x.paragraphs.len(), 2, "{:?}", x.paragraphs);
    assert_eq!(x.author.as_deref(), Some("Jane Doe"));
}

#[test]
fn meta_published_time_and_wen_byline() {
    let x = extract(&fixture("byline_forms.html"), None, None, None).unwrap();
    assert_eq!(x.title.as_deref(), Some("街道开展垃圾分类宣传活动"));
    assert_eq!(
        x.publish_time.map(|t| t.to_iso()).as_deref(),
        Some("2020-06-10T09:30:00+08:00")
    );
    assert_eq!(x.author.as_deref(), Some("张三"));
    assert_eq!(x.paragraphs.len(), 2);
}

#[test]
fn json_has_exactly_the_documented_keys_in_order() {
    let x = extract(&fixture("trs_nested.html"), Some(&trs_url()), None, None).unwrap();
    let json = x.to_json();
    assert!(!json.contains('\n'));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let keys = [
        "title",
        "publish_time",
        "author",
        "origin",
        "editor",
        "body",
        "paragraphs",
        "images",
        "attachments",
        "method",
        "encoding",
        "warnings",
    ];
    let mut last = 0;
    for k in keys {
        let pos = json
            .find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k}"));
        assert!(pos >= last, "{k} out of order");
        last = pos;
    }
    assert_eq!(v.as_object().unwrap().len(), keys.len());
    assert_eq!(v["publish_time"], "2020-06-10T09:30:00+08:00");
    assert_eq!(v["method"], "automatic");
    assert_eq!(v["attachments"][0]["type"], "pdf");
    assert_eq!(v["images"][0]["alt"], "会议现场");
    assert_eq!(v["body"], x.paragraphs.join("\n"));
}

#[test]
fn to_article_carries_every_field() {
    let x = extract(&fixture("trs_nested.html"), Some(&trs_url()), None, None).unwrap();
    let a = x.to_article("haidian", trs_url().as_str());
    assert_eq!(a.source, "haidian");
    assert_eq!(a.title, "区委常委会召开第182次会议");
    assert_eq!(a.body(), x.body());
    assert_eq!(a.published, x.publish_time);
    assert_eq!(a.editor.as_deref(), Some("李四"));
    assert_eq!(a.attachments.len(), 2);
}

#[test]
fn empty_and_binary_inputs_are_errors() {
    assert!(matches!(
        extract(b"", None, None, None),
        Err(ExtractError::Empty { .. })
    ));
    assert!(matches!(
        extract(b" \n\t", None, None, None),
        Err(ExtractError::Empty { .. })
    ));
    let png = [
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0, 1, 2, 3,
    ];
    assert!(matches!(
        extract(&png, None, None, None),
        Err(ExtractError::Binary { .. })
    ));
}

#[test]
fn truncated_gbk_page_is_best_effort() {
    let bytes = fixture("gbk_declares_gb2312.html");
    // Cut inside the body, in the middle of a two-byte character.
    let cut = (bytes.len() * 3 / 4) | 1;
    let x = extract(&bytes[..cut], None, None, None).unwrap();
    assert_eq!(x.encoding, "gb18030");
    assert!(x.body().contains("防汛工作部署会"));
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let mut html = String::from("<html><body>");
    html.push_str(&"<div><span>".repeat(100_000));
    html.push_str("<p>会议指出，要坚持以人民为中心的发展思想，统筹推进各项工作。</p>");
    let x = extract(html.as_bytes(), None, None, None).unwrap();
    assert!(x.body().contains("以人民为中心"));
}

#[test]
fn big_page_is_handled_in_bounded_time() {
    let para = "<p>会议指出，要坚持以人民为中心的发展思想，统筹推进疫情防控和经济社会发展。</p>\n";
    let html = format!(
        "<html><body><div>{}</div></body></html>",
        para.repeat(50_000)
    );
    assert!(html.len() > 5_000_000);
    let t = std::time::Instant::now();
    let x = extract(html.as_bytes(), None, None, None).unwrap();
    assert_eq!(x.paragraphs.len(), 50_000);
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
}

#[test]
fn oversized_page_is_refused() {
    let big = vec![b'a'; jujiao_extract::MAX_PAGE_BYTES + 1];
    assert!(matches!(
        extract(&big, None, None, None),
        Err(ExtractError::TooLarge { .. })
    ));
}

#[test]
fn portal_name_title_gives_way_to_the_heading_above_the_body() {
    let html = "<html><head><meta charset=utf-8><title>北京市海淀区人民政府</title></head><body>\
        <div class=top><a href=/>首页</a></div><table><tr><td class=bt>区政府召开第十次常务会议</td></tr>\
        <tr><td class=zw><p>会议研究了城市更新、营商环境优化等事项，要求各部门抓好落实，确保取得实效。</p>\
        <p>会议还听取了关于疫情防控工作的汇报，强调要坚持常态化防控不放松。</p></td></tr></table></body></html>";
    let x = extract(html.as_bytes(), None, None, None).unwrap();
    assert_eq!(x.title.as_deref(), Some("区政府召开第十次常务会议"));
    assert_eq!(x.paragraphs.len(), 2, "{:?}", x.paragraphs);
}
