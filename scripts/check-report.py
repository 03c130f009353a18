#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the results of one `make check` into one line per test.

Reads the lint log, the guest console (KUnit's KTAP and the kernel log)
and the guest's IGT output; prints "ok", "FAIL" or "SKIP" and a name per
test and subtest, then "N passed, N failed, N skipped". Exits 1 on any
failure, including a kernel log report or a test binary that ended without
reporting its subtests.
"""
import argparse
import re
import sys

# A console line: optional "[ time]" prefix, then the message.
PREFIX = re.compile(r'^\[\s*\d+\.\d+\] ?')
KTAP_RESULT = re.compile(r'^( *)(not ok|ok) \d+ (?:- )?([^#]*?)\s*(#\s*(SKIP).*)?$')
KTAP_SUBTEST = re.compile(r'^( *)# Subtest: (\S+)')
KTAP_PLAN = re.compile(r'^1\.\.(\d+)$')

# Kernel log reports that fail a run, whatever the tests said.
KERNEL_BAD = [
    (re.compile(r'WARNING: (CPU|at)'), 'WARN'),
    (re.compile(r'BUG: '), 'BUG'),
    (re.compile(r'kernel BUG at'), 'BUG'),
    (re.compile(r'Oops'), 'Oops'),
    (re.compile(r'general protection fault'), 'GPF'),
    (re.compile(r'Kernel panic'), 'panic'),
    (re.compile(r'KASAN'), 'KASAN'),
    (re.compile(r'UBSAN'), 'UBSAN'),
    (re.compile(r'possible (circular|recursive) locking'), 'lockdep'),
    (re.compile(r'INFO: (possible|inconsistent|suspicious)'), 'lockdep'),
    (re.compile(r'unreferenced object'), 'kmemleak'),
    (re.compile(r'ODEBUG:'), 'debugobjects'),
    (re.compile(r'(soft|hard) lockup|hung_task|blocked for more than'), 'hang'),
]

IGT_SUBTEST = re.compile(
    r'^Subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH|TIMEOUT)\b')
IGT_STARTING = re.compile(r'^Starting subtest: (\S+)')
IGT_DYNAMIC = re.compile(
    r'^Dynamic subtest (\S+): (SUCCESS|FAIL|SKIP|CRASH|TIMEOUT)\b')


class Report:
    def __init__(self):
        self.counts = {'ok': 0, 'FAIL': 0, 'SKIP': 0}

    def add(self, status, name, detail=''):
        self.counts[status] += 1
        line = f'{status:4} {name}'
        if detail:
            line += f'  ({detail})'
        print(line)


def read_lines(path):
    try:
        with open(path, errors='replace') as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return None


def report_lint(rep, lines):
    for line in lines or []:
        m = re.match(r'^(ok|FAIL) ((?:lint|host)/\S+)(.*)$', line)
        if m:
            rep.add(m.group(1), m.group(2), m.group(3).strip())
        elif line.strip():
            print(f'     {line}')


def report_kunit(rep, console):
    msgs = [PREFIX.sub('', line) for line in console]
    start = next((i for i, m in enumerate(msgs)
                  if m.startswith(('KTAP version', 'TAP version'))), None)
    if start is None:
        rep.add('FAIL', 'kunit', 'no KTAP output on the console')
        return
    plan = None
    suites = 0
    suite = None
    pending = []    # parameter results of the current case
    for m in msgs[start + 1:]:
        if plan is None:
            pm = KTAP_PLAN.match(m)
            if pm:
                plan = int(pm.group(1))
                continue
        sm = KTAP_SUBTEST.match(m)
        if sm and len(sm.group(1)) == 4:
            suite = sm.group(2)
            continue
        rm = KTAP_RESULT.match(m)
        if not rm:
            continue
        depth = len(rm.group(1)) // 4
        ok = rm.group(2) == 'ok'
        name = rm.group(3).strip()
        skip = rm.group(5) == 'SKIP'
        status = 'SKIP' if skip else ('ok' if ok else 'FAIL')
        if depth == 2:
            pending.append((status, name))
        elif depth == 1:
            full = f'kunit/{suite}/{name}'
            if pending:
                for st, param in pending:
                    rep.add(st, f'{full}/{param}')
                if not ok and all(st != 'FAIL' for st, _ in pending):
                    rep.add('FAIL', full)
            else:
                rep.add(status, full)
            pending = []
        elif depth == 0:
            suites += 1
            if plan is not None and suites >= plan:
                break
    if plan is None or suites != plan:
        rep.add('FAIL', 'kunit', f'{suites} of {plan} suites reported')


def report_igt(rep, lines, tests):
    seen = set()
    current = None
    subtest = None
    dynamics = 0
    subtests = 0
    for line in lines or []:
        m = re.match(r'^### begin (\S+)', line)
        if m:
            current, subtests = m.group(1), 0
            continue
        m = re.match(r'^### end (\S+) (\d+)', line)
        if m:
            name, rc = m.group(1), int(m.group(2))
            seen.add(name)
            if rc == 124:
                rep.add('FAIL', f'igt/{name}', 'timed out')
            elif subtests == 0:
                # A binary without subtests reports by exit status.
                st = {0: 'ok', 77: 'SKIP'}.get(rc, 'FAIL')
                rep.add(st, f'igt/{name}', f'exit {rc}' if rc else '')
            elif rc not in (0, 77):
                rep.add('FAIL', f'igt/{name}', f'exit {rc}')
            current = None
            continue
        m = IGT_STARTING.match(line)
        if m:
            subtest, dynamics = m.group(1), 0
            continue
        # Dynamic subtests count one by one; their parent only if it
        # failed on its own or had none.
        m = IGT_DYNAMIC.match(line)
        if m and current and subtest:
            subtests += 1
            dynamics += 1
            st = {'SUCCESS': 'ok', 'SKIP': 'SKIP'}.get(m.group(2), 'FAIL')
            rep.add(st, f'igt/{current}/{subtest}/{m.group(1)}',
                    '' if st != 'FAIL' else m.group(2))
            continue
        m = IGT_SUBTEST.match(line)
        if m and current:
            subtests += 1
            st = {'SUCCESS': 'ok', 'SKIP': 'SKIP'}.get(m.group(2), 'FAIL')
            if dynamics and st != 'FAIL':
                continue
            rep.add(st, f'igt/{current}/{m.group(1)}',
                    '' if st != 'FAIL' else m.group(2))
    for t in tests:
        if t not in seen:
            rep.add('FAIL', f'igt/{t}', 'did not run to the end')


def report_kernel_log(rep, console):
    found = []
    for line in console:
        for rx, what in KERNEL_BAD:
            if rx.search(line):
                found.append(f'{what}: {line.strip()}')
                break
    if found:
        for f in found[:10]:
            print(f'     {f}')
        rep.add('FAIL', 'kernel-log', f'{len(found)} report(s)')
    else:
        rep.add('ok', 'kernel-log', 'no WARN, BUG, Oops or sanitizer report')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lint')
    ap.add_argument('--console', required=True)
    ap.add_argument('--igt', required=True)
    ap.add_argument('--vm-status', type=int, default=0)
    ap.add_argument('tests', nargs='*')
    args = ap.parse_args()

    rep = Report()
    if args.lint:
        report_lint(rep, read_lines(args.lint))
    console = read_lines(args.console) or []
    report_kunit(rep, console)
    report_igt(rep, read_lines(args.igt), args.tests)
    report_kernel_log(rep, console)
    if args.vm_status:
        rep.add('FAIL', 'guest', f'vm-run exit {args.vm_status}')

    c = rep.counts
    print(f"{c['ok']} passed, {c['FAIL']} failed, {c['SKIP']} skipped")
    return 1 if c['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
