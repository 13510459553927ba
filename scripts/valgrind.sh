#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the integration tests once under valgrind memcheck.
#
#   scripts/valgrind.sh [MESON TEST ARGS…]
#
# Builds in ${BUILD_DIR:-build-valgrind} (relative to the repository root
# unless absolute; no sanitizers, which valgrind cannot run with), then
# runs `meson test --suite integration` with every test executable under
# memcheck inside the test session (Xvfb, D-Bus, keyring). A test fails on
# any memory error, and on a definite leak that tests/valgrind.supp does
# not name as GLib's, GnuTLS's or another library's own. Extra arguments
# go to `meson test` (a test name, --suite faults, …). Programs the tests
# start are traced too (talk-probe, children of the tests), except the
# system's own (/usr, /bin, /sbin: Prosody, openssl, ss).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-build-valgrind}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

"$root/scripts/install-deps.sh"

if [ ! -f "$build/build.ninja" ]; then
  meson setup -Dwerror=true -Dbuildtype=debugoptimized "$build" "$root" \
    >"$build.setup.log" 2>&1 || {
      cat "$build.setup.log" >&2
      exit 1
    }
  rm -f "$build.setup.log"
fi
ninja -C "$build" >/dev/null

if [ "$#" -eq 0 ]; then
  set -- --suite integration
fi

# GSlice hands out memory valgrind cannot follow; G_DEBUG=gc-friendly
# (set by the tests' environment) clears freed pointers.
cd "$root"
G_SLICE=always-malloc \
xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp -noreset" \
  dbus-run-session -- \
  tests/session-env.sh \
  meson test -C "$build" --print-errorlogs --num-processes 1 \
    --timeout-multiplier 10 \
    --wrap="valgrind --quiet --tool=memcheck --trace-children=yes --trace-children-skip=/usr/*,/bin/*,/sbin/* --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=1 --num-callers=40 --suppressions=$root/tests/valgrind.supp --gen-suppressions=all" \
    "$@" </dev/null
