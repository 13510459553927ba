#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# talk-probe against a private Prosody, run the way a person runs it.
# Speaks TAP. Usage: test-probe.sh /path/to/talk-probe
set -u

PROBE=${1:?usage: test-probe.sh TALK-PROBE}
SOURCE_DIR=${TALK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DEMO_SERVER="$SOURCE_DIR/scripts/demo-server.sh"

if ! command -v prosody >/dev/null 2>&1; then
  echo "1..0 # SKIP prosody is not installed"
  exit 0
fi

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/talk-probe-test.XXXXXX")
PID=""

cleanup () {
  "$DEMO_SERVER" stop "$WORK_DIR/server" >/dev/null 2>&1 || true
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

n=0
failed=0

ok () {
  n=$((n + 1))
  echo "ok $n - $1"
}

not_ok () {
  n=$((n + 1))
  failed=$((failed + 1))
  echo "not ok $n - $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    sed 's/^/# /' "$2"
  fi
}

# check DESCRIPTION COMMAND…: a test that passes when COMMAND succeeds.
check () {
  description=$1
  shift
  if "$@"; then
    ok "$description"
  else
    not_ok "$description" "$OUT"
  fi
}

contains () {
  grep -qiF -- "$1" "$OUT"
}

echo "1..14"

if ! "$DEMO_SERVER" start "$WORK_DIR/server" >"$WORK_DIR/server.env" 2>"$WORK_DIR/server.log"; then
  echo "Bail out! scripts/demo-server.sh could not start Prosody"
  sed 's/^/# /' "$WORK_DIR/server.log"
  exit 1
fi
# The script prints PORT=… FINGERPRINT=… PID=… ALICE_PASSWORD=…
. "$WORK_DIR/server.env"
: "${PORT:?}" "${FINGERPRINT:?}" "${ALICE_PASSWORD:?}"

run_probe () {
  # $1: the password line for --password-stdin; the rest: options
  password=$1
  shift
  printf '%s\n' "$password" | "$PROBE" --timeout 20 --password-stdin "$@" >"$OUT" 2>&1
  status=$?
}

# 1-5: the happy path, with the self-signed certificate pinned.
OUT="$WORK_DIR/pinned.out"
run_probe "$ALICE_PASSWORD" --host 127.0.0.1 --port "$PORT" --pin "$FINGERPRINT" alice@localhost
check "pinned, right password: exit status 0 (was $status)" test "$status" -eq 0
check "pinned: names a SCRAM mechanism" contains "SCRAM-"
check "pinned: prints the bound JID" contains "Bound as alice@localhost/"
check "pinned: prints the certificate fingerprint" contains "$FINGERPRINT"
check "pinned: reports a ping round trip and the server's features" \
  sh -c "grep -q '^Ping: [0-9.]* ms' '$OUT' && grep -q 'urn:xmpp:ping' '$OUT'"

# 6-8: the same without the pin must stop at the certificate.
OUT="$WORK_DIR/unpinned.out"
run_probe "$ALICE_PASSWORD" --host 127.0.0.1 --port "$PORT" alice@localhost
check "no pin: exit status 1 (was $status)" test "$status" -eq 1
check "no pin: prints the fingerprint" contains "$FINGERPRINT"
check "no pin: tells how to trust it" contains "To trust this certificate: talk-probe"

# 9-10: a wrong password.
OUT="$WORK_DIR/wrong.out"
run_probe "not-$ALICE_PASSWORD" --host 127.0.0.1 --port "$PORT" --pin "$FINGERPRINT" alice@localhost
check "wrong password: exit status 1 (was $status)" test "$status" -eq 1
check "wrong password: says the password is wrong" contains "password is wrong"

# 11-12: nothing listening.
OUT="$WORK_DIR/refused.out"
run_probe "$ALICE_PASSWORD" --host 127.0.0.1 --port 1 --pin "$FINGERPRINT" alice@localhost
check "connection refused: exit status 1 (was $status)" test "$status" -eq 1
check "connection refused: names the address" contains "127.0.0.1:1"

# 13-14: usage errors exit with 2 before any connection.
OUT="$WORK_DIR/usage.out"
"$PROBE" --password-stdin </dev/null >"$OUT" 2>&1
status=$?
check "no JID: exit status 2 (was $status)" test "$status" -eq 2
"$PROBE" --pin not-a-fingerprint --password-stdin alice@localhost </dev/null >"$OUT" 2>&1
status=$?
check "bad --pin: exit status 2 (was $status)" test "$status" -eq 2

[ "$failed" -eq 0 ]
