#!/usr/bin/env bash
# Browser test of the web app in headless Chromium: makes the demo database
# (`jujiao demo`), serves it, opens the briefing, the search form, a search and a
# filtered search, the sources, an article, the export page and the login page, screenshots each and
# checks the rendered DOM holds the expected Chinese text.
#
#   crates/jujiao-web/scripts/browser_test.sh          # from the repository root
#
# Needs `chromium` (apt-get install -y chromium; fonts-noto-cjk for Chinese glyphs).
# Screenshots go to target/screenshots/. Exit code 0 when every check passed.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
shots=$root/target/screenshots
mkdir -p "$shots"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install -y chromium fonts-noto-cjk)" >&2
  exit 2
fi

# JUJIAO_BIN: a jujiao binary already built (CI passes the release one, so that this
# step builds nothing more).
if [ -n "${JUJIAO_BIN:-}" ]; then
  bin=$(realpath "$JUJIAO_BIN")
else
  cargo build --locked -q -p jujiao
  bin=$target/debug/jujiao
fi
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "$work" && "$bin" demo >/dev/null)
port=$((20000 + RANDOM % 20000))
"$bin" serve --config "$work/demo-output/jujiao.toml" --db "$work/demo-output/jujiao.db" \
  --listen "127.0.0.1:$port" --no-schedule >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/assets/style.css" >/dev/null 2>&1 && break
  sleep 0.2
done

chrome() {
  "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$work")" --window-size=1280,1600 "$@" 2>/dev/null
}

failed=0
check() { # name url expected...
  local name=$1 url=$2
  shift 2
  chrome --screenshot="$shots/$name.png" "$url" >/dev/null
  local dom
  dom=$(chrome --dump-dom "$url")
  for want in "$@"; do
    if grep -qF -- "$want" <<<"$dom"; then
      echo "ok   $name: $want"
    else
      echo "FAIL $name: \"$want\" not in the DOM" >&2
      failed=1
    fi
  done
  echo "     screenshot $shots/$name.png"
}

# The demo crawls "today" (Asia/Shanghai).
today=$(TZ=Asia/Shanghai date +%F)
search_term=$(curl -fs "http://127.0.0.1:$port/api/articles?date=$today" |
  python3 -c 'import json,sys; a=json.load(sys.stdin)["articles"]; print(a[0]["title"][:4] if a else "")')
check briefing "http://127.0.0.1:$port/?date=$today" "每日简报" "本日共" "来源：" "前一天"
# The search form, then what submitting it asks for (a GET form: the browser loads
# /search?q=…), then the same search filtered by column, newest first.
check search_form "http://127.0.0.1:$port/search" 'action="/search"' 'name="q"' "搜索文章"
if [ -n "$search_term" ]; then
  q=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$search_term")
  check search "http://127.0.0.1:$port/search?q=$q" "共找到" "<mark>" "搜索文章"
  column=$(curl -fs "http://127.0.0.1:$port/api/articles?date=$today" |
    python3 -c 'import json,sys,urllib.parse; a=json.load(sys.stdin)["articles"]; print(urllib.parse.quote(a[0]["column"]))')
  check search_filtered "http://127.0.0.1:$port/search?q=$q&column=$column&order=newest" "共找到" "<mark>"
else
  echo "FAIL no demo articles for $today" >&2
  failed=1
fi
check sources "http://127.0.0.1:$port/sources" "来源与采集情况" "上次运行"
first_id=$(curl -fs "http://127.0.0.1:$port/api/articles?date=$today" |
  python3 -c 'import json,sys; a=json.load(sys.stdin)["articles"]; print(a[0]["id"] if a else "")')
[ -n "$first_id" ] && check article "http://127.0.0.1:$port/articles/$first_id" "采集时间" "修订记录" "发布过这篇文章的来源"
check export "http://127.0.0.1:$port/export" "导出简报" "Word 简报"
check login "http://127.0.0.1:$port/login" "登录" 'name="password"' 'name="csrf"'
exit $failed
