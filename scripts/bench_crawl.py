#!/usr/bin/env python3
"""End-to-end crawl benchmark against a realistic generated site, with a Scrapy baseline
measured in the same run, so every figure can be read as a ratio.

The site (`cargo build --release -p jujiao-demosite --example benchsite`) serves N articles
over 4 loopback hosts (127.0.0.31–34), TRS list pages of 50 links, article pages of 30–60 KB
(header, navigation, breadcrumb, title block, text, share bar, related links, footer).
Politeness off, 4 requests in flight per host (16 in all), no media. Measured, each as its
own process (CPU = user + sys from wait4, peak RSS = ru_maxrss):

  selectors   `jujiao crawl` with title/body selectors: fetch, decode, extract, store,
              publish, index
  automatic   the same with automatic extraction
  scrapy      Scrapy with the same selectors, JSON lines out (--scrapy; makes
              target/venv-scrapy on first use, see bench_scrapy.py)
  reindex     `jujiao reindex` of the selectors crawl's database
  rerun       `jujiao crawl` with selectors again, nothing new (wall and CPU)

Usage: bench_crawl.py --bin target/release/jujiao --site target/release/examples/benchsite [--n 10000] [--scrapy]

`--keep DIR` works in DIR and leaves it (databases, indexes, configs) for profiling.

Comparing builds: `--bin A --bin B --rounds 4` measures A, B, A, B, … against the same site
and prints each build's median and best. CPU seconds of identical runs vary by up to 25 %
on a shared VM, so only such interleaved rounds say whether a change helped.
"""
import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def load():
    return "{:.1f}".format(os.getloadavg()[0])


def run_measured(cmd, ok=(0,)):
    before = load()
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # drain the pipes in threads-free fashion: outputs are small (summaries), so read after exit
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    out = p.stdout.read().decode("utf-8", "replace")
    err = p.stderr.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{out}\n{err}")
    return {"out": out, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime,
            "sys_s": ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024.0, "wall_s": wall,
            "load": f"{before}→{load()}"}


def new_articles(out):
    total = 0
    for line in out.splitlines():
        f = line.split()
        if len(f) > 4 and f[0].startswith("bench") and f[1].isdigit():
            total += int(f[3])
    return total


def row(name, r, n):
    per_cpu = n / r["cpu_s"] if n and r["cpu_s"] else 0
    print(f"{name:<10} {r['cpu_s']:7.2f} {r['user_s']:7.2f} {r['sys_s']:6.2f} {per_cpu:9.0f} "
          f"{r['peak_rss_mb']:8.0f} {r['wall_s']:7.2f}  {r['load']}", flush=True)


def measure(args, only, tmp, bases, binary, label):
    """One round of the measurements for one binary; returns {name: result}."""
    results = {}
    for mode in ("selectors", "automatic"):
        shutil.rmtree(os.path.join(tmp, mode), ignore_errors=True)
        os.makedirs(os.path.join(tmp, mode))
    for mode in ("selectors", "automatic"):
        if mode not in only:
            continue
        r = run_measured([binary, "crawl", "--config", os.path.join(tmp, f"{mode}.toml")], ok=(0, 1))
        got = new_articles(r["out"])
        if got != args.n:
            print(r["out"])
            sys.exit(f"{mode}: expected {args.n} new articles, got {got}")
        row(f"{mode}{label}", r, args.n)
        results[mode] = r
    if "scrapy" in only:
        import bench_scrapy
        s = bench_scrapy.run(bases, os.path.join(tmp, "scrapy.jsonl"), tmp)
        if s["articles"] != args.n:
            sys.exit(f"scrapy: expected {args.n} articles, got {s['articles']}")
        s.update(load=load())
        row("scrapy", s, args.n)
        results["scrapy"] = s
    if "reindex" in only and "selectors" in only:
        db = os.path.join(tmp, "selectors", "jujiao.db")
        r = run_measured([binary, "reindex", "--db", db])
        row(f"reindex{label}", r, args.n)
        results["reindex"] = r
    if "rerun" in only and "selectors" in only:
        r = run_measured([binary, "crawl", "--config", os.path.join(tmp, "selectors.toml")], ok=(0, 1))
        row(f"rerun{label}", r, 0)
        results["rerun"] = r
    return results


def summarise(args, rounds):
    """Median and best of each binary's rounds (only when there are several)."""
    print(f"\nover {args.rounds} interleaved rounds: median CPU s (best) · articles per CPU-s "
          f"at the median · median peak RSS MB (lowest)")
    for i, binary in enumerate(args.bin):
        for name in ("selectors", "automatic", "reindex", "rerun"):
            runs = [r[i][name] for r in rounds if name in r[i]]
            if not runs:
                continue
            cpu = sorted(r["cpu_s"] for r in runs)
            rss = sorted(r["peak_rss_mb"] for r in runs)
            med = statistics.median(cpu)
            per = args.n / med if name != "rerun" else 0
            print(f"  [{i}] {name:<10} {med:7.2f} ({cpu[0]:.2f})  {per:6.0f}/CPU-s  "
                  f"{statistics.median(rss):5.0f} MB ({rss[0]:.0f})   {binary}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, action="append",
                    help="jujiao binary; give it several times to compare builds (interleaved)")
    ap.add_argument("--site", required=True, help="the benchsite example binary")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--per-page", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure every binary this many times, in turn: A B A B …")
    ap.add_argument("--scrapy", action="store_true", help="also run the Scrapy baseline")
    ap.add_argument("--only", default="selectors,automatic,scrapy,reindex,rerun",
                    help="comma-separated subset of the measurements")
    ap.add_argument("--keep", metavar="DIR",
                    help="work in DIR (made, must not exist) and leave it: the databases, "
                         "indexes and configs, e.g. to profile `jujiao reindex` on them")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if not args.scrapy:
        only.discard("scrapy")
    if args.keep:
        os.makedirs(args.keep)
        work = contextlib.nullcontext(os.path.abspath(args.keep))
    else:
        work = tempfile.TemporaryDirectory(prefix="jujiao-crawl-bench-")
    with work as tmp:
        site = subprocess.Popen([args.site, str(args.n), str(args.per_page), str(args.hosts), tmp],
                                stdout=subprocess.PIPE, text=True)
        try:
            bases = site.stdout.readline().split()
            print(f"{args.n} articles on {len(bases)} hosts, release build: {', '.join(args.bin)}; "
                  f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
            print(f"{'':<10} {'CPU s':>7} {'user':>7} {'sys':>6} {'art/CPU-s':>9} {'RSS MB':>8} {'wall s':>7}  load")
            rounds = []
            for _ in range(args.rounds):
                per_bin = []
                for i, binary in enumerate(args.bin):
                    label = f" [{i}]" if len(args.bin) > 1 else ""
                    per_bin.append(measure(args, only if i == 0 else only - {"scrapy"},
                                           tmp, bases, binary, label))
                rounds.append(per_bin)
            if args.rounds > 1 or len(args.bin) > 1:
                summarise(args, rounds)
        finally:
            site.kill()
            site.wait()


if __name__ == "__main__":
    main()
