//! [`Collector`]: fetches the images and attachments of recorded articles, checks them,
//! stores them by hash and tells the store which article uses which file.
//!
//! Per article, in page order: a URL some article's file already came from is not
//! fetched again (its stored hash is reused). Articles collected at once (a worker's
//! tasks) wanting the same URL take turns on a per-URL lock, and the one that comes
//! second finds the hash the first stored ([`InFlight`]); just before fetching, the
//! store is asked again, so a file another worker stored meanwhile is not fetched
//! either. Otherwise the file is fetched through the
//! crawler's [`Fetch`] (same per-host gates, robots.txt and retries), capped per file
//! and per article, checked ([`crate::sniff::check`]), written to the [`FileStore`]
//! (the same bytes once, whatever the URL), its text extracted off the async threads,
//! and recorded. A failed file is reported and skipped; the article keeps the others.

use crate::disk::FileStore;
use crate::names;
use crate::sniff::{self, Expected};
use crate::text;
use crate::{DEFAULT_MAX_ARTICLE_BYTES, DEFAULT_MAX_FILE_BYTES};
use jujiao_fetch::{Fetch, FetchError, FetchRequest};
use jujiao_model::Article;
use jujiao_store::{ArticleFile, ArticleId, FileRole, Store, StoredFile, TextStatus};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use url::Url;

/// URLs remembered per process before unused entries are forgotten (the store still
/// knows every stored URL; this only spares a query and closes the race of two tasks).
const IN_FLIGHT_KEPT: usize = 4096;

/// Per-URL locks of one collector (shared by its clones): a task fetching a URL holds
/// its lock; the lock then holds the hash stored for it, if the fetch succeeded.
#[derive(Debug, Default)]
struct InFlight {
    urls: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<String>>>>>,
}

impl InFlight {
    fn slot(&self, url: &str) -> Arc<tokio::sync::Mutex<Option<String>>> {
        let mut urls = self.urls.lock().unwrap_or_else(PoisonError::into_inner);
        if urls.len() >= IN_FLIGHT_KEPT {
            urls.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        Arc::clone(urls.entry(url.to_owned()).or_default())
    }
}

/// Caps for collecting files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaSettings {
    /// Largest single file kept, in bytes; larger ones are refused while streaming.
    pub max_file_bytes: u64,
    /// Most bytes downloaded for one article's files together.
    pub max_article_bytes: u64,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_article_bytes: DEFAULT_MAX_ARTICLE_BYTES,
        }
    }
}

/// What collecting one article's files did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaReport {
    /// Files downloaded and kept.
    pub fetched: u32,
    /// Files whose URL was already stored (not fetched again).
    pub reused: u32,
    /// Downloaded files whose bytes were already stored (from another URL).
    pub deduplicated: u32,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Files not kept, each `URL: reason`.
    pub failures: Vec<String>,
}

impl MediaReport {
    /// Adds another report's counts to this one.
    pub fn merge(&mut self, other: MediaReport) {
        self.fetched += other.fetched;
        self.reused += other.reused;
        self.deduplicated += other.deduplicated;
        self.bytes += other.bytes;
        self.failures.extend(other.failures);
    }
}

/// One file an article wants.
#[derive(Debug, Clone)]
struct Wanted {
    role: FileRole,
    position: u32,
    url: String,
    link_text: String,
    expected: Expected,
}

fn wanted(article: &Article) -> Vec<Wanted> {
    let images = article
        .images
        .iter()
        .zip(1..)
        .map(|(img, position)| Wanted {
            role: FileRole::Image,
            position,
            url: img.url.clone(),
            link_text: String::new(),
            expected: Expected::Image,
        });
    let attachments = article
        .attachments
        .iter()
        .zip(1..)
        .map(|(a, position)| Wanted {
            role: FileRole::Attachment,
            position,
            url: a.url.clone(),
            link_text: a.name.clone(),
            expected: Expected::Attachment(a.kind),
        });
    images.chain(attachments).collect()
}

/// The name a file is filed under: images by position (`1.jpg`, as the old 12371.cn
/// archives did), attachments by their real name.
fn file_name(w: &Wanted, extension: &str, disposition: Option<&str>) -> String {
    match w.role {
        FileRole::Image => format!("{}.{extension}", w.position),
        FileRole::Attachment => {
            names::attachment_name(&w.link_text, disposition, &w.url, extension)
        }
    }
}

/// Collects articles' files; see the module docs.
#[derive(Clone)]
pub struct Collector {
    fetcher: Arc<dyn Fetch>,
    store: Arc<dyn Store>,
    files: FileStore,
    settings: MediaSettings,
    in_flight: Arc<InFlight>,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("store", &self.store.location())
            .field("files", &self.files)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Collector {
    pub fn new(
        fetcher: Arc<dyn Fetch>,
        store: Arc<dyn Store>,
        files: FileStore,
        settings: MediaSettings,
    ) -> Self {
        Self {
            fetcher,
            store,
            files,
            settings,
            in_flight: Arc::default(),
        }
    }

    /// Where the files are kept.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// Collects the files of one recorded article, fetching as source `source` (its
    /// cookies and headers), and forgets files past the article's own (a revision with
    /// fewer images). Failures are in the report; only a store failure that
    /// leaves nothing attached is also a failure line, never a panic or an abort.
    pub async fn collect(
        &self,
        id: ArticleId,
        article: &Article,
        source: Option<&str>,
    ) -> MediaReport {
        let mut report = MediaReport::default();
        let wanted = wanted(article);
        // A revision may show fewer files than the text it replaces: those past the end
        // are no longer the article's (positions within are replaced as collected).
        for (role, keep) in [
            (FileRole::Image, article.images.len()),
            (FileRole::Attachment, article.attachments.len()),
        ] {
            let keep = u32::try_from(keep).unwrap_or(u32::MAX);
            if let Err(e) = self.store.detach_files_after(id, role, keep).await {
                report
                    .failures
                    .push(format!("article {id}: old {role} files not detached: {e}"));
            }
        }
        if wanted.is_empty() {
            return report;
        }
        let urls: Vec<String> = wanted.iter().map(|w| w.url.clone()).collect();
        let known = match self.store.files_by_url(&urls).await {
            Ok(k) => k,
            Err(e) => {
                report
                    .failures
                    .push(format!("article {id}: files not looked up: {e}"));
                return report;
            }
        };
        let mut attached = Vec::new();
        let mut budget = self.settings.max_article_bytes;
        for w in &wanted {
            if let Some(hash) = known.get(&w.url) {
                match self.reuse(w, hash).await {
                    Ok(file) => {
                        report.reused += 1;
                        attached.push(file);
                    }
                    Err(reason) => report.failures.push(format!("{}: {reason}", w.url)),
                }
                continue;
            }
            let slot = self.in_flight.slot(&w.url);
            let mut stored = slot.lock().await;
            let earlier = match stored.clone() {
                Some(hash) => Some(hash),
                None => self
                    .store
                    .files_by_url(std::slice::from_ref(&w.url))
                    .await
                    .ok()
                    .and_then(|mut k| k.remove(&w.url)),
            };
            if let Some(hash) = earlier {
                match self.reuse(w, &hash).await {
                    Ok(file) => {
                        report.reused += 1;
                        attached.push(file);
                        *stored = Some(hash);
                    }
                    Err(reason) => report.failures.push(format!("{}: {reason}", w.url)),
                }
                continue;
            }
            match self.fetch_one(w, source, budget).await {
                Ok((file, size, is_new)) => {
                    *stored = Some(file.hash.clone());
                    budget = budget.saturating_sub(size);
                    report.fetched += 1;
                    report.bytes += size;
                    if !is_new {
                        report.deduplicated += 1;
                    }
                    attached.push(file);
                }
                Err(reason) => {
                    tracing::warn!(url = %w.url, article = %id, %reason, "file not kept");
                    report.failures.push(format!("{}: {reason}", w.url));
                }
            }
        }
        if !attached.is_empty()
            && let Err(e) = self.store.attach_files(id, &attached).await
        {
            report
                .failures
                .push(format!("article {id}: files not recorded: {e}"));
        }
        report
    }

    /// A file whose URL is already stored: the same hash under this article's name.
    async fn reuse(&self, w: &Wanted, hash: &str) -> Result<ArticleFile, String> {
        let file = self
            .store
            .file(hash)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("stored file {hash} is missing from the database"))?;
        let extension = sniff::extension_of_mime(&file.mime);
        Ok(ArticleFile {
            role: w.role,
            position: w.position,
            name: file_name(w, extension, None),
            source_url: w.url.clone(),
            hash: hash.to_owned(),
        })
    }

    /// Fetches, checks, stores and records one file: (reference, size, bytes were new).
    async fn fetch_one(
        &self,
        w: &Wanted,
        source: Option<&str>,
        budget: u64,
    ) -> Result<(ArticleFile, u64, bool), String> {
        let url = Url::parse(&w.url).map_err(|e| format!("not a URL: {e}"))?;
        let cap = self.settings.max_file_bytes.min(budget);
        if cap == 0 {
            return Err(format!(
                "the article's files already reached {} bytes (media_max_article_bytes)",
                self.settings.max_article_bytes
            ));
        }
        let mut request =
            FetchRequest::new(url).with_max_body(usize::try_from(cap).unwrap_or(usize::MAX));
        if let Some(s) = source {
            request = request.with_source(s);
        }
        let response = self.fetcher.fetch(&request).await.map_err(|e| match e {
            FetchError::TooLarge { limit, .. } => {
                format!("larger than the cap of {limit} bytes (media_max_file_bytes / media_max_article_bytes)")
            }
            e => e.to_string(),
        })?;
        if !response.is_success() {
            return Err(format!("HTTP {}", response.status));
        }
        let sniffed = sniff::check(w.expected, response.content_type.as_deref(), &response.body)
            .map_err(|r| r.to_string())?;
        let body = response.body;
        let size = body.len() as u64;
        let files = self.files.clone();
        let role = w.role;
        let mime = sniffed.mime;
        let (put, text) = tokio::task::spawn_blocking(move || {
            let put = files.put(&body);
            let text = if role == FileRole::Attachment {
                text::extract(mime, &body)
            } else {
                (TextStatus::None, None)
            };
            (put, text)
        })
        .await
        .map_err(|e| format!("storing the file failed: {e}"))?;
        let (hash, _) =
            put.map_err(|e| format!("cannot write under {}: {e}", self.files.root().display()))?;
        let is_new = self
            .store
            .record_file(&StoredFile {
                hash: hash.clone(),
                size,
                mime: mime.to_owned(),
                text_status: text.0,
                text: text.1,
            })
            .await
            .map_err(|e| e.to_string())?;
        let file = ArticleFile {
            role: w.role,
            position: w.position,
            name: file_name(
                w,
                sniffed.extension,
                response.content_disposition.as_deref(),
            ),
            source_url: w.url.clone(),
            hash,
        };
        Ok((file, size, is_new))
    }
}

/// Stores bytes that did not come from the web (an imported archive's `图片/` files):
/// written by hash, text extracted, recorded. Returns the hash and the recognised type.
pub async fn store_local(
    store: &dyn Store,
    files: &FileStore,
    bytes: Vec<u8>,
) -> Result<(String, sniff::Sniffed), String> {
    let sniffed = sniff::sniff(&bytes);
    if sniffed == sniff::HTML {
        return Err("an HTML page, not a file".to_owned());
    }
    let size = bytes.len() as u64;
    let files2 = files.clone();
    let is_document = !sniffed.mime.starts_with("image/");
    let (put, text) = tokio::task::spawn_blocking(move || {
        let put = files2.put(&bytes);
        let text = if is_document {
            text::extract(sniffed.mime, &bytes)
        } else {
            (TextStatus::None, None)
        };
        (put, text)
    })
    .await
    .map_err(|e| e.to_string())?;
    let (hash, _) =
        put.map_err(|e| format!("cannot write under {}: {e}", files.root().display()))?;
    store
        .record_file(&StoredFile {
            hash: hash.clone(),
            size,
            mime: sniffed.mime.to_owned(),
            text_status: text.0,
            text: text.1,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok((hash, sniffed))
}
