#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts the results of a meson test run.

    tests/summarize.py [--harness-status N] BUILDDIR/meson-logs/testlog.json [...]

Each `ok` / `not ok` line of a TAP test counts as one result (`# SKIP`
apart, and so is TAP's to-do directive); any other test counts as one. A
test that crashed, timed out or ended with an error counts at least one
failure, even when its TAP output was cut short. Failed tests are listed,
and the last line is always exactly `N passed, N failed`. Exits non-zero
when anything failed. --harness-status passes on the exit status of the
`meson test` run: non-zero with no failed test counts as one failure (the
harness itself broke).
"""

import json
import os
import re
import sys

TAP_RESULT = re.compile(r'^(not ok|ok)\b[^#]*(?:#\s*(\S+)(.*))?$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)(?:\s*#\s*(\S+)(.*))?')
# `# SKIP` and the to-do directive: neither passed nor failed (TAP 13).
NOT_COUNTED = re.compile(r'^(skip|to-?do)', re.IGNORECASE)
PASSING = {'OK', 'EXPECTEDFAIL'}
SKIPPED = {'SKIP'}


class Totals:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def fail(self, what):
        self.failed += 1
        self.failures.append(what)


def load_protocols(testlog):
    """Maps test names to 'tap' / 'exitcode' from meson's introspection."""
    builddir = os.path.dirname(os.path.dirname(os.path.abspath(testlog)))
    path = os.path.join(builddir, 'meson-info', 'intro-tests.json')
    protocols = {}
    try:
        with open(path, encoding='utf-8') as f:
            for test in json.load(f):
                name = test['name']
                if protocols.get(name, test['protocol']) != test['protocol']:
                    protocols[name] = None  # ambiguous: guess from output
                else:
                    protocols[name] = test['protocol']
    except (OSError, ValueError, KeyError):
        pass
    return protocols


def looks_like_tap(stdout):
    return any(TAP_RESULT.match(line) or TAP_PLAN.match(line)
               for line in stdout.splitlines())


def count_tap(entry, name, totals):
    failed_before = totals.failed
    for line in entry.get('stdout', '').splitlines():
        plan = TAP_PLAN.match(line)
        if plan:
            if plan.group(1) == '0':
                totals.skipped += 1  # the whole program skipped itself
            continue
        result = TAP_RESULT.match(line)
        if not result:
            continue
        if NOT_COUNTED.match(result.group(2) or ''):
            totals.skipped += 1
        elif result.group(1) == 'ok':
            totals.passed += 1
        else:
            totals.fail(f'{name}: {line.strip()}')
    return totals.failed - failed_before


def count_entry(entry, protocols, totals):
    full_name = entry.get('name', '?')
    name = full_name.rsplit(' / ', 1)[-1]
    result = entry.get('result', 'ERROR')
    protocol = protocols.get(name)
    if protocol is None:
        protocol = 'tap' if looks_like_tap(entry.get('stdout', '')) else 'exitcode'

    if protocol == 'tap':
        failures = count_tap(entry, full_name, totals)
        if result not in PASSING and result not in SKIPPED and failures == 0:
            totals.fail(f'{full_name} ({result}, exit status {entry.get("returncode")})')
        elif result in SKIPPED and not looks_like_tap(entry.get('stdout', '')):
            totals.skipped += 1
        return

    if result in PASSING:
        totals.passed += 1
    elif result in SKIPPED:
        totals.skipped += 1
    else:
        totals.fail(f'{full_name} ({result}, exit status {entry.get("returncode")})')


def main(argv):
    args = argv[1:]
    harness_status = 0
    if len(args) >= 2 and args[0] == '--harness-status':
        harness_status = int(args[1])
        args = args[2:]
    if not args:
        print(f'usage: {argv[0]} [--harness-status N] TESTLOG.json [...]',
              file=sys.stderr)
        return 2

    totals = Totals()
    for path in args:
        protocols = load_protocols(path)
        try:
            with open(path, encoding='utf-8') as f:
                lines = f.readlines()
        except OSError as e:
            totals.fail(f'{path}: {e.strerror} (did the test run start?)')
            continue
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                totals.fail(f'{path}:{number}: unreadable entry')
                continue
            count_entry(entry, protocols, totals)

    if harness_status != 0 and totals.failed == 0:
        totals.fail(f'meson test exited with status {harness_status}')

    if totals.failures:
        print('Failed:')
        for what in totals.failures:
            print(f'  {what}')
    if totals.skipped:
        print(f'{totals.skipped} skipped')
    print(f'{totals.passed} passed, {totals.failed} failed')
    return 1 if totals.failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
