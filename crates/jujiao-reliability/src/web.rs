//! The web app against hostile content: articles whose titles, sources and paragraphs
//! are XSS payloads (and titles that try path traversal) are crawled from the hostile
//! site, served by `jujiao serve`, and every page is loaded in headless Chromium; a
//! payload that runs marks the document (`data-pwned="yes"`), which `--dump-dom` shows.
//! A control page that runs the payload unescaped proves the detector works. Then the
//! admin actions without (or with a wrong) token, and path traversal in export, feed
//! and asset requests.

use crate::hostile::{HostileSite, Reply};
use crate::pages::{self, FILLER, escape};
use crate::runner::run_measured;
use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// Script that marks the document when it runs; the marker is built at run time so
/// the escaped source text never contains it.
const MARK: &str = "document.documentElement.setAttribute('data-'+'pwned','yes')";
/// What a page shows when a payload ran.
pub const MARKER: &str = "data-pwned=\"yes\"";

/// The payloads, as text a page displays.
pub fn payloads() -> Vec<String> {
    vec![
        format!("<img src=x onerror=\"{MARK}\">"),
        format!("<script>{MARK}</script>"),
        format!("\"><svg onload=\"{MARK}\">"),
        format!("'><iframe srcdoc=\"<script>parent.{MARK}</script>\">"),
        format!("</title><script>{MARK}</script>"),
        format!("<a href=\"javascript:{MARK}\">点击</a>"),
        format!("<style>@import 'x';</style><body onload=\"{MARK}\">"),
        format!("]]></description><script>{MARK}</script>"),
    ]
}

fn handler() -> Arc<crate::hostile::Handler> {
    Arc::new(|_base: &str, path: &str| {
        let payloads = payloads();
        let rest = path.trim_start_matches('/');
        if rest == "list.html" {
            let items: Vec<(String, String)> = (0..payloads.len())
                .map(|i| (format!("x{i}.html"), format!("文章{i}")))
                .chain(std::iter::once(("t.html".to_owned(), "路径".to_owned())))
                .collect();
            return Reply::html(pages::list(&items));
        }
        if rest == "control.html" {
            // The detector's control: the payload as live HTML.
            return Reply::html(format!("<html><body>{}</body></html>", payloads[0]));
        }
        if rest == "t.html" {
            return Reply::html(pages::plain("../../etc/passwd", "traversal"));
        }
        let i: usize = rest
            .trim_start_matches('x')
            .trim_end_matches(".html")
            .parse()
            .unwrap_or(usize::MAX);
        match payloads.get(i) {
            Some(p) => {
                let e = escape(p);
                let para = format!("{e} {FILLER}");
                let html = pages::article(&format!("{e}（{i}）"), &[&para, FILLER], "")
                    .replace("来源：演示区委", &format!("来源：{e}"));
                Reply::html(html)
            }
            None => Reply::not_found(),
        }
    })
}

/// What the web checks found.
#[derive(Debug, Clone, Default)]
pub struct WebReport {
    /// Pages loaded in Chromium (the control excluded).
    pub pages: Vec<String>,
    /// Payloads planted.
    pub payloads: usize,
    /// Requests that must be refused and were.
    pub refused: Vec<String>,
    pub problems: Vec<String>,
}

/// The Chromium binary, if installed.
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// The DOM of `url` after its scripts ran (2 s of virtual time).
pub fn dump_dom(browser: &Path, url: &str, profile: &Path) -> anyhow::Result<String> {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .with_context(|| format!("while running {}", browser.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A raw HTTP/1.1 request; returns the status and the body.
pub fn http(
    addr: &str,
    method: &str,
    target: &str,
    headers: &[&str],
    body: &str,
) -> anyhow::Result<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(addr)
        .with_context(|| format!("while connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Crawls the payload site, serves it, and runs every web check.
pub async fn run(bin: &Path) -> anyhow::Result<WebReport> {
    let mut report = WebReport {
        payloads: payloads().len(),
        ..WebReport::default()
    };
    let site = HostileSite::start("127.0.0.1", handler())
        .await
        .context("while starting the payload site")?;
    let work = tempfile::tempdir().context("while making a work folder")?;
    let db = work.path().join("w.db");
    let out = work.path().join("out");
    let config = work.path().join("jujiao.toml");
    let text = format!(
        "[settings]\ndatabase = \"{}\"\noutput = \"{}\"\ndelay = \"1ms\"\nallow_private = true\n\
         respect_robots = false\n\n[[source]]\nid = \"xss\"\nname = \"<b onmouseover=alert(1)>来源</b>\"\n\
         column = \"测试\"\nlist_urls = [\"{}/list.html\"]\nlink = \"ul.list > li > a\"\n",
        db.display(),
        out.display(),
        site.base()
    );
    jujiao_legacy::write_atomic(&config, text.as_bytes())
        .with_context(|| format!("while writing {}", config.display()))?;
    let crawl = {
        let (bin, config) = (bin.to_path_buf(), config.to_string_lossy().into_owned());
        tokio::task::spawn_blocking(move || {
            run_measured(
                &bin,
                &["crawl", "--config", &config],
                Duration::from_secs(120),
            )
        })
        .await
        .context("the crawl thread failed")??
    };
    if crawl.code != Some(0) {
        bail!(
            "crawling the payload site exited {:?}: {}",
            crawl.code,
            crawl.stderr
        );
    }

    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let token = "reliability-admin-token";
    let server = Server(
        Command::new(bin)
            .args(["serve", "--config"])
            .arg(&config)
            .arg("--db")
            .arg(&db)
            .args(["--listen", &addr, "--no-schedule"])
            .env("JUJIAO_ADMIN_TOKEN", token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("while starting jujiao serve")?,
    );
    // Waits on the event: serve answers (bounded generously for a busy machine).
    let mut up = false;
    let asked = std::time::Instant::now();
    while asked.elapsed() < Duration::from_secs(120) {
        if http(&addr, "GET", "/assets/style.css", &[], "").is_ok_and(|(s, _)| s == 200) {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if !up {
        bail!("jujiao serve did not answer on {addr}");
    }
    let base = format!("http://{addr}");

    // Pages: every article, the briefing, search (reflected queries too), sources,
    // export, feeds, error pages.
    let (_, briefing) = http(&addr, "GET", "/?date=2026-06-10", &[], "")?;
    let mut ids: Vec<String> = briefing
        .match_indices("/articles/")
        .map(|(i, _)| {
            briefing[i + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    ids.sort();
    ids.dedup();
    if ids.len() < payloads().len() {
        report.problems.push(format!(
            "the briefing links {} articles, {} were crawled",
            ids.len(),
            payloads().len() + 1
        ));
    }
    let q = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let mut paths: Vec<String> = vec![
        "/".into(),
        "/?date=2026-06-10".into(),
        format!("/?date={}", q(&payloads()[1])),
        "/search?q=pwned".into(),
        format!("/search?q={}", q(&payloads()[0])),
        format!("/search?q={}", q(&payloads()[2])),
        "/sources".into(),
        "/export".into(),
        format!(
            "/export/download?since=2026-06-10&until=2026-06-10&format={}",
            q(&payloads()[1])
        ),
        format!("/feeds/{}.rss", q("测试")),
        format!("/feeds/{}.atom", q("测试")),
        format!("/feeds/search.rss?q={}", q(&payloads()[0])),
        "/api/articles?date=2026-06-10".into(),
        format!("/articles/999999{}", q(&payloads()[0])),
        format!("/{}", q(&payloads()[1])),
    ];
    paths.extend(ids.iter().map(|id| format!("/articles/{id}")));

    match chromium() {
        None => report.problems.push(
            "chromium not installed (apt-get install chromium): XSS not checked in a browser"
                .into(),
        ),
        Some(browser) => {
            let profile = work.path().join("profile");
            let control = dump_dom(&browser, &format!("{}/control.html", site.base()), &profile)?;
            if !control.contains(MARKER) {
                report.problems.push(
                    "the control page's payload did not run: the XSS detector is blind".into(),
                );
            }
            for path in &paths {
                let dom = dump_dom(&browser, &format!("{base}{path}"), &profile)?;
                if dom.contains(MARKER) {
                    report.problems.push(format!("a payload ran on {path}"));
                }
                report.pages.push(path.clone());
            }
        }
    }

    // Admin actions: refused without the token and with a wrong one; the right one
    // works (so the refusals are not just a broken route).
    for (what, headers, body) in [
        ("no token", vec![], ""),
        ("wrong token", vec!["Authorization: Bearer wrong"], ""),
        (
            "wrong form token",
            vec!["Content-Type: application/x-www-form-urlencoded"],
            "token=wrong",
        ),
    ] {
        for route in ["/api/sources/xss/run", "/sources/xss/run"] {
            let (status, _) = http(&addr, "POST", route, &headers, body)?;
            if matches!(status, 401 | 403) {
                report
                    .refused
                    .push(format!("POST {route} ({what}): {status}"));
            } else {
                report
                    .problems
                    .push(format!("POST {route} with {what} answered {status}"));
            }
        }
    }
    let bearer = format!("Authorization: Bearer {token}");
    let (status, _) = http(
        &addr,
        "POST",
        "/api/sources/xss/run",
        &[bearer.as_str()],
        "",
    )?;
    // The server runs with --no-schedule: 503 "the scheduler is not running" also says
    // the token was accepted (it is checked first); only 401/403 or other errors fail.
    if !((200..300).contains(&status) || status == 503) {
        report.problems.push(format!(
            "POST /api/sources/xss/run with the token answered {status}"
        ));
    }

    // Path traversal.
    for target in [
        "/export/download?since=2026-06-10&until=2026-06-10&format=zip&column=..%2F..%2F..%2Fetc",
        "/export/download?since=2026-06-10&until=2026-06-10&format=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/export/download?since=2026-06-10&until=2026-06-10&format=zip&file=..%2F..%2Fetc%2Fpasswd",
        "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/assets/../../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/Cargo.toml",
        "/feeds/..%2F..%2F..%2Fetc%2Fpasswd",
        "/feeds/%2e%2e%2f%2e%2e%2fetc%2fpasswd.rss",
        "/articles/..%2F..%2Fetc%2Fpasswd",
    ] {
        let (status, body) = http(&addr, "GET", target, &[], "")?;
        if body.contains("root:x:0:0") || body.contains("[workspace]") || status == 200 {
            report.problems.push(format!(
                "GET {target} answered {status} ({} bytes)",
                body.len()
            ));
        } else {
            report.refused.push(format!("GET {target}: {status}"));
        }
    }
    // A zip export of a title that tries to climb out: no entry may leave the archive.
    let (status, body) = http_bytes(
        &addr,
        "/export/download?since=2026-06-10&until=2026-06-10&format=zip",
    )?;
    if status != 200 {
        report
            .problems
            .push(format!("zip export answered {status}"));
    } else {
        match zip_names(&body) {
            Ok(names) => {
                for name in &names {
                    let bad = name.starts_with('/')
                        || name.contains('\\')
                        || name.split('/').any(|c| c == ".." || c == ".");
                    if bad {
                        report
                            .problems
                            .push(format!("zip export entry escapes: {name}"));
                    }
                }
                report.refused.push(format!(
                    "zip export: {} entries, none leaves the archive",
                    names.len()
                ));
            }
            Err(e) => report.problems.push(format!("zip export unreadable: {e}")),
        }
    }
    drop(server);
    Ok(report)
}

fn free_port() -> anyhow::Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("while finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn http_bytes(addr: &str, target: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut stream = std::net::TcpStream::connect(addr)
        .with_context(|| format!("while connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let request = format!("GET {target} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = &data[(end + 2).min(data.len())..];
    }
    out
}

/// Entry names of a zip archive, read from its central directory.
fn zip_names(bytes: &[u8]) -> anyhow::Result<Vec<String>> {
    let eocd = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .context("no end of central directory")?;
    let le16 = |at: usize| -> usize { usize::from(u16::from_le_bytes([bytes[at], bytes[at + 1]])) };
    let le32 = |at: usize| -> usize {
        u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
    };
    if eocd + 22 > bytes.len() {
        bail!("truncated end record");
    }
    let count = le16(eocd + 10);
    let mut at = le32(eocd + 16);
    let mut names = Vec::new();
    for _ in 0..count {
        if at + 46 > bytes.len() || &bytes[at..at + 4] != b"PK\x01\x02" {
            bail!("bad central directory entry at {at}");
        }
        let (name_len, extra, comment) = (le16(at + 28), le16(at + 30), le16(at + 32));
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .context("truncated name")?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra + comment;
    }
    Ok(names)
}
