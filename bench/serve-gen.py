#!/usr/bin/env python3
"""Generate the mail for the `ticketgate serve` benchmark (standard library
only; the same arguments give the same bytes).

usage: serve-gen.py OUTDIR [--seed N] [--count N] [--big-every N]
                    [--big-bytes N] [--reply-share F] [--latency N]
                    [--lone N]

Writes, with CRLF line endings:
  OUTDIR/inbox/NNNNN.eml   --count messages to support@example.com, in the
                           order they are to arrive: about 5 KB of text
                           (header block as real mail has it, text + HTML
                           alternative); every --big-every'th one also
                           carries one base64 attachment of --big-bytes
                           decoded bytes. A --reply-share of them answer an
                           earlier message (same sender, Re: subject,
                           In-Reply-To and References naming it), the rest
                           start new tickets.
  OUTDIR/latency/NNN.eml   --latency small new-ticket messages from senders
                           not used above; OUTDIR/lone/NNN.eml --lone more.
  OUTDIR/hinted/NNN.eml, OUTDIR/hinted-lone/NNN.eml
                           as many again, from other senders, for the runs
                           with wake-up hints.
Senders are spread so that none comes near the flood limit (20 messages in
10 minutes by default): that would quarantine mail instead of storing it.
"""
import argparse
import importlib.util
import os
import random
import sys

# The text, header and encoding helpers of the parse benchmark's generator,
# so that both benchmarks feed the parser the same kind of mail.
_spec = importlib.util.spec_from_file_location(
    'gen_messages', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 'gen-messages.py'))
gm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gm)

# Customers' domains: the gateway's own (example.com in the configuration)
# would make their mail look like its own loop.
DOMAINS = [d for d in gm.DOMAINS if d != 'example.com']
PER_SENDER = 4  # messages per sender address on average
MAX_PER_SENDER = 10  # half the default flood limit


def sender(k):
    """Person number k: a name and an address of its own."""
    r = random.Random('sender-%d' % k)
    first, last = r.choice(gm.FIRST), r.choice(gm.LAST)
    domain = r.choice(DOMAINS)
    addr = '%s.%s.%d@%s' % (first, last, k, domain)
    return '%s %s' % (first, last), addr.encode('ascii', 'ignore').decode().lower()


def headers(rng, name, addr, subject, mid, content_type, parent=None):
    domain = addr.split('@')[1]
    hops = ['from mx%d.%s (mx%d.%s [192.0.2.%d]) by mail.example.com '
            '(Postfix) with ESMTPS id %X for <support@example.com>; %s'
            % (i, domain, i, domain, rng.randint(1, 254),
               rng.getrandbits(40), gm.date(rng))
            for i in range(rng.randint(2, 4))]
    h = ['Return-Path: <%s>' % addr]
    h += ['Received: ' + r for r in hops]
    h.append('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; '
             's=s1; t=%d; bh=%s; h=From:To:Subject:Date:Message-ID; b=%s'
             % (domain, rng.randint(1700000000, 1735000000),
                gm.base64.b64encode(rng.randbytes(32)).decode(),
                gm.base64.b64encode(rng.randbytes(192)).decode()))
    h.append('From: %s <%s>' % (gm.encoded_word(name, rng), addr))
    h.append('To: Support <support@example.com>')
    if rng.random() < 0.3:
        # colleagues in copy: more contacts and participants to write
        h.append('Cc: ' + ', '.join(
            '%s <%s>' % sender(1_000_000 + rng.randrange(5000))
            for _ in range(rng.randint(1, 2))))
    h.append('Subject: ' + gm.encoded_word(subject, rng))
    h.append('Date: ' + gm.date(rng))
    h.append('Message-ID: <%s>' % mid)
    if parent is not None:
        h.append('In-Reply-To: <%s>' % parent['mid'])
        h.append('References: ' + ' '.join('<%s>' % m for m in parent['refs']
                                           + [parent['mid']]))
    h.append('X-Mailer: ' + rng.choice(gm.MAILERS))
    h.append('MIME-Version: 1.0')
    h.append('Content-Type: ' + content_type)
    return [gm.fold(line) for line in h]


def alternative(rng, i, accents, quote):
    """A multipart/alternative body (text + HTML) of about 4 KB."""
    paras = gm.paragraphs(rng, rng.randint(4, 6), accents)
    greet = rng.choice(gm.FIRST)
    text = ['Hello,', '']
    for p in paras:
        text += gm.wrap(p) + ['']
    text += ['Best regards', greet]
    if quote:
        text += ['', 'On %s, Support wrote:' % gm.date(rng)]
        text += ['> ' + l for l in gm.wrap(' '.join(gm.paragraphs(rng, 1, False)), 70)]
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
            'charset=utf-8"></head><body><div dir="ltr"><p>Hello,</p>'
            + ''.join('<p>%s</p>\n' % p for p in paras)
            + '<p>Best regards<br>%s</p></div></body></html>' % greet)
    b = '----=_Part_%d_%d' % (i, rng.getrandbits(40))
    body = (['--' + b] + gm.body_part('text/plain', '\n'.join(text), rng) +
            ['--' + b] + gm.body_part('text/html', html, rng) + ['--' + b + '--', ''])
    return b, body


def message(rng, i, name, addr, subject, mid, parent, big_bytes):
    accents = rng.random() < 0.5
    alt, alt_body = alternative(rng, i, accents, parent is not None)
    if not big_bytes:
        head = headers(rng, name, addr, subject, mid,
                       'multipart/alternative;\n\tboundary="%s"' % alt, parent)
        return head + ['', 'This is a multi-part message in MIME format.', ''] + alt_body
    mixed = '----=_Mixed_%d_%d' % (i, rng.getrandbits(40))
    fname = 'attachment-%d.pdf' % i
    head = headers(rng, name, addr, subject, mid,
                   'multipart/mixed;\n\tboundary="%s"' % mixed, parent)
    return (head + ['', '--' + mixed,
                    'Content-Type: multipart/alternative; boundary="%s"' % alt, '']
            + alt_body +
            ['--' + mixed,
             'Content-Type: application/pdf; name="%s"' % fname,
             'Content-Disposition: attachment; filename="%s"' % fname,
             'Content-Transfer-Encoding: base64', '',
             gm.base64.encodebytes(b'%PDF-1.5\n' + rng.randbytes(big_bytes - 9))
             .decode().rstrip('\n'),
             '--' + mixed + '--', ''])


def inbox(rng, args):
    n_senders = max(1, args.count // PER_SENDER)
    sent = []  # earlier messages that can be answered
    per_addr = {}
    for i in range(args.count):
        parent = None
        if sent and rng.random() < args.reply_share:
            parent = rng.choice(sent[-2000:])  # recent conversations
            if per_addr[parent['addr']] >= MAX_PER_SENDER:
                parent = None
        if parent is not None:
            name, addr = parent['name'], parent['addr']
            subject = 'Re: ' + parent['subject'].removeprefix('Re: ')
        else:
            while True:
                name, addr = sender(rng.randrange(n_senders))
                if per_addr.get(addr, 0) < MAX_PER_SENDER:
                    break
            subject = gm.sentence(rng, rng.random() < 0.5)[:-1][:60]
        mid = 'tgb%05d.%x@%s' % (i, rng.getrandbits(32), addr.split('@')[1])
        big = args.big_bytes if args.big_every and i % args.big_every == args.big_every - 1 else 0
        yield i, gm.to_bytes(message(rng, i, name, addr, subject, mid, parent, big))
        per_addr[addr] = per_addr.get(addr, 0) + 1
        sent.append({'name': name, 'addr': addr, 'subject': subject, 'mid': mid,
                     'refs': (parent['refs'] + [parent['mid']])[-5:] if parent else []})


def probes(rng, count, first):
    for i in range(count):
        name, addr = sender(first + i)
        subject = 'Latency probe %d: %s' % (i, gm.sentence(rng, False)[:-1][:40])
        mid = 'tgl%07d.%x@%s' % (first + i, rng.getrandbits(32), addr.split('@')[1])
        yield i, gm.to_bytes(message(rng, i, name, addr, subject, mid, None, 0))


def latency(rng, args):
    return probes(rng, args.latency, 2_000_000)


def lone(rng, args):
    return probes(rng, args.lone, 3_000_000)


def hinted(rng, args):
    return probes(rng, args.latency, 4_000_000)


def hinted_lone(rng, args):
    return probes(rng, args.lone, 5_000_000)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=10000)
    ap.add_argument('--big-every', type=int, default=10)
    ap.add_argument('--big-bytes', type=int, default=100_000)
    ap.add_argument('--reply-share', type=float, default=0.2)
    ap.add_argument('--latency', type=int, default=200)
    ap.add_argument('--lone', type=int, default=10)
    args = ap.parse_args(argv)
    for sub, gen, width in (('inbox', inbox, 5), ('latency', latency, 3),
                            ('lone', lone, 3), ('hinted', hinted, 3),
                            ('hinted-lone', hinted_lone, 3)):
        rng = random.Random('serve-%s-%d' % (sub, args.seed))
        for i, data in gen(rng, args):
            gm.write(os.path.join(args.outdir, sub, '%0*d.eml' % (width, i)), data)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
