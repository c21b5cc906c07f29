#!/usr/bin/env python3
"""Worker scale-out benchmark: one crawl shared by 1, 2, 4 and 8 `jujiao worker`
processes on PostgreSQL, plus one worker on SQLite for comparison.

The site is the demo crate's farm: HOSTS loopback servers (one port each, so per-host
politeness applies per server), ARTICLES article pages each behind TRS list pages, every
answer delayed by DELAY_MS. The sources file allows CONCURRENCY requests per host with
no delay. Each measurement starts from an empty database (a fresh PostgreSQL schema, or
a new SQLite file) and runs the workers with --until-idle; the time is from the first
worker's start to the last one's exit, so it includes reading every list page.

Prints articles/s per worker count, the speed-up over one worker and its ratio to
linear, the most requests any host had in flight (must never exceed CONCURRENCY), and
the median of --runs. Not a test: it only fails when articles are missing or doubled.

Usage: bench_workers.py --bin target/release/jujiao --farm target/release/examples/farm
       [--pg postgres://postgres@127.0.0.1:5432/test] [--hosts 50] [--articles 100]
       [--delay-ms 50] [--concurrency 2] [--tasks 8] [--workers 1,2,4,8] [--runs 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def psql(url, sql):
    env = dict(os.environ, PGOPTIONS="--client-min-messages=warning")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   stdout=subprocess.DEVNULL, env=env)


def psql_value(url, sql):
    out = subprocess.run(["psql", "-qtA", url, "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def one(args, tmp, n_workers, backend, run_no):
    cfg = os.path.join(tmp, "farm.toml")
    db_file = os.path.join(tmp, f"w{n_workers}-{run_no}.db")
    farm = subprocess.Popen([args.farm, str(args.hosts), str(args.articles), str(args.per_page),
                             str(args.delay_ms), str(args.concurrency), cfg,
                             os.path.join(tmp, "tree"), db_file],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    schema = f"jujiao_bench_{os.getpid()}_{n_workers}_{run_no}"
    try:
        assert farm.stdout.readline().strip() == "ready"
        if backend == "pg":
            psql(args.pg, f"CREATE SCHEMA {schema}")
            sep = "&" if "?" in args.pg else "?"
            # Workers migrate the empty schema themselves (under sqlx's migration lock).
            db = f"{args.pg}{sep}options[search_path]={schema}"
        else:
            db = db_file
        t = time.perf_counter()
        procs = [subprocess.Popen([args.bin, "worker", "--db", db, "--config", cfg, "--until-idle",
                                   "--tasks", str(args.tasks), "--id", f"bench{i}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(n_workers)]
        outs = [p.communicate() for p in procs]
        dt = time.perf_counter() - t
        for p, (out, err) in zip(procs, outs):
            if p.returncode not in (0, 1):
                sys.exit(f"worker failed ({p.returncode}):\n{out}\n{err}")
        farm.stdin.write("\n")
        farm.stdin.flush()
        most, _requests = map(int, farm.stdout.readline().split())
        total = args.hosts * args.articles
        if backend == "pg":
            stored = int(psql_value(args.pg, f"SELECT count(*) FROM {schema}.article_urls"))
            filed = int(psql_value(args.pg, f"SELECT count(*) FROM {schema}.filings"))
        else:
            import sqlite3
            con = sqlite3.connect(db_file)
            stored = con.execute("SELECT count(*) FROM article_urls").fetchone()[0]
            filed = con.execute("SELECT count(*) FROM filings").fetchone()[0]
            con.close()
        if stored != total or filed != total:
            sys.exit(f"{n_workers} workers ({backend}): expected {total} articles filed once, "
                     f"got {stored} URLs and {filed} filings\n{outs}")
        if most > args.concurrency:
            sys.exit(f"a host saw {most} requests at once (limit {args.concurrency})")
        return total / dt, most
    finally:
        farm.kill()
        farm.wait()
        if backend == "pg":
            psql(args.pg, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db_file + suffix):
                os.remove(db_file + suffix)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--farm", required=True, help="the demosite `farm` example binary")
    ap.add_argument("--pg", default=os.environ.get("JUJIAO_TEST_PG", "postgres://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--articles", type=int, default=100, help="articles per host")
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--delay-ms", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=8, help="items each worker handles at once")
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-sqlite", action="store_true")
    args = ap.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    total = args.hosts * args.articles
    print(f"{total} articles over {args.hosts} hosts, {args.delay_ms} ms per answer, "
          f"{args.concurrency} per host, {args.tasks} items per worker; median of {args.runs}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="jujiao-worker-bench-") as tmp:
        cases = [(n, "pg") for n in counts] + ([] if args.no_sqlite else [(1, "sqlite")])
        for n, backend in cases:
            rates, mosts = [], []
            for r in range(args.runs):
                rate, most = one(args, tmp, n, backend, r)
                rates.append(rate)
                mosts.append(most)
            results[(n, backend)] = statistics.median(rates)
            base = results.get((1, "pg"))
            line = f"{backend:<10} {n} worker(s): {statistics.median(rates):7.1f} articles/s"
            if backend == "pg" and base:
                speedup = results[(n, backend)] / base
                line += f"  speed-up {speedup:4.2f}x ({speedup / n:4.2f} of linear)"
            line += f"  most in flight per host {max(mosts)}  runs: " + ", ".join(f"{x:.1f}" for x in rates)
            print(line, flush=True)


if __name__ == "__main__":
    main()
