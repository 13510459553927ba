# SPDX-License-Identifier: GPL-3.0-or-later
"""A reference client for bench/run-xmpp.py on slixmpp (python3-slixmpp).

It does the same work as `talk-probe --bench` and bench/ref/strophe-client.c
and prints the same lines, CLOCK_MONOTONIC seconds with %.6f:

  SESSION t      bound
  ROSTER n t     the roster result is in slixmpp's roster
  READY t        the initial presence is out
  FIRST t        the first chat message with a body
  DONE n t       the n-th
  EXIT t         at once (login), after DONE or --duration, or on SIGTERM

Run it with /usr/bin/python3; the password is the first line of standard
input; the server's certificate must have the SHA-256 fingerprint --pin.
"""

import argparse
import asyncio
import hashlib
import logging
import signal
import ssl
import sys
import time

import slixmpp


def line(word, count=None):
    if count is None:
        print(f"{word} {time.monotonic():.6f}", flush=True)
    else:
        print(f"{word} {count} {time.monotonic():.6f}", flush=True)


def hex_digits(fingerprint):
    return "".join(c for c in fingerprint.lower() if c in "0123456789abcdef")


class BenchClient(slixmpp.ClientXMPP):
    def __init__(self, args, password):
        super().__init__(args.jid, password)
        self.args = args
        self.messages = 0
        self.ready = False
        self.done = False
        self.failed = False
        self.finished = asyncio.Event()
        # The test server's certificate is self-signed: trust exactly the
        # pin, checked on the 'ssl_cert' event below.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.add_event_handler("ssl_cert", self.on_cert)
        self.add_event_handler("session_bind", self.on_bind)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("failed_auth", self.on_failed_auth)

    def on_cert(self, pem):
        der = ssl.PEM_cert_to_DER_cert(pem)
        if hex_digits(hashlib.sha256(der).hexdigest()) != hex_digits(self.args.pin):
            print("slixmpp-client: the certificate does not match --pin", file=sys.stderr)
            self.failed = True
            self.abort()
            self.finished.set()

    def on_bind(self, jid):
        line("SESSION")

    async def on_session_start(self, event):
        # RFC 6121 §2.1.3 roster get, then the initial presence.
        await self.get_roster()
        line("ROSTER", len(self.client_roster))
        self.send_presence()
        self.ready = True
        line("READY")
        if not self.args.stay or self.done:
            self.finished.set()
        elif self.args.duration > 0:
            self.loop.call_later(self.args.duration, self.on_duration)

    def on_duration(self):
        if self.args.messages > 0 and not self.done:
            print(f"slixmpp-client: only {self.messages} of {self.args.messages} messages "
                  f"in {self.args.duration} s", file=sys.stderr)
            self.failed = True
        self.finished.set()

    def on_message(self, msg):
        if msg["type"] not in ("chat", "normal") or not msg["body"]:
            return
        self.messages += 1
        if self.messages == 1:
            line("FIRST")
        if self.args.messages > 0 and not self.done and self.messages >= self.args.messages:
            self.done = True
            line("DONE", self.messages)
            if self.ready:
                self.finished.set()

    def on_failed_auth(self, event):
        print("slixmpp-client: authentication failed", file=sys.stderr)
        self.failed = True
        self.finished.set()

    def on_disconnected(self, event):
        if not self.finished.is_set():
            print("slixmpp-client: disconnected", file=sys.stderr)
            self.failed = True
            self.finished.set()


async def run(client, args):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, client.finished.set)
    loop.add_signal_handler(signal.SIGINT, client.finished.set)
    client.connect(address=(args.host, args.port), force_starttls=True)
    await client.finished.wait()
    line("EXIT")
    client.disconnect(wait=1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("login", "online"), required=True)
    parser.add_argument("--jid", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pin", required=True)
    parser.add_argument("--expect", type=int, default=0)
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--duration", type=int, default=0)
    args = parser.parse_args()
    args.stay = args.mode == "online"

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("slixmpp-client: no password on standard input", file=sys.stderr)
        return 1

    logging.basicConfig(level=logging.CRITICAL)
    client = BenchClient(args, password)
    # Only what the other clients do: no disco replies beyond the defaults.
    client.register_plugin("xep_0030")
    asyncio.get_event_loop().run_until_complete(run(client, args))
    return 1 if client.failed else 0


if __name__ == "__main__":
    sys.exit(main())
