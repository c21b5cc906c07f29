//! The reader and renderer on hand-written fixtures, one per variant of
//! `LEGACY-FORMAT.md` (modelled on the real corpus, stored as exact bytes).

use jujiao_legacy::{
    CANONICAL_STYLE, Form, Layout, LegacyDoc, Rejection, parse, render, render_canonical,
};
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a fixture, checks the law (render gives the bytes back, layout survives JSON)
/// and returns the document.
fn read(name: &str) -> LegacyDoc {
    let bytes = fixture(name);
    let doc = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        render(&doc).as_bytes(),
        bytes.as_slice(),
        "{name} does not round-trip"
    );
    assert_eq!(
        Layout::from_json(&doc.layout.to_json()).expect("json"),
        doc.layout,
        "{name}"
    );
    doc
}

#[test]
fn canonical_file_has_canonical_layout() {
    let doc = read("canonical.txt");
    assert_eq!(doc.title, "区委常委会召开第183次会议");
    assert_eq!(doc.paragraphs.len(), 4);
    assert_eq!(doc.paragraphs[0], "　　区委书记主持会议。");
    assert_eq!(doc.paragraphs[2], "", "empty paragraph kept");
    assert!(doc.layout.is_canonical());
    assert_eq!(doc.layout.to_json(), serde_json::json!({}));
    assert_eq!(
        render_canonical(&doc.title, &doc.paragraphs).as_bytes(),
        fixture("canonical.txt").as_slice()
    );
}

#[test]
fn seed_file_is_canonical_and_reproduced_byte_for_byte() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seed/区委常委会召开第182次会议.txt");
    let Ok(bytes) = std::fs::read(&seed) else {
        println!("skipped: seed not present");
        return;
    };
    let doc = parse(&bytes).expect("seed parses");
    assert_eq!(doc.title, "区委常委会召开第182次会议");
    assert!(doc.layout.is_canonical());
    assert_eq!(
        render_canonical(&doc.title, &doc.paragraphs).as_bytes(),
        bytes.as_slice()
    );
}

#[test]
fn title_without_newline() {
    let doc = read("no_title_newline.txt");
    assert_eq!(doc.title, "海淀区召开防汛工作会");
    assert!(!doc.layout.title_newline);
    assert_eq!(doc.paragraphs.len(), 2);
}

#[test]
fn style_variants_become_default_plus_exceptions() {
    let doc = read("style_no_display.txt");
    assert_eq!(
        doc.layout.style,
        "font-size:16px;margin-top:15px;line-height:25px;text-indent:30px"
    );
    assert_eq!(doc.layout.style_exceptions.len(), 1);
    assert_eq!(doc.layout.style_exceptions[0].at, 2);
    assert_eq!(doc.layout.style_of(2), CANONICAL_STYLE);
    let doc = read("style_no_indent.txt");
    assert_eq!(
        doc.layout.style,
        "font-size:16px;margin-top:15px;line-height:25px;display:block"
    );
    assert!(doc.layout.style_exceptions.is_empty());
}

#[test]
fn repeated_file_name_title_loses_txt() {
    let mut doc = read("repeated_name.txt");
    assert_eq!(doc.title, "2二、当代中国发展进步的根本方向");
    assert_eq!(
        doc.layout.title_line.as_deref(),
        Some("2二、当代中国发展进步的根本方向.txt")
    );
    assert!(doc.strip_title_prefix("2"));
    assert_eq!(doc.title, "二、当代中国发展进步的根本方向");
    assert_eq!(
        render(&doc).as_bytes(),
        fixture("repeated_name.txt").as_slice()
    );
}

#[test]
fn crlf_inside_paragraphs_and_title_is_kept() {
    let doc = read("crlf.txt");
    assert_eq!(
        doc.title,
        "聚焦基本医疗有保障目标　坚决打赢攻坚战 ——健康扶贫论坛在京举办"
    );
    assert!(
        doc.layout
            .title_line
            .as_deref()
            .is_some_and(|t| t.contains("\r\n"))
    );
    assert!(doc.paragraphs[0].contains("\r\n　　会议传达"));
    assert!(doc.paragraphs[1].ends_with('\n'));
}

#[test]
fn image_markers_between_and_after_blocks() {
    let doc = read("markers.txt");
    assert_eq!(doc.paragraphs.len(), 3, "marker lines are not paragraphs");
    assert_eq!(doc.image_markers, 4);
    let at: Vec<(usize, usize)> = doc.layout.markers.iter().map(|m| (m.at, m.n)).collect();
    assert_eq!(at, vec![(0, 1), (1, 2), (3, 1)]);
    assert!(doc.paragraphs.iter().all(|p| !p.contains("这里有图片")));
}

#[test]
fn trailing_text_after_last_block_is_kept() {
    let doc = read("html_tail.txt");
    assert_eq!(doc.layout.tail, "\r\n");
}

#[test]
fn plain_speech_archive() {
    let doc = read("plain_speech.txt");
    assert_eq!(doc.layout.form, Form::Plain);
    assert_eq!(doc.title, "习近平在纪念大会上的讲话");
    assert_eq!(
        doc.paragraphs,
        [
            "同志们，朋友们：",
            "　　今天，我们隆重集会。",
            "",
            "\u{a0}",
            "最后一段。"
        ]
    );
    assert_eq!(doc.image_markers, 1);
    assert_eq!(doc.layout.lines, "sspspspspsmsp");
    let doc = read("plain_two_space.txt");
    assert_eq!(doc.paragraphs, ["第一段。", "第二段。"]);
    let doc = read("plain_no_final_newline.txt");
    assert!(!doc.layout.final_newline);
    assert_eq!(doc.paragraphs, ["第一段", "第二段"]);
}

#[test]
fn plain_file_of_markers_only() {
    let doc = read("plain_markers_only.txt");
    assert!(doc.paragraphs.is_empty());
    assert_eq!(doc.image_markers, 1);
}

#[test]
fn title_only_files_are_articles_without_body() {
    let doc = read("title_only.txt");
    assert!(doc.paragraphs.is_empty() && doc.is_body_empty());
    assert!(!doc.layout.title_newline);
    let doc = read("title_only_newline.txt");
    assert!(doc.layout.title_newline && doc.paragraphs.is_empty());
}

#[test]
fn rejections_name_their_reason() {
    assert_eq!(parse(&fixture("empty.txt")), Err(Rejection::Empty));
    assert_eq!(
        parse(&fixture("empty_zip.zip")),
        Err(Rejection::Binary { offset: 4 })
    );
    assert_eq!(
        parse(&fixture("gbk.txt")),
        Err(Rejection::NotUtf8 { offset: 0 })
    );
    assert!(matches!(
        parse(&fixture("not_article.txt")),
        Err(Rejection::NotAnArticle { .. })
    ));
    assert_eq!(parse(b"\n  \nbody\n"), Err(Rejection::NoTitle));
    assert_eq!(
        parse("<div><span style='x'> a</span></div><div>&nbsp;</div>".as_bytes()),
        Err(Rejection::NoTitle)
    );
    let broken = "T\n<div><span style='x'> never closed";
    assert!(matches!(
        parse(broken.as_bytes()),
        Err(Rejection::Malformed {
            reason: "block not closed",
            ..
        })
    ));
    let gap = format!(
        "T\n{0}junk{0}",
        "<div><span style='x'> a</span></div><div>&nbsp;</div>"
    );
    assert!(matches!(
        parse(gap.as_bytes()),
        Err(Rejection::Malformed {
            reason: "text between paragraph blocks",
            ..
        })
    ));
}

#[test]
fn edited_paragraphs_still_render() {
    let mut doc = read("plain_speech.txt");
    doc.paragraphs.push("新增一段".into());
    assert!(render(&doc).ends_with("  \n新增一段\n"));
    let mut doc = read("markers.txt");
    doc.paragraphs.truncate(1);
    let out = render(&doc);
    assert_eq!(
        out.matches("这里有图片").count(),
        4,
        "markers past the end are kept"
    );
}
