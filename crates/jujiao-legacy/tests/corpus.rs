//! Reads every file of the real legacy corpus (when present beside the repository) and
//! checks the law: each file is either rejected with a reason or re-renders to its exact
//! bytes. Also checks what the importer would make of each path.

use jujiao_legacy::{Layout, Rejection, import, parse, render};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/legacy-output")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_file_is_rejected_with_a_reason_or_round_trips() {
    let root = corpus_root();
    if !root.is_dir() {
        println!("skipped: corpus not present");
        return;
    }
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    let mut accepted = 0;
    let mut canonical = 0;
    let mut rejected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut mismatched = Vec::new();
    let mut stats: BTreeMap<&str, usize> = BTreeMap::new();
    for path in &all {
        let bytes = std::fs::read(path).expect("corpus file is readable");
        match parse(&bytes) {
            Ok(doc) => {
                accepted += 1;
                if render(&doc).as_bytes() != bytes.as_slice() {
                    mismatched.push(path.display().to_string());
                }
                let back =
                    Layout::from_json(&doc.layout.to_json()).expect("layout JSON reads back");
                assert_eq!(back, doc.layout, "{}", path.display());
                if doc.layout.is_canonical() {
                    canonical += 1;
                }
            }
            Err(reason) => {
                let key = match reason {
                    Rejection::Binary { .. } => "binary".to_owned(),
                    Rejection::NotUtf8 { .. } => "not utf-8".to_owned(),
                    Rejection::Malformed { reason, .. } => format!("malformed: {reason}"),
                    other => other.to_string(),
                };
                rejected
                    .entry(key)
                    .or_default()
                    .push(path.display().to_string());
            }
        }
        // The importer's view: the path parses whenever the content does.
        if let Ok(rel) = path.strip_prefix(&root) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let rel = rel.split_once('/').map_or(rel.as_str(), |(_, r)| r);
            if let Ok(imp) = import(rel, &bytes, Some(2019)) {
                assert!(!imp.doc.title.is_empty(), "{rel}");
                assert_eq!(render(&imp.doc).as_bytes(), bytes.as_slice(), "{rel}");
                let p = &imp.path;
                for (key, hit) in [
                    ("dated", p.date.is_some()),
                    ("running number", p.running_number.is_some()),
                    ("page folder", p.page.is_some()),
                    ("own folder", p.in_own_folder),
                    ("grouped column", !p.group.is_empty()),
                    ("title = name title", imp.doc.title == p.title),
                    ("title-only", imp.doc.paragraphs.is_empty()),
                    ("image markers", imp.doc.image_markers > 0),
                ] {
                    *stats.entry(key).or_default() += usize::from(hit);
                }
                if let Some(f) = &imp.path.date_folder {
                    assert!(imp.path.date.is_some(), "{rel} {}", f.spelling);
                }
            }
        }
    }
    println!("files: {}", all.len());
    println!("accepted: {accepted} (canonical layout: {canonical})");
    for (reason, paths) in &rejected {
        println!("rejected ({reason}): {}", paths.len());
        for p in paths.iter().take(5) {
            println!("    {p}");
        }
    }
    println!("import: {stats:?}");
    // Titles and names disagree only where the old system truncated names or replaced
    // a line break with `__`; a parsing mistake would show up as many more.
    let agree = stats.get("title = name title").copied().unwrap_or(0);
    assert!(
        agree * 100 >= accepted * 99,
        "titles agree with file names for only {agree} of {accepted}"
    );
    println!("re-render mismatches: {}", mismatched.len());
    for p in mismatched.iter().take(10) {
        println!("    {p}");
    }
    assert!(
        mismatched.is_empty(),
        "{} files do not re-render byte-identical",
        mismatched.len()
    );
    let rejected_count: usize = rejected.values().map(Vec::len).sum();
    assert_eq!(accepted + rejected_count, all.len());
    // Only empty and non-article files are rejected.
    for reason in rejected.keys() {
        assert!(
            reason == "empty file" || reason.starts_with("not a briefing article"),
            "unexpected rejection kind: {reason}"
        );
    }
}
