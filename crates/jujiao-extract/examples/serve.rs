//! Scorer adapter: reads absolute page paths on stdin, one per line, and answers each
//! with one JSON line (`Extraction::to_json`), flushing after each. Automatic mode, no
//! rules; the page URL is taken from a `truth.json` beside the page when it names one.

use std::io::{BufRead, Write};
use std::path::Path;

fn url_beside(page: &Path) -> Option<url::Url> {
    let truth = std::fs::read(page.with_file_name("truth.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&truth).ok()?;
    url::Url::parse(v.get("url")?.as_str()?).ok()
}

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let path = Path::new(line.trim());
        let json = match std::fs::read(path) {
            Ok(bytes) => {
                let url = url_beside(path);
                match jujiao_extract::extract(&bytes, url.as_ref(), None, None) {
                    Ok(x) => x.to_json(),
                    Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
                }
            }
            Err(e) => {
                serde_json::json!({ "error": format!("{}: {e}", path.display()) }).to_string()
            }
        };
        writeln!(out, "{json}")?;
        out.flush()?;
    }
    Ok(())
}
