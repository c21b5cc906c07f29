//! Bytes as a sources file through the two-stage config load: TOML into the raw structs,
//! then validation (selectors compiled, URLs parsed, durations read). Must never panic,
//! and every error names the file it came from.
//!
//! Run: `cargo +nightly fuzz run config` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = jujiao_config::Config::parse(&text, Path::new("fuzz-jujiao.toml")) {
        assert!(
            e.to_string().contains("fuzz-jujiao.toml"),
            "config error does not name the file: {e}"
        );
    }
});
