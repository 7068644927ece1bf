#!/usr/bin/env python3
"""Generate benchmark messages for `ticketgate parse` (standard library only).

usage: gen-messages.py OUTDIR [--seed N] [--typical N] [--big N]
                       [--big-bytes N] [--huge-bytes N] [--sets LIST]

Writes, with CRLF line endings and the same bytes for the same arguments:
  OUTDIR/typical/NNNNN.eml  N typical messages of about 5 KB: a realistic
                            header block (Received, DKIM-Signature, threading
                            headers, RFC 2047 names and subjects) and a
                            multipart/alternative text + HTML body, part of
                            them quoted-printable UTF-8; every 10th is
                            multipart/mixed with a small attachment.
  OUTDIR/big/NN.eml         messages with one base64 attachment of
                            --big-bytes decoded bytes (default 10 MB).
  OUTDIR/huge/huge.eml      one message of at most --huge-bytes bytes in
                            all (default 25,000,000, under the parser's
                            25 MiB default limit), mostly one attachment.
"""
import argparse
import base64
import os
import quopri
import random
import sys

WORDS = ('the printer on the third floor is jammed again and nobody can '
         'print invoices since this morning please could you have a look '
         'at the ticket we opened last week about the VPN access for new '
         'staff members the laptop does not boot after the update and '
         'shows a blue screen with an error code our customer reports that '
         'the order confirmation never arrived I attached the screenshot '
         'and the log file thanks in advance for your help regarding the '
         'meeting room booking system password reset request mailbox quota '
         'exceeded backup job failed tonight shared drive permissions '
         'invoice number contract renewal delivery address').split()
ACCENTED = ['café', 'Grüße', 'naïve', 'déjà vu', 'Ärger', 'façade', '€ 120',
            'Zürich', 'señor', 'Björk', 'cœur', 'Straße']
FIRST = ['Anna', 'Jürgen', 'Maria', 'John', 'Chloé', 'Lars', 'Priya', 'Tomás',
         'Wei', 'Olga', 'Peter', 'Sofía', 'Ahmed', 'Émile', 'Kate', 'Noah']
LAST = ['Müller', 'Smith', 'García', 'Rossi', 'Novák', 'Jensen', 'Dubois',
        'Kowalski', 'Ivanova', 'Brown', 'Sánchez', 'Lefèvre', 'Chen', 'Berg']
DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.de',
           'corp.example.co.uk', 'lists.example.io']
MAILERS = ['Microsoft Outlook 16.0', 'Mozilla Thunderbird 115.4.1',
           'Apple Mail (2.3731.700.6)', 'Roundcube Webmail/1.6.5']
ATTACHMENTS = [('report.pdf', 'application/pdf', b'%PDF-1.4\n'),
               ('screenshot.png', 'image/png', b'\x89PNG\r\n\x1a\n'),
               ('log.txt', 'text/plain', b''),
               ('Rechnung März.pdf', 'application/pdf', b'%PDF-1.5\n'),
               ('invite.ics', 'text/calendar', b'BEGIN:VCALENDAR\r\n')]
DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep',
          'Oct', 'Nov', 'Dec']


def encoded_word(text, rng):
    """RFC 2047 encoded words for non-ASCII text, else the text itself.
    Long text becomes several words, as mailers write it (one encoded word
    may be at most 75 characters)."""
    if text.isascii():
        return text
    b = rng.random() < 0.5
    words = []
    for i in range(0, len(text), 15):
        chunk = text[i:i + 15].encode()
        if b:
            words.append('=?UTF-8?B?%s?=' % base64.b64encode(chunk).decode())
        else:
            q = quopri.encodestring(chunk, header=True).decode()
            words.append('=?utf-8?Q?%s?=' % q.replace('=\n', ''))
    return ' '.join(words)


def sentence(rng, accents):
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    if accents and rng.random() < 0.4:
        words.insert(rng.randrange(len(words)), rng.choice(ACCENTED))
    return words[0].capitalize() + ' ' + ' '.join(words[1:]) + '.'


def paragraphs(rng, n, accents):
    return [' '.join(sentence(rng, accents) for _ in range(rng.randint(2, 4)))
            for _ in range(n)]


def wrap(text, width=72):
    lines, line = [], ''
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = line + ' ' + word if line else word
    if line:
        lines.append(line)
    return lines


def person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    addr = '%s.%s@%s' % (first, last, rng.choice(DOMAINS))
    addr = addr.encode('ascii', 'ignore').decode().lower()
    return '%s %s' % (first, last), addr


def mailbox(rng):
    name, addr = person(rng)
    return '%s <%s>' % (encoded_word(name, rng), addr)


def date(rng):
    return '%s, %d %s 2024 %02d:%02d:%02d %s' % (
        rng.choice(DAYS), rng.randint(1, 28), rng.choice(MONTHS),
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
        rng.choice(['+0000', '+0100', '+0200', '-0500', '-0800']))


def msgid(rng, domain):
    return '<%016x.%d@%s>' % (rng.getrandbits(64), rng.randint(1, 99999), domain)


def header_block(rng, subject, content_type, extra=()):
    """Header lines of a message as a real mailbox shows them."""
    from_name, from_addr = person(rng)
    domain = from_addr.split('@')[1]
    hops = ['from mx%d.%s (mx%d.%s [192.0.2.%d]) by mail.example.com '
            '(Postfix) with ESMTPS id %X for <support@example.com>; %s'
            % (i, domain, i, domain, rng.randint(1, 254),
               rng.getrandbits(40), date(rng)) for i in range(rng.randint(2, 4))]
    dkim = base64.b64encode(rng.randbytes(192)).decode()
    bh = base64.b64encode(rng.randbytes(32)).decode()
    h = ['Return-Path: <%s>' % from_addr]
    h += ['Received: ' + r for r in hops]
    h.append('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; '
             's=s1; t=%d; bh=%s; h=From:To:Subject:Date:Message-ID; b=%s'
             % (domain, rng.randint(1700000000, 1735000000), bh, dkim))
    h.append('From: %s <%s>' % (encoded_word(from_name, rng), from_addr))
    h.append('To: Support <support@example.com>')
    if rng.random() < 0.4:
        h.append('Cc: ' + ', '.join(mailbox(rng) for _ in range(rng.randint(1, 3))))
    h.append('Subject: ' + encoded_word(subject, rng))
    h.append('Date: ' + date(rng))
    h.append('Message-ID: ' + msgid(rng, domain))
    if subject.startswith('Re: '):
        refs = [msgid(rng, rng.choice(DOMAINS)) for _ in range(rng.randint(1, 4))]
        h.append('In-Reply-To: ' + refs[-1])
        h.append('References: ' + ' '.join(refs))
    h.append('X-Mailer: ' + rng.choice(MAILERS))
    h.append('MIME-Version: 1.0')
    h.extend(extra)
    h.append('Content-Type: ' + content_type)
    return [fold(line) for line in h]


def fold(line, width=78):
    """Folds each line of a header longer than width at a space, or inside
    a long token (such as DKIM's b=, where white space may go anywhere)."""
    out = []
    for line in line.split('\n'):
        while len(line) > width:
            cut = line.rfind(' ', 1, width)
            if cut <= 0:
                cut = width
            out.append(line[:cut])
            line = ' ' + line[cut:].lstrip(' ')
        out.append(line)
    return '\n'.join(out)


def body_part(content_type, text, rng):
    """A text part: 7bit when ASCII, else UTF-8 in quoted-printable."""
    if text.isascii() and all(len(l) < 998 for l in text.split('\n')):
        return ['Content-Type: %s; charset="us-ascii"' % content_type,
                'Content-Transfer-Encoding: 7bit', '', text]
    qp = quopri.encodestring(text.encode()).decode()
    return ['Content-Type: %s; charset="utf-8"' % content_type,
            'Content-Transfer-Encoding: quoted-printable', '', qp.rstrip('\n')]


def typical(rng, i):
    accents = rng.random() < 0.5
    subject = sentence(rng, accents)[:-1][:60]
    if rng.random() < 0.5:
        subject = 'Re: ' + subject
    paras = paragraphs(rng, rng.randint(4, 6), accents)
    greet_name = rng.choice(FIRST)
    text_lines = ['Hello,', '']
    for p in paras:
        text_lines += wrap(p) + ['']
    text_lines += ['Best regards', greet_name]
    if subject.startswith('Re: '):
        text_lines += ['', 'On %s, Support wrote:' % date(rng)]
        text_lines += ['> ' + l for l in wrap(' '.join(paragraphs(rng, 1, False)), 70)]
    text = '\n'.join(text_lines)
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=utf-8"><style>p{margin:0;font-family:Calibri,sans-serif}'
            '</style></head><body><div dir="ltr"><p>Hello,</p><p><br></p>'
            + ''.join('<p>%s</p>\n' % p.replace('&', '&amp;') for p in paras)
            + '<p>Best regards<br>%s</p></div></body></html>' % greet_name)
    alt = '----=_Part_%d_%d.%d' % (i, rng.getrandbits(30), rng.getrandbits(40))
    alt_body = (['--' + alt] + body_part('text/plain', text, rng) +
                ['--' + alt] + body_part('text/html', html, rng) +
                ['--' + alt + '--', ''])
    if i % 10 != 9:
        head = header_block(rng, subject,
                            'multipart/alternative;\n\tboundary="%s"' % alt)
        return head + ['', 'This is a multi-part message in MIME format.', ''] + alt_body
    # A few carry a small attachment, as real support mail often does.
    name, ctype, magic = rng.choice(ATTACHMENTS)
    if ctype.startswith('text/'):
        data = ('\n'.join(sentence(rng, False) for _ in range(20)) + '\n').encode()
        data = magic + data
    else:
        data = magic + rng.randbytes(rng.randint(1500, 6000))
    mixed = '----=_Mixed_%d_%d' % (i, rng.getrandbits(40))
    fname = encoded_word(name, rng) if not name.isascii() else name
    head = header_block(rng, subject,
                        'multipart/mixed;\n\tboundary="%s"' % mixed)
    return (head + ['', '--' + mixed,
                    'Content-Type: multipart/alternative; boundary="%s"' % alt, '']
            + alt_body +
            ['--' + mixed,
             'Content-Type: %s; name="%s"' % (ctype, fname),
             'Content-Disposition: attachment; filename="%s"' % fname,
             'Content-Transfer-Encoding: base64', '',
             base64.encodebytes(data).decode().rstrip('\n'),
             '--' + mixed + '--', ''])


def with_attachment(rng, i, nbytes, name):
    """A short text message carrying one base64 attachment of nbytes."""
    mixed = '=_big_%d_%x' % (i, rng.getrandbits(48))
    text = '\n'.join(wrap(' '.join(paragraphs(rng, 2, False))))
    head = header_block(rng, 'Large attachment %d' % i,
                        'multipart/mixed; boundary="%s"' % mixed)
    return (head + ['', '--' + mixed] + body_part('text/plain', text, rng) +
            ['--' + mixed,
             'Content-Type: application/octet-stream; name="%s"' % name,
             'Content-Disposition: attachment; filename="%s"' % name,
             'Content-Transfer-Encoding: base64', '',
             base64.encodebytes(rng.randbytes(nbytes)).decode().rstrip('\n'),
             '--' + mixed + '--', ''])


def to_bytes(lines):
    text = '\n'.join(lines)
    return text.replace('\r\n', '\n').replace('\n', '\r\n').encode('utf-8')


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--typical', type=int, default=2000)
    ap.add_argument('--big', type=int, default=4)
    ap.add_argument('--big-bytes', type=int, default=10_000_000)
    ap.add_argument('--huge-bytes', type=int, default=25_000_000)
    ap.add_argument('--sets', default='typical,big,huge')
    args = ap.parse_args(argv)
    sets = set(args.sets.split(','))

    # One generator per set, so changing one set's size leaves the others'
    # bytes as they were.
    if 'typical' in sets:
        rng = random.Random('typical-%d' % args.seed)
        for i in range(args.typical):
            write(os.path.join(args.outdir, 'typical', '%05d.eml' % i),
                  to_bytes(typical(rng, i)))
    if 'big' in sets:
        rng = random.Random('big-%d' % args.seed)
        for i in range(args.big):
            write(os.path.join(args.outdir, 'big', '%02d.eml' % i),
                  to_bytes(with_attachment(rng, i, args.big_bytes, 'data-%d.bin' % i)))
    if 'huge' in sets:
        # Size the attachment so the whole message just fits: base64 turns
        # every 57 bytes into a 76-character line plus CRLF.
        rng = random.Random('huge-%d' % args.seed)
        overhead = len(to_bytes(with_attachment(random.Random('huge-%d' % args.seed),
                                                0, 0, 'huge.bin')))
        nbytes = (args.huge_bytes - overhead - 100) // 78 * 57
        data = to_bytes(with_attachment(rng, 0, nbytes, 'huge.bin'))
        assert len(data) <= args.huge_bytes, len(data)
        write(os.path.join(args.outdir, 'huge', 'huge.eml'), data)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
