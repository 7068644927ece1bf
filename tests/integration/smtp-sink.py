#!/usr/bin/python3
"""SMTP sink for the integration tests (Debian's python3-aiosmtpd).

Started by smtp.sh. Every accepted message is kept exactly as received
(dot-unstuffed) in SPOOL/NNNN.eml, with SPOOL/NNNN.env holding its envelope
as JSON: from ("" for the null sender), rcpts, mail_options, helo, tls, auth (the user or null) and
session (the number of the connection it came over). Each connection adds
a line to DIR/connections. The final reply names the file: "250 2.0.0
stored as NNNN".

Listeners, all on loopback addresses:
  HOST:PORT         plain, offering STARTTLS, AUTH PLAIN and LOGIN
  HOST:SMTPS_PORT   TLS from the first byte, AUTH PLAIN and LOGIN
  OTHER_HOST        the same two (an address the certificate does not name)
  NOTLS_HOST:PORT   plain without STARTTLS, AUTH LOGIN only
AUTH is offered without TLS too, and never required.

Injected failures: each file in DIR/faults holds one rule
"STAGE PATTERN CODE COUNT": at STAGE (mail, rcpt or data) for an address
matching the glob PATTERN (the sender at mail, the recipient at rcpt, any
recipient at data), answer CODE (4xx or 5xx; "hang" answers nothing for
SINK_HANG_SECONDS, default 30) COUNT times (0: always). The first matching
rule in file name order fires; the sink rewrites or removes its file.
"""
import argparse
import asyncio
import fnmatch
import json
import logging
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Faults:
    """The rules in a directory, read anew at every command."""

    def __init__(self, folder):
        self.folder = folder

    def match(self, stage, addresses):
        for name in sorted(os.listdir(self.folder)):
            if name.endswith(".tmp"):
                continue
            path = os.path.join(self.folder, name)
            try:
                with open(path) as f:
                    rule_stage, pattern, code, count = f.read().split()
            except (OSError, ValueError):
                continue
            if rule_stage != stage or not any(
                    fnmatch.fnmatchcase(a.lower(), pattern.lower())
                    for a in addresses):
                continue
            count = int(count)
            if count == 1:
                os.unlink(path)
            elif count > 1:
                write_atomic(path, ("%s %s %s %d\n" % (
                    rule_stage, pattern, code, count - 1)).encode())
            return code
        return None


class Sink:
    """The handler: aiosmtpd calls handle_* for MAIL, RCPT and DATA."""

    def __init__(self, folder):
        self.spool = os.path.join(folder, "spool")
        self.connections = os.path.join(folder, "connections")
        self.faults = Faults(os.path.join(folder, "faults"))
        numbers = [int(n.split(".")[0]) for n in os.listdir(self.spool)
                   if n.endswith(".eml")]
        self.stored = max(numbers, default=0)
        try:
            with open(self.connections) as f:
                self.sessions = sum(1 for _ in f)
        except FileNotFoundError:
            self.sessions = 0

    def new_session(self, local, tls):
        self.sessions += 1
        with open(self.connections, "a") as f:
            f.write("%d %s:%d %s\n" % (self.sessions, local[0], local[1],
                                       "tls" if tls else "plain"))
        return self.sessions

    async def injected(self, stage, addresses):
        code = self.faults.match(stage, addresses)
        if code is None:
            return None
        if code == "hang":
            await asyncio.sleep(float(os.environ.get("SINK_HANG_SECONDS",
                                                     "30")))
            return "451 4.4.2 sink: answered too late"
        return "%s %s.0.0 sink: injected %s failure" % (code, code[0], stage)

    async def handle_MAIL(self, server, session, envelope, address, options):
        refusal = await self.injected("mail", [address])
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        refusal = await self.injected("rcpt", [address])
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = await self.injected("data", envelope.rcpt_tos)
        if refusal:
            return refusal
        self.stored += 1
        base = os.path.join(self.spool, "%04d" % self.stored)
        write_atomic(base + ".eml", envelope.original_content)
        env = {
            "from": "" if envelope.mail_from == "<>" else envelope.mail_from,
            "rcpts": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "helo": session.host_name,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth": session.auth_data if session.authenticated else None,
            "session": server.session_number,
        }
        write_atomic(base + ".env", json.dumps(env, sort_keys=True).encode())
        return "250 2.0.0 stored as %04d" % self.stored


class SinkSMTP(SMTP):
    """Numbers each connection once (STARTTLS makes a second session)."""

    def connection_made(self, transport):
        first = self.transport is None
        super().connection_made(transport)
        if first:
            self.session_number = self.event_handler.new_session(
                transport.get_extra_info("sockname"),
                transport.get_extra_info("ssl_object") is not None)


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user and auth_data.password == password)
        # handled=False: aiosmtpd answers 235 or 535 itself
        return AuthResult(success=ok, handled=False,
                          auth_data=user.decode() if ok else None)
    return check


async def serve(a):
    loop = asyncio.get_running_loop()
    handler = Sink(a.dir)
    with open(a.password_file, "rb") as f:
        password = f.read()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(a.cert, a.key)
    common = dict(hostname="sink.test", ident="ticketgate test sink",
                  decode_data=False, auth_require_tls=False,
                  authenticator=authenticator(a.user.encode(), password),
                  loop=loop)

    def factory(**kw):
        return lambda: SinkSMTP(handler, **common, **kw)

    servers = []
    for host in (a.host, a.other_host):
        servers.append(await loop.create_server(
            factory(tls_context=tls), host, a.port))
        servers.append(await loop.create_server(
            factory(), host, a.smtps_port, ssl=tls))
    servers.append(await loop.create_server(
        factory(auth_exclude_mechanism=["PLAIN"]), a.notls_host, a.port))

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    write_atomic(a.ready, b"ready\n")
    await stop.wait()
    for s in servers:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--other-host", default="127.0.0.2")
    ap.add_argument("--notls-host", default="127.0.0.3")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--smtps-port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    # aiosmtpd warns at every AUTH about a deprecation inside itself
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    for sub in ("spool", "faults"):
        os.makedirs(os.path.join(a.dir, sub), exist_ok=True)
    asyncio.run(serve(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
