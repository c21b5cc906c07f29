//! Prints the article links `discover_links` finds on a list page:
//! `links <page.html> <base-url>`.

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(base)) = (args.next(), args.next()) else {
        eprintln!("usage: links <page.html> <base-url>");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path).expect("readable page");
    let base = url::Url::parse(&base).expect("valid base URL");
    let page = jujiao_extract::decode(&bytes, None);
    let mut out = std::io::stdout().lock();
    for l in jujiao_extract::discover_links(&page.text, &base, None, None) {
        let date = l.date.map(|d| d.to_string()).unwrap_or_default();
        if writeln!(out, "{date:10} {} {}", l.url, l.text).is_err() {
            break; // reader went away (e.g. `| head`)
        }
    }
}
