#![allow(clippy::unwrap_used)]
//! `jujiao extract` on the command line, its output read by another program.
//!
//! Regression: `jujiao extract - < paths | head -1` ended with "jujiao: error: Broken
//! pipe" and exit status 2 once the reader had stopped reading. As with `jujiao search`,
//! a reader that stops is not an error: the command ends quietly.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const PAGE: &str = "<html><head><meta charset=\"utf-8\"><title>区委常委会召开会议_新闻</title></head>\
<body><h1>区委常委会召开会议</h1><div class=\"content\"><p>10月15日，区委书记于军主持召开区委常委会会议，\
研究部署下一阶段重点工作。</p><p>会议强调，要毫不放松抓好各项工作，确保取得实效。</p></div></body></html>";

#[test]
fn a_reader_that_stops_reading_ends_extraction_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    jujiao_legacy::write_atomic(&page, PAGE.as_bytes()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_jujiao"))
        .args(["extract", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    writeln!(stdin, "{}", page.display()).unwrap();
    stdin.flush().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let json: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(json["title"], "区委常委会召开会议", "{first}");
    // The reader goes away; the extractor is still asked for more pages.
    drop(stdout);
    for _ in 0..50 {
        if writeln!(stdin, "{}", page.display()).is_err() {
            break;
        }
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}: {stderr}", out.status);
    assert!(!stderr.contains("error"), "{stderr}");
}
