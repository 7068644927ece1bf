#!/usr/bin/python3
"""Feeds messages to ticketgate's LMTP socket as an MTA's LMTP client does:
one transaction per message, CONNS connections at once, each kept open for
all its messages (Postfix caches LMTP connections the same way).

  lmtp-feed.py SOCKET LIST CONNS

LIST has one message a line: the envelope recipient, then the file. The
messages are dealt to the connections in turn, so that on one connection
they keep the list's order. Prints the wall seconds; exits 1 when any
recipient is not answered 250 after DATA. Standard library only.
"""
import smtplib
import sys
import threading
import time


def feed(sock, items, failures):
    conn = smtplib.LMTP(sock)
    conn.ehlo_or_helo_if_needed()
    for rcpt, path in items:
        with open(path, "rb") as f:
            data = f.read()
        try:
            refused = conn.sendmail("", [rcpt], data)
        except smtplib.SMTPException as e:
            failures.append("%s: %s" % (path, e))
            continue
        if refused:
            failures.append("%s: %s" % (path, refused))
    conn.quit()


def main():
    sock, listing, conns = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(listing) as f:
        items = [tuple(line.split(None, 1)) for line in f if line.strip()]
    items = [(r, p.strip()) for r, p in items]
    shares = [items[i::conns] for i in range(conns)]
    failures = []
    threads = [threading.Thread(target=feed, args=(sock, s, failures))
               for s in shares]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("%.3f" % (time.monotonic() - t0))
    for f in failures[:5]:
        print(f, file=sys.stderr)
    sys.exit(1 if failures else 0)


main()
