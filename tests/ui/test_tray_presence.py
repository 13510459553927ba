#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tray icon and the command line, as a panel and a launcher use them.

    test_tray_presence.py TALK_BINARY SOURCE_DIR

Runs inside tests/session-env.sh. The test is the panel: it owns
org.kde.StatusNotifierWatcher on the session bus (with a host registered)
before Talk starts, so Talk's StatusNotifierItem registers with it. Talk
starts with an account already set up (settings and keyring, as after an
earlier sign-in) on a private Prosody; bob (slixmpp) checks what alice
sends. The test picks Busy in the tray's dbusmenu, runs a second
`talk --presence=xa`, closes the window (Talk stays in the tray), checks
that a launcher action leaves it hidden and a plain `talk` shows it,
hides and shows it from the menu, and quits from the menu. TAP on stdout.
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gi.repository import Gio, GLib  # noqa: E402

import talktest  # noqa: E402
from talktest import LONG, SHORT  # noqa: E402

PLAN = 14

ITEM_PATH = '/StatusNotifierItem'
ITEM_INTERFACE = 'org.kde.StatusNotifierItem'
MENU_INTERFACE = 'com.canonical.dbusmenu'
WATCHER_NAME = 'org.kde.StatusNotifierWatcher'
WATCHER_PATH = '/StatusNotifierWatcher'

WATCHER_XML = '''
<node>
  <interface name='org.kde.StatusNotifierWatcher'>
    <method name='RegisterStatusNotifierItem'>
      <arg name='service' type='s' direction='in'/>
    </method>
    <method name='RegisterStatusNotifierHost'>
      <arg name='service' type='s' direction='in'/>
    </method>
    <property name='RegisteredStatusNotifierItems' type='as' access='read'/>
    <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>
    <property name='ProtocolVersion' type='i' access='read'/>
    <signal name='StatusNotifierItemRegistered'>
      <arg name='service' type='s'/>
    </signal>
    <signal name='StatusNotifierItemUnregistered'>
      <arg name='service' type='s'/>
    </signal>
    <signal name='StatusNotifierHostRegistered'/>
  </interface>
</node>
'''


def pump(seconds):
    """Lets the panel answer D-Bus calls while the test waits."""
    context = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while context.pending():
            context.iteration(False)
        time.sleep(0.02)


def wait_for(predicate, timeout, what):
    return talktest.wait_for(predicate, timeout, what, idle=pump)


class Panel:
    """A StatusNotifierWatcher with a host, as a desktop panel provides."""

    def __init__(self, connection):
        self.connection = connection
        self.items = []          # (sender, service) in registration order
        info = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML).interfaces[0]
        self.registration = connection.register_object(
            WATCHER_PATH, info, self._method_call, self._get_property, None)
        self.acquired = False
        self.owner = Gio.bus_own_name_on_connection(
            connection, WATCHER_NAME, Gio.BusNameOwnerFlags.NONE,
            self._name_acquired, None)
        wait_for(lambda: self.acquired, SHORT, 'the watcher name')

    def _name_acquired(self, _connection, _name):
        self.acquired = True

    def _method_call(self, connection, sender, _path, _interface, method,
                     parameters, invocation):
        if method == 'RegisterStatusNotifierItem':
            service = parameters.unpack()[0]
            self.items.append((sender, service))
            invocation.return_value(None)
            connection.emit_signal(None, WATCHER_PATH, WATCHER_NAME,
                                   'StatusNotifierItemRegistered',
                                   GLib.Variant('(s)', (service,)))
        elif method == 'RegisterStatusNotifierHost':
            invocation.return_value(None)
        else:
            invocation.return_dbus_error('org.freedesktop.DBus.Error.UnknownMethod',
                                         method)

    def _get_property(self, _connection, _sender, _path, _interface, name):
        if name == 'RegisteredStatusNotifierItems':
            return GLib.Variant('as', [service for _, service in self.items])
        if name == 'IsStatusNotifierHostRegistered':
            return GLib.Variant('b', True)
        if name == 'ProtocolVersion':
            return GLib.Variant('i', 0)
        return None

    def close(self):
        Gio.bus_unown_name(self.owner)
        self.connection.unregister_object(self.registration)


class Item:
    """Talk's StatusNotifierItem and its menu, seen from the panel."""

    def __init__(self, connection, bus_name):
        self.connection = connection
        self.bus_name = bus_name
        self.menu_path = self.get(ITEM_INTERFACE, ITEM_PATH, 'Menu')

    def call(self, path, interface, method, parameters, reply_type):
        return self.connection.call_sync(
            self.bus_name, path, interface, method, parameters,
            GLib.VariantType.new(reply_type), Gio.DBusCallFlags.NONE,
            talktest.deadline(20) * 1000, None).unpack()

    def get(self, interface, path, name):
        return self.call(path, 'org.freedesktop.DBus.Properties', 'Get',
                         GLib.Variant('(ss)', (interface, name)), '(v)')[0]

    def icon_name(self):
        return self.get(ITEM_INTERFACE, ITEM_PATH, 'IconName')

    def menu_items(self):
        """{label: id} of the menu's top level."""
        _revision, layout = self.call(self.menu_path, MENU_INTERFACE, 'GetLayout',
                                      GLib.Variant('(iias)', (0, -1, [])),
                                      '(u(ia{sv}av))')
        items = {}
        for child in layout[2]:
            item_id, properties, _children = child
            if 'label' in properties:
                items[properties['label']] = item_id
        return items

    def click(self, label):
        item_id = self.menu_items()[label]
        self.call(self.menu_path, MENU_INTERFACE, 'Event',
                  GLib.Variant('(isvu)', (item_id, 'clicked', GLib.Variant('i', 0), 0)),
                  '()')

    def present(self):
        reply = self.connection.call_sync(
            'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
            'NameHasOwner', GLib.Variant('(s)', (self.bus_name,)),
            GLib.VariantType.new('(b)'), Gio.DBusCallFlags.NONE, 10000, None)
        return reply.unpack()[0]


def gsettings(env, *args):
    subprocess.run(['gsettings', *args], env=env, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)


def set_up_account(env, server):
    """The state an earlier sign-in leaves: the account in settings, its
    certificate pinned, its password in the keyring."""
    path = '/com/example/Talk/accounts/traytest/'
    schema = f'com.example.Talk.Account:{path}'
    gsettings(env, 'set', 'com.example.Talk', 'accounts', "['traytest']")
    gsettings(env, 'set', schema, 'jid', 'alice@localhost')
    gsettings(env, 'set', schema, 'host', '127.0.0.1')
    gsettings(env, 'set', schema, 'port', str(server.port))
    gsettings(env, 'set', schema, 'pinned-certificate', server.fingerprint)
    talktest.keyring_store('alice@localhost', server.alice_password)


def run(tap, binary, source_dir):
    build_dir = talktest.build_dir_for(binary)
    out = talktest.scratch_dir(build_dir, 'tray')
    shots = os.path.join(out, 'screenshots')
    log_path = os.path.join(out, 'talk.log')
    env = talktest.app_env(source_dir, build_dir, {'GSETTINGS_BACKEND': 'keyfile',
                                                   **talktest.private_dirs('tray')})
    connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)

    server = talktest.DemoServer(source_dir, talktest.server_dir())
    panel = None
    peer = None
    talk = None
    state = {}

    def on_failure(number):
        talktest.screenshot(os.path.join(shots, f'failed-{number:02d}.png'))
    tap.on_failure = on_failure

    try:
        set_up_account(env, server)
        peer = talktest.Peer(server, 'bob@localhost', server.bob_password,
                             'alice@localhost', status='Reading')
        panel = Panel(connection)

        def registers():
            nonlocal talk
            talk = talktest.Talk(binary, env, log_path)
            sender, service = wait_for(lambda: talk.check_running() and panel.items and
                                       panel.items[-1], LONG, 'RegisterStatusNotifierItem')
            assert re.match(r'^org\.kde\.StatusNotifierItem-\d+-\d+$', service), service
            state['item'] = Item(connection, service)
            peer.wait_presence(lambda t, show, status: t == 'available',
                               what='alice online')
        tap.require('Talk signs in and registers its tray icon with the panel', registers)
        item = state['item']

        def menu_lists_presences():
            labels = wait_for(lambda: item.menu_items(), SHORT, 'the tray menu')
            for label in ('Available', 'Away', 'Busy', 'Extended away', 'Offline',
                          'Hide Talk', 'Quit'):
                assert label in labels, f'no “{label}” in {sorted(labels)}'
            wait_for(lambda: item.icon_name() == 'user-available-symbolic', SHORT,
                     'the available icon')
        tap.require('the tray menu lists the presences, Hide Talk and Quit',
                    menu_lists_presences)

        def busy_from_menu():
            item.click('Busy')
            peer.wait_presence(lambda t, show, status: show == 'dnd',
                               what='<show>dnd</show>')
            wait_for(lambda: item.icon_name() == 'user-busy-symbolic', SHORT,
                     'the busy icon')
        tap.check('Busy in the tray menu sends <show>dnd</show>', busy_from_menu)

        def second_process():
            status, _out, err = talk.run_again('--presence=xa')
            assert status == 0, f'status {status}: {err}'
            peer.wait_presence(lambda t, show, status: show == 'xa',
                               what='<show>xa</show>')
        tap.check('a second `talk --presence=xa` reaches the running Talk',
                  second_process)

        def idle_icon():
            wait_for(lambda: item.icon_name() == 'user-idle-symbolic', SHORT,
                     'IconName user-idle-symbolic')
        tap.check('the tray icon follows: user-idle-symbolic', idle_icon)

        def status_only():
            status, _out, err = talk.run_again('--status=Coffee break')
            assert status == 0, f'status {status}: {err}'
            peer.wait_presence(lambda t, show, status: show == 'xa' and
                               status == 'Coffee break',
                               what='xa with "Coffee break"')
        tap.check('`talk --status=…` changes the message and keeps the presence',
                  status_only)

        def refuses_nonsense():
            status, _out, err = talk.run_again('--presence=sleepy')
            assert status == 1, f'status {status}'
            assert 'sleepy' in err, f'stderr: {err!r}'
            assert talk.running(), 'the running Talk ended'
        tap.check('an unknown presence fails with a message on stderr, status 1',
                  refuses_nonsense)

        def close_to_tray():
            state['app'] = app = talk.accessible()
            window = talktest.find(app, 'frame', 'Talk', timeout=LONG)
            talktest.click(talktest.find(window, 'push button', 'Close'))
            wait_for(lambda: 'Show Talk' in item.menu_items(), SHORT,
                     'the menu to offer “Show Talk”')
            talktest.screenshot(os.path.join(shots, 'hidden.png'))
            pump(talktest.deadline(2))
            assert talk.running(), 'Talk quit'
            assert item.present(), 'the tray icon went away'
            assert not talktest.find_all(app, 'frame', 'Talk'), 'the window still shows'
        tap.check('closing the window keeps Talk running in the tray', close_to_tray)

        def still_online():
            # Nothing was sent by hiding: bob saw no unavailable presence.
            pump(talktest.deadline(1))
            with peer.lock:
                assert all(t != 'unavailable' for t, _s, _m in peer.presences), \
                    peer.presences
        tap.check('hidden in the tray, alice stays online', still_online)

        # A launcher action must not pop the window up.
        def presence_stays_hidden():
            status, _out, err = talk.run_again('--presence=away')
            assert status == 0, f'status {status}: {err}'
            peer.wait_presence(lambda t, show, status: show == 'away',
                               what='<show>away</show>')
            pump(talktest.deadline(1))
            assert 'Show Talk' in item.menu_items(), 'the window came up'
            assert not talktest.find_all(state['app'], 'frame', 'Talk'), \
                'the window came up'
        tap.check('`talk --presence=away` leaves the hidden window hidden',
                  presence_stays_hidden)

        def plain_talk_shows():
            status, _out, err = talk.run_again()
            assert status == 0, f'status {status}: {err}'
            talktest.find(state['app'], 'frame', 'Talk', timeout=SHORT)
            wait_for(lambda: 'Hide Talk' in item.menu_items(), SHORT,
                     'the menu to offer “Hide Talk”')
        tap.check('a plain `talk` brings the window back', plain_talk_shows)

        def hide_and_show_from_menu():
            app = state['app']
            item.click('Hide Talk')
            wait_for(lambda: 'Show Talk' in item.menu_items(), SHORT,
                     'the menu to offer “Show Talk”')
            wait_for(lambda: not talktest.find_all(app, 'frame', 'Talk'), SHORT,
                     'the window to hide')
            item.click('Show Talk')
            talktest.find(app, 'frame', 'Talk', timeout=SHORT)
            wait_for(lambda: 'Hide Talk' in item.menu_items(), SHORT,
                     'the menu to offer “Hide Talk”')
            talktest.screenshot(os.path.join(shots, 'shown-again.png'))
        tap.check('Hide Talk and Show Talk in the tray menu', hide_and_show_from_menu)

        def quit_from_tray():
            item.click('Quit')
            wait_for(lambda: not talk.running(), LONG, 'talk to exit')
            status = talk.process.returncode
            assert status == 0, f'talk exited with status {status}'
            peer.wait_presence(lambda t, show, status: t == 'unavailable',
                               what='alice signing out')
        tap.check('Quit in the tray menu signs out and ends Talk', quit_from_tray)

        def icon_gone():
            wait_for(lambda: not item.present(), SHORT, 'the tray name to go')
        tap.check('the tray icon is gone with Talk', icon_gone)
    finally:
        if talk is not None:
            talk.kill()
        if peer is not None:
            peer.stop()
        if panel is not None:
            panel.close()
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
