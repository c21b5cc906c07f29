#!/usr/bin/env python3
"""Baseline for `jujiao publish`: how fast this machine's file system creates files.

Creates N small files (1.7 KB, like a briefing article) in the publish layout (7 column
folders x dated folders) with the same system calls jujiao's atomic write uses (create
a temporary file with O_EXCL, write, close, rename over the target), and prints files/s
with wall-clock and CPU (user + sys) time. When wall time is far above CPU time the
process waits on the disk (journal commits, write-back), and no publisher can be
faster than this figure on that disk at that moment.

Usage: bench_fs_create.py [--n 100000] [--runs 3] [--dir /tmp]
"""
import argparse
import os
import shutil
import tempfile
import time

DATA = ("会议传达学习了上级有关会议精神，研究部署下一阶段重点工作。" * 20).encode()


def create(root, n):
    made = set()
    t, c0 = time.perf_counter(), os.times()
    for i in range(n):
        d = os.path.join(root, f"col{i % 7}", f"d{(i // 40) % 3000}")
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        tmp = os.path.join(d, f".jujiao-tmp-{i}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, DATA)
        os.close(fd)
        os.rename(tmp, os.path.join(d, f"{i}.txt"))
    c1 = os.times()
    return time.perf_counter() - t, (c1.user - c0.user) + (c1.system - c0.system)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to create the files (default: the temp dir)")
    args = ap.parse_args()
    for run in range(args.runs):
        root = tempfile.mkdtemp(prefix="jujiao-fs-", dir=args.dir)
        try:
            os.sync()
            wall, cpu = create(root, args.n)
            print(f"run {run + 1}: {args.n / wall:8.0f} files/s  wall {wall:6.2f}s  cpu {cpu:5.2f}s")
        finally:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
