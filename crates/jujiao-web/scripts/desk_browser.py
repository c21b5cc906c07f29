#!/usr/bin/env python3
"""Drives headless Chromium through the editor's desk over the DevTools protocol
(--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4, so nothing but
Python's standard library is needed).

As a new editor would: log in, open 编辑简报, start an issue, select five candidates
(two of one column), move one of them up, write a summary for one item and a note (按语)
for another, issue it and download the .docx through the browser's session. Then, as
the same editor, issue a second one. Writes what it did to <out>/desk.json and
screenshots to <out>/.

    desk_browser.py --base http://127.0.0.1:PORT --user NAME --password-file F --out DIR
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, binary, workdir):
        self.to_chrome_r, self.to_chrome_w = os.pipe()
        self.from_chrome_r, self.from_chrome_w = os.pipe()
        profile = tempfile.mkdtemp(dir=workdir)
        args = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--remote-debugging-pipe", "--user-data-dir=" + profile,
            "--window-size=1400,1700", "about:blank",
        ]

        def fds():
            # Chromium reads fd 3 and writes fd 4; copies first, so neither end
            # overwrites the other. (close_fds=False: closing runs after this.)
            a, b = os.dup(self.to_chrome_r), os.dup(self.from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            args, preexec_fn=fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(self.to_chrome_r)
        os.close(self.from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.events = []

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome_w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_chrome_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def open_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = attached["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def eval(self, expression, timeout=20):
        r = self.send("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
            "timeout": timeout * 1000,
        })
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}…: {r['exceptionDetails']}")
        return r["result"].get("value")

    def goto(self, url):
        self.send("Page.navigate", {"url": url})
        self.wait("document.readyState === 'complete' && location.href !== 'about:blank'")

    def wait(self, condition, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.eval(f"!!({condition})"):
                    return
            except RuntimeError:
                pass  # a navigation destroyed the context; try again
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for: {condition} (at {self.eval('location.href')})")

    def screenshot(self, path):
        height = self.eval("Math.ceil(document.documentElement.scrollHeight)")
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1400, "height": min(height, 2400), "scale": 1},
        })
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except RuntimeError:
            pass
        self.proc.wait(timeout=10)


def js(s):
    return json.dumps(s, ensure_ascii=False)


def compose_and_issue(b, base, out, first):
    """Starts a draft on /desk, composes it and issues it; answers what it composed."""
    b.goto(base + "/desk")
    b.eval("document.getElementById('new-issue').click()")
    b.wait("location.pathname.startsWith('/desk/issues/') && document.getElementById('desk')"
           " && document.getElementById('desk').dataset.ready === '1'")
    issue_id = int(b.eval("document.getElementById('desk').dataset.issue"))
    # The candidates by column: choose two of the first column that has two, then the
    # first of the others until there are five (the second issue takes one).
    columns = b.eval("""Array.from(document.querySelectorAll('#candidate-list ul.cands')).map(
        ul => Array.from(ul.querySelectorAll('.cand')).map(li => li.dataset.article))""")
    wanted = 5 if first else 1
    picks = []
    pair = next((c for c in columns if len(c) >= 2), None)
    if pair and wanted >= 2:
        picks += pair[:2]
    for c in columns:
        for a in c:
            if len(picks) < wanted and a not in picks and (c is not pair or not first):
                picks.append(a)
                break
    for c in columns:
        for a in c:
            if len(picks) < wanted and a not in picks:
                picks.append(a)
    if len(picks) < wanted:
        raise RuntimeError(f"only {len(picks)} candidates on the compose page")
    for n, a in enumerate(picks):
        # Keyboard for the first, clicks for the rest: both select.
        if n == 0:
            b.eval(f"""(() => {{ const r = document.querySelector('#candidate-list .cand[data-article="{a}"]');
                r.focus(); r.dispatchEvent(new KeyboardEvent('keydown', {{key: ' ', bubbles: true}})); }})()""")
        else:
            b.eval(f"""document.querySelector('#candidate-list .cand[data-article="{a}"]').click()""")
    b.wait(f"document.querySelectorAll('.ditem').length === {wanted}")
    summary = note = None
    if first:
        # Reorder two: the second item of the pair's section moves up.
        b.eval("""(() => { const s = Array.from(document.querySelectorAll('.dsection'))
            .find(s => s.querySelectorAll('.ditem').length >= 2);
            s.querySelectorAll('.ditem')[1].querySelector('.up').click(); })()""")
        summary = "编者摘要：本文介绍了有关工作的主要进展和下一步安排。"
        note = "请各单位结合实际认真学习。"
        # A summary for the first item, a note for the last.
        b.eval("""(() => { const sel = document.querySelectorAll('.ditem')[0].querySelector('select.mode');
            sel.value = 'summary'; sel.dispatchEvent(new Event('change', {bubbles: true})); })()""")
        b.wait("document.querySelector('.ditem .summary-text')")
        b.eval(f"""(() => {{ const t = document.querySelector('.ditem .summary-text');
            t.value = {js(summary)}; t.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""")
        b.eval(f"""(() => {{ const items = document.querySelectorAll('.ditem');
            const t = items[items.length - 1].querySelector('.note-text');
            t.value = {js(note)}; t.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""")
        b.eval("window.deskFlush()")
        b.wait("document.getElementById('save-status').textContent.startsWith('已保存')")
        b.screenshot(os.path.join(out, "compose.png"))
    else:
        b.eval("window.deskFlush()")
    # What the issue will say, in order (read through the editor's session).
    text = b.eval(f"fetch('/api/briefing/issues/{issue_id}/text').then(r => r.json())")
    titles = [i["title"] for s in text["text"]["sections"] for i in s["items"]]
    b.eval("document.getElementById('issue-button').click()")
    b.eval("document.getElementById('issue-button').click()")
    b.wait("document.getElementById('download-docx')", timeout=30)
    label = b.eval("document.querySelector('h1 .day').textContent")
    return {"id": issue_id, "titles": titles, "summary": summary, "note": note,
            "label": label, "picks": [int(p) for p in picks]}


def download(b, path, dest):
    data = b.eval(f"""fetch({js(path)}).then(r => {{
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.arrayBuffer(); }}).then(buf => {{
        let s = ''; const a = new Uint8Array(buf);
        for (let i = 0; i < a.length; i += 8192) s += String.fromCharCode.apply(null, a.subarray(i, i + 8192));
        return btoa(s); }})""", timeout=60)
    with open(dest, "wb") as f:
        f.write(base64.b64decode(data))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chromium", default="chromium")
    p.add_argument("--step", choices=["first", "second", "docx"], required=True)
    p.add_argument("--issue", type=int)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    password = open(a.password_file, encoding="utf-8").read().strip()
    work = tempfile.mkdtemp()
    b = Browser(a.chromium, work)
    try:
        b.open_page()
        b.goto(a.base + "/login")
        b.eval(f"""(() => {{ const f = document.querySelector('form[action^="/login"]') || document.querySelector('form');
            f.querySelector('[name=username],[name=name],[name=user]').value = {js(a.user)};
            f.querySelector('[type=password]').value = {js(password)};
            f.submit(); }})()""")
        b.wait("location.pathname !== '/login' && document.readyState === 'complete'")
        if a.step == "docx":
            download(b, f"/desk/issues/{a.issue}/download.docx", os.path.join(a.out, "again.docx"))
            return
        result = compose_and_issue(b, a.base, a.out, a.step == "first")
        if a.step == "first":
            b.screenshot(os.path.join(a.out, "issued.png"))
            download(b, f"/desk/issues/{result['id']}/download.docx", os.path.join(a.out, "first.docx"))
        with open(os.path.join(a.out, f"{a.step}.json"), "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
        print(json.dumps(result, ensure_ascii=False))
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
