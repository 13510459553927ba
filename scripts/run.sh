#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds Talk and starts it from the build tree.
#
#   scripts/run.sh [--no-demo] [TALK ARGS…]
#
# Installs what is missing (scripts/install-deps.sh), configures `build` on
# first use, builds, and runs build/src/ui/talk with the arguments given.
#
# Without an account of your own yet, Talk starts as a demo: a private
# Prosody on loopback (scripts/demo-server.sh) with alice@localhost and
# bob@localhost, a peer that signs in as bob and answers your messages
# (scripts/demo-peer.py), and Talk signed in as alice. The demo keeps
# everything in one temporary directory: settings stay in memory, nothing
# goes to the keyring, and closing Talk (or Ctrl+C) stops the server and
# the peer and removes the directory. --no-demo starts Talk on its sign-in
# page instead, to add your own account.
set -eu

cd "$(dirname "$(readlink -f "$0")")/.."

demo=auto
if [ "${1:-}" = --no-demo ]; then
  demo=no
  shift
fi

scripts/install-deps.sh

if [ ! -f build/meson-private/coredata.dat ]; then
  meson setup build
fi
ninja -C build

# The uninstalled app finds its compiled GSettings schema next to the build.
export GSETTINGS_SCHEMA_DIR="$PWD/build/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"

if [ "$demo" = auto ] &&
   accounts="$(gsettings get com.example.Talk accounts 2>/dev/null)" &&
   [ "$accounts" = "@as []" ]; then
  demo=yes
fi
if [ "$demo" != yes ]; then
  exec build/src/ui/talk "$@"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/talk-demo-XXXXXX")"
peer_pid=""

# Runs from the EXIT trap.
# shellcheck disable=SC2317
cleanup () {
  if [ -n "$peer_pid" ]; then
    kill -TERM "$peer_pid" 2>/dev/null || true
    wait "$peer_pid" 2>/dev/null || true
  fi
  scripts/demo-server.sh stop "$tmp/server" || true
  rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Its output holds the passwords: keep it off the terminal.
scripts/demo-server.sh start "$tmp/server" >/dev/null
# shellcheck source=/dev/null
. "$tmp/server/demo.env"

# Shell builtins only, so no password shows up in a process list.
(
  umask 077
  printf '%s\n' "$ALICE_PASSWORD" >"$tmp/alice.password"
  printf '%s\n' "$BOB_PASSWORD" >"$tmp/bob.password"
)
unset ALICE_PASSWORD BOB_PASSWORD

/usr/bin/python3 scripts/demo-peer.py --jid "bob@$DOMAIN" --host 127.0.0.1 \
  --port "$PORT" --cafile "$tmp/server/localhost.crt" \
  --password-file "$tmp/bob.password" --status "Say hello!" &
peer_pid=$!

cat <<EOF
Demo: Talk signs in as alice@$DOMAIN on a private server (everything in
$tmp); bob@$DOMAIN is online and answers your messages.
Closing Talk ends the demo and removes that directory.
To add your own account instead: scripts/run.sh --no-demo
EOF

# Not exec: the trap has to clean up once Talk ends. Settings stay in
# memory, and what GTK or a later history store would write goes to $tmp.
mkdir -p "$tmp/data" "$tmp/cache" "$tmp/state"
status=0
env GSETTINGS_BACKEND=memory \
    XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
    XDG_STATE_HOME="$tmp/state" \
    TALK_DEMO_JID="alice@$DOMAIN" TALK_DEMO_HOST=127.0.0.1 \
    TALK_DEMO_PORT="$PORT" TALK_DEMO_FINGERPRINT="$FINGERPRINT" \
    TALK_DEMO_PASSWORD_FILE="$tmp/alice.password" \
  build/src/ui/talk "$@" || status=$?
exit "$status"
