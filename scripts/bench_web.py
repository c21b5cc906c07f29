#!/usr/bin/env python3
"""Web app benchmark with N articles in the store (default 100,000): full reindex rate,
search latency (p50/p95 over a set of Chinese queries, through HTTP) and the briefing
page's latency.

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


def timed_get(url):
    t = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
        status = r.status
    return (time.perf_counter() - t) * 1000, status, body


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
            for i in range(args.requests):
                q = urllib.parse.quote(QUERIES[i % len(QUERIES)])
                ms, status, _ = timed_get(f"{base}/search?q={q}")
                assert status == 200
                search.append(ms)
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
        print(f"briefing page (HTTP, {args.requests} days, ~40 articles each): "
              f"p50 {statistics.median(brief):.1f} ms, p95 {pct(brief, 95):.1f} ms")


if __name__ == "__main__":
    main()
