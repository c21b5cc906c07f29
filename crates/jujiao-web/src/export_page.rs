//! Exports: the form (`/export`) and the download (`/export/download?since=&until=&
//! column=…&format=`), written by `jujiao-export` into memory and sent with the right
//! `Content-Type` and an RFC 6266 / RFC 5987 `Content-Disposition` (`filename*=UTF-8''…`
//! for the Chinese name, an ASCII `filename=` for old clients).

use crate::AppState;
use crate::view::{self, error_page, render};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use jujiao_export::{ExportOptions, Format};
use minijinja::context;
use serde::Serialize;

/// The longest range one export may cover.
pub(crate) const MAX_EXPORT_DAYS: i64 = 366;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/export", get(export_form))
        .route("/export/download", get(download))
}

#[derive(Debug, Serialize)]
struct FormatOption {
    name: &'static str,
    label: &'static str,
}

fn format_label(f: Format) -> &'static str {
    match f {
        Format::Docx => "Word 简报（.docx）",
        Format::Xlsx => "Excel 目录（.xlsx）",
        Format::Zip => "原格式文件夹打包（.zip）",
        Format::Md => "Markdown 文本（.md）",
        Format::Jsonl => "JSON Lines 数据（.jsonl）",
    }
}

async fn export_form(State(state): State<AppState>) -> Response {
    let today = view::today().to_string();
    let order = [
        Format::Docx,
        Format::Xlsx,
        Format::Zip,
        Format::Md,
        Format::Jsonl,
    ];
    let formats: Vec<FormatOption> = order
        .iter()
        .map(|f| FormatOption {
            name: f.name(),
            label: format_label(*f),
        })
        .collect();
    render(
        &state,
        "export.html",
        context! {
            nav => "export",
            since => today.clone(),
            until => today,
            columns => view::known_columns(&state),
            formats,
        },
    )
}

/// A validated export request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExportRequest {
    pub since: NaiveDate,
    pub until: NaiveDate,
    pub columns: Vec<String>,
    pub format: Format,
}

/// Parses the download's query; anything odd is refused with a message.
pub(crate) fn parse_request(
    query: &str,
    known_columns: &[String],
) -> Result<ExportRequest, &'static str> {
    let (mut since, mut until, mut format) = (None, None, None);
    let mut columns = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let v = v.trim();
        match k.as_ref() {
            "since" if since.is_none() => {
                since = Some(view::parse_date(v).ok_or("开始日期格式应为 年-月-日。")?);
            }
            "until" if until.is_none() => {
                until = Some(view::parse_date(v).ok_or("结束日期格式应为 年-月-日。")?);
            }
            "format" if format.is_none() => {
                format = Some(v.parse::<Format>().map_err(|_| "不支持这种导出格式。")?);
            }
            "column" => {
                if v.is_empty() {
                    continue;
                }
                if !known_columns.iter().any(|c| c == v) {
                    return Err("没有这个栏目。");
                }
                if !columns.iter().any(|c| c == v) {
                    columns.push(v.to_owned());
                }
            }
            _ => return Err("请求中有无法识别的参数。"),
        }
    }
    let since = since.ok_or("请填写开始日期。")?;
    let until = until.ok_or("请填写结束日期。")?;
    let format = format.ok_or("请选择导出格式。")?;
    if since > until {
        return Err("开始日期不能晚于结束日期。");
    }
    if (until - since).num_days() >= MAX_EXPORT_DAYS {
        return Err("一次最多导出一年的简报，请缩小日期范围。");
    }
    Ok(ExportRequest {
        since,
        until,
        columns,
        format,
    })
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 §4.3, RFC 5987 §3.2).
pub(crate) fn content_disposition(name: &str, ascii_fallback: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{encoded}")
}

async fn download(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let known = view::known_columns(&state);
    let req = match parse_request(query.as_deref().unwrap_or(""), &known) {
        Ok(r) => r,
        Err(message) => {
            return error_page(&state, StatusCode::BAD_REQUEST, "导出条件有误", message);
        }
    };
    let options = ExportOptions {
        since: Some(req.since),
        until: Some(req.until),
        columns: req.columns.clone(),
        ..ExportOptions::default()
    };
    let mut out = std::io::Cursor::new(Vec::new());
    if let Err(e) = jujiao_export::export_with_files(
        state.store(),
        state.files(),
        &options,
        req.format,
        &mut out,
    )
    .await
    {
        tracing::error!(error = %e, "export failed");
        return error_page(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            "导出失败",
            "生成文件时出错，请稍后再试；如果一直如此，请联系管理员。",
        );
    }
    // The same name `jujiao export` gives; an ASCII one for clients without RFC 8187.
    let name = jujiao_export::file_name(&options, req.format);
    let ext = req.format.extension();
    let ascii_range = if req.since == req.until {
        req.since.to_string()
    } else {
        format!("{}_{}", req.since, req.until)
    };
    let fallback = format!("jujiao-{ascii_range}.{ext}");
    (
        [
            (header::CONTENT_TYPE, req.format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                content_disposition(&name, &fallback),
            ),
        ],
        out.into_inner(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<String> {
        vec!["国内新闻".to_owned(), "北京新闻".to_owned()]
    }

    #[test]
    fn a_good_request_parses() {
        let q = "since=2026-11-01&until=2026-11-27&column=%E5%9B%BD%E5%86%85%E6%96%B0%E9%97%BB&format=docx";
        let r = parse_request(q, &cols()).unwrap();
        assert_eq!(r.columns, vec!["国内新闻"]);
        assert_eq!(r.format, Format::Docx);
    }

    #[test]
    fn odd_requests_are_refused() {
        for q in [
            "since=2026-11-01&until=2026-11-27&format=exe",
            "since=2026-13-01&until=2026-11-27&format=md",
            "since=2026-11-28&until=2026-11-27&format=md",
            "since=2020-01-01&until=2026-11-27&format=md",
            "since=2026-11-01&until=2026-11-27&format=md&column=nope",
            "since=2026-11-01&until=2026-11-27&format=md&evil=1",
            "since=2026-11-01&until=2026-11-27",
            "",
        ] {
            assert!(parse_request(q, &cols()).is_err(), "{q}");
        }
    }

    #[test]
    fn chinese_file_names_use_rfc_5987() {
        assert_eq!(
            content_disposition("简报 1.md", "jujiao.md"),
            "attachment; filename=\"jujiao.md\"; filename*=UTF-8''%E7%AE%80%E6%8A%A5%201.md"
        );
    }
}
