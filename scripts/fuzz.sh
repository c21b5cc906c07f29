#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo-fuzz (libFuzzer) of the parsers that read what
# jujiao does not control; the targets live in fuzz/ (its own workspace and lock file).
#
#   scripts/fuzz.sh                 # 1,000,000 executions of every target
#   scripts/fuzz.sh 200000          # that many executions of every target
#   scripts/fuzz.sh 50000 config    # only the named targets
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz
# when missing. Each target starts from its committed seeds (fuzz/seeds/<target>) and
# the inputs that once crashed it (fuzz/regressions/<target>); libFuzzer keeps what it
# learns in fuzz/corpus/<target> (not committed) and writes a crashing input to
# fuzz/artifacts/<target>/. Runs one target at a time, niced. Exit 1 on a crash.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
execs=${1:-1000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode_extract legacy_reader config selectors)

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "scripts/fuzz.sh: cargo-fuzz needs a nightly toolchain, and none is installed." >&2
  echo "  rustup toolchain install nightly   (CI runs the stable seeded fuzzer instead:" >&2
  echo "  scripts/reliability.sh --only fuzz)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  nice -n 10 cargo install cargo-fuzz --locked
fi

# Longest input per target: pages are the largest real inputs; a sources file and a
# selector stay small.
max_len() {
  case $1 in
    decode_extract) echo 262144 ;;
    legacy_reader) echo 65536 ;;
    config) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

target_dir=${CARGO_TARGET_DIR:-$root/target}/fuzz
status=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  extra=()
  [ -d "fuzz/regressions/$t" ] && extra+=("fuzz/regressions/$t")
  log=$(mktemp)
  started=$(date +%s)
  echo "== $t: $execs executions" >&2
  if nice -n 10 cargo +nightly fuzz run --target-dir "$target_dir" "$t" \
      "fuzz/corpus/$t" "fuzz/seeds/$t" "${extra[@]}" -- \
      -runs="$execs" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see fuzz/artifacts/$t/)"
    status=1
  fi
  done_execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  peak=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "$t: $done_execs executions in $(( $(date +%s) - started )) s, peak RSS ${peak} MB: $result"
  [ "$result" = ok ] || tail -40 "$log" >&2
  rm -f "$log"
done
exit $status
