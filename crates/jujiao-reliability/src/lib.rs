//! The reliability suite: jujiao against what it cannot control, with figures.
//!
//! - [`hostile`] and [`scenarios`]: a raw-TCP web site that misbehaves (endless
//!   bodies, decompression bombs, redirect loops, slowloris, invalid HTTP, mislabelled
//!   encodings, 10 MB lines, 100,000-deep HTML, hostile titles, scripts), crawled by
//!   the real binary in [`hostile_run`]: verdict, peak memory, output folder checked.
//! - [`crash`]: SIGKILL at random instants of `crawl` and `publish`, then a clean run;
//!   filings lost, duplicated and half-written counted.
//! - [`disk`]: a full tmpfs under the tree or the database, a read-only tree.
//! - [`fuzz`]: a seeded mutation fuzzer on the stable toolchain for the page, legacy
//!   file, config and selector parsers.
//! - [`web`]: XSS payloads from crawled pages in every page of `jujiao serve` checked in
//!   headless Chromium, admin actions without the token, path traversal.
//!
//! The `jujiao-reliability` binary runs them and prints the figures
//! (`scripts/reliability.sh`); `tests/` runs a bounded form in `cargo test`.

pub mod crash;
pub mod disk;
pub mod fuzz;
pub mod hostile;
pub mod hostile_run;
pub mod pages;
pub mod runner;
pub mod scenarios;
pub mod web;
