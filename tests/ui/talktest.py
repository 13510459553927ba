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
        self.client = client
        client.connect(('127.0.0.1', self.server.port))
        self.loop.run_forever()
        # Let slixmpp's own tasks end before the loop closes.
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

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


def press_key(keysym):
    """Presses and releases one key (an X keysym) on the focused widget."""
    pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM)


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
