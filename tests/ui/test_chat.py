#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Chatting with Talk as a person does, through the accessibility tree.

    test_chat.py TALK_BINARY SOURCE_DIR

Runs inside tests/session-env.sh (Xvfb, D-Bus, unlocked keyring, AT-SPI).
Starts a private Prosody, bob (slixmpp) as an independent peer and plays
the desktop's notification server on the session bus. Talk starts with
alice's account already set up, as after a sign-in. The test reads the
message rows of bob's tab (their accessible names: "Bob at 14:05: Hi",
"… (Delivered)" for alice's), types in the composer, and checks what
bob receives, what the notifications say and what the history database
holds. Then carbons from a second alice resource, bodies that look like
markup, an oversized body, the archive while Talk is closed, the server
going away and coming back, SIGKILL right after a message arrived, and
the displayed marker owed across a restart. Screenshots and logs go to
BUILD/tests/ui/chat/. TAP on stdout.
"""

import os
import re
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import talktest  # noqa: E402
from talktest import LONG, SHORT, find  # noqa: E402

PLAN = 19

ALICE = 'alice@localhost'
BOB = 'bob@localhost'

# Prosody 0.12's c2s_stanza_size_limit (256 KiB), which the demo server
# keeps: a bigger stanza ends the sender's stream. What fits: this much
# body, with room for the envelope.
SERVER_STANZA_LIMIT = 256 * 1024
LARGEST_BODY = SERVER_STANZA_LIMIT - 2048

ROW = re.compile(r'^(?P<sender>.+?) at \d{1,2}:\d{2}(?: [AP]M)?: (?P<text>.*)$', re.S)


def message_rows(app):
    """(sender, text) of the message rows shown, top to bottom, with the
    state suffix (" (Delivered)") left in the text."""
    rows = []
    for node in talktest.find_all(app, None, ROW):
        if talktest.role_name(node) in ('label', 'text'):
            continue
        m = ROW.match(node.name)
        rows.append((m.group('sender'), m.group('text'), node))
    # Breadth-first order is the list's order; keep it but drop nesting
    # duplicates (a row and a child with the same name).
    seen = set()
    unique = []
    for sender, text, node in rows:
        key = (sender, text)
        if key in seen:
            continue
        seen.add(key)
        unique.append((sender, text, node))
    return unique


def texts_from(app, sender):
    return [text for who, text, _node in message_rows(app) if who == sender]


def wait_rows(app, predicate, what, timeout=LONG):
    return talktest.wait_for(lambda: predicate(message_rows(app)), timeout, what)


def history_bodies(path, body_like='%'):
    """Bodies of the history database (as Talk wrote them), oldest first."""
    if not os.path.exists(path):
        return []
    db = sqlite3.connect(f'file:{path}?mode=ro', uri=True, timeout=10)
    try:
        return [row[0] for row in db.execute(
            'SELECT body FROM messages WHERE body LIKE ? ORDER BY timestamp, id',
            (body_like,))]
    finally:
        db.close()


def focused(node):
    return node.getState().contains(talktest.pyatspi.STATE_FOCUSED)


def entry_text(entry):
    """The text of @entry, or of the text field a GtkSearchEntry wraps."""
    for node in talktest.walk(entry):
        text = talktest.text_of(node)
        if text is not None:
            return text
    return None


def search_entry(root, name):
    """The search entry called @name (not the button that shows it)."""
    def lookup():
        for node in talktest.find_all(root, None, name):
            if talktest.role_name(node) not in ('push button', 'toggle button', 'label'):
                return node
        return None
    return talktest.wait_for(lookup, SHORT, f'the search entry {name!r}')


def open_chat(app, name):
    """Opens the chat with @name as a keyboard user does: Ctrl+F (no chat
    is in use, so it searches the contacts), the name, Enter. GTK 4.8
    gives list rows no accessible action, and Tab does not always reach
    a row of the list view."""
    window = find(app, 'frame', 'Talk', timeout=LONG)
    find(window, None, re.compile(rf'^{re.escape(name)}, '), timeout=LONG)
    # Without a window manager, X gives the keyboard to the window under
    # the pointer; every window of these tests opens at the origin.
    talktest.pyatspi.Registry.generateMouseEvent(60, 60, 'abs')
    talktest.press_key(talktest.KEY_F, talktest.CONTROL_MASK)
    entry = search_entry(window, 'Search contacts')
    talktest.wait_for(lambda: focused(entry), SHORT, 'the focus in the contact search')
    for character in name:
        talktest.pyatspi.Registry.generateKeyboardEvent(0, character,
                                                        talktest.pyatspi.KEY_STRING)
    talktest.wait_for(lambda: entry_text(entry) == name, SHORT,
                      f'the contact search to hold {name!r}')
    talktest.press_key(talktest.KEY_RETURN)
    # Laying out the history's longest body (one unbroken 4 KiB run) holds
    # the main loop for most of a minute in GTK 4.8; hence LONG.
    find(app, 'text', 'Message', timeout=LONG)


def composer(app):
    return find(app, 'text', 'Message', timeout=SHORT)


def type_and_send(app, text):
    entry = composer(app)
    talktest.keyboard_to(None, entry)
    for character in text:
        talktest.pyatspi.Registry.generateKeyboardEvent(0, character,
                                                        talktest.pyatspi.KEY_STRING)
    talktest.wait_for(lambda: talktest.text_of(entry) == text, SHORT,
                      f'the composer to hold {text!r}')
    talktest.press_key(talktest.KEY_RETURN)
    talktest.wait_for(lambda: talktest.text_of(entry) == '', SHORT,
                      'the composer to empty')


def run(tap, binary, source_dir):
    build_dir = talktest.build_dir_for(binary)
    out = talktest.scratch_dir(build_dir, 'chat')
    shots = os.path.join(out, 'screenshots')
    log_path = os.path.join(out, 'talk.log')
    dirs = talktest.private_dirs('chat')
    env = talktest.app_env(source_dir, build_dir, {'GSETTINGS_BACKEND': 'keyfile', **dirs})
    history = os.path.join(dirs['XDG_DATA_HOME'], 'talk', 'history.db')
    talktest.keyring_clear(ALICE)

    server = talktest.DemoServer(source_dir, talktest.server_dir())
    state = {'talk': None, 'app': None}
    peers = []
    notifications = None

    def on_failure(number):
        talktest.screenshot(os.path.join(shots, f'failed-{number:02d}.png'))
        if state['app'] is not None and state['talk'].running():
            with open(os.path.join(out, f'failed-{number:02d}.tree'), 'w') as f:
                f.write(talktest.describe(state['app']))
    tap.on_failure = on_failure

    def start_talk():
        if state['talk'] is not None:
            state['talk'].kill()
        state['talk'] = talktest.Talk(binary, env, log_path)
        state['app'] = state['talk'].accessible()
        return state['app']

    def new_peer(jid, password, watch):
        peer = talktest.ChatPeer(server, jid, password, watch)
        peers.append(peer)
        return peer

    def quit_talk():
        app = state['app']
        window = find(app, 'frame', 'Talk')
        talktest.click(find(window, 'push button', 'Close'))
        status = state['talk'].wait_exit(LONG)
        assert status == 0, f'talk exited with status {status}'

    try:
        talktest.set_up_account(env, server)
        notifications = talktest.NotificationServer()
        bob = new_peer(BOB, server.bob_password, ALICE)

        def signs_in():
            app = start_talk()
            bob.wait_presence(lambda t, show, status: t == 'available', what='alice online')
            find(app, None, re.compile(r'^Bob, Available'), timeout=LONG)
        tap.require('Talk starts with the account and signs in', signs_in)
        app = state['app']

        first = ['Hi Alice, one', 'two: are you there?', 'three, the last']

        def three_notified():
            for body in first:
                bob.send_chat(ALICE, body, request=True, markable=True)
            shown = notifications.wait_shown(lambda n: n['body'] == first[-1],
                                             what=f'a notification saying {first[-1]!r}')
            bodies = [n['body'] for n in notifications.shown]
            assert all(n['summary'] == 'Bob' for n in notifications.shown), notifications.shown
            assert [b for b in bodies if b in first] == [b for b in first if b in bodies], \
                f'out of order: {bodies}'
            state['notification'] = shown['id']
            assert shown['hints'].get('category') in (None, 'im.received'), shown['hints']
        tap.check('three messages from bob: a desktop notification from Bob for each',
                  three_notified)

        def tab_in_order():
            def in_order(rows):
                return [t for s, t, _n in rows if s == 'Bob'] == first
            if 'notification' in state:
                # Talk learns a notification's id from the server's reply,
                # which can reach it after the test saw the call: a click
                # that came too early is ignored, and a person clicks again.
                for _attempt in range(3):
                    notifications.invoke(state['notification'])
                    try:
                        wait_rows(app, in_order, 'bob\'s tab', timeout=SHORT)
                        break
                    except talktest.Timeout:
                        continue
            else:
                open_chat(app, 'Bob')
            wait_rows(app, in_order, 'the three messages in order in bob\'s tab')
            composer(app)
            talktest.screenshot(os.path.join(shots, '01-three-messages.png'))
        tap.require('clicking the notification opens bob\'s tab: the three messages, in order',
                    tab_in_order)

        reply = 'Yes, I am here'

        def reply_sent():
            type_and_send(app, reply)
            state['reply'] = bob.wait_message(lambda r: r['body'] == reply,
                                              what='alice\'s reply')
            assert state['reply']['request'], 'no receipt request'
            wait_rows(app, lambda rows: any(t.startswith(reply) for _s, t, _n in rows),
                      'the reply in the tab')
            state['own'] = [s for s, t, _n in message_rows(app) if t.startswith(reply)][0]
            assert state['own'] != 'Bob', 'the reply shows as bob\'s'
        tap.require('a reply typed in the composer and Enter reaches bob', reply_sent)

        def typing_shown():
            bob.send_chat(ALICE, None, state='composing')
            find(app, None, re.compile(r'^Bob is typing'), timeout=SHORT)
            talktest.screenshot(os.path.join(shots, '02-typing.png'))
            bob.send_chat(ALICE, None, state='paused')
        tap.check('bob\'s <composing/> shows "Bob is typing…" in the chat header',
                  typing_shown)

        def delivered():
            record = state['reply']
            bob.send_chat(ALICE, None, state=None, received=record['id'])

            def shows():
                for _s, text, node in message_rows(app):
                    if text.startswith(reply):
                        return text.endswith('(Delivered)') and node
                return None
            node = talktest.wait_for(shows, SHORT, 'the reply to show Delivered')
            marks = [n for n in talktest.find_all(node, None, 'Delivered')
                     if talktest.text_of(n) == '✓✓']
            assert marks, talktest.describe(node)
            talktest.screenshot(os.path.join(shots, '03-delivered.png'))
        tap.check('bob\'s receipt: alice\'s message shows Delivered (✓✓)', delivered)

        def displayed_marker():
            record = bob.wait_message(lambda r: r['displayed'] is not None,
                                      what='a displayed marker')
            assert record['displayed'] == bob.sent_ids[first[-1]], record
        tap.check('seen in the tab: bob gets a displayed marker for the newest message',
                  displayed_marker)

        def all_labelled():
            missing = talktest.unlabelled(app)
            assert not missing, 'no accessible name:\n' + '\n'.join(missing)
        tap.check('every button, entry and tab shown with a chat open has an accessible name',
                  all_labelled)

        def carbon():
            other = new_peer(f'{ALICE}/other', server.alice_password, BOB)
            other.send_chat(BOB, 'sent from my phone')
            bob.wait_message(lambda r: r['body'] == 'sent from my phone',
                             what='the message from alice/other')
            wait_rows(app, lambda rows: any(s != 'Bob' and t.startswith('sent from my phone')
                                            for s, t, _n in rows),
                      'the carbon as alice\'s own message')
            sender = [s for s, t, _n in message_rows(app) if t.startswith('sent from my phone')]
            assert sender and sender[0] == state.get('own'), sender
            other.stop()
        tap.check('a message alice sent from another resource shows as her own',
                  carbon)

        tricky = ['<b>bold</b>', '&lt;', '<span foreground="red">x</span>',
                  '\u202eevil override', 'AT&T <i>&amp;</i>']

        def literal():
            for body in tricky:
                bob.send_chat(ALICE, body)
            wait_rows(app, lambda rows: texts_from(app, 'Bob')[-1:] == [tricky[-1]],
                      'the last of the markup bodies')
            # Each line is isolated (FSI … PDI) so that it cannot flip what follows.
            shown = texts_from(app, 'Bob')[-len(tricky):]
            assert shown[3] == f'\u2068{tricky[3]}\u2069', repr(shown[3])
            shown[3] = tricky[3]
            assert shown == tricky, f'{shown!r} != {tricky!r}'
            # The labels hold the text itself, not what markup would make of it.
            for body in tricky[:3] + tricky[4:]:
                labels = [n for n in talktest.find_all(app, 'label', None)
                          if (talktest.text_of(n) or '').strip('\u2068\u2069') == body]
                assert labels, f'no label shows {body!r} literally'
            override = [n for n in talktest.find_all(app, 'label', None)
                        if '\u202eevil override' in (talktest.text_of(n) or '')]
            assert override, 'the RTL override body is not shown'
            text = talktest.text_of(override[0])
            assert '\u2068' in text and '\u2069' in text, repr(text)
            talktest.screenshot(os.path.join(shots, '04-markup.png'))
        tap.check('bodies that look like markup, entities and an RTL override show literally',
                  literal)

        def quiet_in_view():
            bodies = [n['body'] for n in notifications.shown]
            for body in tricky + [reply, 'sent from my phone']:
                assert body not in bodies, f'a notification for {body!r}'
        tap.check('while bob\'s tab is in view, his messages raise no notification',
                  quiet_in_view)

        def oversized():
            big = new_peer(f'{BOB}/big', server.bob_password, ALICE)
            ten_mb = 'x' * (10 * 1024 * 1024)
            big.send_chat(ALICE, ten_mb, state=None)
            # The server ends that stream (policy-violation); nothing arrives.
            assert big.disconnected.wait(talktest.deadline(LONG)), \
                'the server took a 10 MB stanza'
            tap.note(f'the server refuses stanzas over {SERVER_STANZA_LIMIT} bytes; '
                     f'sending a body of {LARGEST_BODY} characters instead')
            body = 'L' * (LARGEST_BODY - 16) + ' end of the long'
            bob.send_chat(ALICE, body)

            def cut():
                for s, text, node in message_rows(app):
                    if s == 'Bob' and text.startswith('LLLL'):
                        return node
                return None
            talktest.wait_for(cut, LONG, 'the long message')
            find(app, 'label', re.compile(r'^Message shortened'), timeout=SHORT)
            state['talk'].check_running()
            talktest.screenshot(os.path.join(shots, '05-long.png'))
        tap.check('a 10 MB body is refused by the server; the largest it takes shows cut, '
                  'with a note', oversized)

        def responsive():
            bob.send_chat(ALICE, 'still there?')
            wait_rows(app, lambda rows: texts_from(app, 'Bob')[-1:] == ['still there?'],
                      'a normal message after the long one', timeout=SHORT)
            state['talk'].check_running()
        tap.check('Talk stays responsive: a normal message after them shows', responsive)

        offline = ['while you were away', 'and one more']

        def archive_caught_up():
            state['before'] = history_bodies(history)
            quit_talk()
            bob.wait_presence(lambda t, show, status: t == 'unavailable',
                              what='alice signing out')
            for body in offline:
                bob.send_chat(ALICE, body, markable=True, request=True)
            state['offline_id'] = bob.sent_ids[offline[-1]]
            start_talk()
            bob.wait_presence(lambda t, show, status: t == 'available', what='alice online')
            talktest.wait_for(lambda: history_bodies(history)[-2:] == offline, LONG,
                              'the offline messages in the history')
            bodies = history_bodies(history)
            for body in offline:
                assert bodies.count(body) == 1, f'{body!r} stored {bodies.count(body)} times'
        tap.check('messages sent while Talk was closed arrive after start, once each',
                  archive_caught_up)

        def same_after_restart():
            before = history_bodies(history)
            quit_talk()
            app = start_talk()
            bob.wait_presence(lambda t, show, status: t == 'available', what='alice online')
            open_chat(app, 'Bob')
            wait_rows(app, lambda rows: texts_from(app, 'Bob')[-2:] == offline,
                      'the offline messages in bob\'s tab')
            after = history_bodies(history)
            assert after == before, f'the history changed: {set(after) ^ set(before)}'
            shown = texts_from(app, 'Bob')
            for body in offline + ['still there?']:
                assert shown.count(body) == 1, f'{body!r} shows {shown.count(body)} times'
        tap.check('a restart shows the same history from the database, no duplicates',
                  same_after_restart)

        def marker_after_restart():
            owed = state.get('offline_id')
            assert owed is not None, 'no offline message was sent'
            bob.wait_message(lambda r: r['displayed'] == owed,
                             what='a displayed marker for the offline message')
        tap.check('the displayed marker owed for a message from before the restart is sent',
                  marker_after_restart)

        typed_offline = 'typed while the server was down'

        def server_down():
            app = state['app']
            bob.stop()
            talktest.demo_server_halt(server)
            find(app, None, re.compile(r'(?i)offline|connecting|reconnect|not connected'),
                 timeout=LONG)
            type_and_send(app, typed_offline)
            wait_rows(app, lambda rows: any(t.startswith(typed_offline) and 'Sending' in t
                                            for _s, t, _n in rows),
                      'the message waiting to be sent')
            talktest.demo_server_resume(server)
            state['bob'] = new_peer(BOB, server.bob_password, ALICE)
            state['bob'].wait_message(lambda r: r['body'] == typed_offline,
                                      what='the message typed offline')
            # Anything sent twice would come before what alice sends next.
            type_and_send(app, 'after the outage')
            state['bob'].wait_message(lambda r: r['body'] == 'after the outage',
                                      what='the message after the outage')
            count = state['bob'].count_bodies(typed_offline)
            assert count == 1, f'bob got it {count} times'
            stored = history_bodies(history).count(typed_offline)
            assert stored == 1, f'stored {stored} times'
        tap.check('a message typed while the server is down reaches bob once it is back, '
                  'exactly once', server_down)

        durable = 'kill me now'

        def survives_sigkill():
            peer = state.get('bob', bob)
            app = state['app']
            peer.send_chat(ALICE, durable, markable=True, request=True)
            wait_rows(app, lambda rows: texts_from(app, 'Bob')[-1:] == [durable],
                      'the message on screen')
            assert history_bodies(history).count(durable) == 1
            state['talk'].process.send_signal(signal.SIGKILL)
            state['talk'].process.wait()
            app = start_talk()
            peer.wait_presence(lambda t, show, status: t == 'available', what='alice online')
            open_chat(app, 'Bob')
            wait_rows(app, lambda rows: durable in texts_from(app, 'Bob'),
                      'the message after the restart')
            shown = texts_from(app, 'Bob').count(durable)
            assert shown == 1, f'shown {shown} times'
            # After the catch-up (the archive and the server's redelivery).
            peer.send_chat(ALICE, 'and after that')
            wait_rows(app, lambda rows: texts_from(app, 'Bob')[-1:] == ['and after that'],
                      'a message after the restart')
            stored = history_bodies(history).count(durable)
            assert stored == 1, f'stored {stored} times'
            assert texts_from(app, 'Bob').count(durable) == 1
            talktest.screenshot(os.path.join(shots, '06-after-kill.png'))
        tap.check('killed with SIGKILL right after a message arrived: after a restart '
                  'it is there, once', survives_sigkill)

        def quits_with_search_open():
            app = state['app']
            talktest.keyboard_to(None, composer(app))
            # The chat is in use: Ctrl+F searches the conversation.
            talktest.press_key(talktest.KEY_F, talktest.CONTROL_MASK)
            entry = search_entry(app, 'Search this conversation')
            talktest.wait_for(lambda: focused(entry), SHORT,
                              'the focus in the conversation search')
            quit_talk()
        tap.check('closing the window with a chat and its search open quits cleanly',
                  quits_with_search_open)
    finally:
        if state['talk'] is not None:
            state['talk'].kill()
        for peer in peers:
            try:
                peer.stop()
            except Exception as e:
                tap.note(f'stopping {peer.jid}: {e}')
        if notifications is not None:
            notifications.stop()
        server.stop()
        talktest.keyring_clear(ALICE)
        tap.note(f'screenshots and the log are in {out}')


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, source_dir = sys.argv[1:]
    talktest.set_slow(binary)
    tap = talktest.Tap(PLAN)

    def body():
        try:
            run(tap, binary, source_dir)
        finally:
            status = tap.finish()
        return status
    talktest.main_guard(body)


if __name__ == '__main__':
    main()
