//! A mutation fuzzer that runs on the stable toolchain, for the parsers that read what
//! jujiao does not control: web pages (decode + extract + link discovery), legacy
//! briefing files written by old tools, the sources file and the CSS-selector subset.
//!
//! It is not coverage-guided (libFuzzer needs a nightly compiler: the cargo-fuzz
//! project in `fuzz/`, run by `scripts/fuzz.sh`, is that route); instead every execution
//! takes a real seed (the crates' own fixtures, the shipped configs, pages shaped like
//! the hostile scenarios, the cargo-fuzz seeds and its kept crash inputs under
//! `fuzz/regressions/`) and stacks 1–8 mutations that are known to break parsers:
//! bit flips, boundary bytes, deleted, duplicated and massively repeated ranges
//! (depth and size), splices across seeds and a dictionary of syntax tokens. The
//! generator is seeded, so a run is reproducible from `(target, seed, executions)`.
//!
//! Oracles: no panic (caught and reported with the input saved); each execution under
//! [`SLOW_EXEC`]; config errors name the file; a legacy file that parses renders
//! without panicking. A stack overflow aborts the process, which the caller sees as a
//! failed run.

use crate::crash::SplitMix;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An execution slower than this is reported as a finding (a hang in the making): 2 s
/// in an optimised build (the slowest of 200,000 took 36 ms), 20 s in the unoptimised
/// test build that `cargo test` and CI run, where an execution is many times slower
/// and a busy machine (CI beside other builds) slower again.
pub const SLOW_EXEC: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(20)
} else {
    Duration::from_secs(2)
};
/// Largest input built by mutation.
const MAX_INPUT: usize = 256 * 1024;

/// A fuzz target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `decode` + `extract` + `discover_links` (the libFuzzer target's body).
    Extract,
    /// `jujiao_legacy::parse` then `render`.
    Legacy,
    /// `jujiao_config::Config::parse`.
    Config,
    /// `jujiao_extract::select::Selector::parse` and matching on a small page.
    Selector,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::Extract,
        Target::Legacy,
        Target::Config,
        Target::Selector,
    ];

    /// The matching cargo-fuzz target (`fuzz/fuzz_targets/<name>.rs`), whose seeds and
    /// kept regression inputs this fuzzer starts from too.
    pub fn fuzz_dir(self) -> &'static str {
        match self {
            Target::Extract => "decode_extract",
            Target::Legacy => "legacy_reader",
            Target::Config => "config",
            Target::Selector => "selectors",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::Extract => "decode+extract",
            Target::Legacy => "legacy reader",
            Target::Config => "config parser",
            Target::Selector => "css selectors",
        }
    }
}

/// What one fuzzing run found.
#[derive(Debug, Clone, Default)]
pub struct FuzzReport {
    pub executions: u64,
    pub seeds: usize,
    pub elapsed: Duration,
    pub slowest: Duration,
    /// Panics, slow executions and broken oracles, each with the saved input's path.
    pub findings: Vec<String>,
}

/// The seeds of `target`, read from the repository at `root` (missing files are
/// skipped) plus built-in ones.
pub fn seeds(target: Target, root: &Path) -> Vec<Vec<u8>> {
    let read_dir = |rel: &str| -> Vec<Vec<u8>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(rel))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .filter(|b| b.len() <= MAX_INPUT)
            .collect()
    };
    let mut seeds = match target {
        Target::Extract => {
            let mut s = read_dir("crates/jujiao-extract/tests/fixtures");
            s.push(crate::pages::plain("标题", "正文").into_bytes());
            s.push(
                crate::pages::list(&[
                    ("a.html".into(), "一".into()),
                    ("b.html".into(), "二".into()),
                ])
                .into_bytes(),
            );
            s
        }
        Target::Legacy => read_dir("crates/jujiao-legacy/tests/fixtures"),
        Target::Config => {
            let mut s: Vec<Vec<u8>> = ["jujiao.example.toml", "presets/legacy.toml"]
                .iter()
                .filter_map(|f| std::fs::read(root.join(f)).ok())
                .collect();
            s.push(jujiao_demosite::DEMO_CONFIG.as_bytes().to_vec());
            s
        }
        Target::Selector => [
            "ul.secList > li > a",
            "div.TRS_Editor p",
            "a[href$='.pdf']",
            "div#main > h1.title, span.f2",
            "li:nth-child(2) a[title^=\"x\"]",
            "table td > font[color=red] + a",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect(),
    };
    // The cargo-fuzz project's seeds and the inputs that once crashed its target.
    seeds.extend(read_dir(&format!("fuzz/seeds/{}", target.fuzz_dir())));
    seeds.extend(read_dir(&format!("fuzz/regressions/{}", target.fuzz_dir())));
    if seeds.is_empty() {
        seeds.push(b"<p>x</p>".to_vec());
    }
    seeds
}

const DICTIONARY: &[&[u8]] = &[
    b"<div>",
    b"</div>",
    b"<p>",
    b"</p>",
    b"<!--",
    b"-->",
    b"<script>",
    b"</script>",
    b"<meta charset=gbk>",
    b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">",
    b"<![CDATA[",
    b"]]>",
    b"&#x",
    b"&#",
    b";",
    b"&nbsp;",
    b"<a href=\"",
    b"\">",
    b"<br/>",
    b"<title>",
    b"<h1>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\r\n",
    b"\n\n",
    b"\xa1\xa1",
    b"\xe3\x80\x80",
    b"[[source]]",
    b"[settings]",
    b"[source.article]",
    b" = ",
    b"\"",
    b"'''",
    b"\"\"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"=",
    b"#",
    b"\\u",
    b"\\",
    b"0x",
    b"-1",
    b"99999999999999999999",
    b"1e400",
    b"inf",
    b"nan",
    b"ms",
    b"h",
    b"d",
    b":nth-child(",
    b")",
    b">",
    b"+",
    b"~",
    b"*",
    b"^=",
    b"$=",
    b"*=",
    b"|=",
    b".",
    b"#",
    b":not(",
    b"\x00",
    b"\x80",
    b"\xe4\xb8\xad",
    b"<<",
    b"\xe2\x80\xa8",
    b"\t",
    b"%",
    b"\xe5\x8f\x91\xe5\xb8\x83\xe6\x97\xb6\xe9\x97\xb4\xef\xbc\x9a",
    b"2020-06-10",
    b"\xe7\xbc\x96\xe8\xbe\x91\xef\xbc\x9a",
    b"\xe2\x96\xa1",
    b"[\xe5\x9b\xbe]",
];

const INTERESTING: &[u8] = &[
    0, 0xff, b'<', b'>', b'"', b'\'', b'\n', b'\r', b'=', b'[', b']', 0x80, 0xe4, 0xa1, b'&', b';',
    b'/',
];

fn mutate(rng: &mut SplitMix, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let len = input.len() as u64;
    let pos = |rng: &mut SplitMix, len: u64| rng.below(len + 1) as usize;
    match rng.below(9) {
        0 if !input.is_empty() => {
            let i = rng.below(len) as usize;
            input[i] ^= 1 << rng.below(8);
        }
        1 if !input.is_empty() => {
            let i = rng.below(len) as usize;
            input[i] = INTERESTING[rng.below(INTERESTING.len() as u64) as usize];
        }
        2 if !input.is_empty() => {
            let a = rng.below(len) as usize;
            let b = (a + 1 + rng.below(64) as usize).min(input.len());
            input.drain(a..b);
        }
        3 if !input.is_empty() => {
            let a = rng.below(len) as usize;
            let b = (a + 1 + rng.below(256) as usize).min(input.len());
            let chunk = input[a..b].to_vec();
            let at = pos(rng, len);
            input.splice(at..at, chunk);
        }
        4 | 5 => {
            let token = DICTIONARY[rng.below(DICTIONARY.len() as u64) as usize];
            let at = pos(rng, len);
            input.splice(at..at, token.iter().copied());
        }
        6 => {
            let other = &seeds[rng.below(seeds.len() as u64) as usize];
            if !other.is_empty() {
                let a = rng.below(other.len() as u64) as usize;
                let b = (a + 1 + rng.below(512) as usize).min(other.len());
                let at = pos(rng, len);
                input.splice(at..at, other[a..b].iter().copied());
            }
        }
        7 if !input.is_empty() => {
            // Repeat a short range many times: deep nesting, long lines, huge numbers.
            let a = rng.below(len) as usize;
            let b = (a + 1 + rng.below(12) as usize).min(input.len());
            let times = 1 + rng.below(4000) as usize;
            let chunk = input[a..b].repeat(times);
            input.splice(a..a, chunk);
        }
        _ => {
            let at = pos(rng, len);
            input.truncate(at);
        }
    }
    input.truncate(MAX_INPUT);
}

/// Runs `target` on one input; `Err` describes a broken oracle.
pub fn execute(target: Target, data: &[u8]) -> Result<(), String> {
    match target {
        Target::Extract => {
            let base = url::Url::parse("http://www.example.gov.cn/xw/202006/t20200610_1.html")
                .map_err(|e| e.to_string())?;
            let charset = match data.first().map(|b| b % 4) {
                Some(0) => Some("gb2312"),
                Some(1) => Some("utf-8"),
                Some(2) => Some("big5"),
                _ => None,
            };
            if let Ok(x) = jujiao_extract::extract(data, Some(&base), charset, None) {
                let _ = x.to_json();
            }
            let page = jujiao_extract::decode(data, charset);
            let _ = jujiao_extract::discover_links(&page.text, &base, None, None);
            Ok(())
        }
        Target::Legacy => {
            if let Ok(doc) = jujiao_legacy::parse(data) {
                let _ = jujiao_legacy::render(&doc);
                let _ = doc.is_body_empty();
            }
            Ok(())
        }
        Target::Config => {
            let text = String::from_utf8_lossy(data);
            match jujiao_config::Config::parse(&text, Path::new("fuzz-jujiao.toml")) {
                Ok(_) => Ok(()),
                Err(e) if e.to_string().contains("fuzz-jujiao.toml") => Ok(()),
                Err(e) => Err(format!("config error does not name the file: {e}")),
            }
        }
        Target::Selector => {
            let text = String::from_utf8_lossy(data);
            if let Ok(selector) = jujiao_extract::select::Selector::parse(&text) {
                let base =
                    url::Url::parse("http://example.gov.cn/list/").map_err(|e| e.to_string())?;
                let page = "<ul class=secList><li><a href=a.html title=x>一</a><b>2020-06-10</b></li>\
                            <li id=main><a href='b.pdf'>二</a></li></ul><div class=TRS_Editor><p>文</p></div>";
                let _ =
                    jujiao_extract::discover_links(page, &base, Some(&selector), Some(&selector));
            }
            Ok(())
        }
    }
}

static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

/// Fuzzes `target` for `executions` runs from `seed`; findings' inputs are saved under
/// `findings_dir`.
pub fn run(
    target: Target,
    root: &Path,
    executions: u64,
    seed: u64,
    findings_dir: &Path,
) -> FuzzReport {
    let seeds = seeds(target, root);
    let mut rng = SplitMix::new(seed ^ (target as u64).wrapping_mul(0x9E37_79B9));
    let mut report = FuzzReport {
        seeds: seeds.len(),
        ..FuzzReport::default()
    };
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut m) = PANIC_MESSAGE.lock() {
            *m = Some(info.to_string());
        }
    }));
    let started = Instant::now();
    for i in 0..executions {
        let mut input = seeds[rng.below(seeds.len() as u64) as usize].clone();
        // The seeds themselves first, then stacked mutations.
        if i >= seeds.len() as u64 {
            for _ in 0..1 + rng.below(8) {
                mutate(&mut rng, &mut input, &seeds);
            }
        }
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| execute(target, &input)));
        let took = t.elapsed();
        report.slowest = report.slowest.max(took);
        let finding = match outcome {
            Ok(Ok(())) if took <= SLOW_EXEC => None,
            Ok(Ok(())) => Some(format!("slow: {took:?}")),
            Ok(Err(e)) => Some(e),
            Err(_) => Some(format!(
                "panic: {}",
                PANIC_MESSAGE
                    .lock()
                    .ok()
                    .and_then(|mut m| m.take())
                    .unwrap_or_default()
            )),
        };
        if let Some(what) = finding {
            let path = save(findings_dir, target, i, &input);
            report.findings.push(format!(
                "{} execution {i}: {what} (input: {path})",
                target.name()
            ));
        }
        report.executions += 1;
    }
    report.elapsed = started.elapsed();
    std::panic::set_hook(previous);
    report
}

fn save(dir: &Path, target: Target, i: u64, input: &[u8]) -> String {
    let name = format!("{}-{i}.bin", target.name().replace(['+', ' '], "-"));
    let path = dir.join(name);
    let saved = std::fs::create_dir_all(dir).is_ok()
        && std::fs::File::create(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, input))
            .is_ok();
    if saved {
        path.display().to_string()
    } else {
        format!("not saved, {} bytes", input.len())
    }
}
