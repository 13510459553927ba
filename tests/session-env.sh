#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/session-env.sh COMMAND [ARG…]
#
# Runs COMMAND in a throwaway desktop session: a fresh HOME and XDG dirs, the
# AT-SPI bus (GUI tests drive the app through it) and a gnome-keyring whose
# "login" collection is unlocked with the password "testpw" and is the
# default one, the way a logged-in user's is. Meant to run inside
#   xvfb-run -a dbus-run-session -- tests/session-env.sh COMMAND…
# Exits with COMMAND's status; its background daemons and temp dir go away.
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  echo "$0: no session bus; run under dbus-run-session" >&2
  exit 2
fi

TALK_TEST_HOME="$(mktemp -d "${TMPDIR:-/tmp}/talk-session-XXXXXX")"
TALK_TEST_KEYRING_PASSWORD=testpw
export TALK_TEST_HOME TALK_TEST_KEYRING_PASSWORD
export HOME="$TALK_TEST_HOME"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CACHE_HOME="$HOME/.cache"
export XDG_STATE_HOME="$HOME/.local/state"
# The keyring's control socket and the AT-SPI bus socket live here.
export XDG_RUNTIME_DIR="$HOME/runtime"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" \
         "$XDG_STATE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

daemon_pids=""

# Runs from the EXIT trap.
# shellcheck disable=SC2317
cleanup () {
  for pid in $daemon_pids; do
    # Each daemon leads its own process group (setsid below), so this also
    # takes down what it spawned (the accessibility bus's dbus-daemon).
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in $daemon_pids; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf -- "$TALK_TEST_HOME"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits up to 10 s for a well-known name on the session bus.
wait_for_bus_name () {
  for _ in $(seq 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus \
         /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
         "string:$1" 2>/dev/null | grep -q 'boolean true'; then
      return 0
    fi
    sleep 0.1
  done
  echo "$0: $1 did not appear on the session bus" >&2
  return 1
}

setsid /usr/libexec/at-spi-bus-launcher --launch-immediately \
  >"$TALK_TEST_HOME/at-spi.log" 2>&1 </dev/null &
daemon_pids="$daemon_pids $!"

# --unlock reads the password on stdin and creates the "login" keyring with
# it when there is none; --foreground keeps its pid ours to stop.
printf '%s' "$TALK_TEST_KEYRING_PASSWORD" |
  setsid gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$TALK_TEST_HOME/keyring.env" 2>"$TALK_TEST_HOME/keyring.log" &
daemon_pids="$daemon_pids $!"

wait_for_bus_name org.a11y.Bus
wait_for_bus_name org.freedesktop.secrets
# Some gnome-keyring versions print their environment even in the
# foreground; honour it, and name the control dir in any case.
eval "$(cat "$TALK_TEST_HOME/keyring.env")"
export GNOME_KEYRING_CONTROL="${GNOME_KEYRING_CONTROL:-$XDG_RUNTIME_DIR/keyring}"

# Prove the default collection takes and returns a secret without a prompt.
if ! printf '%s' check | secret-tool store --label=talk-session-check \
       talk-session-check 1 ||
   [ "$(secret-tool lookup talk-session-check 1)" != check ]; then
  echo "$0: the test keyring is not usable" >&2
  cat "$TALK_TEST_HOME/keyring.log" >&2
  exit 1
fi
secret-tool clear talk-session-check 1

status=0
"$@" || status=$?
exit "$status"
