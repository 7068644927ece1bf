#!/usr/bin/python3
"""Run `BIN parse FILE` once per .eml file under DIR and check each run.

A run passes when the process exits 0 within the timeout, writes nothing a
sanitizer would write to stderr, and its standard output is exactly one
line holding one JSON object whose bytes are valid UTF-8 (strings escaped
as lone surrogates count as invalid: they cannot be stored as UTF-8).

usage: parse-check.py [--jobs N] [--timeout SEC] [--show N] BIN DIR
"""
import argparse
import collections
import concurrent.futures
import json
import os
import subprocess
import sys

SANITIZER_MARKS = (b'ERROR: AddressSanitizer', b'ERROR: LeakSanitizer',
                   b'runtime error:', b'WARNING: MemorySanitizer')


def strings_in(value):
    """Every str inside a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_in(v)


def check_output(out):
    """Returns None when out is one JSON object on one line, else why not."""
    if not out.endswith(b'\n'):
        return 'output does not end with a newline'
    if out.count(b'\n') != 1:
        return 'output is %d lines, not 1' % out.count(b'\n')
    try:
        text = out.decode('utf-8')
    except UnicodeDecodeError as e:
        return 'output is not UTF-8: %s' % e
    try:
        obj = json.loads(text)
    except ValueError as e:
        return 'output is not JSON: %s' % e
    if not isinstance(obj, dict):
        return 'output is JSON but not an object'
    for s in strings_in(obj):
        try:
            s.encode('utf-8')
        except UnicodeEncodeError:
            return 'a JSON string holds a lone surrogate: %r' % s[:80]
    return None


def unsymbolized_env():
    """The environment with sanitizer stack symbolization off. Symbolizing
    costs about half a second per report; a broken parser can fail every
    message, so the bulk run goes without and the failures shown in detail
    run again with it."""
    env = dict(os.environ)
    for key in ('ASAN_OPTIONS', 'UBSAN_OPTIONS'):
        env[key] = (env[key] + ':' if env.get(key) else '') + 'symbolize=0'
    return env


def run_one(binary, path, timeout, env=None):
    """Returns (path, None, b'') on success or (path, reason, stderr)."""
    try:
        p = subprocess.run([binary, 'parse', path], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return path, 'timed out after %g s' % timeout, b''
    if p.returncode != 0:
        return path, 'exit status %d' % p.returncode, p.stderr
    if any(m in p.stderr for m in SANITIZER_MARKS):
        return path, 'sanitizer report on stderr', p.stderr
    why = check_output(p.stdout)
    return (path, None, b'') if why is None else (path, why, p.stderr)


def summary_line(err):
    """The sanitizer's SUMMARY line (names the kind of bug and where), or
    ''. Unsymbolized, it still tells places apart by their offsets."""
    for line in err.decode('utf-8', 'replace').splitlines():
        if line.startswith('SUMMARY: '):
            return line
    return ''


def report_excerpt(err, n=40):
    """The part of stderr worth reading: from the first sanitizer report
    on, or else its last lines."""
    lines = err.decode('utf-8', 'replace').rstrip().splitlines()
    for i, line in enumerate(lines):
        if any(m.decode() in line for m in SANITIZER_MARKS):
            return lines[i:i + n]
    return lines[-n:]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--timeout', type=float, default=60.0)
    ap.add_argument('--show', type=int, default=10,
                    help='print details of the first N kinds of failure')
    ap.add_argument('binary')
    ap.add_argument('dir')
    args = ap.parse_args(argv)

    files = sorted(os.path.join(root, f)
                   for root, _, names in os.walk(args.dir)
                   for f in names if f.endswith('.eml'))
    if not files:
        print('corpus-parse: no .eml files under %s' % args.dir)
        return 1
    env = unsymbolized_env()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda f: run_one(args.binary, f, args.timeout, env), files))
    failed = [r for r in results if r[1] is not None]

    # One broken spot often fails hundreds of messages: group the failures
    # by reason and sanitizer summary, and show one example of each.
    groups = collections.OrderedDict()
    for path, why, err in failed:
        groups.setdefault((why, summary_line(err)), []).append(path)
    for n, ((why, _), paths) in enumerate(groups.items()):
        if n == args.show:
            print('... and %d more kinds of failure' % (len(groups) - n))
            break
        _, again, err = run_one(args.binary, paths[0], args.timeout)
        print('FAIL %s: %s' % (paths[0], why if again is None else again))
        if err:
            print('\n'.join('    ' + line for line in report_excerpt(err)))
        if len(paths) > 1:
            print('  the same failure in %d more: %s%s' % (
                len(paths) - 1,
                ' '.join(os.path.basename(p) for p in paths[1:6]),
                ' ...' if len(paths) > 6 else ''))
    print('corpus-parse: %d messages, %d ok, %d failed'
          % (len(files), len(files) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
