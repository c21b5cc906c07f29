//! Prints the full extraction of one page as pretty JSON: `dump <page.html> [url]`.

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: dump <page.html> [url]");
        std::process::exit(2);
    };
    let url = args.next().and_then(|u| url::Url::parse(&u).ok());
    let bytes = std::fs::read(&path).expect("readable page");
    let json = match jujiao_extract::extract(&bytes, url.as_ref(), None, None) {
        Ok(x) => x.to_json(),
        Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
    };
    let v: serde_json::Value = serde_json::from_str(&json).expect("to_json is valid JSON");
    let pretty = serde_json::to_string_pretty(&v).expect("a Value always serialises");
    let _ = writeln!(std::io::stdout(), "{pretty}"); // a closed pipe is not an error here
}
