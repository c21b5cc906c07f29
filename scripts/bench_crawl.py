#!/usr/bin/env python3
"""End-to-end crawl benchmark: a generated local site of N articles (30-60 KB pages, like
real TRS article pages) over N/PER_PAGE list pages, politeness off; `jujiao crawl` fetches,
decodes, extracts, stores and publishes everything. Then a re-run with nothing new.

Prints articles/s, peak RSS of the crawl process and the re-run time, median of --runs.
Usage: bench_crawl.py --bin target/release/jujiao --site target/release/examples/benchsite
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, rusage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    out = p.stdout.read().decode("utf-8", "replace")
    err = p.stderr.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{out}\n{err}")
    return dt, rusage.ru_maxrss / 1024.0, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--site", required=True, help="the benchsite example binary")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--per-page", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rates, rss, reruns = [], [], []
    for r in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="jujiao-crawl-bench-") as tmp:
            cfg = os.path.join(tmp, "bench.toml")
            site = subprocess.Popen([args.site, str(args.n), str(args.per_page), cfg,
                                     os.path.join(tmp, "tree"), os.path.join(tmp, "bench.db")],
                                    stdout=subprocess.PIPE, text=True)
            try:
                base = site.stdout.readline().strip()
                dt, peak, out = run([args.bin, "crawl", "--config", cfg])
                new = None
                for line in out.splitlines():
                    if line.startswith("bench "):
                        new = int(line.split()[3])
                if new != args.n:
                    print(out)
                    sys.exit(f"expected {args.n} new articles, got {new}")
                dt2, _, _ = run([args.bin, "crawl", "--config", cfg])
            finally:
                site.kill()
            rates.append(args.n / dt)
            rss.append(peak)
            reruns.append(dt2)
            print(f"run {r + 1}: {args.n} articles in {dt:.2f}s = {args.n / dt:.0f} articles/s, "
                  f"peak RSS {peak:.0f} MB; re-run with nothing new {dt2:.2f}s  ({base})")
    print(f"median: {statistics.median(rates):.0f} articles/s, peak RSS {statistics.median(rss):.0f} MB, "
          f"re-run {statistics.median(reruns):.2f}s  ({args.runs} runs, {args.n} articles, "
          f"{-(-args.n // args.per_page)} list pages)")


if __name__ == "__main__":
    main()
