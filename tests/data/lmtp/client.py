#!/usr/bin/python3
"""LMTP client for test-lmtp.sh, on Debian's smtplib.LMTP.

  client.py send SOCKET FROM RCPT[,RCPT...] FILE
      one transaction; prints the RCPT codes, then one line per
      accepted recipient's reply after DATA: "<code> <text>"
  client.py pipeline SOCKET RCPT FILE
      LHLO, MAIL, RCPT and DATA written at once, then the message and
      QUIT at once, on a raw socket; prints every reply line
  client.py retry SOCKET RCPT FIRST SECOND DIR
      on one connection: FIRST; SECOND once DIR/go1 exists; SECOND again
      once DIR/go2 exists; each transaction's replies printed
  client.py slow SOCKET RCPT FILE DIR
      LHLO, MAIL and RCPT; prints "ready"; the DATA once DIR/go exists
  client.py idle SOCKET SECONDS
      reads the greeting, says nothing for SECONDS, prints what came
  client.py hold SOCKET N DIR
      opens N connections and reads their greetings; prints "held";
      closes them once DIR/release exists
"""
import os
import smtplib
import socket
import sys
import time


def print_until_closed(s, got):
    """Reads s until the server closes it; prints got and what came, a
    reply line each."""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    for line in got.decode().split("\r\n"):
        if line:
            print(line)


def transaction(conn, sender, rcpts, body):
    out = []
    code, _ = conn.mail(sender)
    out.append("MAIL %d" % code)
    accepted = []
    for r in rcpts:
        code, _ = conn.rcpt(r)
        out.append("RCPT %s %d" % (r, code))
        if code == 250:
            accepted.append(r)
    if not accepted:
        conn.rset()
        return out
    # smtplib reads one reply after DATA; LMTP sends one per recipient
    code, text = conn.data(body)
    out.append("DATA %d %s" % (code, text.decode()))
    for _ in accepted[1:]:
        code, text = conn.getreply()
        out.append("DATA %d %s" % (code, text.decode()))
    return out


def main():
    mode, sock = sys.argv[1], sys.argv[2]
    if mode == "send":
        sender, rcpts, path = sys.argv[3], sys.argv[4].split(","), sys.argv[5]
        body = open(path, "rb").read()
        conn = smtplib.LMTP(sock)
        conn.ehlo_or_helo_if_needed()
        print("\n".join(transaction(conn, sender, rcpts, body)))
        conn.quit()
    elif mode == "pipeline":
        rcpt, path = sys.argv[3], sys.argv[4]
        body = open(path, "rb").read().replace(b"\r\n", b"\n")
        body = body.replace(b"\n", b"\r\n")
        if body.startswith(b"."):
            body = b"." + body
        body = body.replace(b"\r\n.", b"\r\n..")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall(b"LHLO pipe.example\r\nMAIL FROM:<pipe@client.example>\r\n"
                  b"RCPT TO:<" + rcpt.encode() + b">\r\nDATA\r\n")
        got = b""
        while b"\r\n354 " not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        s.sendall(body + b".\r\nQUIT\r\n")
        print_until_closed(s, got)
    elif mode == "retry":
        rcpt, first, second, d = sys.argv[3:7]
        conn = smtplib.LMTP(sock)
        conn.ehlo_or_helo_if_needed()
        for path, go in ((first, None), (second, "go1"), (second, "go2")):
            while go is not None and not os.path.exists(os.path.join(d, go)):
                time.sleep(0.05)
            body = open(path, "rb").read()
            print("\n".join(transaction(conn, "", [rcpt], body)), flush=True)
        conn.quit()
    elif mode == "slow":
        rcpt, path, d = sys.argv[3:6]
        conn = smtplib.LMTP(sock)
        conn.ehlo_or_helo_if_needed()
        conn.mail("slow@client.example")
        conn.rcpt(rcpt)
        print("ready", flush=True)
        while not os.path.exists(os.path.join(d, "go")):
            time.sleep(0.05)
        code, text = conn.data(open(path, "rb").read())
        print("DATA %d %s" % (code, text.decode()), flush=True)
        conn.close()
    elif mode == "idle":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        got = s.recv(4096)
        time.sleep(float(sys.argv[3]))
        s.settimeout(5)
        print_until_closed(s, got)

    elif mode == "hold":
        n, d = int(sys.argv[3]), sys.argv[4]
        conns = []
        for _ in range(n):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            s.recv(4096)
            conns.append(s)
        print("held", flush=True)
        while not os.path.exists(os.path.join(d, "release")):
            time.sleep(0.05)
        for s in conns:
            s.close()


main()
