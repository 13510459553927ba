#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A contact to talk to in the demo: signs in (bob@localhost by default)
on the server of scripts/demo-server.sh, stays online with a status
message, accepts every subscription request, and answers each chat
message with a friendly echo.

    scripts/demo-peer.py --port PORT --cafile DIR/localhost.crt \\
        --password-file FILE [--jid bob@localhost] [--status TEXT]

The password comes from --password-file (first line) or, without it, from
the environment variable TALK_DEMO_PEER_PASSWORD; never from the command
line. Ends on SIGTERM or SIGINT, signing out first.
"""

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys

import slixmpp


class DemoPeer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, status, cafile):
        super().__init__(jid, password)
        self.status = status
        self.auto_authorize = True
        self.auto_subscribe = True
        # The demo server's certificate is self-signed for "localhost":
        # trust exactly that certificate, with the usual host name check.
        if cafile:
            self.ssl_context = ssl.create_default_context(cafile=cafile)
        self.register_plugin('xep_0030')
        self.register_plugin('xep_0085')
        self.register_plugin('xep_0184')
        self.register_plugin('xep_0333')
        # Receipts are sent by the plugin for every message that asks.
        self.plugin['xep_0184'].auto_ack = True
        self.add_event_handler('session_start', self.session_start)
        self.add_event_handler('message', self.message)
        self.add_event_handler('disconnected', self.on_disconnected)
        self.finished = asyncio.Event()
        self.stopping = False

    async def session_start(self, _event):
        await self.get_roster()
        self.send_presence(pstatus=self.status)
        print(f'demo-peer: {self.boundjid.bare} is online', flush=True)

    def message(self, msg):
        if msg['type'] not in ('chat', 'normal') or not msg['body']:
            return
        asyncio.ensure_future(self.answer(msg))

    async def answer(self, msg):
        peer = msg['from']
        name = peer.user.capitalize() or peer.bare
        reply = msg.reply(f'Hello {name}! You said: “{msg["body"]}”')
        await asyncio.sleep(0.5)
        if msg.get_plugin('markable', check=True) is not None and msg['id']:
            self.plugin['xep_0333'].send_marker(peer, msg['id'], 'displayed')
        typing = self.make_message(mto=peer, mtype='chat')
        typing['chat_state'] = 'composing'
        typing.send()
        await asyncio.sleep(1.5)
        reply['chat_state'] = 'active'
        reply.send()

    def on_disconnected(self, _event):
        if self.stopping:
            self.finished.set()


def read_password(path):
    if path:
        with open(path, encoding='utf-8') as f:
            return f.readline().rstrip('\r\n')
    password = os.environ.get('TALK_DEMO_PEER_PASSWORD', '')
    if not password:
        sys.exit('demo-peer: no password: use --password-file or '
                 'TALK_DEMO_PEER_PASSWORD')
    return password


async def run(args):
    peer = DemoPeer(args.jid, read_password(args.password_file),
                    args.status, args.cafile)
    loop = asyncio.get_running_loop()

    def stop():
        if peer.stopping:
            return
        peer.stopping = True
        peer.disconnect(wait=2.0)
        # Ends even when the server is already gone.
        loop.call_later(3.0, peer.finished.set)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)

    peer.connect((args.host, args.port))
    await peer.finished.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--jid', default='bob@localhost')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--cafile', help="the server's certificate")
    parser.add_argument('--password-file')
    parser.add_argument('--status', default='Say hello!')
    parser.add_argument('--verbose', action='store_true')
    args = parser.parse_args()

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    asyncio.run(run(args))


if __name__ == '__main__':
    main()
