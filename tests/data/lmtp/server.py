#!/usr/bin/python3
"""A scripted LMTP server for test-lmtp.sh: what `deliver` must cope with
from a server other than today's daemon.

  server.py SOCKET MODE LOG
      serves one connection on SOCKET, then exits; MODE:
        plain    no PIPELINING offered; every command accepted, 250
                 after the message
        refuse   PIPELINING offered; RCPT refused with 550
      each command line received is written to LOG, with "<message N
      bytes>" for the message
"""
import os
import socket
import sys
import time

path, mode, log = sys.argv[1:]
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
print("listening", flush=True)
conn, _ = srv.accept()
out = open(log, "w")
buf = b""


def lines():
    """The connection's lines, CRLF kept."""
    global buf
    while True:
        i = buf.find(b"\n")
        if i >= 0:
            line, buf = buf[: i + 1], buf[i + 1 :]
            yield line
            continue
        chunk = conn.recv(65536)
        if not chunk:
            return
        buf += chunk


def early():
    """Whether the client sent more before our reply (pipelining): a
    moment's wait, then what is already here."""
    time.sleep(0.1)
    try:
        more = conn.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        more = b""
    return bool(buf or more)


def say(text):
    try:
        conn.sendall(text.encode() + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # a client need not wait for QUIT's reply


say("220 test LMTP")
in_data = False
size = 0
for raw in lines():
    if in_data:
        if raw in (b".\r\n", b".\n"):
            in_data = False
            out.write("<message %d bytes>\n" % size)
            say("250 2.0.0 Stored by the test server")
        else:
            size += len(raw)
        continue
    line = raw.decode().rstrip("\r\n")
    out.write(line + "\n")
    verb = line.split(":")[0].split(" ")[0].upper()
    if mode == "plain" and verb in ("MAIL", "RCPT") and early():
        out.write("<pipelined, though not offered>\n")
    if verb == "LHLO":
        say("250-test" if mode == "plain" else "250-test\r\n250-PIPELINING")
        say("250 ENHANCEDSTATUSCODES")
    elif verb == "RCPT" and mode == "refuse":
        say("550 5.1.1 No such mailbox here")
    elif verb == "DATA":
        if mode == "refuse":
            say("503 5.5.1 No valid recipients")
        else:
            say("354 go ahead")
            in_data = True
    elif verb == "QUIT":
        say("221 bye")
        break
    else:
        say("250 ok")
out.close()
