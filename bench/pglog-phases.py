#!/usr/bin/env python3
"""Where a deliver's database session spends its time, from the server log.

usage: pglog-phases.py SERVER_LOG

The log must come from a server run with log_line_prefix = '%m [%p] ',
log_connections, log_disconnections and log_min_duration_statement = 0.
Prints a Markdown table: the median over the sessions of ticketgate
(application_name) that ran a statement, in milliseconds, of each phase.
"""
import collections
import datetime
import re
import sys

LINE = re.compile(r'^(\S+ \S+) \S+ \[(\d+)\] LOG:  (.*)$')
# "statement: SQL", or "parse|bind|execute NAME: SQL" (NAME is <unnamed> for
# an unprepared statement)
DURATION = re.compile(r'duration: ([\d.]+) ms  (statement|parse|bind|execute)'
                      r'(?: [^:]+)?: (.*)')
SESSION = re.compile(r'session time: (\d+):(\d+):([\d.]+)')


def ms(stamp):
    t = datetime.datetime.strptime(stamp, '%Y-%m-%d %H:%M:%S.%f')
    return t.timestamp() * 1000


def main():
    sessions = collections.defaultdict(lambda: collections.defaultdict(float))
    with open(sys.argv[1], encoding='utf-8', errors='replace') as f:
        for line in f:
            m = LINE.match(line.rstrip('\n'))
            if not m:
                continue
            t, s, msg = ms(m[1]), sessions[m[2]], m[3]
            if msg.startswith('connection received'):
                s['received'] = t
            elif msg.startswith('connection authorized'):
                s['authorized'] = t
                s['ours'] = 'application_name=ticketgate' in msg
            elif msg.startswith('disconnection'):
                h, mi, sec = SESSION.search(msg).groups()
                s['session'] = ((int(h) * 60 + int(mi)) * 60 + float(sec)) * 1000
                s['done'] = 1
            elif (d := DURATION.match(msg)):
                dur, kind, sql = float(d[1]), d[2], d[3]
                # the log line is written when the step ends
                if 'begin_at' not in s:
                    s['begin_at'] = t - dur
                s['end_at'] = t
                if sql.startswith(('BEGIN', 'COMMIT')):
                    s[sql.split()[0].lower()] += dur
                else:
                    s[kind] += dur
                    if kind == 'execute':
                        s['statements'] += 1
    rows = [s for s in sessions.values()
            if s.get('ours') and s.get('done') and 'begin_at' in s
            and 'received' in s]
    if not rows:
        sys.exit('no complete sessions in %s' % sys.argv[1])
    for s in rows:
        s['start'] = s['authorized'] - s['received']
        s['client'] = s['begin_at'] - s['authorized']
        s['transaction'] = s['end_at'] - s['begin_at']
        s['server'] = s['begin'] + s['parse'] + s['bind'] + s['execute'] + s['commit']
        s['waiting'] = s['transaction'] - s['server']

    def median(key):
        v = sorted(s[key] for s in rows)
        return v[(len(v) - 1) // 2]

    phases = [
        ('start', 'backend start until authorized (fork, authentication)'),
        ('client', 'authorized until BEGIN arrives (the rest of the backend start, then the client parsing and hashing the message)'),
        ('parse', 'parse of the statements'),
        ('bind', 'bind (planning) of the statements'),
        ('execute', 'execute of the statements'),
        ('commit', 'COMMIT (WAL flush)'),
        ('waiting', 'in the transaction but in no statement (round trips, the client)'),
        ('transaction', 'BEGIN until COMMIT done'),
        ('session', 'whole session, connection to disconnection'),
    ]
    print('| phase of one deliver session (%d sessions, %d statements each '
          'besides BEGIN and COMMIT) | median ms |' % (len(rows), median('statements')))
    print('| --- | ---: |')
    for key, label in phases:
        print('| %s | %.2f |' % (label, median(key)))


if __name__ == '__main__':
    main()
