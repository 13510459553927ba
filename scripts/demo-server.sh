#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A private Prosody to try Talk with, on loopback only.
#
#   scripts/demo-server.sh start DIR   set up DIR, start the server, print
#                                      shell assignments (eval-able):
#                                      DOMAIN PORT DIRECT_TLS_PORT FINGERPRINT
#                                      PID ALICE_PASSWORD BOB_PASSWORD
#   scripts/demo-server.sh stop DIR    stop the server started in DIR
#
# The server uses tests/fixtures/prosody.cfg.lua.in, the config the test
# fixture uses; its certificate is self-signed for "localhost", so the app
# asks to trust FINGERPRINT on first connection. Accounts alice@localhost
# and bob@localhost get fresh random passwords and have each other in their
# rosters (subscription "both", group Friends), so a client that signs in
# sees the other's presence at once. The same assignments are kept in
# DIR/demo.env (mode 600). The server keeps running after this script
# returns, until `stop`.
set -eu

here="$(dirname "$(readlink -f "$0")")"
template="$here/../tests/fixtures/prosody.cfg.lua.in"

usage () {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

die () {
  echo "$0: $*" >&2
  exit 1
}

# True while $1 runs (a zombie no longer counts).
alive () {
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Prints the pid of the server running from $dir, if any.
running_pid () {
  local pid
  pid="$(cat "$dir/prosody.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] || return 1
  # Only a live prosody on this config, never a recycled pid.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -qF -- "--config $dir/prosody.cfg.lua" || return 1
  alive "$pid" || return 1
  echo "$pid"
}

# Two distinct free loopback ports, held together while both are read.
free_ports () {
  /usr/bin/python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# The path goes into Lua string literals as it is.
check_path () {
  case "$1" in
    *'"'*|*\\*|*$'\n'*) die "DIR must not contain quotes, backslashes or newlines" ;;
  esac
}

sed_escape () {
  printf '%s' "$1" | sed -e 's/[&|\\]/\\&/g'
}

write_config () {
  local dir_escaped
  dir_escaped="$(sed_escape "$dir")"
  sed -e "s|@DIR@|$dir_escaped|g" \
      -e "s|@PORT@|$port|g" \
      -e "s|@DIRECT_TLS_PORT@|$direct_tls_port|g" \
      -e "s|@AUTHENTICATION@|internal_hashed|g" \
      -e "s|@TLS_PROTOCOL@|tlsv1_2+|g" \
      "$template" >"$dir/prosody.cfg.lua"
}

# Waits for both "Activated service" lines in the log written since byte
# $1; returns 2 when a port was taken by someone else.
wait_until_listening () {
  local offset="$1" fresh
  for _ in $(seq 150); do
    fresh="$(tail -c "+$((offset + 1))" "$dir/prosody.log" 2>/dev/null || true)"
    case "$fresh" in
      *"Failed to open server port"*) return 2 ;;
    esac
    if printf '%s' "$fresh" | grep -qF "Activated service 'c2s' on [127.0.0.1]:$port" &&
       printf '%s' "$fresh" | grep -qF "Activated service 'c2s_direct_tls' on [127.0.0.1]:$direct_tls_port"; then
      return 0
    fi
    alive "$server_pid" || return 1
    sleep 0.1
  done
  return 1
}

# Creates the account $1@localhost with the password $2. `adduser` reads
# the password (twice) on stdin, so unlike `register` it never shows up
# in a process list; printf is a shell builtin.
add_user () {
  printf '%s\n%s\n' "$2" "$2" |
    prosodyctl --config "$dir/prosody.cfg.lua" adduser "$1@localhost" >/dev/null 2>&1 &&
    [ -f "$dir/data/localhost/accounts/$1.dat" ]
}

# Writes $1's roster with $2 as its one contact, named $3, in the layout
# Prosody 0.12's internal storage uses for data/HOST/roster/USER.dat (as
# mod_roster writes it after a mutual subscription: groups are a set, and
# the [false] entry holds the roster version, RFC 6121 §2.6). Only before
# the server starts: it caches rosters while running.
write_roster () {
  local user="$1" contact="$2" name="$3"
  mkdir -p "$dir/data/localhost/roster"
  cat >"$dir/data/localhost/roster/$user.dat" <<EOF
return {
	[false] = {
		["version"] = 1;
		["pending"] = {};
	};
	["$contact@localhost"] = {
		["name"] = "$name";
		["subscription"] = "both";
		["groups"] = {
			["Friends"] = true;
		};
	};
};
EOF
}

stop_pid () {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

start () {
  local attempt status offset fingerprint alice_password bob_password

  [ -r "$template" ] || die "missing $template"
  if pid="$(running_pid)"; then
    die "a server already runs from $dir (pid $pid); see $dir/demo.env"
  fi
  mkdir -p "$dir/data"
  chmod 700 "$dir"

  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 3650 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,DNS:conference.localhost \
    -keyout "$dir/localhost.key" -out "$dir/localhost.crt" 2>/dev/null ||
    die "openssl could not make a certificate"
  fingerprint="$(openssl x509 -in "$dir/localhost.crt" -noout -fingerprint -sha256 |
                 sed 's/^.*=//')"

  read -r port direct_tls_port <<<"$(free_ports)"
  write_config
  alice_password="$(openssl rand -hex 12)"
  bob_password="$(openssl rand -hex 12)"
  add_user alice "$alice_password" || die "prosodyctl could not create alice"
  add_user bob "$bob_password" || die "prosodyctl could not create bob"
  write_roster alice bob Bob
  write_roster bob alice Alice

  for attempt in 1 2 3 4 5; do
    if [ "$attempt" -gt 1 ]; then
      read -r port direct_tls_port <<<"$(free_ports)"
      write_config
    fi
    offset="$(stat -c %s "$dir/prosody.log" 2>/dev/null || echo 0)"
    # Its own session: no SIGHUP or Ctrl+C from this terminal reaches it.
    setsid prosody --config "$dir/prosody.cfg.lua" -F \
      </dev/null >>"$dir/prosody.out" 2>&1 &
    server_pid=$!
    status=0
    wait_until_listening "$offset" || status=$?
    [ "$status" -eq 0 ] && break
    stop_pid "$server_pid"
    if [ "$status" -ne 2 ]; then
      tail -n 25 "$dir/prosody.log" "$dir/prosody.out" >&2 2>/dev/null || true
      die "prosody did not start"
    fi
  done
  [ "$status" -eq 0 ] || die "no free port pair after 5 attempts"

  (
    umask 077
    cat >"$dir/demo.env" <<EOF
DOMAIN='localhost'
PORT='$port'
DIRECT_TLS_PORT='$direct_tls_port'
FINGERPRINT='$fingerprint'
PID='$server_pid'
ALICE_PASSWORD='$alice_password'
BOB_PASSWORD='$bob_password'
EOF
  )
  cat "$dir/demo.env"
}

stop () {
  local pid
  if pid="$(running_pid)"; then
    stop_pid "$pid"
  fi
  rm -f "$dir/prosody.pid"
}

[ "$#" -eq 2 ] || usage
case "$1" in
  start)
    check_path "$2"
    mkdir -p "$2"
    dir="$(readlink -f "$2")"
    check_path "$dir"
    start
    ;;
  stop)
    [ -d "$2" ] || exit 0
    dir="$(readlink -f "$2")"
    stop
    ;;
  *)
    usage
    ;;
esac
