//! One run of a newspaper edition source: the day's edition page → its page PDFs →
//! `<paper><MMDD>.zip` in the briefing tree, holding only real PDFs (status 200 and the
//! `%PDF-` signature) — never an error page saved as `.pdf`, never an empty zip.
//!
//! Today's layouts (`../shared/SOURCES-TODAY.md`): 人民日报's day page
//! `pc/layout/YYYYMM/DD/node_01.html` lists the pages in `#list`; 北京日报's index page
//! jumps by script to the day page, whose page links are `a[data-href]`. A script or
//! `<meta http-equiv=refresh>` jump on an edition page without links is followed (at
//! most [`MAX_JUMPS`] times). A day whose edition page answers 404 (a Sunday, a
//! holiday) has no edition: reported as such ([`crate::Verdict::NoEdition`]), not as an
//! error.

use crate::report::{Event, Observer, SourceReport};
use crate::{Compiled, Crawler, RunOptions};
use chrono::{NaiveDate, Utc};
use jujiao_config::EditionSource;
use jujiao_extract::discover_links;
use jujiao_extract::select::Selector;
use jujiao_fetch::FetchRequest;
use std::io::Write;
use url::Url;

/// The first bytes of every PDF file.
const PDF_MAGIC: &[u8] = b"%PDF-";
/// Script or refresh jumps followed from an edition page that links nothing itself.
pub(crate) const MAX_JUMPS: usize = 2;

/// What fetching one edition page gave.
enum Fetched {
    Page(String, Url),
    /// 404: the paper has no edition that day.
    Missing,
    Failed,
}

pub(crate) async fn run(
    crawler: &Crawler,
    compiled: &Compiled,
    edition: &EditionSource,
    options: RunOptions,
    observer: &dyn Observer,
    report: &mut SourceReport,
) {
    let id = compiled.source.id.as_str();
    let day = options.day.unwrap_or_else(|| {
        Utc::now()
            .with_timezone(&jujiao_model::shanghai())
            .date_naive()
    });
    let Ok(edition_url) = Url::parse(&edition.url_for(day)) else {
        report.error(format!("edition URL for {day} is not a URL"));
        return;
    };
    let Some(pdf_selector) = compiled.pdf_links.as_ref() else {
        report.error("no PDF link selector".into());
        return;
    };
    report.list_pages += 1;
    let (mut page_text, mut page_url) = match fetch_page(crawler, id, &edition_url, report).await {
        Fetched::Page(text, url) => (text, url),
        Fetched::Missing => {
            report.no_edition = Some(format!(
                "no edition on {day} ({}): {edition_url} answered 404",
                weekday_zh(day)
            ));
            return;
        }
        Fetched::Failed => {
            report.list_pages_failed += 1;
            return;
        }
    };
    // The index page of an e-paper jumps by script to the day's page (北京日报).
    let first_links = compiled.page_links.as_ref().unwrap_or(pdf_selector);
    for _ in 0..MAX_JUMPS {
        if !links(&page_text, &page_url, first_links).is_empty() {
            break;
        }
        let Some(target) = jump_target(&page_text).and_then(|t| page_url.join(&t).ok()) else {
            break;
        };
        report.list_pages += 1;
        match fetch_page(crawler, id, &target, report).await {
            Fetched::Page(text, url) => (page_text, page_url) = (text, url),
            Fetched::Missing => {
                report.no_edition = Some(format!(
                    "no edition on {day} ({}): {target} answered 404",
                    weekday_zh(day)
                ));
                return;
            }
            Fetched::Failed => {
                report.list_pages_failed += 1;
                return;
            }
        }
    }
    let mut pdf_urls: Vec<String> = Vec::new();
    match compiled.page_links.as_ref() {
        None => pdf_urls.extend(links(&page_text, &page_url, pdf_selector)),
        Some(page_sel) => {
            for page in links(&page_text, &page_url, page_sel) {
                let Ok(page) = Url::parse(&page) else {
                    continue;
                };
                report.list_pages += 1;
                match fetch_page(crawler, id, &page, report).await {
                    Fetched::Page(text, url) => pdf_urls.extend(links(&text, &url, pdf_selector)),
                    Fetched::Missing => {
                        report.list_pages_failed += 1;
                        report.error(format!("{page}: HTTP 404"));
                    }
                    Fetched::Failed => report.list_pages_failed += 1,
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    pdf_urls.retain(|u| seen.insert(u.clone()));
    report.links_found = pdf_urls.len() as u64;
    observer.event(
        id,
        Event::ListPage {
            url: edition_url.to_string(),
            links: pdf_urls.len(),
        },
    );
    observer.event(id, Event::ArticlesPlanned(pdf_urls.len()));
    if options.dry_run {
        report.would_fetch = pdf_urls;
        return;
    }
    let mut pdfs: Vec<Vec<u8>> = Vec::new();
    for u in &pdf_urls {
        let Ok(url) = Url::parse(u) else { continue };
        let request = FetchRequest::new(url).with_source(id);
        report.article_pages += 1;
        let ok = match crawler.fetcher.fetch(&request).await {
            Ok(r) if r.is_success() && r.body.starts_with(PDF_MAGIC) => {
                pdfs.push(r.body);
                true
            }
            Ok(r) if r.is_success() => {
                report.error(format!(
                    "{u}: not a PDF ({}), not kept",
                    r.content_type.as_deref().unwrap_or("no content type")
                ));
                false
            }
            Ok(r) => {
                report.error(format!("{u}: HTTP {}", r.status));
                false
            }
            Err(e) => {
                report.error(format!("{u}: {e}"));
                false
            }
        };
        observer.event(id, Event::ArticleDone { url: u.clone(), ok });
    }
    report.pdfs = pdfs.len() as u64;
    if pdfs.is_empty() {
        return;
    }
    match write_zip(crawler, compiled, edition, day, &pdfs) {
        Ok(jujiao_legacy::WriteOutcome::Unchanged) => report.tally.unchanged += 1,
        Ok(_) => report.tally.new += 1,
        Err(e) => report.error(format!("edition zip: {e}")),
    }
}

async fn fetch_page(crawler: &Crawler, id: &str, url: &Url, report: &mut SourceReport) -> Fetched {
    let request = FetchRequest::new(url.clone()).with_source(id);
    match crawler.fetcher.fetch(&request).await {
        Ok(r) if r.is_success() => {
            let decoded = jujiao_extract::decode(&r.body, r.charset.as_deref());
            Fetched::Page(decoded.text, r.url)
        }
        Ok(r) if r.status == 404 => Fetched::Missing,
        Ok(r) => {
            report.note_status(url, &r);
            Fetched::Failed
        }
        Err(e) => {
            report.error(format!("{url}: {e}"));
            Fetched::Failed
        }
    }
}

/// Where a page jumps to by script or refresh: `window.location.href = '…'`,
/// `location.replace("…")`, `<meta http-equiv="refresh" content="0; url=…">`.
pub(crate) fn jump_target(page: &str) -> Option<String> {
    static JUMP: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(concat!(
            r#"(?i)(?:(?:window|document|self|top)\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']"#,
            r#"|location\.(?:replace|assign)\(\s*["']([^"']+)["']"#,
            r#"|http-equiv\s*=\s*["']?refresh["']?[^>]*?url\s*=\s*['"]?([^"'>\s]+)"#,
        ))
        .expect("static regex")
    });
    let c = JUMP.captures(page)?;
    c.get(1)
        .or_else(|| c.get(2))
        .or_else(|| c.get(3))
        .map(|m| m.as_str().trim().to_owned())
        .filter(|t| !t.is_empty() && !t.starts_with("javascript:"))
}

fn weekday_zh(day: NaiveDate) -> &'static str {
    use chrono::Datelike;
    [
        "星期一",
        "星期二",
        "星期三",
        "星期四",
        "星期五",
        "星期六",
        "星期日",
    ][day.weekday().num_days_from_monday() as usize]
}

fn links(text: &str, base: &Url, selector: &Selector) -> Vec<String> {
    discover_links(text, base, Some(selector), None)
        .into_iter()
        .map(|l| l.url)
        .collect()
}

/// `<out>/<column>/<date folder>/<paper><MMDD>.zip` with `<paper><n>.pdf` entries.
fn write_zip(
    crawler: &Crawler,
    compiled: &Compiled,
    edition: &EditionSource,
    day: NaiveDate,
    pdfs: &[Vec<u8>],
) -> Result<jujiao_legacy::WriteOutcome, String> {
    let settings = &crawler.config.settings;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (i, pdf) in pdfs.iter().enumerate() {
            zip.start_file(format!("{}{}.pdf", edition.paper, i + 1), options)
                .map_err(|e| e.to_string())?;
            zip.write_all(pdf).map_err(|e| e.to_string())?;
        }
        zip.finish().map_err(|e| e.to_string())?;
    }
    let name = jujiao_legacy::file_name(
        &format!("{}{}", edition.paper, day.format("%m%d")),
        settings.filenames,
        None,
    );
    let name = name.strip_suffix(".txt").unwrap_or(&name).to_owned() + ".zip";
    let rel = format!(
        "{}/{}/{}",
        jujiao_legacy::file_name(&compiled.source.column, settings.filenames, None)
            .trim_end_matches(".txt"),
        settings.date_folder.folder_name(day),
        name
    );
    let path = jujiao_legacy::join_under_root(&crawler.output, &rel).map_err(|e| e.to_string())?;
    jujiao_legacy::write_atomic(&path, buf.get_ref()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_and_refresh_jumps_are_read() {
        let bjrb = "<script>var d='x';window.location.href = 'mobile/2026/20261204/20261204_m.html';</script>";
        assert_eq!(
            jump_target(bjrb).as_deref(),
            Some("mobile/2026/20261204/20261204_m.html")
        );
        let replace = "<script>location.replace(\"/p/20261204.html\")</script>";
        assert_eq!(jump_target(replace).as_deref(), Some("/p/20261204.html"));
        let meta = "<meta http-equiv=\"refresh\" content=\"0; url=day/1.html\">";
        assert_eq!(jump_target(meta).as_deref(), Some("day/1.html"));
        assert_eq!(jump_target("<p>no jump</p>"), None);
        assert_eq!(
            weekday_zh(NaiveDate::from_ymd_opt(2026, 12, 6).expect("day")),
            "星期日"
        );
    }
}
