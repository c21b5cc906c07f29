#!/usr/bin/env python3
"""Web app benchmark with N articles in the store (default 100,000): full reindex rate,
search latency (p50/p95 over a set of Chinese queries, through HTTP; also per query,
with the server's own split from its Server-Timing header: searching, stored fields and
highlighting, page rendering) and the briefing page's latency.

Usage: bench_web.py --bin target/release/jujiao [--n 100000] [--requests 200]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_import_publish import generate  # noqa: E402

QUERIES = ["会议", "科学城", "创新生态", "工作机制", "经济指标", "督促检查", "简报文章",
           "高精尖产业", "平稳增长 攻坚克难", "第12345号", "部署", "上级"]


def timed_get(url, timings=None):
    t = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
        status = r.status
        if timings is not None:
            timings.append(server_timing(r.headers.get("Server-Timing", "")))
    return (time.perf_counter() - t) * 1000, status, body


def server_timing(header):
    """`search;dur=1.2, render;dur=0.3` -> {"search": 1.2, "render": 0.3}."""
    out = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "dur" and name:
                out[name] = float(v)
    return out


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="jujiao-web-bench-") as tmp:
        tree, db = os.path.join(tmp, "tree"), os.path.join(tmp, "web.db")
        generate(tree, args.n)
        subprocess.run([args.bin, "import", tree, "--db", db, "--year", "2020"], check=True,
                       stdout=subprocess.DEVNULL)
        t = time.perf_counter()
        subprocess.run([args.bin, "reindex", "--db", db], check=True, stdout=subprocess.DEVNULL)
        reindex = time.perf_counter() - t
        cfg = os.path.join(tmp, "empty.toml")
        open(cfg, "w").close()
        port = 20000 + os.getpid() % 20000
        server = subprocess.Popen([args.bin, "serve", "--config", cfg, "--db", db, "--listen",
                                   f"127.0.0.1:{port}", "--no-schedule"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    timed_get(base + "/assets/style.css")
                    break
                except OSError:
                    time.sleep(0.1)
            search, brief = [], []
            per_query = {q: [] for q in QUERIES}
            timing = {q: [] for q in QUERIES}
            for i in range(args.requests):
                text = QUERIES[i % len(QUERIES)]
                ms, status, _ = timed_get(f"{base}/search?q={urllib.parse.quote(text)}",
                                          timing[text])
                assert status == 200
                search.append(ms)
                per_query[text].append(ms)
            for i in range(args.requests):
                day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}"
                ms, status, body = timed_get(f"{base}/?date={day}")
                assert status == 200
                brief.append(ms)
        finally:
            server.kill()
        print(f"{args.n} articles: full reindex {reindex:.1f}s = {args.n / reindex:.0f} articles/s")
        print(f"search page (HTTP, {args.requests} requests, {len(QUERIES)} queries): "
              f"p50 {statistics.median(search):.1f} ms, p95 {pct(search, 95):.1f} ms")
        print("per query (HTTP p50 / p95 ms; server-side medians ms from Server-Timing):")
        for text in sorted(QUERIES, key=lambda q: -pct(per_query[q], 95)):
            xs = per_query[text]
            parts = sorted({k for t in timing[text] for k in t})
            split = ", ".join(
                f"{k} {statistics.median(t.get(k, 0.0) for t in timing[text]):.1f}" for k in parts)
            print(f"  {text:<12} n={len(xs):<3} p50 {statistics.median(xs):6.1f}  "
                  f"p95 {pct(xs, 95):6.1f}   [{split}]")
        print(f"briefing page (HTTP, {args.requests} days, ~40 articles each): "
              f"p50 {statistics.median(brief):.1f} ms, p95 {pct(brief, 95):.1f} ms")


if __name__ == "__main__":
    main()
