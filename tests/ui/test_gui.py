#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Talk as a person uses it, through the accessibility tree.

    test_gui.py TALK_BINARY SOURCE_DIR

Runs inside tests/session-env.sh (Xvfb, D-Bus, unlocked keyring, AT-SPI).
Starts a private Prosody and bob (slixmpp) as an independent peer, then
drives the real app: the sign-in form, the certificate decision, the
contact list, the presence selector; checks what bob receives and what
the keyring and the disk hold; quits and starts again to see it sign in
by itself. Screenshots go to BUILD/tests/ui/gui/. TAP on stdout.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import talktest  # noqa: E402
from talktest import LONG, SHORT, click, find, type_text  # noqa: E402
from gi.repository import GLib  # noqa: E402


PLAN = 12


def sign_in_form(app, server):
    """Fills the sign-in form the way a person does."""
    window = find(app, 'frame', 'Talk', timeout=LONG)
    address = find(window, 'text', re.compile(r'^Address'), timeout=LONG)
    type_text(address, 'alice@localhost')
    password = find(window, 'text', re.compile(r'^Password'))
    type_text(password, server.alice_password)

    # The server settings hide behind "Advanced".
    # An AdwExpanderRow: its header is the innermost "Advanced" row.
    find(window, 'list item', 'Advanced')
    header = talktest.find_all(window, 'list item', 'Advanced')[-1]
    talktest.activate_row(window, header)
    type_text(find(window, 'text', re.compile(r'^Server')), '127.0.0.1')
    type_text(find(window, 'text', re.compile(r'^Port')), str(server.port))
    return window


def popover_open(app):
    return bool(talktest.find_all(app, None, 'Status message'))


def presence_choice(app, label):
    """The item for @label in the open presence popover."""
    def lookup():
        for node in talktest.find_all(app, None, label):
            if talktest.role_name(node) not in ('label', 'image', 'panel'):
                return node
        return None
    return talktest.wait_for(lookup, SHORT, f'the presence choice {label!r}')


def quit_from_menu(app):
    window = find(app, 'frame', 'Talk')
    click(find(window, 'push button', 'Main menu'))
    item = find(app, None, re.compile(r'^Quit'), timeout=SHORT)
    try:
        click(item)
    except GLib.Error as error:
        # Talk may be gone before the accessibility bus has its reply;
        # the caller checks how it exited.
        if 'disconnected' not in error.message:
            raise


def run(tap, binary, source_dir):
    build_dir = talktest.build_dir_for(binary)
    out = talktest.scratch_dir(build_dir, 'gui')
    shots = os.path.join(out, 'screenshots')
    home = os.environ['HOME']
    log_path = os.path.join(out, 'talk.log')
    # Settings persist (in HOME) across the restart below; no demo account.
    env = talktest.app_env(source_dir, build_dir, {'GSETTINGS_BACKEND': 'keyfile',
                                                   **talktest.private_dirs('gui')})
    talktest.keyring_clear('alice@localhost')

    server = talktest.DemoServer(source_dir, talktest.server_dir())
    state = {'talk': None, 'app': None}
    peer = None

    def on_failure(number):
        talktest.screenshot(os.path.join(shots, f'failed-{number:02d}.png'))
        if state['app'] is not None and state['talk'].running():
            with open(os.path.join(out, f'failed-{number:02d}.tree'), 'w') as f:
                f.write(talktest.describe(state['app']))
    tap.on_failure = on_failure

    def start_talk():
        state['talk'] = talktest.Talk(binary, env, log_path)
        state['app'] = state['talk'].accessible()
        return state['talk'], state['app']

    talk = app = None
    try:
        peer = talktest.Peer(server, 'bob@localhost', server.bob_password,
                             'alice@localhost', status='Reading')

        def signin_page():
            nonlocal talk, app
            talk, app = start_talk()
            find(app, 'push button', re.compile(r'Sign In$'), timeout=LONG)
            talktest.screenshot(os.path.join(shots, '01-sign-in.png'))
        tap.require('without an account Talk shows the sign-in page', signin_page)

        def signin_labelled():
            missing = talktest.unlabelled(app)
            assert not missing, 'no accessible name:\n' + '\n'.join(missing)
        tap.check('every field and button of the sign-in page has an accessible name',
                  signin_labelled)

        def fill_and_sign_in():
            window = sign_in_form(app, server)
            talktest.screenshot(os.path.join(shots, '02-form.png'))
            button = find(window, 'push button', re.compile(r'Sign In$'))
            talktest.wait_for(lambda: button.getState().contains(
                talktest.pyatspi.STATE_SENSITIVE), SHORT, 'Sign In to be enabled')
            click(button)
            trust = find(app, 'push button', re.compile(r'Trust This Certificate'),
                         timeout=LONG)
            talktest.screenshot(os.path.join(shots, '03-certificate.png'))
            click(trust)
        tap.require('sign in with the form and trust the test certificate',
                    fill_and_sign_in)

        def bob_listed():
            peer.wait_presence(lambda t, show, status: t == 'available',
                               what='alice online')
            find(app, None, re.compile(r'^Bob, Available'), timeout=LONG)
            talktest.screenshot(os.path.join(shots, '04-signed-in.png'))
        tap.require('signed in: bob is in the contact list, available', bob_listed)

        def away_coffee():
            click(find(app, 'push button', re.compile(r'^Presence: ')))
            click(presence_choice(app, 'Away'))
            find(app, 'push button', re.compile(r'^Presence: Away'))
            if not popover_open(app):
                click(find(app, 'push button', re.compile(r'^Presence: ')))
            type_text(find(app, None, 'Status message'), 'Coffee break')
            talktest.screenshot(os.path.join(shots, '05-presence.png'))
            click(find(app, 'push button', re.compile(r'^Set status message')))
            peer.wait_presence(lambda t, show, status: show == 'away' and
                               status == 'Coffee break',
                               what='<show>away</show> with "Coffee break"')
        tap.check('Away with "Coffee break" from the presence selector reaches the peer',
                  away_coffee)

        def bob_dnd():
            peer.send_presence('dnd', 'In a meeting')
            find(app, None, re.compile(r'^Bob, Do Not Disturb'), timeout=LONG)
            talktest.screenshot(os.path.join(shots, '06-bob-busy.png'))
        tap.check("the peer's Do Not Disturb shows on bob's row", bob_dnd)

        # The attribute of src/core/talk-keyring.c's schema.
        def in_keyring():
            talktest.wait_for(lambda: talktest.keyring_lookup('alice@localhost') ==
                              server.alice_password, SHORT, 'the password in the keyring')
        tap.check('the password is in the keyring', in_keyring)

        def nowhere_else():
            grep = subprocess.run(['grep', '-rlF', '--', server.alice_password, home],
                                  capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL)
            assert grep.returncode == 1, \
                f'grep: status {grep.returncode}: {grep.stdout}{grep.stderr}'
            with open(log_path, 'rb') as f:
                assert server.alice_password.encode() not in f.read(), 'in the log'
        tap.check('the password is in no file under HOME, nor in the log',
                  nowhere_else)

        # No tray in this session: closing the window quits.
        def close_quits():
            window = find(app, 'frame', 'Talk')
            click(find(window, 'push button', 'Close'))
            status = talk.wait_exit(LONG)
            assert status == 0, f'talk exited with status {status}'
            peer.wait_presence(lambda t, show, status: t == 'unavailable',
                               what='alice signing out')
        tap.require('closing the window (no tray) signs out and quits', close_quits)

        def signs_in_again():
            nonlocal talk, app
            talk, app = start_talk()
            # As last chosen: away, with the same message.
            peer.wait_presence(lambda t, show, status: show == 'away' and
                               status == 'Coffee break',
                               what='alice online again, away with "Coffee break"')
            find(app, None, re.compile(r'^Bob, '), timeout=LONG)
            talktest.screenshot(os.path.join(shots, '07-restarted.png'))
            assert not talktest.find_all(app, 'push button', re.compile(r'Sign In$')), \
                'the sign-in page shows'
            assert not talktest.find_all(app, 'push button',
                                         re.compile(r'Trust This Certificate')), \
                'the certificate question came back'
        tap.require('started again, Talk signs in without asking, away as last chosen',
                    signs_in_again)

        def sign_out():
            window = find(app, 'frame', 'Talk')
            click(find(window, 'push button', 'Main menu'))
            click(find(app, None, re.compile(r'^Sign Out'), timeout=SHORT))
            dialog = find(app, 'dialog', 'Sign Out?', timeout=SHORT)
            # libadwaita 1.2 names a response button with its mnemonic too.
            click(find(dialog, 'push button', re.compile(r'Sign Out$'), timeout=SHORT))
            find(app, 'push button', re.compile(r'Sign In$'), timeout=LONG)
            peer.wait_presence(lambda t, show, status: t == 'unavailable',
                               what='alice signing out')
            talktest.wait_for(lambda: talktest.keyring_lookup('alice@localhost') is None,
                              SHORT, 'the password to leave the keyring')
            address = find(app, 'text', re.compile(r'^Address'), timeout=SHORT)
            assert talktest.text_of(address) == '', talktest.text_of(address)
            talktest.screenshot(os.path.join(shots, '08-signed-out.png'))
        tap.check('Sign Out in the main menu: the sign-in page, empty, and no password kept',
                  sign_out)

        def quit_menu():
            quit_from_menu(app)
            status = talk.wait_exit(LONG)
            assert status == 0, f'talk exited with status {status}'
        tap.check('Quit in the main menu ends Talk', quit_menu)
    finally:
        if state['talk'] is not None:
            state['talk'].kill()
        if peer is not None:
            peer.stop()
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
