//! One run of a newspaper edition source: the day's edition page → its page PDFs →
//! `<paper><MMDD>.zip` in the briefing tree, holding only real PDFs (status 200 and the
//! `%PDF-` signature) — never an error page saved as `.pdf`, never an empty zip.

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
    let Some((page_text, page_url)) = fetch_page(crawler, id, &edition_url, report).await else {
        report.list_pages_failed += 1;
        return;
    };
    let mut pdf_urls: Vec<String> = Vec::new();
    match compiled.page_links.as_ref() {
        None => pdf_urls.extend(links(&page_text, &page_url, pdf_selector)),
        Some(page_sel) => {
            for page in links(&page_text, &page_url, page_sel) {
                let Ok(page) = Url::parse(&page) else {
                    continue;
                };
                report.list_pages += 1;
                if let Some((text, url)) = fetch_page(crawler, id, &page, report).await {
                    pdf_urls.extend(links(&text, &url, pdf_selector));
                }
            }
        }
    }
    pdf_urls.dedup();
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
        Ok(jujiao_legacy::WriteOutcome::Unchanged) => report.unchanged += 1,
        Ok(_) => report.new += 1,
        Err(e) => report.error(format!("edition zip: {e}")),
    }
}

async fn fetch_page(
    crawler: &Crawler,
    id: &str,
    url: &Url,
    report: &mut SourceReport,
) -> Option<(String, Url)> {
    let request = FetchRequest::new(url.clone()).with_source(id);
    match crawler.fetcher.fetch(&request).await {
        Ok(r) if r.is_success() => {
            let decoded = jujiao_extract::decode(&r.body, r.charset.as_deref());
            Some((decoded.text, r.url))
        }
        Ok(r) => {
            if matches!(r.status, 403 | 429) {
                report.blocked += 1;
            }
            report.error(format!("{url}: HTTP {}", r.status));
            None
        }
        Err(e) => {
            report.error(format!("{url}: {e}"));
            None
        }
    }
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
