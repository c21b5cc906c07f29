#!/usr/bin/env python3
"""Scrapy baseline for the crawl benchmark: the same site, the same work as `jujiao crawl`
with selectors (title `div.titleCon > h1`, body `div.TRS_Editor p`, the 发布时间 line),
16 requests in flight in all (4 per host), no delay, robots.txt not read, JSON lines out.

Makes its own venv on first use (`python3 -m venv target/venv-scrapy`, then pip installs
scrapy into it). Used by bench_crawl.py; on its own:
    bench_scrapy.py --out articles.jsonl http://127.0.0.31:PORT http://127.0.0.32:PORT …
Prints one JSON line: {"articles", "cpu_s", "peak_rss_mb", "wall_s"} of the Scrapy process.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "venv-scrapy")

SPIDER = r'''
import os
import scrapy


class BenchSpider(scrapy.Spider):
    name = "bench"
    custom_settings = {
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "FEEDS": {os.environ["BENCH_OUT"]: {"format": "jsonlines", "encoding": "utf8", "overwrite": True}},
    }

    def __init__(self, bases, **kw):
        super().__init__(**kw)
        self.start_urls = [b.rstrip("/") + "/news/index.html" for b in bases.split(",")]

    def parse(self, response):
        # the pager's 下一页 link, then every article link of the list
        yield from response.follow_all(xpath="//div[@class='page']/a[text()='下一页']", callback=self.parse)
        yield from response.follow_all(css="ul.list > li > a", callback=self.parse_article)

    def parse_article(self, response):
        paras = (p.xpath("string()").get().strip() for p in response.css("div.TRS_Editor p"))
        yield {
            "url": response.url,
            "title": (response.css("div.titleCon > h1::text").get() or "").strip(),
            "publish_time": response.css("div.titleCon .info span::text").re_first(
                r"发布时间：\s*(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2})?)"),
            "body": "\n".join(p for p in paras if p),
        }
'''


def ensure_venv():
    scrapy = os.path.join(VENV, "bin", "scrapy")
    if not os.path.exists(scrapy):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "--quiet", "scrapy"], check=True)
    return scrapy


def run(bases, out, workdir):
    scrapy = ensure_venv()
    spider = os.path.join(workdir, "bench_spider.py")
    with open(spider, "w", encoding="utf-8") as f:
        f.write(SPIDER)
    env = dict(os.environ, BENCH_OUT=out)
    t = time.perf_counter()
    p = subprocess.Popen([scrapy, "runspider", spider, "-a", "bases=" + ",".join(bases)],
                         cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"scrapy failed:\n{err}")
    with open(out, encoding="utf-8") as f:
        articles = sum(1 for line in f if line.strip())
    return {"articles": articles, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "peak_rss_mb": ru.ru_maxrss / 1024.0, "wall_s": wall}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("bases", nargs="+")
    args = ap.parse_args()
    print(json.dumps(run(args.bases, os.path.abspath(args.out), os.path.dirname(os.path.abspath(args.out)))))


if __name__ == "__main__":
    main()
