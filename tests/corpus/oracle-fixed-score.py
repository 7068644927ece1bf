#!/usr/bin/env python3
"""Runs the corpus scorer (shared/tools/mail_score.py) with one correction
to its oracle: a leaf's source bytes are taken from the parsed message as
read, not from Message.get_payload().

Why: for a part whose body holds raw 8-bit bytes, Python 3.11's
get_payload() (decode=False) decodes them with the part's charset and
errors='replace', and the oracle then re-encodes that text as UTF-8. The
"source bytes" it scores against are then not the bytes of the message:
Latin-1 text comes out double-encoded ("Â£" for "£"), anything the charset
cannot decode becomes U+FFFD, and attachment hashes change. With the
correction those parts are scored against their real bytes; nothing else
in the oracle changes.

Usage: oracle_fixed_score.py TOOLS_DIR [mail_score.py arguments...]
"""
import sys

tools = sys.argv[1]
sys.path.insert(0, tools)
import mail_oracle  # noqa: E402
import mail_score  # noqa: E402


def raw_payload_bytes(bpart):
    p = bpart._payload
    if p is None:
        return b''
    if isinstance(p, bytes):
        return p
    if isinstance(p, list):
        raise mail_oracle.Unsure('list-payload-leaf')
    return p.encode('ascii', 'surrogateescape')


mail_oracle._raw_payload_bytes = raw_payload_bytes
sys.exit(mail_score.main(sys.argv[2:]))
