#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fuzzes Talk with libFuzzer for SECONDS in all (default 60), split evenly
# between the targets, one after the other.
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]
#
# Targets (default: all): reader (the XML stream reader), router (stanzas
# through an online session with every module attached), modules (each
# protocol module's parsing). Configures a clang build with ASan/UBSan in
# ${BUILD_DIR:-build-fuzz} (relative to the repository root unless
# absolute), builds the targets and runs each on a copy of its corpus in
# tests/fuzz/corpus/, so the seeds in the tree stay as they are. Crash
# inputs are kept in BUILD_DIR/fuzz-artifacts/. Exits non-zero when a
# fuzzer finds a crash, a leak or a timeout.
set -eu

seconds=${1:-60}
case $seconds in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
[ "$#" -gt 0 ] && shift
targets=${*:-reader router modules}
for target in $targets; do
  case $target in
    reader|router|modules) ;;
    *) echo "$0: unknown target $target (reader, router, modules)" >&2; exit 2 ;;
  esac
done

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

n_targets=0
build_targets=""
for target in $targets; do
  n_targets=$((n_targets + 1))
  build_targets="$build_targets tests/fuzz/fuzz-$target"
done
# shellcheck disable=SC2086
ninja -C "$build" $build_targets >/dev/null

share=$((seconds / n_targets))
[ "$share" -gt 0 ] || share=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"

failed=0
for target in $targets; do
  cp -R "$root/tests/fuzz/corpus/$target" "$work/$target"
  status=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
  G_DEBUG=gc-friendly \
  "$build/tests/fuzz/fuzz-$target" \
    -max_total_time="$share" \
    -max_len=4096 \
    -rss_limit_mb=2048 \
    -timeout=10 \
    -print_final_stats=1 \
    -dict="$root/tests/fuzz/xmpp.dict" \
    -artifact_prefix="$artifacts/$target-" \
    "$work/$target" >"$work/$target.log" 2>&1 || status=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$target.log" | tail -n 1)
  corpus=$(find "$work/$target" -type f | wc -l)

  if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/$target.log" >&2
    cp "$work/$target.log" "$artifacts/$target-last.log"
    echo "fuzz-$target: FAILED (exit $status) after ${runs:-?} runs; inputs and log in $artifacts"
    failed=1
    continue
  fi
  echo "fuzz-$target: OK, ${runs:-?} runs in ${share}s (${rate:-?} exec/s), corpus $corpus inputs, no crash"
done

exit "$failed"
