#!/usr/bin/env bash
# End-to-end test of the editor's desk (编辑简报), as a new user would try it:
#   jujiao demo → jujiao user add (an editor) → jujiao serve, then headless Chromium
#   (desk_browser.py) logs in, composes an issue from the demo's articles (five chosen,
#   two reordered, one summary, one 按语), issues it and downloads the .docx.
# The .docx is converted by LibreOffice; the PDF's text and fonts are checked, page 1 is
# rendered to target/desk/page1.png. Then: the next issue is 第2期, and the first issue's
# file is byte-for-byte the same after one of its articles is revised (by importing the
# published briefing tree again with that article's text changed).
#
#   crates/jujiao-web/scripts/desk_test.sh       # from the repository root
#
# Needs chromium, fonts-noto-cjk, libreoffice-writer (soffice) and poppler-utils
# (pdftotext, pdffonts, pdftohtml, pdftoppm). Exit code 0 when every check passed.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
out=$root/target/desk
rm -rf "$out"
mkdir -p "$out"
browser=$(command -v chromium || command -v chromium-browser || true)
for tool in soffice pdftotext pdffonts pdftohtml pdftoppm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is not installed (apt-get install -y libreoffice-writer poppler-utils)" >&2
    exit 2
  fi
done
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install -y chromium fonts-noto-cjk)" >&2
  exit 2
fi
if [ -n "${JUJIAO_BIN:-}" ]; then
  bin=$(realpath "$JUJIAO_BIN")
else
  cargo build --locked -q -p jujiao
  bin=$target/debug/jujiao
fi
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

failed=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1" >&2; failed=1; }
check() { # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

(cd "$work" && "$bin" demo >/dev/null)
config=$work/demo-output/jujiao.toml
db=$work/demo-output/jujiao.db
# The published tree, imported once as it is: each file becomes a further source of the
# article it was written from, so editing a file and importing it again revises that
# article (the way an office's corrected old files come in).
cp -r "$work/demo-output/briefing" "$work/tree"
"$bin" import "$work/tree" --db "$db" >/dev/null

password="desk-editor-$RANDOM$RANDOM"
printf '%s\n' "$password" >"$work/password"
"$bin" user add 编辑小王 --role editor --config "$config" --db "$db" <"$work/password" >/dev/null

port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
"$bin" serve --config "$config" --db "$db" --listen "127.0.0.1:$port" --no-schedule \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs "$base/assets/style.css" >/dev/null 2>&1 && break
  sleep 0.2
done

drive() {
  python3 crates/jujiao-web/scripts/desk_browser.py --base "$base" --user 编辑小王 \
    --password-file "$work/password" --out "$out" --chromium "$browser" "$@"
}
drive --step first >/dev/null
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
first_id=$(json "$out/first.json" 'd["id"]')
check "first issue is 第1期" [ "$(json "$out/first.json" 'd["label"].split(" ")[0]')" = "第1期" ]
check "five items" [ "$(json "$out/first.json" 'len(d["titles"])')" = 5 ]

# The Word file through LibreOffice. This machine has none of the official faces, so,
# as on any office PC without them, they are substituted: the 宋/仿宋/楷 (serif) faces by
# Noto Serif CJK, 黑体 by Noto Sans CJK — what each run names decides which it gets.
cat >"$work/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>仿宋_GB2312</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>方正小标宋简体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>宋体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>楷体_GB2312</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>
</fontconfig>
XML
export FONTCONFIG_FILE="$work/fonts.conf"
soffice --headless --norestore "-env:UserInstallation=file://$work/lo" --convert-to pdf \
  --outdir "$out" "$out/first.docx" >/dev/null 2>&1
pdf=$out/first.pdf
check "LibreOffice made a PDF" test -s "$pdf"
pdftotext -layout "$pdf" "$out/first.txt"
python3 - "$out/first.txt" "$out/first.json" <<'EOF' || failed=1
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
flat = re.sub(r"\s+", "", text)
d = json.load(open(sys.argv[2], encoding="utf-8"))
bad = 0
def check(what, cond):
    global bad
    print(("ok   " if cond else "FAIL ") + what, file=sys.stdout if cond else sys.stderr)
    bad |= not cond
check("PDF: series name 每日简报", "每日简报" in flat)
check("PDF: 第1期", "第1期" in flat)
check("PDF: 目录", "目录" in flat)
# The titles in the chosen order, after the 目录 (where they appear once already).
body = flat[flat.index("目录") + 2:]
pos, order_ok = 0, True
for t in d["titles"]:
    t = re.sub(r"\s+", "", t)
    at = body.find(t, pos)
    order_ok &= at >= 0
    pos = max(pos, at)
check("PDF: the five titles in the chosen order", order_ok)
check("PDF: the summary", re.sub(r"\s+", "", d["summary"]) in flat)
check("PDF: the 按语", re.sub(r"\s+", "", d["note"]) in flat)
check("PDF: page number — 1 —", re.search(r"—\s*1\s*—", text) is not None)
sys.exit(bad)
EOF
pdffonts "$pdf" >"$out/fonts.txt"
cat "$out/fonts.txt"
# Which font sets each piece of text: pdftohtml -xml names a font per text run.
pdftohtml -xml -i -q -stdout "$pdf" >"$out/first.xml"
python3 - "$out/first.xml" "$out/fonts.txt" <<'EOF' || failed=1
import re, sys, collections
xml = open(sys.argv[1], encoding="utf-8").read()
fonts = {m.group(1): m.group(2) for m in re.finditer(r'<fontspec id="(\d+)" size="[^"]*" family="([^"]*)"', xml)}
cjk = re.compile(r"[\u3400-\u9fff]")
latin_only = re.compile(r"liberation|dejavu|times|arial|helvetica|courier|carlito|caladea", re.I)
chars = collections.Counter()
bad_runs = []
for m in re.finditer(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml, re.S):
    family, run = fonts.get(m.group(1), "?"), re.sub(r"<[^>]+>", "", m.group(2))
    n = len(cjk.findall(run))
    chars[family] += n
    if n and latin_only.search(family):
        bad_runs.append((family, run[:30]))
body_family = chars.most_common(1)[0][0] if chars else "?"
serif = re.search(r"serif.?cjk|song|ming|fangsong|仿宋|宋", body_family, re.I) and not re.search(r"sans", body_family, re.I)
print(("ok   " if serif else "FAIL ") + f"PDF fonts: most Chinese text is set in {body_family} (a CJK serif face)")
print(("ok   " if not bad_runs else "FAIL ") + f"PDF fonts: no Chinese in a Latin-only font {bad_runs[:3]}")
embedded = open(sys.argv[2], encoding="utf-8").read()
sys.exit(0 if serif and not bad_runs and "CJK" in embedded else 1)
EOF
pdftoppm -png -r 80 -f 1 -l 1 -singlefile "$pdf" "$out/page1"
check "page 1 rendered to $out/page1.png" test -s "$out/page1.png"

# The next issue of the series is 第2期.
drive --step second >/dev/null
check "second issue is 第2期" [ "$(json "$out/second.json" 'd["label"].split(" ")[0]')" = "第2期" ]

# Revise one of the first issue's articles, then download the first issue again.
article=$(json "$out/first.json" 'd["picks"][-1]')
title=$(curl -fs "$base/api/articles/$article" | python3 -c 'import json,sys; print(json.load(sys.stdin)["article"]["title"])')
before=$(curl -fs "$base/api/articles/$article" | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
file=$(grep -rlF -- "$title" "$work/tree" | head -n 1)
if [ -n "$file" ]; then
  # The body is one line of <div><span>…</span></div> paragraphs: change the first.
  python3 - "$file" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
open(p, "w", encoding="utf-8").write(s.replace("</span>", "（本段已于当日修订。）</span>", 1))
PY
  "$bin" import "$work/tree" --db "$db" >/dev/null || true
  after=$(curl -fs "$base/api/articles/$article" | python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])')
  check "article $article revised ($before → $after)" [ "$after" -gt "$before" ]
else
  fail "no published file holds \"$title\""
fi
drive --step docx --issue "$first_id" >/dev/null
check "first issue's .docx unchanged byte for byte" cmp -s "$out/first.docx" "$out/again.docx"

echo "files: $out (compose.png, issued.png, first.docx, first.pdf, page1.png)"
exit $failed
