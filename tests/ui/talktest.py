# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers for the GUI tests in tests/ui.

The tests run the real `talk` binary inside the session of
tests/session-env.sh (Xvfb, a private D-Bus, an unlocked keyring, the
AT-SPI bus), against a private Prosody from scripts/demo-server.sh, with
an independent slixmpp peer on the other side. Everything here polls with
generous deadlines: the sanitizer build is several times slower, and a
fixed sleep is never an assertion.
"""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import gi
import pyatspi
import slixmpp

gi.require_version('Gdk', '4.0')
from gi.repository import Gdk  # noqa: E402

# Deadlines, in seconds, before the timeout multiplier below.
SHORT = 30
LONG = 90

# meson's --timeout-multiplier does not reach the test; the sanitizer
# build announces itself through ASAN_OPTIONS being honoured, so scale
# when TALK_TEST_SLOW is set or the binary links ASan.
_SCALE = 1


def set_slow(binary):
    """Scales every deadline when @binary is a sanitizer build."""
    global _SCALE
    try:
        with open(binary, 'rb') as f:
            if b'__asan_init' in f.read():
                _SCALE = 3
    except OSError:
        pass
    if os.environ.get('TALK_TEST_SLOW'):
        _SCALE = 3


def deadline(seconds):
    return seconds * _SCALE


class Timeout(Exception):
    pass


class Stop(Exception):
    """A check that later ones depend on failed: they are not run."""


def wait_for(predicate, timeout=SHORT, what='a condition', interval=0.2,
             idle=None):
    """Polls @predicate until it returns something true and returns it.

    @idle, when given, runs between polls (to iterate a main loop)."""
    end = time.monotonic() + deadline(timeout)
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except AssertionError:
            raise
        except Exception as e:  # a widget that went away while polled
            last_error = e
        if time.monotonic() > end:
            detail = f' (last error: {last_error})' if last_error else ''
            raise Timeout(f'timed out waiting for {what}{detail}')
        if idle is not None:
            idle(interval)
        else:
            time.sleep(interval)


# TAP


class Tap:
    """A TAP 13 producer: `1..N`, then one `ok`/`not ok` line per check."""

    def __init__(self, plan):
        self.plan = plan
        self.count = 0
        self.failed = 0
        # Called with the check's number on a failure (screenshots, dumps).
        self.on_failure = None
        print(f'1..{plan}', flush=True)

    def ok(self, condition, description, diagnostic=None):
        self.count += 1
        status = 'ok' if condition else 'not ok'
        print(f'{status} {self.count} - {description}', flush=True)
        if not condition:
            self.failed += 1
            if diagnostic:
                for line in str(diagnostic).splitlines():
                    print(f'# {line}', flush=True)
        return condition

    def check(self, description, function):
        """Runs @function; a Timeout or an AssertionError fails the check."""
        try:
            function()
        except (Timeout, AssertionError) as e:
            if self.on_failure is not None:
                try:
                    self.on_failure(self.count + 1)
                except Exception as dump_error:
                    self.note(f'no failure dump: {dump_error}')
            return self.ok(False, description, str(e) or traceback.format_exc())
        return self.ok(True, description)

    def require(self, description, function):
        """Like check(), but stops the test run when it fails."""
        if not self.check(description, function):
            raise Stop(description)

    def note(self, text):
        for line in str(text).splitlines():
            print(f'# {line}', flush=True)

    def bail_out(self, reason):
        print(f'Bail out! {reason}', flush=True)

    def finish(self):
        """Fails what was planned but never run; returns the exit status."""
        while self.count < self.plan:
            self.ok(False, 'not reached: an earlier check failed')
        return 1 if self.failed else 0


# Server and peer


class DemoServer:
    """A private Prosody started by scripts/demo-server.sh in @directory.

    alice@localhost and bob@localhost have each other in their rosters."""

    def __init__(self, source_dir, directory):
        self.script = os.path.join(source_dir, 'scripts', 'demo-server.sh')
        self.dir = directory
        try:
            out = subprocess.run([self.script, 'start', directory], check=True,
                                 stdout=subprocess.PIPE, text=True,
                                 stdin=subprocess.DEVNULL).stdout
        except subprocess.CalledProcessError:
            self.stop()
            raise
        values = {}
        for line in out.splitlines():
            m = re.match(r"^([A-Z_]+)='(.*)'$", line)
            if m:
                values[m.group(1)] = m.group(2)
        self.domain = values['DOMAIN']
        self.port = int(values['PORT'])
        self.fingerprint = values['FINGERPRINT']
        self.alice_password = values['ALICE_PASSWORD']
        self.bob_password = values['BOB_PASSWORD']
        self.cafile = os.path.join(directory, 'localhost.crt')

    def stop(self):
        """Stops the server and removes its directory, passwords and all."""
        subprocess.run([self.script, 'stop', self.dir], check=False,
                       stdin=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


class Peer:
    """An independent XMPP client (slixmpp) on its own thread.

    It records every presence and message from @watch (a bare JID) and
    can send presence on request."""

    def __init__(self, server, jid, password, watch, status=None):
        self.server = server
        self.jid = jid
        self.password = password
        self.watch = watch
        self.initial_status = status
        self.presences = []      # (type, show, status), oldest first
        self.messages = []
        self.online = threading.Event()
        self.disconnected = threading.Event()
        self.lock = threading.Condition()
        self.loop = None
        self.client = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.online.wait(deadline(SHORT)):
            raise Timeout(f'{jid} did not sign in')

    def _run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        client = slixmpp.ClientXMPP(self.jid, self.password)
        client.ssl_context.load_verify_locations(cafile=self.server.cafile)
        client.auto_authorize = True
        client.auto_subscribe = True
        client.add_event_handler('session_start', self._session_start)
        client.add_event_handler('presence', self._presence)
        client.add_event_handler('message', self._message)
        client.add_event_handler('disconnected',
                                 lambda _event: self.disconnected.set())
        self._set_up(client)
        self.client = client
        client.connect(('127.0.0.1', self.server.port))
        self.loop.run_forever()
        # Let slixmpp's own tasks end before the loop closes.
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    def _set_up(self, client):
        """Subclasses add handlers to @client here."""

    async def _session_start(self, _event):
        await self.client.get_roster()
        self.client.send_presence(pstatus=self.initial_status)
        self.online.set()

    def _presence(self, presence):
        if presence['from'].bare != self.watch:
            return
        with self.lock:
            self.presences.append((presence['type'], presence['show'],
                                   presence['status']))
            self.lock.notify_all()

    def _message(self, message):
        if message['from'].bare != self.watch:
            return
        with self.lock:
            self.messages.append(message['body'])
            self.lock.notify_all()

    def wait_presence(self, predicate, timeout=LONG, what='a presence'):
        """Waits for a presence from the watched JID that @predicate
        (type, show, status) accepts, received since the last call."""
        end = time.monotonic() + deadline(timeout)
        with self.lock:
            while True:
                for index, presence in enumerate(self.presences):
                    if predicate(*presence):
                        del self.presences[:index + 1]
                        return presence
                remaining = end - time.monotonic()
                if remaining <= 0:
                    raise Timeout(f'{self.jid} saw no {what}; got {self.presences}')
                self.lock.wait(remaining)

    def send_presence(self, show=None, status=None):
        def send():
            self.client.send_presence(pshow=show, pstatus=status)
        self.loop.call_soon_threadsafe(send)

    def stop(self):
        if self.loop is None:
            return
        done = threading.Event()

        def disconnect():
            self.client.disconnect(wait=1.0)
            self.loop.call_later(1.5, done.set)
        self.loop.call_soon_threadsafe(disconnect)
        done.wait(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# The application


_display = None


def hold_display():
    """Keeps one X connection open for the whole test. An X server resets
    when its last client disconnects, and a client that connects during
    the reset gets "cannot open display": talk, started right after the
    accessibility bus launcher or a screenshot let go of the display."""
    global _display
    if _display is None:
        _display = wait_for(lambda: Gdk.Display.open(os.environ['DISPLAY']),
                            SHORT, 'a connection to the X display')


class Talk:
    """The talk binary, run as a user starts it."""

    def __init__(self, binary, env, log_path, args=()):
        self.binary = binary
        self.env = env
        self.log_path = log_path
        self.log = open(log_path, 'ab')
        self.start = self.log.tell()
        self.process = subprocess.Popen([binary, *args], env=env,
                                        stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=self.log)
        self.pid = self.process.pid

    def output(self):
        """What this run of talk printed so far."""
        with open(self.log_path, 'rb') as f:
            f.seek(self.start)
            return f.read().decode('utf-8', 'replace')

    def running(self):
        return self.process.poll() is None

    def wait_exit(self, timeout=SHORT):
        try:
            return self.process.wait(deadline(timeout))
        except subprocess.TimeoutExpired:
            raise Timeout('talk did not exit') from None

    def kill(self):
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def run_again(self, *args, timeout=SHORT):
        """Runs a second `talk` with @args, as from a terminal or a
        launcher; returns (status, stdout, stderr)."""
        result = subprocess.run([self.binary, *args], env=self.env,
                                stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=deadline(timeout))
        return result.returncode, result.stdout, result.stderr

    def check_running(self):
        """Fails at once, with what talk printed, when it is gone."""
        if not self.running():
            raise AssertionError(f'talk exited with status {self.process.returncode}:\n'
                                 f'{self.output()[-2000:]}')
        return True

    def accessible(self, timeout=LONG):
        """The application's root in the AT-SPI tree."""
        def lookup():
            self.check_running()
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                app = desktop.getChildAtIndex(i)
                if app is not None and app.get_process_id() == self.pid:
                    return app
            return None
        return wait_for(lookup, timeout, 'talk on the accessibility bus')


# AT-SPI


def walk(root):
    """Every accessible under @root, breadth first."""
    queue = [root]
    while queue:
        node = queue.pop(0)
        yield node
        try:
            children = [node.getChildAtIndex(i) for i in range(node.childCount)]
        except Exception:
            continue
        queue.extend(c for c in children if c is not None)


def role_name(node):
    try:
        return node.getRoleName()
    except Exception:
        return ''


def is_shown(node):
    """On screen: GTK 4.8 gives unmapped widgets an empty extent."""
    try:
        # Window coordinates: GTK has no screen coordinates to give.
        extents = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    except Exception:
        return False
    return extents.width > 0 and extents.height > 0


def _matches(value, pattern):
    if pattern is None:
        return True
    if callable(pattern):
        return pattern(value)
    if isinstance(pattern, re.Pattern):
        return pattern.search(value or '') is not None
    return value == pattern


def find_all(root, role=None, name=None, description=None, shown=True):
    found = []
    for node in walk(root):
        try:
            if role is not None and role_name(node) != role:
                continue
            if not _matches(node.name, name):
                continue
            if not _matches(node.description, description):
                continue
        except Exception:
            continue
        if shown and not is_shown(node):
            continue
        found.append(node)
    return found


def find(root, role=None, name=None, description=None, shown=True,
         timeout=SHORT):
    """Waits for one accessible with @role and @name (a string, a compiled
    regular expression or a predicate) and returns the first found."""
    what = f'[{role}] {name.pattern if isinstance(name, re.Pattern) else name!r}'

    def lookup():
        nodes = find_all(root, role, name, description, shown)
        return nodes[0] if nodes else None
    return wait_for(lookup, timeout, what)


def describe(root, shown=True):
    """A readable dump of the tree, for failure diagnostics."""
    lines = []
    for node in walk(root):
        if shown and not is_shown(node):
            continue
        try:
            lines.append(f'[{role_name(node)}] {node.name!r} {node.description!r}')
        except Exception:
            pass
    return '\n'.join(lines)


# Roles a person acts on; each needs a name for screen readers.
INTERACTIVE_ROLES = {
    'push button', 'toggle button', 'check box', 'radio button', 'text',
    'entry', 'password text', 'combo box', 'spin button', 'slider', 'link',
    'menu item', 'check menu item', 'radio menu item', 'page tab',
    'switch',
}


def unlabelled(root):
    """The shown widgets under @root a person can act on that have no
    accessible name: '[role] description' for each."""
    found = []
    for node in walk(root):
        try:
            role = role_name(node)
            # GTK names a widget without a label after its type.
            if role not in INTERACTIVE_ROLES or \
                    (node.name and not re.match(r'^(Gtk|Adw)[A-Z]\w*$', node.name)):
                continue
            state = node.getState()
            if not state.contains(pyatspi.STATE_SENSITIVE):
                continue
            parent = node.parent
            # GtkText inside an entry that carries the name.
            if role == 'text' and parent is not None and parent.name and \
                    role_name(parent) in INTERACTIVE_ROLES | {'panel', 'filler'}:
                continue
            description = node.description
        except Exception:
            continue
        if is_shown(node):
            found.append(f'[{role}] {description!r} in [{role_name(node.parent)}] '
                         f'{node.parent.name!r}')
    return found


def _actionable(node):
    """@node, or for a widget that wraps its button (a GtkMenuButton) the
    first descendant of the same name that has an action."""
    for candidate in walk(node):
        try:
            if candidate.name == node.name and candidate.queryAction().nActions > 0:
                return candidate
        except NotImplementedError:
            continue
    return node


def click(node):
    """Activates a button the way assistive technologies do."""
    action = _actionable(node).queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    for wanted in ('click', 'activate', 'press', 'toggle'):
        if wanted in names:
            action.doAction(names.index(wanted))
            return
    if not names:
        raise AssertionError(f'{node.name!r} has no action')
    action.doAction(0)


KEY_RETURN = 0xff0d
KEY_TAB = 0xff09


KEY_F = 0x0066
CONTROL_MASK = 1 << 2


def press_key(keysym, modifiers=0):
    """Presses and releases one key (an X keysym) on the focused widget,
    with @modifiers (an X modifier mask) held."""
    registry = pyatspi.Registry
    if modifiers:
        registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_LOCKMODIFIERS)
    try:
        registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)
    finally:
        if modifiers:
            registry.generateKeyboardEvent(modifiers, None, pyatspi.KEY_UNLOCKMODIFIERS)


def keyboard_to(window, node, tries=40):
    """Moves the keyboard focus to @node with Tab, as a keyboard user does
    (GTK 4.8 does not implement the Component GrabFocus call)."""
    # Without a window manager, X gives the keyboard to the window under
    # the pointer; every window of these tests opens at the origin.
    pyatspi.Registry.generateMouseEvent(60, 60, 'abs')
    for _ in range(tries):
        if node.getState().contains(pyatspi.STATE_FOCUSED):
            return
        press_key(KEY_TAB)
        try:
            wait_for(lambda: node.getState().contains(pyatspi.STATE_FOCUSED),
                     0.5, 'focus', interval=0.05)
            return
        except Timeout:
            pass
    raise Timeout(f'Tab never reached {node.name!r}')


def activate_row(window, node):
    """Activates a list row, which has no accessible action in GTK 4.8:
    Tab to it and press Enter."""
    keyboard_to(window, node)
    press_key(KEY_RETURN)


def type_text(node, text):
    """Replaces the text of an entry: through EditableText when the widget
    takes it, else by focusing it and typing key by key."""
    try:
        editable = node.queryEditableText()
        if editable.setTextContents(text):
            return
    except NotImplementedError:
        pass
    keyboard_to(None, node)
    for character in text:
        pyatspi.Registry.generateKeyboardEvent(0, character, pyatspi.KEY_STRING)
        time.sleep(0.02)


def text_of(node):
    try:
        t = node.queryText()
        return t.getText(0, t.characterCount)
    except NotImplementedError:
        return None


def screenshot(path):
    """The whole X screen, as a person sees it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(['import', '-window', 'root', path], check=False,
                   stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Setup


def app_env(source_dir, build_dir, extra=None):
    """The environment `talk` runs in: the test session's, with the
    compiled schema of this build."""
    env = dict(os.environ)
    env['GSETTINGS_SCHEMA_DIR'] = os.path.join(build_dir, 'data')
    # The app never needs these; make sure a demo never leaks in.
    for name in list(env):
        if name.startswith('TALK_DEMO_'):
            del env[name]
    if extra:
        env.update(extra)
    return env


def private_dirs(name):
    """Fresh XDG directories for one test, inside the session's HOME (so
    checks on HOME cover them) and apart from the other tests of the run,
    which share that HOME and its keyring."""
    home = os.environ['HOME']
    base = os.path.join(home, name)
    shutil.rmtree(base, ignore_errors=True)
    dirs = {}
    for variable, sub in (('XDG_CONFIG_HOME', 'config'), ('XDG_DATA_HOME', 'data'),
                          ('XDG_CACHE_HOME', 'cache'), ('XDG_STATE_HOME', 'state')):
        path = os.path.join(base, sub)
        os.makedirs(path)
        dirs[variable] = path
    return dirs


def keyring_clear(jid):
    """Removes the keyring item of src/core/talk-keyring.c for @jid."""
    subprocess.run(['secret-tool', 'clear', 'jid', jid], check=False,
                   stdin=subprocess.DEVNULL, capture_output=True)


def keyring_lookup(jid):
    result = subprocess.run(['secret-tool', 'lookup', 'jid', jid],
                            capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    return result.stdout if result.returncode == 0 else None


def keyring_store(jid, password):
    """Stores @password as Talk does; it goes through stdin, never argv."""
    subprocess.run(['secret-tool', 'store', f'--label=Talk account {jid}',
                    'xdg:schema', 'com.example.Talk.Account', 'jid', jid],
                   input=password, text=True, check=True, capture_output=True)


def build_dir_for(binary):
    """The build tree that holds @binary (BUILD/src/ui/talk)."""
    return os.environ.get('TALK_BUILD_DIR') or \
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(binary))))


def scratch_dir(build_dir, name):
    """A fresh directory for one run's server, logs and screenshots: in
    the build tree, outside the test HOME (which must hold no password)."""
    base = os.path.join(build_dir, 'tests', 'ui', name)
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    return base


def server_dir():
    """Prosody's directory: short (Unix socket paths) and outside HOME."""
    return tempfile.mkdtemp(prefix='talk-gui-server-')


def main_guard(function):
    """Runs @function(tap-less) and turns an unexpected exception into a
    TAP bail out with the traceback, so the harness reports it."""
    # The harness ends a test that runs too long with SIGTERM: unwind, so
    # that the finally blocks stop the server, the peers and talk.
    def terminated(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, terminated)
    try:
        hold_display()
        status = function()
    except Stop:
        status = 1
    except Exception:
        print('Bail out! unexpected error', flush=True)
        for line in traceback.format_exc().splitlines():
            print(f'# {line}', flush=True)
        status = 1
    sys.exit(status)


# Chats: an account set up as a sign-in leaves it, the desktop's
# notification server, a peer that speaks chat markers and receipts, and
# a server that goes down and comes back.


def gsettings(env, *args):
    subprocess.run(['gsettings', *args], env=env, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)


def set_up_account(env, server, name='chattest', jid='alice@localhost'):
    """The state an earlier sign-in leaves: the account in settings, its
    certificate pinned, its password in the keyring."""
    path = f'/com/example/Talk/accounts/{name}/'
    schema = f'com.example.Talk.Account:{path}'
    gsettings(env, 'set', 'com.example.Talk', 'accounts', f"['{name}']")
    gsettings(env, 'set', schema, 'jid', jid)
    gsettings(env, 'set', schema, 'host', '127.0.0.1')
    gsettings(env, 'set', schema, 'port', str(server.port))
    gsettings(env, 'set', schema, 'pinned-certificate', server.fingerprint)
    keyring_store(jid, server.alice_password)


def _demo_server_running(directory):
    try:
        with open(os.path.join(directory, 'prosody.pid')) as f:
            pid = int(f.read().strip() or 0)
    except (OSError, ValueError):
        return None
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            if b'prosody' not in f.read():
                return None
    except OSError:
        return None
    return pid


def demo_server_halt(server):
    """Stops the server and keeps its directory, accounts and archive."""
    script_dir = os.path.dirname(server.script)
    subprocess.run([os.path.join(script_dir, 'demo-server.sh'), 'stop', server.dir],
                   check=False, stdin=subprocess.DEVNULL)
    wait_for(lambda: _demo_server_running(server.dir) is None, SHORT,
             'the server to stop')


def demo_server_resume(server):
    """Starts the halted server again from the same directory, so on the
    same ports, with the same certificate and data. demo-server.sh start
    makes a fresh server; the config it wrote stays valid."""
    log = os.path.join(server.dir, 'prosody.log')
    offset = os.path.getsize(log) if os.path.exists(log) else 0
    config = os.path.join(server.dir, 'prosody.cfg.lua')
    with open(os.path.join(server.dir, 'prosody.out'), 'ab') as out:
        subprocess.Popen(['prosody', '--config', config, '-F'],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                         start_new_session=True)
    wanted = f"Activated service 'c2s' on [127.0.0.1]:{server.port}"

    def listening():
        with open(log, 'rb') as f:
            f.seek(offset)
            fresh = f.read().decode('utf-8', 'replace')
        if 'Failed to open server port' in fresh:
            raise AssertionError(f'port {server.port} is taken: {fresh[-500:]}')
        return wanted in fresh
    wait_for(listening, SHORT, 'the server to listen again')


class NotificationServer:
    """org.freedesktop.Notifications on the session bus, as a desktop
    shell provides it, on a thread of its own so that it answers while the
    test waits on something else. GApplication's freedesktop backend
    talks to it when nobody owns org.gtk.Notifications."""

    NAME = 'org.freedesktop.Notifications'
    PATH = '/org/freedesktop/Notifications'
    XML = '''
<node>
  <interface name='org.freedesktop.Notifications'>
    <method name='Notify'>
      <arg name='app_name' type='s' direction='in'/>
      <arg name='replaces_id' type='u' direction='in'/>
      <arg name='app_icon' type='s' direction='in'/>
      <arg name='summary' type='s' direction='in'/>
      <arg name='body' type='s' direction='in'/>
      <arg name='actions' type='as' direction='in'/>
      <arg name='hints' type='a{sv}' direction='in'/>
      <arg name='expire_timeout' type='i' direction='in'/>
      <arg name='id' type='u' direction='out'/>
    </method>
    <method name='CloseNotification'>
      <arg name='id' type='u' direction='in'/>
    </method>
    <method name='GetCapabilities'>
      <arg name='capabilities' type='as' direction='out'/>
    </method>
    <method name='GetServerInformation'>
      <arg name='name' type='s' direction='out'/>
      <arg name='vendor' type='s' direction='out'/>
      <arg name='version' type='s' direction='out'/>
      <arg name='spec_version' type='s' direction='out'/>
    </method>
    <signal name='NotificationClosed'>
      <arg name='id' type='u'/>
      <arg name='reason' type='u'/>
    </signal>
    <signal name='ActionInvoked'>
      <arg name='id' type='u'/>
      <arg name='action_key' type='s'/>
    </signal>
  </interface>
</node>
'''

    def __init__(self):
        from gi.repository import Gio, GLib
        self._gio = Gio
        self._glib = GLib
        self.lock = threading.Condition()
        self.shown = []      # dicts: id, summary, body, actions, hints
        self.closed = []     # ids the app withdrew
        self._next_id = 1
        self._ready = threading.Event()
        self._acquired = False
        self._error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self._ready.wait(deadline(SHORT)) or not self._acquired:
            raise Timeout(f'no notification server: {self._error}')

    def _run(self):
        Gio, GLib = self._gio, self._glib
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()
        self.loop = GLib.MainLoop.new(self.context, False)
        try:
            address = Gio.dbus_address_get_for_bus_sync(Gio.BusType.SESSION, None)
            self.connection = Gio.DBusConnection.new_for_address_sync(
                address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
                Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
            info = Gio.DBusNodeInfo.new_for_xml(self.XML).interfaces[0]
            self.registration = self.connection.register_object(
                self.PATH, info, self._method_call, None, None)
            reply = self.connection.call_sync(
                'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                'RequestName', GLib.Variant('(su)', (self.NAME, 4)),  # DO_NOT_QUEUE
                GLib.VariantType.new('(u)'), Gio.DBusCallFlags.NONE, -1, None)
            self._acquired = reply.unpack()[0] == 1  # PRIMARY_OWNER
            if not self._acquired:
                self._error = f'{self.NAME} has another owner'
        except Exception as e:  # reported by __init__
            self._error = e
        self._ready.set()
        if self._acquired:
            self.loop.run()
        self.context.pop_thread_default()

    def _method_call(self, _connection, _sender, _path, _interface, method,
                     parameters, invocation):
        GLib = self._glib
        if method == 'Notify':
            (app_name, replaces_id, _icon, summary, body, actions, hints,
             _timeout) = parameters.unpack()
            with self.lock:
                notification_id = replaces_id or self._next_id
                if not replaces_id:
                    self._next_id += 1
                self.shown.append({'id': notification_id, 'app': app_name,
                                   'summary': summary, 'body': body,
                                   'actions': actions, 'hints': hints})
                self.lock.notify_all()
            invocation.return_value(GLib.Variant('(u)', (notification_id,)))
        elif method == 'CloseNotification':
            with self.lock:
                self.closed.append(parameters.unpack()[0])
                self.lock.notify_all()
            invocation.return_value(None)
        elif method == 'GetCapabilities':
            invocation.return_value(GLib.Variant('(as)', (['body', 'actions'],)))
        elif method == 'GetServerInformation':
            invocation.return_value(GLib.Variant('(ssss)', ('talktest', 'Talk tests',
                                                            '1.0', '1.2')))
        else:
            invocation.return_dbus_error('org.freedesktop.DBus.Error.UnknownMethod',
                                         method)

    def wait_shown(self, predicate, timeout=LONG, what='a notification', since=0):
        """The first notification shown that @predicate accepts, from the
        @since-th on."""
        end = time.monotonic() + deadline(timeout)
        with self.lock:
            while True:
                for notification in self.shown[since:]:
                    if predicate(notification):
                        return notification
                remaining = end - time.monotonic()
                if remaining <= 0:
                    raise Timeout(f'no {what}; shown: {self.shown}')
                self.lock.wait(remaining)

    def invoke(self, notification_id, action='default'):
        """A click on the notification (or one of its buttons)."""
        GLib = self._glib
        self.connection.emit_signal(None, self.PATH, self.NAME, 'ActionInvoked',
                                    GLib.Variant('(us)', (notification_id, action)))
        # A click closes the notification (reason 2: dismissed by the user).
        self.connection.emit_signal(None, self.PATH, self.NAME, 'NotificationClosed',
                                    GLib.Variant('(uu)', (notification_id, 2)))

    def stop(self):
        if not self._acquired:
            return
        GLib = self._glib

        def quit(*_args):
            self.connection.unregister_object(self.registration)
            self.connection.call_sync(
                'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                'ReleaseName', GLib.Variant('(s)', (self.NAME,)),
                GLib.VariantType.new('(u)'), self._gio.DBusCallFlags.NONE, -1, None)
            self.connection.close_sync(None)
            self.loop.quit()
            return False
        source = GLib.idle_source_new()
        source.set_callback(quit)
        source.attach(self.context)
        self.thread.join(5)


CHATSTATES = 'http://jabber.org/protocol/chatstates'
RECEIPTS = 'urn:xmpp:receipts'
MARKERS = 'urn:xmpp:chat-markers:0'


class ChatPeer(Peer):
    """A Peer that keeps every message from the watched JID as a dict
    (id, type, body, and which extensions it carries) and sends messages
    stanza by stanza, as a client that speaks receipts (XEP-0184), chat
    states (XEP-0085) and markers (XEP-0333) does."""

    def __init__(self, *args, **kwargs):
        self.stanzas = []
        self.sent_ids = {}       # body → id of the last message sent with it
        self.last_sent_id = None
        self._serial = 0
        super().__init__(*args, **kwargs)

    def _set_up(self, client):
        # slixmpp's "message" event skips messages without a body, which
        # is what chat states, receipts and markers are.
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        client.register_handler(Callback('every message',
                                         MatchXPath('{jabber:client}message'),
                                         self._any_message))

    def _message(self, message):
        """Kept by _any_message instead."""

    def _any_message(self, message):
        if message['from'].bare != self.watch:
            return
        xml = message.xml
        record = {
            'id': message['id'],
            'from': str(message['from']),
            'type': message['type'],
            'body': message['body'] if xml.find('{jabber:client}body') is not None else None,
            'request': xml.find(f'{{{RECEIPTS}}}request') is not None,
            'markable': xml.find(f'{{{MARKERS}}}markable') is not None,
            'displayed': None,
            'states': [child.tag.split('}')[1] for child in xml
                       if child.tag.startswith(f'{{{CHATSTATES}}}')],
        }
        displayed = xml.find(f'{{{MARKERS}}}displayed')
        if displayed is not None:
            record['displayed'] = displayed.get('id')
        origin = xml.find('{urn:xmpp:sid:0}origin-id')
        record['origin_id'] = origin.get('id') if origin is not None else None
        with self.lock:
            self.stanzas.append(record)
            if record['body'] is not None:
                self.messages.append(record['body'])
            self.lock.notify_all()

    def wait_message(self, predicate, timeout=LONG, what='a message'):
        """The first message kept that @predicate (a dict) accepts."""
        end = time.monotonic() + deadline(timeout)
        with self.lock:
            while True:
                for record in self.stanzas:
                    if predicate(record):
                        return record
                remaining = end - time.monotonic()
                if remaining <= 0:
                    raise Timeout(f'{self.jid} saw no {what}; got '
                                  f'{[{k: (v[:80] if isinstance(v, str) else v) for k, v in r.items()} for r in self.stanzas]}')
                self.lock.wait(remaining)

    def count_bodies(self, body):
        with self.lock:
            return sum(1 for r in self.stanzas if r['body'] == body)

    def next_id(self):
        self._serial += 1
        return f'talktest-{self._serial}-{int(time.time() * 1000)}'

    def send_stanza(self, xml):
        """Sends raw XML on the peer's stream, from the test's thread."""
        sent = threading.Event()

        def send():
            self.client.send_raw(xml)
            sent.set()
        self.loop.call_soon_threadsafe(send)
        if not sent.wait(deadline(SHORT)):
            raise Timeout('the peer did not send')

    def send_chat(self, to, body=None, *, state='active', request=False,
                  markable=False, received=None, displayed=None, msg_id=None):
        """A chat message to @to; returns its id."""
        from xml.sax.saxutils import escape, quoteattr
        msg_id = msg_id or self.next_id()
        parts = [f"<message to={quoteattr(to)} type='chat' id={quoteattr(msg_id)}>"]
        if body is not None:
            parts.append(f'<body>{escape(body)}</body>')
        if state:
            parts.append(f"<{state} xmlns='{CHATSTATES}'/>")
        if request:
            parts.append(f"<request xmlns='{RECEIPTS}'/>")
        if markable:
            parts.append(f"<markable xmlns='{MARKERS}'/>")
        if received:
            parts.append(f"<received xmlns='{RECEIPTS}' id={quoteattr(received)}/>")
        if displayed:
            parts.append(f"<displayed xmlns='{MARKERS}' id={quoteattr(displayed)}/>")
        parts.append('</message>')
        self.send_stanza(''.join(parts))
        if body is not None:
            self.sent_ids[body] = msg_id
            self.last_sent_id = msg_id
        return msg_id
