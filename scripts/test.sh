#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds Talk and runs the whole test suite.
#
#   scripts/test.sh [--sanitize] [MESON TEST ARGS…]
#
# --sanitize builds in build-sanitize with AddressSanitizer and
# UndefinedBehaviorSanitizer; otherwise in build. Warnings are errors.
# Extra arguments go to `meson test` (--suite xmpp, a test name, …).
# The tests run under Xvfb with a private D-Bus session, AT-SPI and an
# unlocked test keyring (tests/session-env.sh). The last line printed is
# "N passed, N failed", counting every TAP case; a failed build counts as
# one failure. Exits non-zero when anything failed.
set -eu

cd "$(dirname "$(readlink -f "$0")")/.."

builddir=build
setup_args=(-Dwerror=true)
test_args=()

while [ "$#" -gt 0 ]; do
  case "$1" in
    --sanitize)
      builddir=build-sanitize
      setup_args+=("-Db_sanitize=address,undefined" -Db_lundef=false)
      # Sanitized code runs a few times slower.
      test_args+=(--timeout-multiplier 3)
      ;;
    -h|--help)
      sed -n '4,14s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *)
      test_args+=("$1")
      ;;
  esac
  shift
done

scripts/install-deps.sh

build_failed () {
  echo "Failed:"
  echo "  $1"
  echo "0 passed, 1 failed"
  exit 1
}

# Reconfigure an existing dir so changed options (werror, sanitizers) apply.
if [ -f "$builddir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "${setup_args[@]}" "$builddir" ||
    build_failed "meson setup ($builddir)"
else
  meson setup "${setup_args[@]}" "$builddir" ||
    build_failed "meson setup ($builddir)"
fi
ninja -C "$builddir" || build_failed "build ($builddir)"

# A stale log from an earlier run must never be counted.
rm -f "$builddir/meson-logs/testlog.json"

test_status=0
xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp -noreset" \
  dbus-run-session -- \
  tests/session-env.sh \
  meson test -C "$builddir" --print-errorlogs --num-processes 2 \
    ${test_args[@]+"${test_args[@]}"} </dev/null || test_status=$?

summary_status=0
/usr/bin/python3 tests/summarize.py --harness-status "$test_status" \
  "$builddir/meson-logs/testlog.json" || summary_status=$?

if [ "$test_status" -ne 0 ] || [ "$summary_status" -ne 0 ]; then
  exit 1
fi
