//! Issue 15: an article's 政府信息公开 table reaches the JSON lines and the xlsx index,
//! read back from a real SQLite store; exports without such articles are unchanged.

use chrono::NaiveDate;
use jujiao_export::{ExportOptions, Format, export};
use jujiao_model::{Article, Disclosure, Filing, Paragraph};
use jujiao_store::{ArticleRecord, ArticleStore, SqliteStore, Store};
use std::io::Cursor;

fn record(n: u32, disclosure: Option<Disclosure>) -> ArticleRecord {
    ArticleRecord {
        article: Article {
            source: "hdgov".into(),
            url: format!("https://gov.example/zwgk/202401/t20240105_{n}.html"),
            title: format!("关于印发第{n}项重点工作任务的通知"),
            paragraphs: vec![Paragraph::new(format!("　　现将第{n}项任务印发给你们。"))],
            disclosure,
            ..Article::default()
        },
        filing: Filing {
            column: "通知公告".into(),
            date: NaiveDate::from_ymd_opt(2024, 1, 5),
            legacy: None,
        },
    }
}

fn table() -> Disclosure {
    Disclosure {
        index_no: Some("11110108000016063X/2024-00012".into()),
        topic: Some("综合政务".into()),
        issuer: Some("北京市海淀区人民政府".into()),
        written_on: NaiveDate::from_ymd_opt(2024, 1, 3),
        doc_number: Some("京海政发〔2024〕1号".into()),
        published_on: NaiveDate::from_ymd_opt(2024, 1, 5),
        validity: Some("现行有效".into()),
        method: Some("主动公开".into()),
    }
}

async fn exported(store: &dyn Store, format: Format) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    export(store, &ExportOptions::default(), format, &mut out)
        .await
        .expect("export");
    out.into_inner()
}

#[tokio::test]
async fn disclosure_fields_reach_jsonl_and_xlsx() {
    use calamine::{Data, Reader, Xlsx};
    let store = SqliteStore::in_memory().await.expect("store");
    store
        .record_articles(&[record(1, Some(table())), record(2, None)])
        .await
        .expect("recorded");

    let text = String::from_utf8(exported(&store, Format::Jsonl).await).expect("UTF-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let d = &lines[0]["disclosure"];
    assert_eq!(d["doc_number"], "京海政发〔2024〕1号");
    assert_eq!(d["issuer"], "北京市海淀区人民政府");
    assert_eq!(d["written_on"], "2024-01-03");
    assert_eq!(d["published_on"], "2024-01-05");
    assert_eq!(d["validity"], "现行有效");
    assert_eq!(d["index_no"], "11110108000016063X/2024-00012");
    assert_eq!(d["topic"], "综合政务");
    assert_eq!(d["method"], "主动公开");
    assert!(lines[1].get("disclosure").is_none(), "{}", lines[1]);

    let bytes = exported(&store, Format::Xlsx).await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    let sheet = book.worksheet_range("简报").expect("sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(
        header,
        [
            "标题",
            "栏目",
            "来源",
            "日期",
            "作者",
            "链接",
            "发文字号",
            "发文机关",
            "成文日期",
            "有效性",
            "索引号"
        ]
    );
    let first: Vec<String> = rows[1].iter().map(ToString::to_string).collect();
    assert_eq!(first[6], "京海政发〔2024〕1号");
    assert_eq!(first[7], "北京市海淀区人民政府");
    assert!(matches!(rows[1][8], Data::DateTime(_)), "{:?}", rows[1][8]);
    assert_eq!(first[9], "现行有效");
    assert_eq!(first[10], "11110108000016063X/2024-00012");
    assert!(rows[2][6..].iter().all(|c| c.to_string().is_empty()));

    // Without any table the index keeps its six columns.
    let plain = SqliteStore::in_memory().await.expect("store");
    plain
        .record_articles(&[record(3, None)])
        .await
        .expect("recorded");
    let bytes = exported(&plain, Format::Xlsx).await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    let sheet = book.worksheet_range("简报").expect("sheet");
    assert_eq!(sheet.rows().next().expect("header").len(), 6);
}
