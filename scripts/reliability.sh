#!/usr/bin/env bash
# The reliability suite with figures (crate jujiao-reliability): hostile sites, kill
# trials, full and read-only disks, fuzzing, the web app against crawled payloads.
#
#   scripts/reliability.sh            # full: 100 kill trials, 200,000 executions per fuzz target
#   scripts/reliability.sh --ci       # bounded for CI: 12 kill trials, 20,000 executions
#   scripts/reliability.sh --only fuzz --fuzz-execs 1000000   # any jujiao-reliability option
#
# JUJIAO_BIN: a jujiao binary already built (CI passes the release one). The disk cases
# mount a tmpfs and a read-only bind mount: they need root, and say "not run" otherwise.
# The web part needs chromium (apt-get install -y chromium). Exit 0 when all passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}

args=(--trials 100 --fuzz-execs 200000)
if [ "${1:-}" = "--ci" ]; then
  args=(--trials 12 --fuzz-execs 20000)
  shift
fi

# One build for both, also when JUJIAO_BIN is given: built one at a time, each package's
# own feature set made Cargo rebuild the shared dependencies and relink jujiao (~10
# minutes on 2 cores) even right after `cargo build --release -p jujiao -p
# jujiao-reliability` (which CI runs first, so this is then a no-op).
cargo build --locked --release -q -p jujiao -p jujiao-reliability
bin=${JUJIAO_BIN:+$(realpath "$JUJIAO_BIN")}
bin=${bin:-$target/release/jujiao}
exec "$target/release/jujiao-reliability" --bin "$bin" --root "$root" "${args[@]}" "$@"
