//! Legacy writer and reader throughput: canonical render and parse of a typical article
//! (24 paragraphs of ~120 characters, the size of a daily briefing item), a plain
//! speech-archive file, and — when the corpus is present — every real file.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jujiao_legacy::{parse, render, render_canonical};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn article() -> (String, Vec<String>) {
    let sentence = "　　10月21日，区委常委会召开会议，传达学习有关精神，研究部署近期重点工作，要求各部门抓好落实。";
    let paragraphs = (0..24)
        .map(|i| format!("{}（第{i}段）", sentence.repeat(2)))
        .collect();
    ("区委常委会召开第182次会议".to_owned(), paragraphs)
}

fn corpus_files() -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/legacy-output"),
        &mut paths,
    );
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn bench(c: &mut Criterion) {
    let (title, paragraphs) = article();
    let canonical = render_canonical(&title, &paragraphs);
    let plain = {
        let mut s = format!("{title}\n  \n");
        for p in &paragraphs {
            s.push_str("  \n");
            s.push_str(p);
            s.push('\n');
        }
        s
    };

    let mut g = c.benchmark_group("article");
    g.throughput(Throughput::Bytes(canonical.len() as u64));
    g.bench_function("render_canonical", |b| {
        b.iter(|| render_canonical(black_box(&title), black_box(&paragraphs)));
    });
    g.bench_function("parse_canonical", |b| {
        b.iter(|| parse(black_box(canonical.as_bytes())));
    });
    let doc = parse(canonical.as_bytes()).expect("canonical parses");
    g.bench_function("render_parsed", |b| {
        b.iter(|| render(black_box(&doc)));
    });
    g.throughput(Throughput::Bytes(plain.len() as u64));
    g.bench_function("parse_plain", |b| {
        b.iter(|| parse(black_box(plain.as_bytes())));
    });
    g.finish();

    let files = corpus_files();
    if files.is_empty() {
        println!("corpus not present: corpus benchmarks skipped");
        return;
    }
    let total: usize = files.iter().map(Vec::len).sum();
    println!("corpus: {} files, {total} bytes", files.len());
    let docs: Vec<_> = files.iter().filter_map(|f| parse(f).ok()).collect();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(total as u64));
    g.sample_size(20);
    g.bench_function("parse_all", |b| {
        b.iter(|| files.iter().filter(|f| parse(black_box(f)).is_ok()).count());
    });
    g.bench_function("render_all", |b| {
        b.iter(|| {
            docs.iter()
                .map(|d| render(black_box(d)).len())
                .sum::<usize>()
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
