//! What a run of one source did, its health verdict, and the progress events it emits.

use crate::tally::Tally;
use jujiao_config::Source;
use jujiao_store::RunSummary;
use std::time::Duration;

/// How many error messages a report keeps (all are counted).
pub const ERROR_SAMPLES: usize = 10;

/// How a link that robots.txt forbids is shown: the site's policy, not a failure.
/// Such a page is counted as skipped ([`SourceReport::skipped`]), never as an error,
/// and does not change the health verdict; its sample line (kept with a run's samples,
/// where the web app finds it by this prefix) reads `跳过: robots.txt 不允许 <url>`.
pub const SKIPPED_BY_ROBOTS: &str = "跳过: robots.txt 不允许";

/// The sample line of a link robots.txt forbids.
pub fn skipped_sample(url: &str) -> String {
    format!("{SKIPPED_BY_ROBOTS} {url}")
}

/// True for a sample line written by [`skipped_sample`].
pub fn is_skipped_sample(sample: &str) -> bool {
    sample.starts_with(SKIPPED_BY_ROBOTS)
}

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
    /// A list or article page answered a verification / anti-bot page (瑞数, 加速乐,
    /// 云锁…): nothing of it was stored and the host is left alone for a while. The
    /// vendor and evidence are in [`SourceReport::challenge`].
    Challenged,
    /// Some pages failed.
    Errors,
    /// The list URL answered 404: the column moved or was removed.
    NotFound,
    /// The list URL now redirects elsewhere and gave no article link there; the target
    /// is in [`SourceReport::redirected_to`].
    Redirected,
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
            Verdict::Challenged => "被验证页拦截",
            Verdict::Errors => "some pages failed",
            Verdict::NotFound => "list page not found (404)",
            Verdict::Redirected => "list page redirected elsewhere",
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
    /// The articles recorded, by outcome.
    pub tally: Tally,
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
    /// Links robots.txt forbids: not fetched, the site's policy, not an error (sampled
    /// as [`skipped_sample`]).
    pub skipped: u64,
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
    /// The verification page met, `<vendor> (<evidence>) at <url>` (the first one), and
    /// how many pages answered one or were not asked because their host was paused.
    pub challenge: Option<String>,
    pub challenged: u64,
    /// Article pages whose body could not be found (`no article text`), each kept for
    /// inspection when the crawler has a folder for them; see [`SourceReport::no_body_samples`].
    pub no_body: u64,
    /// Up to [`ERROR_SAMPLES`] of them: the URL and where its page was kept.
    pub no_body_samples: Vec<String>,
    /// Articles added or revised by this run (for the search index).
    pub changed_articles: Vec<i64>,
    /// List pages that answered 404.
    pub not_found: u64,
    /// Where a list URL redirected to, when it landed on another page.
    pub redirected_to: Option<String>,
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
            tally: Tally::default(),
            rechecked: 0,
            recheck_not_modified: 0,
            would_fetch: Vec::new(),
            fallbacks: 0,
            blocked: 0,
            errors: 0,
            skipped: 0,
            files: 0,
            files_failed: 0,
            error_samples: Vec::new(),
            pdfs: 0,
            attachment_articles: 0,
            login_required: None,
            challenge: None,
            challenged: 0,
            no_body: 0,
            no_body_samples: Vec::new(),
            changed_articles: Vec::new(),
            not_found: 0,
            redirected_to: None,
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

    /// A link robots.txt forbids: counted as skipped and sampled, not an error.
    pub(crate) fn skipped_by_robots(&mut self, url: &str) {
        self.skipped += 1;
        if self.error_samples.len() < ERROR_SAMPLES {
            self.error_samples.push(skipped_sample(url));
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

    /// A page answered `challenge` (or was not asked, its host paused by one): counted,
    /// the first kept as the evidence and sampled as an error.
    pub(crate) fn challenged(&mut self, url: &str, challenge: &impl std::fmt::Display) {
        self.challenged += 1;
        if self.challenge.is_none() {
            let evidence = format!("{challenge} at {url}");
            self.error(format!("被验证页拦截: {evidence}"));
            self.challenge = Some(evidence);
        } else {
            self.errors += 1;
        }
    }

    /// An article page whose body could not be found: counted as an error, sampled with
    /// where its bytes were kept (if they were).
    pub(crate) fn page_without_body(&mut self, url: &str, kept: Option<&std::path::Path>) {
        self.no_body += 1;
        let sample = match kept {
            Some(path) => format!("{url}: no article text; page kept as {}", path.display()),
            None => format!("{url}: no article text (an error page or an empty article)"),
        };
        if self.no_body_samples.len() < ERROR_SAMPLES {
            self.no_body_samples.push(sample.clone());
        }
        self.error(sample);
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

    /// Counts recorded articles' outcomes; the added and revised ones join
    /// [`SourceReport::changed_articles`].
    pub(crate) fn count_recorded(&mut self, outcomes: &[jujiao_store::RecordOutcome]) {
        for outcome in outcomes {
            if let Some(id) = self.tally.count(outcome) {
                self.changed_articles.push(id);
            }
        }
    }

    pub(crate) fn decide_verdict(&mut self) {
        self.verdict = if self.login_required.is_some() {
            Verdict::LoginRequired
        } else if self.challenge.is_some() {
            Verdict::Challenged
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

    /// The figures of part of a run (a worker's article item) to add to the run's own:
    /// the verdict is left empty when this part is ok, so it does not change the run's.
    pub(crate) fn increment(&mut self) -> RunSummary {
        self.decide_verdict();
        let mut summary = self.to_summary();
        if self.verdict == Verdict::Ok {
            summary.verdict = String::new();
        }
        summary
    }

    /// The summary kept in the store.
    pub fn to_summary(&self) -> RunSummary {
        self.tally.into_summary(RunSummary {
            list_pages: self.list_pages,
            article_pages: self.article_pages,
            errors: self.errors,
            error_samples: self.error_samples.clone(),
            verdict: self.verdict.as_str().to_owned(),
            ..RunSummary::default()
        })
    }
}
