#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Searching messages and message notifications, as a person uses them.

    test_search.py TALK_BINARY SOURCE_DIR

Runs inside tests/session-env.sh. The test is the desktop's notification
server (talktest.NotificationServer): it owns
org.freedesktop.Notifications on the session bus before Talk starts, so
Talk's notifications come to it. Talk starts with an
account already set up (settings and keyring) on a private Prosody; bob
and carol (slixmpp) write to alice. The test checks that Ctrl+F with no
chat open searches the contacts; what a notification carries with the
setting "notification-show-text" on, and, switched off from the main
menu, that it names the sender without the text; clicks bob's
notification to open his chat; searches his conversation with Ctrl+F and
jumps to a message older than the pages loaded; searches all
conversations with Ctrl+Shift+F and opens carol's chat at the message
found. Screenshots go to BUILD/tests/ui/search/. TAP on stdout.
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import talktest  # noqa: E402
from talktest import LONG, SHORT, find, find_all, is_shown, wait_for  # noqa: E402

PLAN = 17

# Bob's conversation: the words searched for come before more messages
# than the chat loads at first (a page is 50), so showing them takes
# older pages.
FILLERS = 70
BOB_OLD = 'the quokka picnic is on saturday'
BOB_SHARED = 'marmalade from bob'
BOB_LAST = 'narwhal sighting at the end'
CAROL_SHARED = 'marmalade from carol'
OWN = 'papaya for you bob'

CONTROL_MASK = 1 << 2
SHIFT_MASK = 1 << 0
KEY_ESCAPE = 0xff1b
KEY_F = ord('f')
KEY_QUESTION = ord('?')


def gsettings(env, *args):
    return subprocess.run(['gsettings', *args], env=env, check=True,
                          stdin=subprocess.DEVNULL, capture_output=True,
                          text=True).stdout.strip()


def set_up_account(env, server):
    """The state an earlier sign-in leaves: the account in settings, its
    certificate pinned, its password in the keyring."""
    path = '/com/example/Talk/accounts/searchtest/'
    schema = f'com.example.Talk.Account:{path}'
    gsettings(env, 'set', 'com.example.Talk', 'accounts', "['searchtest']")
    gsettings(env, 'set', schema, 'jid', 'alice@localhost')
    gsettings(env, 'set', schema, 'host', '127.0.0.1')
    gsettings(env, 'set', schema, 'port', str(server.port))
    gsettings(env, 'set', schema, 'pinned-certificate', server.fingerprint)
    talktest.keyring_store('alice@localhost', server.alice_password)


def add_user(server, user, password):
    """A third account on the running server, as demo-server.sh makes its
    two: the password goes through stdin."""
    config = os.path.join(server.dir, 'prosody.cfg.lua')
    subprocess.run(['prosodyctl', '--config', config, 'adduser', f'{user}@localhost'],
                   input=f'{password}\n{password}\n', text=True, check=True,
                   capture_output=True)


def send(peer, to, body):
    """@peer writes @body to @to; messages leave in the order sent."""
    def go():
        peer.client.send_message(mto=to, mbody=body, mtype='chat')
    peer.loop.call_soon_threadsafe(go)


def press(keysym, modifiers=0):
    """Presses @keysym with @modifiers held, on the focused widget."""
    registry = talktest.pyatspi.Registry
    if modifiers:
        registry.generateKeyboardEvent(modifiers, None, talktest.pyatspi.KEY_LOCKMODIFIERS)
    try:
        registry.generateKeyboardEvent(keysym, None, talktest.pyatspi.KEY_SYM)
    finally:
        if modifiers:
            registry.generateKeyboardEvent(modifiers, None,
                                           talktest.pyatspi.KEY_UNLOCKMODIFIERS)


def focus_window():
    """Without a window manager, X gives the keyboard to the window under
    the pointer; the windows of these tests open at the origin."""
    talktest.pyatspi.Registry.generateMouseEvent(60, 60, 'abs')


def extents(node):
    return node.queryComponent().getExtents(talktest.pyatspi.WINDOW_COORDS)


def in_view(node, view):
    """Whether @node lies within @view's area: list views keep rows just
    outside what they show, with real sizes."""
    if not is_shown(node):
        return False
    inner, outer = extents(node), extents(view)
    return inner.y >= outer.y - 1 and inner.y + inner.height <= outer.y + outer.height + 1


def search_entries(root, name):
    """The search entries called @name (not the buttons that show them)."""
    return [node for node in find_all(root, None, name)
            if talktest.role_name(node) not in ('push button', 'toggle button', 'label')]


def search_entry(root, name):
    return wait_for(lambda: (search_entries(root, name) or [None])[0], SHORT,
                    f'the search entry {name!r}')


def message_rows(window, pattern):
    """The message rows (not the search results) whose text matches."""
    return [node for node in find_all(window, None, re.compile(r' at .*: .*' + pattern))
            if talktest.role_name(node) != 'list item']


def run(tap, binary, source_dir):
    build_dir = talktest.build_dir_for(binary)
    out = talktest.scratch_dir(build_dir, 'search')
    shots = os.path.join(out, 'screenshots')
    log_path = os.path.join(out, 'talk.log')
    env = talktest.app_env(source_dir, build_dir, {'GSETTINGS_BACKEND': 'keyfile',
                                                   **talktest.private_dirs('search')})

    server = talktest.DemoServer(source_dir, talktest.server_dir())
    notifications = None
    bob = None
    carol = None
    talk = None
    state = {}

    def on_failure(number):
        talktest.screenshot(os.path.join(shots, f'failed-{number:02d}.png'))
        if 'app' in state and talk is not None and talk.running():
            with open(os.path.join(out, f'failed-{number:02d}.tree'), 'w') as f:
                f.write(talktest.describe(state['app']))
    tap.on_failure = on_failure

    try:
        set_up_account(env, server)
        carol_password = 'carol-' + os.urandom(8).hex()
        add_user(server, 'carol', carol_password)
        bob = talktest.Peer(server, 'bob@localhost', server.bob_password,
                            'alice@localhost')
        carol = talktest.Peer(server, 'carol@localhost', carol_password,
                              'alice@localhost')
        notifications = talktest.NotificationServer()

        def signs_in():
            nonlocal talk
            talk = talktest.Talk(binary, env, log_path)
            state['app'] = app = talk.accessible()
            state['window'] = find(app, 'frame', 'Talk', timeout=LONG)
            bob.wait_presence(lambda t, show, status: t == 'available',
                              what='alice online')
            find(state['window'], None, re.compile(r'^Bob, Available'), timeout=LONG)
            focus_window()
        tap.require('Talk signs in by itself; bob is in the contact list', signs_in)
        app, window = state['app'], state['window']

        # No chat open: Ctrl+F filters the contacts, as it always did.
        def contacts_ctrl_f():
            focus_window()
            press(KEY_F, CONTROL_MASK)
            entry = search_entry(window, 'Search contacts')
            wait_for(lambda: entry.getState().contains(talktest.pyatspi.STATE_FOCUSED),
                     SHORT, 'the focus in the contact search')
            press(KEY_ESCAPE)
            wait_for(lambda: not entry.getState().contains(talktest.pyatspi.STATE_FOCUSED),
                     SHORT, 'the contact search to close')
        tap.check('without a chat open, Ctrl+F searches the contacts', contacts_ctrl_f)

        def notification_with_text():
            since = len(notifications.shown)
            send(bob, 'alice@localhost', 'Hello alice, are you there?')
            call = notifications.wait_shown(lambda c: c['summary'] == 'Bob',
                                            what="a notification of bob's message", since=since)
            assert call['body'] == 'Hello alice, are you there?', call
        tap.check('a notification names the sender and shows the text by default',
                  notification_with_text)

        def switch_text_off():
            talktest.click(find(window, 'push button', 'Main menu'))
            item = find(app, None, re.compile(r'^Show Message Text in Notifications'))
            assert item.getState().contains(talktest.pyatspi.STATE_CHECKED), \
                'the item is not checked while the setting is on'
            talktest.screenshot(os.path.join(shots, '01-menu.png'))
            talktest.click(item)
            wait_for(lambda: gsettings(env, 'get', 'com.example.Talk',
                                       'notification-show-text') == 'false',
                     SHORT, 'notification-show-text to be false')

            since = len(notifications.shown)
            send(bob, 'alice@localhost', 'the secret plans for tuesday')
            call = notifications.wait_shown(lambda c: c['summary'] == 'Bob',
                                            what="a notification of bob's second message", since=since)
            assert call['body'] == '', f'the body is {call["body"]!r}'
            texts = [call['summary'], call['body'], *call['actions'],
                     *(str(v) for v in call['hints'].values())]
            assert not any('secret' in t for t in texts), call
        tap.check('switched off in the main menu, a notification names the sender only',
                  switch_text_off)

        def bob_opens_from_notification():
            since = len(notifications.shown)
            send(carol, 'alice@localhost', CAROL_SHARED)
            send(bob, 'alice@localhost', BOB_SHARED)
            send(bob, 'alice@localhost', BOB_OLD)
            for i in range(FILLERS):
                send(bob, 'alice@localhost', f'filler message number {i + 1}')
            send(bob, 'alice@localhost', BOB_LAST)
            # One notification per message, each replacing the last: all
            # are there once Talk has stored everything bob sent.
            expected = FILLERS + 3

            def bob_calls():
                calls = [c for c in notifications.shown[since:] if c['summary'] == 'Bob']
                return calls if len(calls) >= expected else None
            calls = wait_for(bob_calls, LONG, f'{expected} notifications from bob')
            notifications.invoke(calls[-1]['id'])
            state['messages'] = view = find(window, None, 'Messages', timeout=LONG)
            wait_for(lambda: any(in_view(n, view) for n in message_rows(window, 'narwhal')),
                     LONG, "bob's last message in view")
            talktest.screenshot(os.path.join(shots, '02-bob.png'))
        tap.require("clicking bob's notification opens his chat at the newest message",
                    bob_opens_from_notification)
        view = state['messages']

        def ctrl_f_opens():
            focus_window()
            press(KEY_F, CONTROL_MASK)
            state['entry'] = entry = search_entry(window, 'Search this conversation')
            wait_for(lambda: entry.getState().contains(talktest.pyatspi.STATE_FOCUSED),
                     SHORT, 'the focus in the search entry')
            find(window, 'push button', 'Close the search')
        tap.require("Ctrl+F in bob's chat opens the conversation's search", ctrl_f_opens)
        entry = state['entry']

        def limited_to_bob():
            talktest.type_text(entry, 'marmalade')
            find(window, 'list item', re.compile(r'^Bob, .*: marmalade from bob'))
            time.sleep(talktest.deadline(1))
            found = find_all(window, 'list item', re.compile(r'marmalade'))
            assert len(found) == 1, [n.name for n in found]
        tap.check("the conversation's search finds bob's words, not carol's",
                  limited_to_bob)

        def own_message_found():
            composer = find(window, 'text', 'Message')
            talktest.keyboard_to(None, composer)
            for character in OWN:
                talktest.pyatspi.Registry.generateKeyboardEvent(
                    0, character, talktest.pyatspi.KEY_STRING)
            wait_for(lambda: talktest.text_of(composer) == OWN, SHORT,
                     f'the composer to hold {OWN!r}')
            talktest.press_key(talktest.KEY_RETURN)
            wait_for(lambda: OWN in bob.messages, LONG, 'bob to receive the reply')
            press(KEY_F, CONTROL_MASK)
            wait_for(lambda: entry.getState().contains(talktest.pyatspi.STATE_FOCUSED),
                     SHORT, 'the focus back in the search entry')
            talktest.type_text(entry, 'papaya')
            find(window, 'list item', re.compile(r'^You, .+: papaya for you bob$'))
        tap.check('a message alice wrote is found as hers ("You")', own_message_found)

        def lists_result():
            talktest.type_text(entry, 'quokka')
            state['result'] = find(window, 'list item',
                                   re.compile(r'^Bob, .+: the quokka picnic is on saturday$'))
            talktest.screenshot(os.path.join(shots, '03-search.png'))
            assert not message_rows(window, 'quokka'), \
                'the message was loaded before the search asked for it'
        tap.require('typing a word lists the message with its sender, time and words',
                    lists_result)

        def jumps_to_message():
            talktest.activate_row(window, state['result'])
            wait_for(lambda: any(in_view(n, view) for n in message_rows(window, 'quokka')),
                     LONG, 'the quokka message in view')
            talktest.screenshot(os.path.join(shots, '04-found.png'))
        tap.check('activating the result scrolls the older message into view',
                  jumps_to_message)

        # GTK 4.8 keeps the last extents of a widget a revealer hid, so
        # what tells that the bar closed is what closing does: the
        # results go and the focus is back in the composer.
        def escape_closes():
            press(KEY_ESCAPE)
            composer = find(window, 'text', 'Message')
            wait_for(lambda: composer.getState().contains(talktest.pyatspi.STATE_FOCUSED),
                     SHORT, 'the focus back in the composer')
            assert not find_all(window, 'list item', re.compile(r'^Bob, .*quokka')), \
                'the results are still listed'
            assert talktest.text_of(entry) == '', talktest.text_of(entry)
        tap.check('Escape closes the search bar and gives the composer the focus',
                  escape_closes)

        def global_search():
            focus_window()
            press(KEY_F, CONTROL_MASK | SHIFT_MASK)
            state['dialog'] = dialog = find(app, None, 'Search Messages', timeout=SHORT)
            entry = search_entry(dialog, 'Search messages in all conversations')
            # Labelled by contact; what alice wrote says so.
            talktest.type_text(entry, 'papaya')
            find(dialog, 'list item', re.compile(r'^Bob, .+: You: papaya for you bob$'))
            talktest.type_text(entry, 'marmalade')
            find(dialog, 'list item', re.compile(r'^Bob, .*: marmalade from bob$'))
            state['carol'] = find(dialog, 'list item',
                                  re.compile(r'^carol, .*: marmalade from carol$'))
            talktest.screenshot(os.path.join(shots, '05-global.png'))
        tap.require('Ctrl+Shift+F finds a word in every conversation, labelled by contact',
                    global_search)

        def search_labelled():
            missing = talktest.unlabelled(app)
            assert not missing, 'no accessible name:\n' + '\n'.join(missing)
        tap.check('every button and entry of the message search dialog has an accessible name',
                  search_labelled)

        def opens_carol():
            talktest.activate_row(state['dialog'], state['carol'])
            wait_for(lambda: not find_all(app, None, 'Search Messages'), SHORT,
                     'the dialog to close')
            find(window, None, 'carol@localhost', timeout=SHORT)
            wait_for(lambda: any(in_view(n, find(window, None, 'Messages'))
                                 for n in message_rows(window, 'marmalade from carol')),
                     LONG, "carol's message in view")
            talktest.screenshot(os.path.join(shots, '06-carol.png'))
        tap.check("activating carol's result opens her chat at that message", opens_carol)

        def menu_opens_again():
            talktest.click(find(window, 'push button', 'Main menu'))
            talktest.click(find(app, None, re.compile(r'^Search Messages')))
            # From the application: another node (the menu item, a title)
            # may carry the dialog's name too; the entry is the dialog's.
            entry = search_entry(app, 'Search messages in all conversations')
            assert talktest.text_of(entry) == 'marmalade', talktest.text_of(entry)
            find(app, 'list item', re.compile(r'^Bob, .*: marmalade from bob$'))
            press(KEY_ESCAPE)
            wait_for(lambda: not find_all(app, None, 'Search Messages'), SHORT,
                     'the dialog to close on Escape')
        tap.check('"Search Messages…" in the main menu opens it again with its words',
                  menu_opens_again)

        # The shortcuts window is built only when first asked for.
        def shortcuts_window():
            for attempt in ('menu', 'keyboard'):
                if attempt == 'menu':
                    talktest.click(find(window, 'push button', 'Main menu'))
                    talktest.click(find(app, None, re.compile(r'^Keyboard Shortcuts')))
                else:
                    focus_window()
                    press(KEY_QUESTION, CONTROL_MASK | SHIFT_MASK)
                find(app, None, 'Search Messages in All Conversations', timeout=SHORT)
                talktest.screenshot(os.path.join(shots, '07-shortcuts.png'))
                press(KEY_ESCAPE)
                wait_for(lambda: not find_all(app, None, 'Search Messages in All Conversations'),
                         SHORT, 'the shortcuts window to close on Escape')
        tap.check('"Keyboard Shortcuts" in the main menu, then Ctrl+?, show the shortcuts',
                  shortcuts_window)

        def still_running():
            talk.check_running()
            log = talk.output()
            for marker in ('CRITICAL', 'WARNING', 'runtime error', 'ERROR: AddressSanitizer'):
                assert marker not in log, f'{marker} in the log:\n{log[-3000:]}'
        tap.check('Talk logged no warnings or errors', still_running)
    finally:
        if talk is not None:
            talk.kill()
        for peer in (bob, carol):
            if peer is not None:
                peer.stop()
        if notifications is not None:
            notifications.stop()
        server.stop()
        talktest.keyring_clear('alice@localhost')
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
