# SPDX-License-Identifier: GPL-3.0-or-later
"""W1–W3 of bench/README.md: Talk and two reference clients, side by side.

Each round starts a private Prosody on loopback (the test fixture's config,
tests/fixtures/prosody.cfg.lua.in) with one account per client and workload,
each with a roster of CONTACTS contacts written straight into Prosody's
storage, and runs, for every client:

  W1 sign-in   login until the roster is in and the presence out
  W2 burst     MESSAGES chat messages pushed (a) live and (b) while the
               client is stopped (SIGSTOP), then continued
  W3 idle      IDLE seconds online, all clients at once

The clients all print the same lines (talk-probe --bench,
bench/ref/strophe-client, bench/ref/slixmpp-client.py). CPU comes from
wait4() and /proc, peak RSS from the client's VmHWM in /proc; wakeups are
the context switches of all the client's threads
(/proc/PID/task/*/status). Run with /usr/bin/python3:

  bench/run-xmpp.py --build BUILD_DIR [--runs 5] [--contacts 5000]
                    [--messages 10000] [--idle 30]
"""

import argparse
import base64
import os
import queue
import re
import resource
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "tests", "fixtures", "prosody.cfg.lua.in")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

FIRST = ["Anna", "Bruno", "Chloé", "David", "Elif", "Farid", "Greta", "Hugo",
         "Ines", "Jonas", "Kaito", "Lena", "Marek", "Nora", "Oskar", "Priya",
         "Quentin", "Rosa", "Sven", "Tomás"]
LAST = ["Adams", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García",
        "Horvat", "Ivanova", "Jensen", "Kowalski", "Larsen", "Moreau",
        "Novak", "O'Brien", "Petrov"]
GROUPS = ["Family", "Friends", "Work", "Team", "Neighbours", "Club",
          "School", "Music", "Football", "Travel"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- Prosody

class Prosody:
    """A private Prosody in a temp dir, killed by pid when done."""

    def __init__(self, contacts, accounts):
        self.dir = tempfile.mkdtemp(prefix="talk-bench-prosody-")
        self.password = secrets.token_hex(12)
        self.process = None
        self.cert = os.path.join(self.dir, "localhost.crt")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
             "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
             "-keyout", os.path.join(self.dir, "localhost.key"),
             "-out", self.cert],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(["openssl", "x509", "-in", self.cert, "-noout",
                              "-fingerprint", "-sha256"],
                             check=True, capture_output=True, text=True).stdout
        self.fingerprint = out.strip().split("=", 1)[1]
        self.port, self.direct_port = free_ports()
        self.write_config()
        self.seed(contacts, accounts)
        self.start()

    def write_config(self):
        with open(TEMPLATE) as f:
            text = f.read()
        for key, value in (("@DIR@", self.dir), ("@PORT@", str(self.port)),
                           ("@DIRECT_TLS_PORT@", str(self.direct_port)),
                           ("@AUTHENTICATION@", "internal_hashed"),
                           ("@TLS_PROTOCOL@", "tlsv1_2+")):
            text = text.replace(key, value)
        # The pusher sends every W2 burst, and mod_mam archives what it
        # sends: after the first 10 000 messages its archive is at
        # mod_storage_internal's quota (storage_archive_item_limit,
        # 10 000), and from then on mod_mam rewrites the whole archive
        # every 100 messages to make room (a "cleaning" and a
        # "truncating" pass of 10 000 items each, seconds apiece on a
        # loaded machine). The next burst of 10 000 then takes minutes
        # to route, whoever receives it: the server's limit, not the
        # client's. No account comes near this limit.
        text = text.replace('VirtualHost "localhost"',
                            "storage_archive_item_limit = 10000000\n\n"
                            'VirtualHost "localhost"', 1)
        self.config = os.path.join(self.dir, "prosody.cfg.lua")
        with open(self.config, "w") as f:
            f.write(text)

    def seed(self, contacts, accounts):
        """One account made by prosodyctl, its hashed credentials copied to
        the others (SCRAM keys do not depend on the user name), and the
        rosters written in the layout of Prosody 0.12's internal storage
        (as scripts/demo-server.sh does), before the server starts."""
        data = os.path.join(self.dir, "data", "localhost")
        subprocess.run(["prosodyctl", "--config", self.config, "adduser",
                        "pusher@localhost"],
                       input=f"{self.password}\n{self.password}\n", text=True,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(data, "accounts", "pusher.dat")) as f:
            account = f.read()
        os.makedirs(os.path.join(data, "roster"), exist_ok=True)
        roster = roster_lua(contacts)
        for name in accounts:
            with open(os.path.join(data, "accounts", name + ".dat"), "w") as f:
                f.write(account)
            with open(os.path.join(data, "roster", name + ".dat"), "w") as f:
                f.write(roster)

    def start(self):
        logfile = os.path.join(self.dir, "prosody.log")
        self.process = subprocess.Popen(
            ["prosody", "--config", self.config, "-F"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        want = [f"Activated service 'c2s' on [127.0.0.1]:{self.port}",
                f"Activated service 'c2s_direct_tls' on [127.0.0.1]:{self.direct_port}"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with open(logfile, errors="replace") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            if all(w in text for w in want):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"prosody did not start; see {logfile}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_ports():
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def roster_lua(contacts):
    parts = ["return {\n\t[false] = {\n\t\t[\"version\"] = 1;\n\t\t[\"pending\"] = {};\n\t};\n"]
    for i in range(contacts):
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
        groups = [GROUPS[i % len(GROUPS)]]
        if i % 7 == 0:
            groups.append(GROUPS[(i + 3) % len(GROUPS)])
        group_text = "".join(f"\t\t\t[{lua_string(g)}] = true;\n" for g in groups)
        name_text = "" if i % 20 == 0 else f"\t\t[\"name\"] = {lua_string(name)};\n"
        parts.append(f"\t[\"contact{i:05d}@localhost\"] = {{\n{name_text}"
                     f"\t\t[\"subscription\"] = \"both\";\n"
                     f"\t\t[\"groups\"] = {{\n{group_text}\t\t}};\n\t}};\n")
    parts.append("};\n")
    return "".join(parts)


# ----------------------------------------------------------------- Pusher

class Pusher:
    """A raw-socket sender: STARTTLS, SASL PLAIN (inside TLS), bind, then
    all messages in one write, then a ping whose reply says the server
    has routed every one of them (it handles a stream in order)."""

    def __init__(self, prosody):
        self.sock = socket.create_connection(("127.0.0.1", prosody.port))
        self.buffer = b""
        self.open_stream()
        self.read_until(b"</stream:features>")
        self.sock.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        self.read_until(b"<proceed")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.load_verify_locations(prosody.cert)
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        self.buffer = b""
        self.open_stream()
        self.read_until(b"</stream:features>")
        token = base64.b64encode(b"\0pusher\0" + prosody.password.encode()).decode()
        self.sock.sendall(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                          f"mechanism='PLAIN'>{token}</auth>".encode())
        self.read_until(b"<success")
        self.buffer = b""
        self.open_stream()
        self.read_until(b"</stream:features>")
        self.sock.sendall(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                          b"<resource>pusher</resource></bind></iq>")
        self.read_until(b"</iq>")

    def open_stream(self):
        self.sock.sendall(b"<?xml version='1.0'?><stream:stream to='localhost' "
                          b"xmlns='jabber:client' "
                          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")

    def read_until(self, marker, timeout=120):
        self.sock.settimeout(timeout)
        while marker not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("the server closed the pusher's stream")
            self.buffer += data
        self.buffer = self.buffer[self.buffer.index(marker) + len(marker):]

    def push(self, to, count, tag):
        body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut lab"
        blob = "".join(f"<message to='{to}' type='chat' id='{tag}{i}'><body>{i:05d} {body}</body></message>"
                       for i in range(count)).encode()
        started = time.monotonic()
        self.sock.sendall(blob + f"<iq type='get' id='{tag}-ping' to='localhost'>"
                                 f"<ping xmlns='urn:xmpp:ping'/></iq>".encode())
        self.read_until(f"id='{tag}-ping'".encode())
        return started, time.monotonic(), len(blob) / count

    def close(self):
        try:
            self.sock.sendall(b"</stream:stream>")
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- Clients

class Client:
    """One client process: its lines with their times, its resources."""

    def __init__(self, kind, args, prosody, account, mode, messages=0):
        self.kind = kind
        jid = f"{account}@localhost"
        common = ["--host", "127.0.0.1", "--port", str(prosody.port),
                  "--pin", prosody.fingerprint, "--expect", str(args.contacts)]
        if messages:
            common += ["--messages", str(messages), "--duration", "300"]
        if kind in ("talk", "talk-session"):
            bench_mode = "session" if kind == "talk-session" else mode
            argv = [os.path.join(args.build, "src", "tools", "talk-probe"),
                    "--bench", bench_mode, "--password-stdin"] + common + [jid]
        elif kind == "libstrophe":
            argv = [os.path.join(args.build, "bench", "strophe-client"),
                    "--mode", mode, "--jid", jid] + common
        else:
            argv = ["/usr/bin/python3", os.path.join(ROOT, "bench", "ref", "slixmpp-client.py"),
                    "--mode", mode, "--jid", jid] + common
        env = dict(os.environ)
        env["GSETTINGS_SCHEMA_DIR"] = os.path.join(args.build, "data")
        self.lines = queue.Queue()
        self.seen = {}
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
        self.process.stdin.write(prosody.password + "\n")
        self.process.stdin.close()
        self.stderr = []
        self.hwm_kb = 0
        self.rusage = None
        threading.Thread(target=self.read_stdout, daemon=True).start()
        threading.Thread(target=self.read_stderr, daemon=True).start()
        threading.Thread(target=self.watch_hwm, daemon=True).start()

    def read_stdout(self):
        for text in self.process.stdout:
            parts = text.split()
            if not parts:
                continue
            if parts[0] == "EXIT":
                self.sample_hwm()
            self.lines.put((parts[0], [float(p) for p in parts[1:]]))
        self.lines.put(("<eof>", []))

    # Peak RSS is the kernel's high-water mark of the client's own memory
    # (VmHWM), read while it lives: at its EXIT line and every 20 ms.
    # wait4()'s ru_maxrss is no measure of the client: subprocess spawns
    # with vfork(), and exec() records the harness's own high-water mark
    # in the child's (a /bin/true spawned by a 200 MB Python reports
    # 210 MB), so every client showed at least this script's 21-28 MB.
    def sample_hwm(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for text in f:
                    if text.startswith("VmHWM:"):
                        self.hwm_kb = max(self.hwm_kb, int(text.split()[1]))
                        return
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass

    def watch_hwm(self):
        while self.process.returncode is None and self.rusage is None:
            self.sample_hwm()
            time.sleep(0.02)

    def peak_rss_mb(self):
        return self.hwm_kb / 1024

    def read_stderr(self):
        for text in self.process.stderr:
            self.stderr.append(text.rstrip())

    def wait_for(self, word, timeout=120):
        deadline = time.monotonic() + timeout
        while word not in self.seen:
            try:
                got, values = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"{self.kind}: no {word} in {timeout} s; "
                                   + " / ".join(self.stderr[-3:]))
            if got == "<eof>":
                raise RuntimeError(f"{self.kind}: ended before {word}; "
                                   + " / ".join(self.stderr[-3:]))
            self.seen[got] = values
        return self.seen[word]

    def reap(self, timeout=30):
        """wait4(): CPU of the whole process, all threads."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            if pid != 0:
                self.process.returncode = status
                self.rusage = usage
                return usage
            if time.monotonic() > deadline:
                self.process.kill()
            time.sleep(0.01)

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def switches(self):
        """Context switches so far, per thread (tid -> count)."""
        counts = {}
        for tid in os.listdir(f"/proc/{self.process.pid}/task"):
            try:
                with open(f"/proc/{self.process.pid}/task/{tid}/status") as f:
                    for text in f:
                        if text.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            counts[tid] = counts.get(tid, 0) + int(text.split()[1])
            except FileNotFoundError:
                pass
        return counts

    def rss_kb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for text in f:
                if text.startswith("VmRSS:"):
                    return int(text.split()[1])
        return 0


def usage_cpu(usage):
    return usage.ru_utime + usage.ru_stime


# -------------------------------------------------------------- Workloads

def w1(args, prosody, kind, account):
    client = Client(kind, args, prosody, account, "login")
    ready = client.wait_for("READY")[0]
    roster = client.wait_for("ROSTER")
    usage = client.reap()
    if roster[0] < args.contacts:
        raise RuntimeError(f"{kind}: roster of {roster[0]:.0f}, not {args.contacts}")
    return {"wall_s": ready - client.started, "roster_s": roster[1] - client.started,
            "cpu_s": usage_cpu(usage), "rss_mb": client.peak_rss_mb()}


def w2(args, prosody, pusher, kind, account, drained):
    client = Client(kind, args, prosody, account, "online", args.messages)
    try:
        return w2_run(args, pusher, client, account, drained)
    except BaseException:
        # A stopped client left behind would outlive the bench.
        client.process.send_signal(signal.SIGKILL)
        client.process.send_signal(signal.SIGCONT)
        client.reap()
        raise


def w2_run(args, pusher, client, account, drained):
    client.wait_for("READY")
    # The contacts' unavailable presences (answers to the probes) first.
    time.sleep(args.settle)
    cpu_before = client.cpu_seconds()
    tag = "d" if drained else "l"
    if drained:
        os.kill(client.process.pid, signal.SIGSTOP)
        pushed, routed, size = pusher.push(f"{account}@localhost", args.messages, tag)
        # Let the server finish writing what its queue holds.
        time.sleep(0.5)
        cpu_before = client.cpu_seconds()
        started = time.monotonic()
        os.kill(client.process.pid, signal.SIGCONT)
    else:
        pushed, routed, size = pusher.push(f"{account}@localhost", args.messages, tag)
        started = pushed
    done = client.wait_for("DONE", timeout=300)
    usage = client.reap()
    elapsed = done[1] - started
    result = {"msgs_per_s": args.messages / elapsed,
              "cpu_us_per_msg": (usage_cpu(usage) - cpu_before) * 1e6 / args.messages,
              "rss_mb": client.peak_rss_mb(), "stanza_bytes": size}
    if not drained:
        result["server_msgs_per_s"] = args.messages / (routed - pushed)
        result["lag_s"] = done[1] - routed
    return result


def switches_between(before, after):
    """Context switches between two per-thread samples. A sum over the
    threads alive at each moment went negative when a thread (GLib's pool
    lets idle workers go after 15 s) ended in between; threads that end
    in the window lose their last switches here, threads that start count
    from zero."""
    return sum(count - before.get(tid, 0) for tid, count in after.items())


def w3(args, prosody, kinds, accounts):
    clients = [Client(kind, args, prosody, account, "online")
               for kind, account in zip(kinds, accounts)]
    for client in clients:
        client.wait_for("READY")
    time.sleep(args.settle + 2)
    before = [(c.cpu_seconds(), c.switches()) for c in clients]
    time.sleep(args.idle)
    after = [(c.cpu_seconds(), c.switches(), c.rss_kb()) for c in clients]
    results = {}
    for client, b, a in zip(clients, before, after):
        client.process.terminate()
        client.reap()
        results[client.kind] = {"cpu_ms": (a[0] - b[0]) * 1000,
                                "wakeups_per_s": switches_between(b[1], a[1]) / args.idle,
                                "rss_mb": a[2] / 1024}
    return results


# ---------------------------------------------------------------- Report

def summary(values):
    return statistics.median(values), min(values), max(values)


def fmt(value):
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def report(title, results, metrics, reference="libstrophe"):
    print(f"\n### {title}\n")
    head = "| client | " + " | ".join(f"{label} median (min–max)" for _, label in metrics) + \
           " | " + " | ".join(f"{label} ÷ {reference}" for _, label in metrics) + " |"
    print(head)
    print("|" + "---|" * (1 + 2 * len(metrics)))
    for kind, runs in results.items():
        if not runs:
            continue
        cells, ratios = [], []
        for key, _ in metrics:
            med, lo, hi = summary([r[key] for r in runs])
            cells.append(f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})")
            ref_runs = results.get(reference) or []
            if ref_runs and statistics.median([r[key] for r in ref_runs]) != 0:
                ratios.append(f"{med / statistics.median([r[key] for r in ref_runs]):.2f}")
            else:
                ratios.append("–")
        print(f"| {kind} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--idle", type=int, default=30)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--clients", default="talk,talk-session,libstrophe,slixmpp")
    parser.add_argument("--workloads", default="w1,w2,w3")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    kinds = args.clients.split(",")
    workloads = args.workloads.split(",")

    w1_results = {k: [] for k in kinds}
    live = {k: [] for k in kinds}
    drained = {k: [] for k in kinds}
    idle = {k: [] for k in kinds}
    for run in range(1, args.runs + 1):
        accounts = [f"{k.replace('-', '')}{w}" for k in kinds for w in ("w1", "w2l", "w2d", "w3")]
        prosody = Prosody(args.contacts, accounts)
        log(f"run {run}/{args.runs}: Prosody on port {prosody.port} in {prosody.dir}")
        try:
            if "w1" in workloads:
                for kind in kinds:
                    w1_results[kind].append(w1(args, prosody, kind, kind.replace("-", "") + "w1"))
                    log(f"  W1 {kind}: {w1_results[kind][-1]}")
            if "w2" in workloads:
                pusher = Pusher(prosody)
                for kind in kinds:
                    live[kind].append(w2(args, prosody, pusher, kind,
                                         kind.replace("-", "") + "w2l", False))
                    log(f"  W2 live {kind}: {live[kind][-1]}")
                    drained[kind].append(w2(args, prosody, pusher, kind,
                                            kind.replace("-", "") + "w2d", True))
                    log(f"  W2 drained {kind}: {drained[kind][-1]}")
                pusher.close()
            if "w3" in workloads:
                for kind, values in w3(args, prosody, kinds,
                                       [k.replace("-", "") + "w3" for k in kinds]).items():
                    idle[kind].append(values)
                    log(f"  W3 {kind}: {values}")
        finally:
            prosody.close()

    print(f"\n## XMPP workloads: {args.runs} runs, {args.contacts} contacts, "
          f"{args.messages} messages, {args.idle} s idle")
    if "w1" in workloads:
        report("W1 sign-in (until the roster is in and the presence out)", w1_results,
               [("wall_s", "wall s"), ("cpu_s", "CPU s"), ("rss_mb", "peak RSS MB")])
    if "w2" in workloads:
        report("W2 live burst", live,
               [("msgs_per_s", "msgs/s"), ("cpu_us_per_msg", "CPU µs/msg"),
                ("lag_s", "s behind the server"), ("server_msgs_per_s", "server msgs/s")])
        report("W2 drained burst (client stopped while the server queues)", drained,
               [("msgs_per_s", "msgs/s"), ("cpu_us_per_msg", "CPU µs/msg"),
                ("rss_mb", "peak RSS MB")])
    if "w3" in workloads:
        report(f"W3 idle ({args.idle} s online)", idle,
               [("cpu_ms", "CPU ms"), ("wakeups_per_s", "wakeups/s"), ("rss_mb", "RSS MB")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
