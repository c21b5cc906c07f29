//! Every format exported from a real SQLite store and opened again with independent
//! readers: the zip with the `zip` crate (and its raw headers), the workbook with
//! `calamine`, the Word document's XML with `quick-xml`, Markdown and JSON lines parsed.

mod common;

use common::read::{central_names, docx_paragraphs, local_flags, zip_entries, zip_entry};
use common::{ORDER_IN_RANGE, SPECS, day, legacy_layout, url_of};
use jujiao_export::{ExportOptions, Format, export, export_to_path};
use jujiao_legacy::{LegacyDoc, render, render_canonical};
use jujiao_store::Store;
use std::collections::BTreeMap;
use std::io::Cursor;

fn range() -> ExportOptions {
    ExportOptions {
        since: Some(day(26)),
        until: Some(day(28)),
        ..ExportOptions::default()
    }
}

async fn bytes_of(store: &dyn Store, options: &ExportOptions, format: Format) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let report = export(store, options, format, &mut out)
        .await
        .expect("export");
    let bytes = out.into_inner();
    assert_eq!(report.bytes, bytes.len() as u64, "{format}: bytes counted");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    bytes
}

#[tokio::test]
async fn zip_holds_exactly_the_files_publish_writes() {
    let store = common::store().await;
    let bytes = bytes_of(&store, &range(), Format::Zip).await;
    let entries = zip_entries(&bytes);

    let expected_names = [
        "领导活动/11月27日/区委书记调研／座谈会召开.txt",
        "领导活动/11月27日/区委书记调研／座谈会召开 (2).txt",
        "国内新闻/11月27日/国务院常务会议｜部署今冬明春工作.txt",
        "网络聚焦/国内新闻/11月27日/旧文：区政府召开常务会议.txt",
        "国际新闻/11月28日/联合国气候大会开幕.txt",
        "北京新闻/11月26日/北京地铁新线开通.txt",
        "健康新闻/11月27日/冬季流感高发？专家提醒.txt",
        "专题/11月27日/学习贯彻＜全会＞精神.txt",
    ];
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, expected_names);

    for ((name, data), &i) in entries.iter().zip(ORDER_IN_RANGE.iter()) {
        let s = &SPECS[i];
        let text = String::from_utf8(data.clone()).expect("UTF-8 file");
        let expected = match s.legacy_path {
            None => render_canonical(s.title, s.paragraphs),
            Some(_) => render(&LegacyDoc {
                title: s.title.into(),
                paragraphs: s.paragraphs.iter().map(|p| (*p).to_owned()).collect(),
                image_markers: 0,
                layout: legacy_layout(),
            }),
        };
        assert_eq!(text, expected, "{name}");
    }
    assert!(
        zip_entry(&bytes, expected_names[3]).starts_with("旧文：区政府召开常务会议.txt\n"),
        "the legacy file keeps its own title line"
    );

    // Byte for byte what `jujiao publish` writes for the same range.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let publish = jujiao_tree::PublishOptions {
        out: dir.path().to_owned(),
        since: Some(day(26)),
        until: Some(day(28)),
        ..jujiao_tree::PublishOptions::default()
    };
    let published = jujiao_tree::publish(&store, &publish)
        .await
        .expect("publish");
    assert_eq!(published.written, entries.len());
    let mut on_disk = BTreeMap::new();
    for name in expected_names {
        let path = dir.path().join(name);
        on_disk.insert(
            name.to_owned(),
            std::fs::read(&path).expect("published file"),
        );
    }
    let zipped: BTreeMap<String, Vec<u8>> = entries.into_iter().collect();
    assert_eq!(zipped, on_disk);
}

#[tokio::test]
async fn zip_names_are_utf8_with_the_language_encoding_flag() {
    let store = common::store().await;
    let bytes = bytes_of(&store, &range(), Format::Zip).await;
    let central = central_names(&bytes);
    assert_eq!(central.len(), ORDER_IN_RANGE.len());
    for (flags, name) in &central {
        let name = std::str::from_utf8(name).expect("raw name is UTF-8");
        assert!(!name.is_ascii());
        assert_ne!(
            flags & (1 << 11),
            0,
            "bit 11 unset in the central record of {name}"
        );
        assert!(!name.contains('\\'), "{name}");
    }
    let local = local_flags(&bytes);
    assert_eq!(local.len(), central.len());
    assert!(local.iter().all(|f| f & (1 << 11) != 0), "{local:?}");
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).expect("zip");
    let first = archive.by_index(0).expect("entry");
    assert_eq!(first.compression(), zip::CompressionMethod::Deflated);
    let t = first.last_modified().expect("a modification time");
    assert!(
        t.year() >= 2026,
        "dated with the fetch time, not 1980: {t:?}"
    );
}

#[tokio::test]
async fn posix_mode_and_iso_folders_reach_the_zip() {
    let store = common::store().await;
    let options = ExportOptions {
        columns: vec!["国内新闻".into()],
        date_style: jujiao_legacy::DateFolderStyle::Iso,
        file_name_mode: jujiao_legacy::FileNameMode::Posix,
        ..range()
    };
    let names: Vec<String> = zip_entries(&bytes_of(&store, &options, Format::Zip).await)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        ["国内新闻/2026-11-27/国务院常务会议|部署今冬明春工作.txt"]
    );
}

#[tokio::test]
async fn xlsx_index_reads_back_with_calamine() {
    use calamine::{Data, Reader, Xlsx};
    let store = common::store().await;
    let bytes = bytes_of(&store, &range(), Format::Xlsx).await;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).expect("an xlsx workbook");
    assert_eq!(book.sheet_names(), ["简报"]);
    let sheet = book.worksheet_range("简报").expect("the sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, ["标题", "栏目", "来源", "日期", "作者", "链接"]);
    assert_eq!(rows.len(), 1 + ORDER_IN_RANGE.len());
    for (row, &i) in rows[1..].iter().zip(ORDER_IN_RANGE.iter()) {
        let s = &SPECS[i];
        assert_eq!(row[0].to_string(), s.title);
        assert_eq!(row[1].to_string(), s.column);
        let origin = if i % 2 == 1 { "人民日报" } else { "" };
        assert_eq!(row[2].to_string(), origin, "row of spec {i}");
        // 日期: the publish day when known, else the briefing day; a real date cell.
        match &row[3] {
            Data::DateTime(d) => {
                let serial = d.as_f64();
                let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("epoch");
                let days = (day(s.date.expect("dated")) - epoch).num_days();
                let expected = days as f64;
                assert!((serial - expected).abs() < 1e-9, "{serial} vs {expected}");
            }
            other => panic!("日期 is not a date cell: {other:?}"),
        }
        let author = if i % 2 == 0 { "记者 唐炜" } else { "" };
        assert_eq!(row[4].to_string(), author);
        let url = if s.legacy_path.is_some() {
            format!("legacy:{}", s.legacy_path.unwrap_or_default())
        } else {
            url_of(i)
        };
        assert_eq!(row[5].to_string(), url);
    }
    // Hyperlinks, frozen header and the bold header font are in the sheet's XML.
    let sheet_xml = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert_eq!(
        sheet_xml.matches("<hyperlink ").count(),
        ORDER_IN_RANGE.len() - 1,
        "every web URL is a link, the legacy: one is not"
    );
    assert!(sheet_xml.contains("ySplit=\"1\""), "frozen header row");
    assert!(sheet_xml.contains("<autoFilter ref=\"A1:F9\""));
    let rels = zip_entry(&bytes, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(rels.contains(&url_of(1).replace('&', "&amp;")), "{rels}");
    assert!(zip_entry(&bytes, "xl/styles.xml").contains("<b/>"));
}

#[tokio::test]
async fn docx_reads_back_in_briefing_order() {
    let store = common::store().await;
    let options = ExportOptions {
        since: Some(day(27)),
        until: Some(day(27)),
        ..ExportOptions::default()
    };
    let bytes = bytes_of(&store, &options, Format::Docx).await;
    let names: Vec<String> = zip_entries(&bytes).into_iter().map(|(n, _)| n).collect();
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/styles.xml",
        "word/_rels/document.xml.rels",
        "docProps/core.xml",
    ] {
        assert!(names.iter().any(|n| n == part), "{part} missing: {names:?}");
    }
    let paragraphs = docx_paragraphs(&zip_entry(&bytes, "word/document.xml"));
    let got: Vec<(&str, bool, &str)> = paragraphs
        .iter()
        .map(|(s, b, t)| (s.as_str(), *b, t.as_str()))
        .collect();
    let expected: Vec<(&str, bool, &str)> = vec![
        ("Title", false, "每日简报 2026年11月27日"),
        ("Heading1", false, "领导活动"),
        ("Heading2", false, "区委书记调研/座谈会召开"),
        ("Meta", false, "来源：人民日报　日期：2026-11-27　原文链接"),
        ("BodyText", false, "11月27日，区委书记到街道调研。"),
        ("BodyText", false, "随后召开座谈会。"),
        ("BodyText", false, "会议强调，要抓好落实。"),
        ("Heading2", false, "区委书记调研/座谈会召开"),
        (
            "Meta",
            false,
            "日期：2026-11-27 09:30　作者：记者 唐炜　原文链接",
        ),
        ("BodyText", false, "同题的第二篇文章，内容不同。"),
        ("Heading1", true, "国内新闻"),
        ("Heading2", false, "国务院常务会议|部署今冬明春工作"),
        ("Meta", false, "作者：记者 唐炜　原文链接"),
        ("BodyText", false, "国务院总理主持召开国务院常务会议。"),
        ("BodyText", false, "1. 部署保暖保供。"),
        ("Heading1", true, "网络聚焦/国内新闻"),
        ("Heading2", false, "旧文：区政府召开常务会议"),
        ("Meta", false, "来源：人民日报　日期：2026-11-27"),
        ("BodyText", false, "区政府召开常务会议。"),
        ("BodyText", false, "会议研究了有关事项。"),
        ("Heading1", true, "健康新闻"),
        ("Heading2", false, "冬季流感高发？专家提醒"),
        (
            "Meta",
            false,
            "日期：2026-11-27 09:30　作者：记者 唐炜　原文链接",
        ),
        ("BodyText", false, "近期流感进入高发期。"),
        ("BodyText", false, "专家建议：*勤洗手*、戴口罩。"),
        ("Heading1", true, "专题"),
        ("Heading2", false, "学习贯彻<全会>精神"),
        (
            "Meta",
            false,
            "来源：人民日报　日期：2026-11-27 09:30　原文链接",
        ),
        ("BodyText", false, "各单位认真学习。"),
    ];
    assert_eq!(got, expected);

    let styles = zip_entry(&bytes, "word/styles.xml");
    assert!(styles.contains("w:eastAsia=\"宋体\""), "body font");
    assert!(styles.contains("w:eastAsia=\"黑体\""), "heading font");
    assert!(
        styles.contains("w:firstLineChars=\"200\""),
        "two-character indent"
    );
    assert!(styles.contains("<w:name w:val=\"heading 1\"/>"));
    let rels = zip_entry(&bytes, "word/_rels/document.xml.rels");
    assert_eq!(rels.matches("TargetMode=\"External\"").count(), 5);
    assert!(rels.contains(&url_of(1).replace('&', "&amp;")));
    // Every part is well-formed XML.
    for (name, data) in zip_entries(&bytes) {
        let text = String::from_utf8(data).expect("UTF-8 part");
        let mut r = quick_xml::Reader::from_str(&text);
        while !matches!(
            r.read_event().unwrap_or_else(|e| panic!("{name}: {e}")),
            quick_xml::events::Event::Eof
        ) {}
    }
}

#[tokio::test]
async fn markdown_has_the_briefing_structure() {
    let store = common::store().await;
    let options = ExportOptions {
        since: Some(day(27)),
        until: Some(day(27)),
        columns: vec!["健康新闻".into(), "国内新闻".into()],
        ..ExportOptions::default()
    };
    let md = String::from_utf8(bytes_of(&store, &options, Format::Md).await).expect("UTF-8");
    let blocks: Vec<&str> = md.split("\n\n").map(str::trim).collect();
    let expected = [
        "# 每日简报 2026年11月27日",
        "## 国内新闻",
        "### 国务院常务会议\\|部署今冬明春工作",
        "作者：记者 唐炜",
        "国务院总理主持召开国务院常务会议。",
        "1\\. 部署保暖保供。",
        "[原文链接](<https://news.example.test/a/2.html?from=index&x=1>)",
        "## 健康新闻",
        "### 冬季流感高发？专家提醒",
        "日期：2026-11-27 09:30　作者：记者 唐炜",
        "近期流感进入高发期。",
        "专家建议：\\*勤洗手\\*、戴口罩。",
        "[原文链接](<https://news.example.test/a/0.html?from=index&x=1>)",
    ];
    assert_eq!(blocks, expected);
}

#[tokio::test]
async fn jsonl_lines_parse_with_every_field() {
    let store = common::store().await;
    let bytes = bytes_of(&store, &ExportOptions::default(), Format::Jsonl).await;
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with('\n'));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    // No range: the undated filing is in, last of its column.
    let order = [1, 6, 8, 2, 7, 4, 5, 0, 3];
    assert_eq!(lines.len(), order.len());
    for (v, &i) in lines.iter().zip(order.iter()) {
        let s = &SPECS[i];
        assert_eq!(v["title"], s.title);
        assert_eq!(v["column"], s.column);
        assert_eq!(v["source"], "demo");
        assert_eq!(v["editor"], "张三");
        assert_eq!(
            v["filed_date"],
            s.date
                .map_or(serde_json::Value::Null, |d| format!("2026-11-{d}").into())
        );
        let body: Vec<String> = s
            .paragraphs
            .iter()
            .map(|p| jujiao_model::Paragraph::new(*p).clean())
            .collect();
        assert_eq!(v["body"], body.join("\n"));
        assert_eq!(
            v["images"][0]["url"],
            format!("https://news.example.test/img/{i}.jpg")
        );
    }
    assert_eq!(lines[0]["publish_time"], "2026-11-27");
    assert_eq!(lines[0]["origin"], "人民日报");
    assert_eq!(lines[0]["author"], serde_json::Value::Null);
    assert_eq!(lines[3]["publish_time"], serde_json::Value::Null);
    assert_eq!(lines[3]["attachments"][0]["kind"], "pdf");
    assert_eq!(lines[7]["publish_time"], "2026-11-27T09:30:00+08:00");
    assert_eq!(
        lines[0]["body"],
        "11月27日，区委书记到街道调研。\n随后召开座谈会。\n会议强调，要抓好落实。"
    );
}

#[tokio::test]
async fn filters_select_columns_and_days() {
    let store = common::store().await;
    let titles = |bytes: Vec<u8>| -> Vec<String> {
        String::from_utf8(bytes)
            .expect("UTF-8")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
                format!("{}:{}", v["column"].as_str().unwrap_or(""), v["filed_date"])
            })
            .collect()
    };
    let only_28 = ExportOptions {
        since: Some(day(28)),
        ..ExportOptions::default()
    };
    assert_eq!(
        titles(bytes_of(&store, &only_28, Format::Jsonl).await),
        ["国际新闻:\"2026-11-28\""]
    );
    let until_26 = ExportOptions {
        until: Some(day(26)),
        ..ExportOptions::default()
    };
    assert_eq!(
        titles(bytes_of(&store, &until_26, Format::Jsonl).await),
        ["北京新闻:\"2026-11-26\""]
    );
    // Columns given in any order come out in the office's order; exact names only.
    let two = ExportOptions {
        columns: vec!["国际新闻".into(), "领导活动".into(), "国内".into()],
        ..range()
    };
    assert_eq!(
        titles(bytes_of(&store, &two, Format::Jsonl).await),
        [
            "领导活动:\"2026-11-27\"",
            "领导活动:\"2026-11-27\"",
            "国际新闻:\"2026-11-28\""
        ]
    );
    // A custom order puts 专题 first.
    let custom = ExportOptions {
        column_order: jujiao_export::ColumnOrder::new(["专题", "国际新闻"]),
        since: Some(day(27)),
        ..ExportOptions::default()
    };
    let got = titles(bytes_of(&store, &custom, Format::Jsonl).await);
    assert_eq!(got[0], "专题:\"2026-11-27\"");
    assert_eq!(got[1], "国际新闻:\"2026-11-28\"");
}

#[tokio::test]
async fn an_empty_selection_still_gives_valid_files() {
    let store = common::store().await;
    let none = ExportOptions {
        since: Some(day(1)),
        until: Some(day(2)),
        ..ExportOptions::default()
    };
    assert!(zip_entries(&bytes_of(&store, &none, Format::Zip).await).is_empty());
    let docx = bytes_of(&store, &none, Format::Docx).await;
    let paragraphs = docx_paragraphs(&zip_entry(&docx, "word/document.xml"));
    assert_eq!(paragraphs.len(), 1);
    assert_eq!(paragraphs[0].2, "每日简报 2026年11月01日至2026年11月02日");
    let xlsx = bytes_of(&store, &none, Format::Xlsx).await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx)).expect("an xlsx workbook");
    let sheet = calamine::Reader::worksheet_range(&mut book, "简报").expect("the sheet");
    assert_eq!(sheet.rows().count(), 1, "the header row alone");
    assert!(bytes_of(&store, &none, Format::Jsonl).await.is_empty());
}

#[tokio::test]
async fn export_to_path_replaces_the_file_whole() {
    let store = common::store().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("简报.zip");
    std::io::Write::write_all(
        &mut std::fs::File::create(&path).expect("an old file"),
        b"old",
    )
    .expect("old bytes");
    let report = export_to_path(&store, &range(), Format::Zip, &path)
        .await
        .expect("export");
    assert_eq!(report.articles, ORDER_IN_RANGE.len());
    let bytes = std::fs::read(&path).expect("the export");
    assert_eq!(report.bytes, bytes.len() as u64);
    assert_eq!(zip_entries(&bytes).len(), ORDER_IN_RANGE.len());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
}

#[test]
fn hostile_text_stays_well_formed_in_every_format() {
    use jujiao_model::{Article, Filing, Paragraph};
    use jujiao_store::{ArticleId, FiledArticle, FilingId};
    let fa = FiledArticle {
        filing_id: FilingId(1),
        filing: Filing {
            column: "国内新闻".into(),
            date: Some(day(27)),
            legacy: None,
        },
        article_id: ArticleId(1),
        revision: 1,
        article: Article {
            source: "demo".into(),
            url: "https://news.example.test/a b\"c?x=<1>&y=2".into(),
            title: "A&B <C> \u{1}]]> # 标题".into(),
            paragraphs: vec![Paragraph::new("　　控制符\u{b}与</w:t>标签&amp;")],
            ..Article::default()
        },
    };
    let articles = [fa];
    let options = ExportOptions::default();
    let mut docx = Cursor::new(Vec::new());
    jujiao_export::write(&articles, &options, Format::Docx, &mut docx).expect("docx");
    let docx = docx.into_inner();
    let paragraphs = docx_paragraphs(&zip_entry(&docx, "word/document.xml"));
    let texts: Vec<&str> = paragraphs.iter().map(|(_, _, t)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            "每日简报 2026年11月27日",
            "国内新闻",
            "A&B <C> ]]> # 标题",
            "原文链接",
            "控制符与</w:t>标签&amp;"
        ]
    );
    let rels = zip_entry(&docx, "word/_rels/document.xml.rels");
    assert!(
        rels.contains("Target=\"https://news.example.test/a%20b%22c?x=%3C1%3E&amp;y=2\""),
        "{rels}"
    );

    let mut md = Cursor::new(Vec::new());
    jujiao_export::write(&articles, &options, Format::Md, &mut md).expect("md");
    let md = String::from_utf8(md.into_inner()).expect("UTF-8");
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headings,
        [
            "# 每日简报 2026年11月27日",
            "## 国内新闻",
            "### A\\&B \\<C\\> \\]\\]\\> \\# 标题"
        ]
    );

    let mut xlsx = Cursor::new(Vec::new());
    jujiao_export::write(&articles, &options, Format::Xlsx, &mut xlsx).expect("xlsx");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx.into_inner())).expect("xlsx opens");
    let sheet = calamine::Reader::worksheet_range(&mut book, "简报").expect("the sheet");
    let title = sheet.get((1, 0)).map(ToString::to_string);
    assert_eq!(title.as_deref(), Some("A&B <C> \u{1}]]> # 标题"));
}
