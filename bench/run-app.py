# SPDX-License-Identifier: GPL-3.0-or-later
"""W4 of bench/README.md: the app under X, beside a bare GTK 4 window.

A private Prosody (bench/run-xmpp.py's, with the same seeding) holds one
account whose roster has CONTACTS contacts. Each run, for each renderer
(GTK's choice, GL under Xvfb, and GSK_RENDERER=cairo), starts in turn:

  bench-hello-gtk  a bare AdwApplication window: first frame, RSS
  bench-app        the app's own TalkApplication in demo mode for that
                   account: first frame and RSS with the server stopped
                   (SIGSTOP, so the start is measured alone), then the
                   server continued: roster result to the first frame
                   with rows, RSS with the contacts listed, and again
                   10 s later
  talk             the real binary, same account: when its window is
                   mapped (polled with xwininfo) and its RSS once its CPU
                   time stops growing, as a check on bench-app

Each gets a fresh XDG folder (so the roster cache is empty: a first
sign-in) but Mesa's shader cache of the earlier runs, settings in memory,
and its start time in BENCH_START_NS
(CLOCK_MONOTONIC, just before it is started). Run it with a display and a
session bus, as bench/run.sh does:

  xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- \\
    /usr/bin/python3 bench/run-app.py --build BUILD_DIR [--runs 5] [--contacts 5000]
"""

import argparse
import importlib.util
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# bench/run-xmpp.py is a script (its name has a dash): load it by path.
_spec = importlib.util.spec_from_file_location("run_xmpp", os.path.join(ROOT, "bench", "run-xmpp.py"))
run_xmpp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_xmpp)

ACCOUNT = "benchw4"
RENDERERS = [("gl", None), ("cairo", "cairo")]
TIMEOUT = 180
SHADER_CACHE = tempfile.mkdtemp(prefix="talk-bench-mesa-")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def number(pattern, text):
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"no /{pattern}/ in:\n{text}")
    return float(match.group(1))


class Run:
    """One process with a private XDG folder and its start stamp."""

    def __init__(self, argv, renderer, extra_env=None, capture=True):
        self.dir = tempfile.mkdtemp(prefix="talk-bench-app-")
        env = dict(os.environ)
        for name in ("DATA", "CACHE", "STATE", "CONFIG"):
            path = os.path.join(self.dir, name.lower())
            os.makedirs(path)
            env[f"XDG_{name}_HOME"] = path
        env["GSETTINGS_BACKEND"] = "memory"
        # Mesa's compiled shaders live in the cache folder: shared by all
        # runs (warmed by the first, uncounted ones), as on a desktop where
        # the program ran before.
        env["MESA_SHADER_CACHE_DIR"] = SHADER_CACHE
        env.pop("GSK_RENDERER", None)
        if renderer is not None:
            env["GSK_RENDERER"] = renderer
        env.update(extra_env or {})
        env["BENCH_START_NS"] = str(time.clock_gettime_ns(time.CLOCK_MONOTONIC))
        self.started = time.monotonic()
        # stderr to a file: a pipe nobody reads could fill and stop it.
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        try:
            self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                                            stderr=self.stderr, text=True)
        except OSError:
            self.stderr.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def errors(self):
        self.stderr.seek(0)
        return self.stderr.read()[-4000:]

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def demo_env(args, prosody, password_file):
    return {"GSETTINGS_SCHEMA_DIR": os.path.join(args.build, "data"),
            "TALK_DEMO_JID": f"{ACCOUNT}@localhost", "TALK_DEMO_HOST": "127.0.0.1",
            "TALK_DEMO_PORT": str(prosody.port), "TALK_DEMO_FINGERPRINT": prosody.fingerprint,
            "TALK_DEMO_PASSWORD_FILE": password_file}


def hello(args, renderer):
    run = Run([os.path.join(args.build, "bench", "bench-hello-gtk")], renderer)
    try:
        out, _ = run.process.communicate(timeout=TIMEOUT)
        if run.process.returncode != 0:
            raise RuntimeError(f"bench-hello-gtk failed:\n{run.errors()}")
        return {"frame_ms": number(r"first frame at ([\d.]+) ms", out),
                "rss_mb": number(r"RSS ([\d.]+) MB", out),
                "anon_mb": number(r"anonymous ([\d.]+) MB", out),
                "renderer": re.search(r"renderer (\S+)", out).group(1)}
    finally:
        run.close()


def app(args, prosody, renderer, password_file):
    # Stopped until the window has settled: the start alone, then sign-in.
    os.kill(prosody.process.pid, signal.SIGSTOP)
    run = Run([os.path.join(args.build, "bench", "bench-app"), str(args.contacts)], renderer,
              demo_env(args, prosody, password_file))
    out = []
    try:
        for text in run.process.stdout:
            out.append(text)
            if text.startswith("app: started"):
                break
        os.kill(prosody.process.pid, signal.SIGCONT)
        rest, _ = run.process.communicate(timeout=TIMEOUT)
        out = "".join(out) + rest
        if run.process.returncode != 0:
            raise RuntimeError(f"bench-app failed ({run.process.returncode}):\n{out}\n{run.errors()}")
        return {"frame_ms": number(r"first frame at ([\d.]+) ms", out),
                "rss_start_mb": number(r"MB at the first frame, ([\d.]+) MB after", out),
                "rss_signed_in_mb": number(r"signed in: RSS ([\d.]+) MB", out),
                "anon_start_mb": number(r"first\)? \(anonymous ([\d.]+) MB", out),
                "anon_signed_in_mb": number(r"rows shown \(anonymous ([\d.]+) MB", out),
                "rss_idle_mb": number(r"idle: RSS ([\d.]+) MB", out),
                "result_rows_ms": number(r"first frame with rows ([\d.]+) ms after the result", out),
                "model_frame_ms": number(r"([\d.]+) ms after the model", out),
                "result_model_ms": number(r"in the model at ([\d.]+) ms", out)
                - number(r"result parsed at ([\d.]+) ms", out),
                "renderer": re.search(r"renderer (\S+)", out).group(1)}
    finally:
        os.kill(prosody.process.pid, signal.SIGCONT)
        run.close()


def proc_cpu_and_rss(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / run_xmpp.CLK_TCK
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for text in f:
            if text.startswith("VmRSS:"):
                rss = int(text.split()[1]) / 1024
    return cpu, rss


def window_mapped():
    """A window of class "talk", viewable (xwininfo)."""
    out = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        match = re.match(r'\s*(0x[0-9a-f]+) .*\("talk" ', line)
        if match is None:
            continue
        info = subprocess.run(["xwininfo", "-id", match.group(1)],
                              capture_output=True, text=True).stdout
        if "IsViewable" in info:
            return True
    return False


def real_talk(args, prosody, renderer, password_file):
    """The installed program as a person starts it: only what can be seen
    from outside."""
    run = Run([os.path.join(args.build, "src", "ui", "talk")], renderer,
              demo_env(args, prosody, password_file), capture=False)
    try:
        mapped = None
        deadline = time.monotonic() + 30
        while mapped is None and time.monotonic() < deadline:
            if window_mapped():
                mapped = time.monotonic() - run.started
            else:
                time.sleep(0.01)
        # Signed in and listed: the CPU time stops growing for a second.
        last_cpu, quiet_since = -1, None
        while time.monotonic() < deadline:
            cpu, rss = proc_cpu_and_rss(run.process.pid)
            if cpu != last_cpu:
                last_cpu, quiet_since = cpu, time.monotonic()
            elif time.monotonic() - quiet_since >= 1.0 and time.monotonic() - run.started > 2:
                break
            time.sleep(0.1)
        run.process.send_signal(signal.SIGTERM)
        return {"mapped_ms": mapped * 1000 if mapped is not None else float("nan"),
                "rss_settled_mb": rss, "cpu_s": last_cpu}
    finally:
        run.close()


def summary(values):
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--no-real", action="store_true", help="skip the real talk binary")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        log("run-app.py: needs a display and a session bus (see its first lines)")
        return 1

    prosody = run_xmpp.Prosody(args.contacts, [ACCOUNT])
    results = {name: [] for name, _ in RENDERERS}
    try:
        password_file = os.path.join(prosody.dir, "password")
        with open(os.open(password_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(prosody.password + "\n")
        log(f"Prosody on port {prosody.port}, {args.contacts} contacts for {ACCOUNT}@localhost")
        # Once each, not counted: the accessibility bus starts with the
        # first GTK program, and the files come into the page cache.
        for _, renderer in RENDERERS:
            hello(args, renderer)
            app(args, prosody, renderer, password_file)
        for i in range(1, args.runs + 1):
            for name, renderer in RENDERERS:
                row = {"hello": hello(args, renderer),
                       "app": app(args, prosody, renderer, password_file)}
                if not args.no_real:
                    row["talk"] = real_talk(args, prosody, renderer, password_file)
                results[name].append(row)
                log(f"run {i} {name}: {row}")
    finally:
        prosody.close()
        shutil.rmtree(SHADER_CACHE, ignore_errors=True)

    print(f"\n## W4: {args.runs} runs, {args.contacts} contacts, median (min–max)\n")
    columns = [
        ("bare window: first frame ms", lambda r: r["hello"]["frame_ms"]),
        ("Talk: first frame ms", lambda r: r["app"]["frame_ms"]),
        ("bare window: RSS MB", lambda r: r["hello"]["rss_mb"]),
        ("Talk at start: RSS MB", lambda r: r["app"]["rss_start_mb"]),
        ("over the bare window", lambda r: r["app"]["rss_start_mb"] - r["hello"]["rss_mb"]),
        ("Talk signed in: RSS MB", lambda r: r["app"]["rss_signed_in_mb"]),
        ("over the bare window", lambda r: r["app"]["rss_signed_in_mb"] - r["hello"]["rss_mb"]),
        ("10 s later: over the bare window", lambda r: r["app"]["rss_idle_mb"] - r["hello"]["rss_mb"]),
        ("anonymous: over the bare window at start", lambda r: r["app"]["anon_start_mb"] - r["hello"]["anon_mb"]),
        ("signed in", lambda r: r["app"]["anon_signed_in_mb"] - r["hello"]["anon_mb"]),
        ("roster result parsed → model ms", lambda r: r["app"]["result_model_ms"]),
        ("model → first frame ms", lambda r: r["app"]["model_frame_ms"]),
        ("roster result parsed → first frame with rows ms", lambda r: r["app"]["result_rows_ms"]),
    ]
    if not args.no_real:
        columns += [
            ("talk binary: window mapped ms", lambda r: r["talk"]["mapped_ms"]),
            ("talk binary: RSS settled MB", lambda r: r["talk"]["rss_settled_mb"]),
        ]
    print("| renderer | " + " | ".join(label for label, _ in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, _ in RENDERERS:
        rows = results[name]
        renderer = rows[0]["app"]["renderer"] if rows else "?"
        cells = [summary([get(r) for r in rows]) for _, get in columns]
        print(f"| {name} ({renderer}) | " + " | ".join(cells) + " |")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
