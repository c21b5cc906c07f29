//! What a run of one source did, its health verdict, and the progress events it emits.

use jujiao_config::Source;
use jujiao_store::RunSummary;
use std::time::Duration;

/// How many error messages a report keeps (all are counted).
pub const ERROR_SAMPLES: usize = 10;

/// Progress of a run, for progress bars and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A list page was read: how many article links it gave.
    ListPage {
        url: String,
        links: usize,
    },
    /// This many article pages will be fetched.
    ArticlesPlanned(usize),
    /// One article page is done (stored, duplicate, failed…).
    ArticleDone {
        url: String,
        ok: bool,
    },
    /// A message worth showing (a failed page, a fallback taken).
    Warning(String),
    Finished,
}

/// Receives progress events; the terminal implements it with progress bars.
pub trait Observer: Send + Sync {
    fn event(&self, source_id: &str, event: Event);
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {
    fn event(&self, _: &str, _: Event) {}
}

/// A source's health after a run, with the evidence in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// The list pages gave no article link.
    ListEmpty,
    /// The configured selectors matched nothing; automatic extraction was used.
    SelectorsStale,
    /// The site answered 403 or 429.
    Blocked,
    /// No list page could be fetched at all.
    Unreachable,
    /// The list answered a login page (or redirected to one) even after the session
    /// was renewed once: the session cookie expired or a login is required. The
    /// evidence is in [`SourceReport::login_required`].
    LoginRequired,
    /// Some pages failed.
    Errors,
    /// The list URL answered 404: the column moved or was removed.
    NotFound,
    /// The list URL now redirects elsewhere and gave no article link there; the target
    /// is in [`SourceReport::redirected_to`].
    Redirected,
    /// The site answered a verification (anti-bot) page instead of the list: HTTP 412
    /// with a script-only page and the like; the evidence (status, vendor) is in
    /// [`SourceReport::challenge`]. Never solved or worked around.
    Challenge,
    /// An edition source's day has no edition (a Sunday, a holiday): not a failure.
    NoEdition,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::ListEmpty => "list page empty",
            Verdict::SelectorsStale => "selectors no longer match (automatic fallback used)",
            Verdict::Blocked => "blocked (403/429)",
            Verdict::Unreachable => "unreachable",
            Verdict::LoginRequired => "session expired / login required",
            Verdict::Errors => "some pages failed",
            Verdict::NotFound => "list page not found (404)",
            Verdict::Redirected => "list page redirected elsewhere",
            Verdict::Challenge => "challenge page (anti-bot verification)",
            Verdict::NoEdition => "no edition that day",
        }
    }

    /// True when the source needs the administrator's attention.
    pub fn is_failure(self) -> bool {
        !matches!(self, Verdict::Ok | Verdict::NoEdition)
    }
}

/// What one run of one source did.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub source_id: String,
    pub name: String,
    pub column: String,
    pub list_pages: u64,
    pub list_pages_failed: u64,
    pub not_modified: u64,
    pub links_found: u64,
    pub article_pages: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub duplicates: u64,
    /// Stored article pages fetched again because a re-check was due.
    pub rechecked: u64,
    /// Of those, how many answered 304 Not Modified.
    pub recheck_not_modified: u64,
    /// Articles that would be fetched (dry runs).
    pub would_fetch: Vec<String>,
    /// Articles extracted automatically because the selectors matched nothing.
    pub fallbacks: u64,
    pub blocked: u64,
    pub errors: u64,
    pub error_samples: Vec<String>,
    /// Edition PDFs kept (edition sources).
    pub pdfs: u64,
    /// Images and attachments of this run's articles kept (fetched or already stored).
    pub files: u64,
    /// Images and attachments that could not be kept (404, an HTML page behind a `.pdf`
    /// link, over the cap…): sampled in `error_samples`, but a missing picture does not
    /// make the source's health verdict worse — its articles were collected.
    pub files_failed: u64,
    /// Articles filed from a file the list pointed to (PDF, ZIP…) rather than a page.
    pub attachment_articles: u64,
    /// Why the source's list needs a login: the evidence (a redirect to the login page,
    /// a login form instead of the list), set when renewing the session did not help.
    pub login_required: Option<String>,
    /// Articles added or revised by this run (for the search index).
    pub changed_articles: Vec<i64>,
    /// List pages that answered 404.
    pub not_found: u64,
    /// Where a list URL redirected to, when it landed on another page.
    pub redirected_to: Option<String>,
    /// A verification page answered instead of a list: status, vendor, URL.
    pub challenge: Option<String>,
    /// Why an edition source collected nothing: the day has no edition.
    pub no_edition: Option<String>,
    pub verdict: Verdict,
    pub elapsed: Duration,
}

impl SourceReport {
    pub(crate) fn new(source: &Source) -> Self {
        SourceReport {
            source_id: source.id.clone(),
            name: source.name.clone(),
            column: source.column.clone(),
            list_pages: 0,
            list_pages_failed: 0,
            not_modified: 0,
            links_found: 0,
            article_pages: 0,
            new: 0,
            updated: 0,
            unchanged: 0,
            duplicates: 0,
            rechecked: 0,
            recheck_not_modified: 0,
            would_fetch: Vec::new(),
            fallbacks: 0,
            blocked: 0,
            errors: 0,
            files: 0,
            files_failed: 0,
            error_samples: Vec::new(),
            pdfs: 0,
            attachment_articles: 0,
            login_required: None,
            changed_articles: Vec::new(),
            not_found: 0,
            redirected_to: None,
            challenge: None,
            no_edition: None,
            verdict: Verdict::Ok,
            elapsed: Duration::ZERO,
        }
    }

    /// Counts an error and keeps its message if there is room.
    pub(crate) fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(message);
        }
    }

    /// An image or attachment that could not be kept: counted and sampled, not an error
    /// of the source.
    pub(crate) fn file_failed(&mut self, message: String) {
        self.files_failed += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(message);
        }
    }

    /// Counts a list or edition page's failed answer (not 2xx, not 304): a challenge
    /// page, a 404, a block, or another error; the message goes to the samples.
    pub(crate) fn note_status(&mut self, url: &url::Url, response: &jujiao_fetch::FetchResponse) {
        if let Some(vendor) = crate::check::challenge_of(response) {
            let evidence = format!("HTTP {} from {url}: {vendor}", response.status);
            self.error(format!("challenge page: {evidence}"));
            self.challenge.get_or_insert(evidence);
            self.blocked += 1;
            return;
        }
        match response.status {
            404 => self.not_found += 1,
            403 | 429 => self.blocked += 1,
            _ => {}
        }
        self.error(format!("list page {url}: HTTP {}", response.status));
    }

    pub(crate) fn decide_verdict(&mut self) {
        self.verdict = if self.login_required.is_some() {
            Verdict::LoginRequired
        } else if self.challenge.is_some() {
            Verdict::Challenge
        } else if self.no_edition.is_some() && self.errors == 0 {
            Verdict::NoEdition
        } else if self.list_pages > 0
            && self.list_pages_failed == self.list_pages
            && self.not_found > 0
        {
            Verdict::NotFound
        } else if self.redirected_to.is_some() && self.links_found == 0 && self.pdfs == 0 {
            Verdict::Redirected
        } else if self.list_pages > 0 && self.list_pages_failed == self.list_pages {
            if self.blocked > 0 {
                Verdict::Blocked
            } else {
                Verdict::Unreachable
            }
        } else if self.blocked > 0 {
            Verdict::Blocked
        } else if self.list_pages > self.not_modified + self.list_pages_failed
            && self.links_found == 0
            && self.pdfs == 0
        {
            Verdict::ListEmpty
        } else if self.fallbacks > 0 {
            Verdict::SelectorsStale
        } else if self.errors > 0 {
            Verdict::Errors
        } else {
            Verdict::Ok
        };
    }

    /// The summary kept in the store.
    pub fn to_summary(&self) -> RunSummary {
        RunSummary {
            list_pages: self.list_pages,
            article_pages: self.article_pages,
            new: self.new,
            updated: self.updated,
            unchanged: self.unchanged,
            duplicates: self.duplicates,
            errors: self.errors,
            error_samples: self.error_samples.clone(),
            verdict: self.verdict.as_str().to_owned(),
        }
    }
}
