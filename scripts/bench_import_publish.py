#!/usr/bin/env python3
"""Benchmark: import and publish N generated legacy articles (default 100,000).

Generates a canonical legacy tree (7 columns x dated folders, ~1.5 KB per article),
then times `jujiao import` into a fresh SQLite file and `jujiao publish` into an empty
folder, and a second publish (nothing to write). Prints articles/s for each, the median
of --runs runs.

Usage: bench_import_publish.py --bin target/release/jujiao [--n 100000] [--runs 3]
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import tempfile
import time

STYLE = "font-size:16px;margin-top:15px;line-height:25px;text-indent:30px;display:block"
COLUMNS = ["领导活动", "通知公告", "国内新闻", "国际新闻", "北京新闻", "财经动态", "健康新闻"]
SENTENCES = [
    "会议传达学习了上级有关会议精神，研究部署下一阶段重点工作。",
    "要聚焦科学城建设，持续优化创新生态，加快培育高精尖产业。",
    "今年以来，全区上下攻坚克难，主要经济指标保持平稳增长。",
    "下一步，将进一步完善工作机制，强化督促检查，形成工作合力。",
]


def generate(root, n):
    day0 = datetime.date(2020, 1, 1)
    for i in range(n):
        col = COLUMNS[i % len(COLUMNS)]
        day = day0 + datetime.timedelta(days=(i // 40) % 3000)
        d = os.path.join(root, col, day.strftime("%Y-%m-%d"))
        os.makedirs(d, exist_ok=True)
        title = f"第{i}号简报文章：{SENTENCES[i % 4][:12]}"
        paras = [f"　　{SENTENCES[(i + k) % 4]}{SENTENCES[(i * 7 + k) % 4]}（{i}-{k}）" for k in range(6)]
        body = "".join(
            f"<div><span style='{STYLE}'> {p}</span></div><div>&nbsp;</div>" for p in paras)
        with open(os.path.join(d, title + ".txt"), "w", encoding="utf-8") as f:
            f.write(title + "\n" + body)


def timed(cmd):
    # Start each step with the previous steps' writes on disk: otherwise the kernel's
    # write-back of earlier runs' 100,000 files stalls this one.
    os.sync()
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="jujiao-bench-") as tmp:
        tree = os.path.join(tmp, "tree")
        t = time.perf_counter()
        generate(tree, args.n)
        print(f"generated {args.n} articles in {time.perf_counter() - t:.1f}s")
        imp, pub, pub2 = [], [], []
        for run in range(args.runs):
            db = os.path.join(tmp, f"bench{run}.db")
            out = os.path.join(tmp, f"out{run}")
            imp.append(timed([args.bin, "import", tree, "--db", db, "--year", "2020"]))
            pub.append(timed([args.bin, "publish", "--db", db, "--out", out, "--date-folder", "iso"]))
            pub2.append(timed([args.bin, "publish", "--db", db, "--out", out, "--date-folder", "iso"]))
            shutil.rmtree(out)
            os.remove(db)
        for name, xs in (("import", imp), ("publish", pub), ("publish again (nothing to write)", pub2)):
            m = statistics.median(xs)
            print(f"{name:34s} median {m:6.2f}s  {args.n / m:10.0f} articles/s  runs: "
                  + ", ".join(f"{x:.2f}s" for x in xs))


if __name__ == "__main__":
    main()
