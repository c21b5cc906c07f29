//! A file from an old briefing tree through the legacy reader. Must never panic, and
//! every file the reader accepts must render back to exactly its bytes (the crate's
//! round-trip law). The input's first line is also read as a path in an old tree.
//!
//! Run: `cargo +nightly fuzz run legacy_reader` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = jujiao_legacy::parse(data) {
        let rendered = jujiao_legacy::render(&doc);
        assert!(
            rendered.as_bytes() == data,
            "an accepted file does not render back to its bytes"
        );
        let _ = doc.is_body_empty();
        let _ = doc.model_paragraphs();
        let _ = jujiao_legacy::render_canonical(&doc.title, &doc.paragraphs);
    }
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let _ = jujiao_legacy::parse_rel_path(&String::from_utf8_lossy(first_line), Some(2026));
});
