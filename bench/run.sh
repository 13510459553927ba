#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the benchmarks in an optimised build and runs all of them.
#
#   bench/run.sh [ARGS...]      ARGS are passed to bench-reader and
#                               bench-history (see bench/README.md)
#
# Then bench/run-xmpp.py runs W1–W3 against a private Prosody for Talk and
# the two reference clients; BENCH_XMPP_ARGS adds its options (for example
# "--runs 3 --messages 2000 --idle 10"), BENCH_XMPP=no skips it.
#
# Then bench/run-app.py runs W4 (the app's start and sign-in beside a bare
# GTK window) under xvfb-run and dbus-run-session; BENCH_APP_ARGS adds its
# options (for example "--runs 3"), BENCH_APP=no skips it.
#
# The build directory is ${BUILD_DIR:-build-bench} at the repository root.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build-bench}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

# What only the benchmarks need, on top of scripts/install-deps.sh: the
# headers of the libstrophe reference client.
"$root/scripts/install-deps.sh"
if ! dpkg-query -W -f='${Status}' libstrophe-dev 2>/dev/null | grep -q 'install ok installed'; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
  fi
  $SUDO apt-get install -y --no-install-recommends libstrophe-dev >/dev/null
fi

if [ ! -f "$build/build.ninja" ]; then
  # The test suite is not needed to benchmark.
  meson setup "$build" "$root" -Dbuildtype=release -Dtests=false \
    >"$build.setup.log" 2>&1 || {
      cat "$build.setup.log" >&2
      exit 1
    }
  rm -f "$build.setup.log"
elif ! grep -q strophe-client "$build/build.ninja"; then
  # Configured before libstrophe was there.
  meson setup --reconfigure "$build" "$root" >/dev/null
fi

targets=""
for src in "$root"/bench/bench-*.c; do
  name=$(basename "$src" .c)
  targets="$targets bench/$name"
done
# shellcheck disable=SC2086  # one word per target
ninja -C "$build" $targets src/tools/talk-probe src/ui/talk bench/strophe-client \
  data/gschemas.compiled >/dev/null

echo "# $(uname -sm), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
for target in $targets; do
  case $target in
    bench/bench-app|bench/bench-hello-gtk)
      # Run side by side by bench/run-app.py below.
      ;;
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

if [ "${BENCH_XMPP:-yes}" != no ]; then
  # shellcheck disable=SC2086  # options, one word each
  /usr/bin/python3 "$root/bench/run-xmpp.py" --build "$build" ${BENCH_XMPP_ARGS:-}
fi

if [ "${BENCH_APP:-yes}" != no ]; then
  if command -v xvfb-run >/dev/null 2>&1 && command -v dbus-run-session >/dev/null 2>&1; then
    # shellcheck disable=SC2086  # options, one word each
    xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- \
      /usr/bin/python3 "$root/bench/run-app.py" --build "$build" ${BENCH_APP_ARGS:-}
  else
    echo "run-app.py: skipped, no xvfb-run or dbus-run-session" >&2
  fi
fi
