#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the benchmarks in an optimised build and runs each of them.
#
#   bench/run.sh [ARGS...]      ARGS are passed to every benchmark
#
# The build directory is ${BUILD_DIR:-build-bench} at the repository root.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build-bench}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  # The test suite is not needed to benchmark.
  meson setup "$build" "$root" -Dbuildtype=release -Dtests=false \
    >"$build.setup.log" 2>&1 || {
      cat "$build.setup.log" >&2
      exit 1
    }
  rm -f "$build.setup.log"
fi

targets=""
for src in "$root"/bench/bench-*.c; do
  name=$(basename "$src" .c)
  targets="$targets bench/$name"
done
# shellcheck disable=SC2086  # one word per target
ninja -C "$build" $targets >/dev/null

echo "# $(uname -sm), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
for target in $targets; do
  case $target in
    *-ui)
      # Needs a display, and takes its own arguments (see bench/README.md).
      if command -v xvfb-run >/dev/null 2>&1; then
        xvfb-run -a -s '-screen 0 1280x800x24' "$build/$target"
      elif [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        "$build/$target"
      else
        echo "$(basename "$target"): skipped, no display and no xvfb-run" >&2
      fi
      ;;
    *)
      "$build/$target" "$@"
      ;;
  esac
done
