#!/usr/bin/env python3
"""Parse messages the way the benchmark compares ticketgate with: Python's
email package (standard library), one process over all files.

usage: py_parse.py FILE...

For each file: BytesParser(policy=policy.default), the body from
get_body(('plain', 'html')) decoded with get_content(), and every other
leaf part decoded with get_content() and hashed with SHA-256, which is the
work `ticketgate parse` does for its attachment list. Prints the number of
messages, parts and decoded bytes, so the work cannot be skipped.
"""
import hashlib
import sys
from email import policy
from email.parser import BytesParser


def decoded(part):
    """The part's content as bytes, or None when Python cannot decode it
    (unknown charset, broken encoding): skipped, as a reader would."""
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content.encode('utf-8', 'surrogateescape')
        if isinstance(content, bytes):
            return content
        return content.as_bytes()  # message/rfc822: an EmailMessage
    except Exception:  # the email package raises many kinds here
        return None


def parse_one(parser, path):
    """Returns (parts, bytes) decoded from one message."""
    with open(path, 'rb') as f:
        msg = parser.parse(f)
    parts = size = 0
    try:
        body = msg.get_body(preferencelist=('plain', 'html'))
    except Exception:
        body = None
    if body is not None:
        content = decoded(body)
        size += len(content or b'')
        parts += 1
    for part in msg.walk():
        if part.is_multipart() or part is body:
            continue
        content = decoded(part)
        if content is not None:
            hashlib.sha256(content).digest()
            size += len(content)
            parts += 1
    return parts, size


def main(paths):
    parser = BytesParser(policy=policy.default)
    parts = size = 0
    for path in paths:
        p, s = parse_one(parser, path)
        parts += p
        size += s
    print('%d messages, %d parts, %d decoded bytes' % (len(paths), parts, size))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
