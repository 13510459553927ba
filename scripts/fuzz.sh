#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fuzzes the XML stream reader with libFuzzer for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS]
#
# Configures a clang build with ASan/UBSan in ${BUILD_DIR:-build-fuzz}
# (relative to the repository root unless absolute), builds fuzz-reader and
# runs it on a copy of tests/fuzz/corpus/reader, so the seeds in the tree
# stay as they are. Crash inputs are kept in BUILD_DIR/fuzz-artifacts/.
# Exits non-zero when the fuzzer finds a crash, a leak or a timeout.
set -eu

seconds=${1:-60}
case $seconds in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build-fuzz}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

"$root/scripts/install-deps.sh"

if [ ! -f "$build/build.ninja" ]; then
  # fuzzer-no-link instruments the libraries for coverage without linking
  # libFuzzer's main() into every executable.
  CC=clang-14 meson setup "$build" "$root" \
    -Dfuzzing=true \
    -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined \
    -Db_lundef=false \
    -Dc_args=-fsanitize=fuzzer-no-link \
    >"$build.setup.log" 2>&1 || {
      cat "$build.setup.log" >&2
      exit 1
    }
  rm -f "$build.setup.log"
fi

ninja -C "$build" tests/fuzz/fuzz-reader >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$root/tests/fuzz/corpus/reader" "$work/corpus"
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"

status=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
G_DEBUG=gc-friendly \
"$build/tests/fuzz/fuzz-reader" \
  -max_total_time="$seconds" \
  -max_len=4096 \
  -rss_limit_mb=2048 \
  -timeout=10 \
  -print_final_stats=1 \
  -dict="$root/tests/fuzz/xmpp.dict" \
  -artifact_prefix="$artifacts/" \
  "$work/corpus" >"$work/log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
corpus=$(find "$work/corpus" -type f | wc -l)

if [ "$status" -ne 0 ]; then
  tail -n 60 "$work/log" >&2
  cp "$work/log" "$artifacts/last.log"
  echo "fuzz-reader: FAILED (exit $status) after ${runs:-?} runs; inputs and log in $artifacts"
  exit 1
fi

echo "fuzz-reader: OK, ${runs:-?} runs in ${seconds}s (${rate:-?} exec/s), corpus $corpus inputs, no crash"
