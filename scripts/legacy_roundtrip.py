#!/usr/bin/env python3
"""Lossless round trip of a legacy briefing tree: `jujiao import` then
`jujiao publish --filenames posix`, then check every original file:

- written back byte-identical at the same relative path, or
- or, when its text is another file's (one article), still written back byte-identical
  at its own path (issue 17, bug 5a: the same story on two days or in two columns keeps
  every place), or
- rejected with a reason.
Also: publish writes no file the tree did not have, and a second import adds nothing.

Prints the three counts and exits non-zero if any file is none of these.
Usage: legacy_roundtrip.py --bin target/release/jujiao TREE
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the jujiao binary")
    ap.add_argument("tree", help="root of the legacy tree")
    args = ap.parse_args()
    tree = os.path.abspath(args.tree)
    with tempfile.TemporaryDirectory(prefix="jujiao-roundtrip-") as tmp:
        db = os.path.join(tmp, "roundtrip.db")
        out = os.path.join(tmp, "out")
        report = os.path.join(tmp, "report.jsonl")
        t0 = time.time()
        imp = subprocess.run([args.bin, "import", tree, "--db", db, "--report", report],
                             capture_output=True, text=True)
        print(imp.stdout, end="")
        if imp.returncode not in (0, 1):
            print(imp.stderr, file=sys.stderr)
            sys.exit(f"import failed with exit code {imp.returncode}")
        t1 = time.time()
        pub = subprocess.run([args.bin, "publish", "--db", db, "--out", out, "--filenames", "posix"],
                             capture_output=True, text=True)
        print(pub.stdout, end="")
        if pub.returncode != 0:
            print(pub.stderr, file=sys.stderr)
            sys.exit(f"publish failed with exit code {pub.returncode}")
        t2 = time.time()
        # A second import of the same tree must add nothing.
        again = subprocess.run([args.bin, "import", tree, "--db", db], capture_output=True, text=True)
        added_again = [l for l in again.stdout.splitlines() if l.strip().startswith("articles added")]

        identical = merged = rejected = 0
        problems = []

        def same(rel):
            a, b = os.path.join(tree, rel), os.path.join(out, rel)
            if not os.path.isfile(b):
                return False
            with open(a, "rb") as fa, open(b, "rb") as fb:
                return fa.read() == fb.read()

        with open(report, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f]
        for e in entries:
            rel, outcome = e["path"], e["outcome"]
            if outcome == "added":
                if same(rel):
                    identical += 1
                else:
                    problems.append(f"{rel}: not written back identical")
            elif outcome == "duplicate":
                if same(rel):
                    merged += 1
                else:
                    problems.append(f"{rel}: same text as {e['of']}, not written back identical in its own place")
            elif outcome == "rejected":
                if e.get("reason"):
                    rejected += 1
                else:
                    problems.append(f"{rel}: rejected without a reason")
            elif outcome == "skipped":
                pass
            else:
                problems.append(f"{rel}: unexpected outcome {outcome}")
        files = sum(1 for _, _, fs in os.walk(tree) for _ in fs)
        published = sum(1 for _, _, fs in os.walk(out) for _ in fs)
        if published != identical + merged:
            problems.append(f"publish wrote {published} files for {identical + merged} files of the tree")
        accounted = identical + merged + rejected + sum(1 for e in entries if e["outcome"] == "skipped")
        if accounted != files:
            problems.append(f"{files} files in the tree but {accounted} accounted for")
        print(f"round trip: {files} files: {identical} written back identical, "
              f"{merged} sharing another file's text (one article) written back identical in their own place, "
              f"{rejected} rejected with a reason "
              f"(import {t1 - t0:.1f}s, publish {t2 - t1:.1f}s)")
        print(f"second import: {added_again[0].strip() if added_again else '?'}")
        if not added_again or added_again[0].split()[-1] != "0":
            problems.append("the second import added articles")
        for p in problems[:50]:
            print("PROBLEM:", p)
        if problems:
            sys.exit(f"{len(problems)} problems")


if __name__ == "__main__":
    main()
