#!/usr/bin/env python3
"""Generate the mail stream of the deliver benchmark (standard library only).

usage: gen-deliver.py OUTDIR [--seed N] [--messages N] [--reply-share F]

Writes, the same bytes for the same arguments:
  OUTDIR/mail/NNNN.eml  N messages in arrival order, LF line endings as an
                        MTA's pipe hands them over: (1 - F) open new tickets,
                        each from its own customer at its own domain; F
                        answer an earlier message of one of those threads
                        (In-Reply-To and References name it, the subject
                        keeps "Re:", the body quotes it; a thread has at
                        most 8 messages). 2-9 KB, most 3-6 KB; about one in
                        5 is multipart/alternative with HTML, about one in
                        20 carries a small attachment.
  OUTDIR/accounts.csv   CRM accounts for a third of the customer domains
                        (the rest reach the "none" route), for
                        `ticketgate accounts import`.
  OUTDIR/envelope       the envelope recipient and file of each message, in
                        arrival order: "support@example.com 0000.eml".
"""
import argparse
import base64
import datetime
import email.utils
import os
import random

WORDS = ('invoice order account password reset login error page server '
         'report export printer network backup mailbox quota contract '
         'renewal delivery address shipment update version release '
         'browser timeout upload download screen settings license user '
         'team project meeting calendar access permission folder file '
         'please could you check again since yesterday morning the '
         'customer reports that it still fails after the last change and '
         'we need it fixed before Friday thanks for your help').split()
FIRST = ['Anna', 'Jürgen', 'Maria', 'John', 'Chloé', 'Lars', 'Priya', 'Tomás',
         'Wei', 'Olga', 'Peter', 'Sofía', 'Ahmed', 'Émile', 'Kate', 'Noah']
LAST = ['Müller', 'Smith', 'García', 'Rossi', 'Novák', 'Jensen', 'Dubois',
        'Kowalski', 'Ivanova', 'Brown', 'Sánchez', 'Lefèvre', 'Chen', 'Berg']
TOPICS = ['Cannot log in', 'Invoice shows the wrong amount',
          'Export to CSV fails', 'Password reset mail never arrives',
          'Upload times out', 'Need a second license',
          'Calendar does not sync', 'Error 500 on the settings page',
          'Backup job failed tonight', 'Mailbox quota exceeded',
          'Access to the shared folder', 'Order not delivered']
ADDRESSES = ['support@example.com'] * 6 + ['cloud@example.com',
                                           'omni@example.com',
                                           'suporte@example.com']
MAILERS = ['Microsoft Outlook 16.0', 'Mozilla Thunderbird 115.4.1',
           'Apple Mail (2.3731.700.6)', 'Roundcube Webmail/1.6.5']
ATTACHMENTS = [('screenshot.png', 'image/png'), ('report.pdf', 'application/pdf'),
               ('error.log', 'text/plain')]
MAX_THREAD = 8  # messages of one thread, all from its customer
START = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=datetime.timezone.utc)
STATUSES = ['paid', 'paid', 'trial', 'community', 'potential']
POLICIES = {'paid': ['Premium', 'Standard'], 'trial': [''],
            'community': [''], 'potential': ['']}


def rfc2822_date(t):
    """t: minutes after Monday 2026-11-02 08:00 UTC."""
    return email.utils.format_datetime(START + datetime.timedelta(minutes=t))


def encode_name(name):
    """A display name, as an RFC 2047 word when it is not ASCII."""
    if name.isascii():
        return '"%s"' % name
    return '=?UTF-8?B?%s?=' % base64.b64encode(name.encode()).decode()


def paragraph(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(25, 60))]
    return words[0].capitalize() + ' ' + ' '.join(words[1:]) + '.'


def wrap(text, width=72):
    lines, line = [], ''
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = line + ' ' + w if line else w
    if line:
        lines.append(line)
    return lines


def body_lines(rng, name, target):
    """Greeting, paragraphs until about target bytes, signature."""
    out = ['Hello,', '']
    size = 0
    while size < target:
        p = wrap(paragraph(rng))
        out += p + ['']
        size += sum(len(x) + 1 for x in p)
    out += ['Best regards,', name, '--', '%s | +351 21 000 %04d' % (
        name, rng.randrange(10000))]
    return out


def header_block(rng, h):
    """A header block like a mailbox receives it: Received chain, DKIM."""
    host = h['domain']
    lines = []
    for i in range(rng.randint(2, 4)):
        lines += ['Received: from mx%d.%s (mx%d.%s [192.0.2.%d])' % (
            i, host, i, host, rng.randrange(1, 255)),
            '\tby mx.example.com (Postfix) with ESMTPS id %08X' %
            rng.getrandbits(32),
            '\tfor <%s>; %s' % (h['to'], h['date'])]
    sig = base64.b64encode(rng.randbytes(128)).decode()
    lines += ['DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s;' %
              host, '\ts=sel1; h=from:to:subject:date:message-id;',
              '\tbh=%s;' % base64.b64encode(rng.randbytes(32)).decode()]
    lines += [('\tb=' if i == 0 else '\t  ') + sig[i:i + 68]
              for i in range(0, len(sig), 68)]
    lines += ['From: %s <%s>' % (encode_name(h['name']), h['from']),
              'To: Support <%s>' % h['to'],
              'Subject: %s' % h['subject'],
              'Date: %s' % h['date'],
              'Message-ID: <%s>' % h['msgid']]
    if h.get('parent'):
        lines.append('In-Reply-To: <%s>' % h['parent'])
        refs = ' '.join('<%s>' % r for r in h['refs'])
        lines.append('References: ' + refs)
    lines += ['MIME-Version: 1.0', 'User-Agent: %s' % rng.choice(MAILERS)]
    return lines


def html_of(lines):
    out = ['<html><body>']
    for ln in lines:
        esc = ln.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
        out.append(esc + '<br>' if ln else '<br>')
    return out + ['</body></html>']


def render(rng, h, text):
    """The whole message: plain, alternative or mixed with an attachment."""
    head = header_block(rng, h)
    kind = rng.random()
    if kind < 0.05:
        b = 'mix-%016x' % rng.getrandbits(64)
        fname, ctype = rng.choice(ATTACHMENTS)
        data = base64.b64encode(rng.randbytes(rng.randint(600, 1500))).decode()
        parts = ['Content-Type: multipart/mixed; boundary="%s"' % b, '',
                 '--' + b, 'Content-Type: text/plain; charset=utf-8',
                 'Content-Transfer-Encoding: 8bit', ''] + text + [
                 '--' + b, 'Content-Type: %s; name="%s"' % (ctype, fname),
                 'Content-Disposition: attachment; filename="%s"' % fname,
                 'Content-Transfer-Encoding: base64', '']
        parts += [data[i:i + 76] for i in range(0, len(data), 76)]
        parts += ['--' + b + '--']
    elif kind < 0.25:
        b = 'alt-%016x' % rng.getrandbits(64)
        parts = ['Content-Type: multipart/alternative; boundary="%s"' % b, '',
                 '--' + b, 'Content-Type: text/plain; charset=utf-8',
                 'Content-Transfer-Encoding: 8bit', ''] + text + [
                 '--' + b, 'Content-Type: text/html; charset=utf-8',
                 'Content-Transfer-Encoding: 8bit', ''] + html_of(text) + [
                 '--' + b + '--']
    else:
        parts = ['Content-Type: text/plain; charset=utf-8',
                 'Content-Transfer-Encoding: 8bit', ''] + text
    return ('\n'.join(head + parts) + '\n').encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--messages', type=int, default=1000)
    ap.add_argument('--reply-share', type=float, default=0.4)
    a = ap.parse_args()
    rng = random.Random(a.seed)

    n_reply = round(a.messages * a.reply_share)
    n_new = a.messages - n_reply
    # the first message cannot be a reply; the rest are shuffled
    kinds = ['new'] + rng.sample(['new'] * (n_new - 1) + ['reply'] * n_reply,
                                 a.messages - 1)
    os.makedirs(os.path.join(a.outdir, 'mail'), exist_ok=True)
    threads = []  # each: customer, subject, to, [(msgid, text lines)]
    envelope = []
    accounts = []
    t = 0
    for i, kind in enumerate(kinds):
        t += rng.randint(1, 9)
        if kind == 'new':
            c = len(threads)
            domain = 'cust%04d.example' % c
            name = '%s %s' % (rng.choice(FIRST), rng.choice(LAST))
            local = name.split()[0].lower().encode('ascii', 'ignore').decode()
            th = {'name': name, 'from': '%s.%d@%s' % (local or 'user', c, domain),
                  'domain': domain, 'to': rng.choice(ADDRESSES),
                  'subject': '%s (ref %d)' % (rng.choice(TOPICS), c),
                  'msgs': []}
            threads.append(th)
            if c % 3 == 0:
                status = rng.choice(STATUSES)
                accounts.append((c, name, status,
                                 rng.choice(POLICIES[status]), domain))
            text = body_lines(rng, name, rng.randint(700, 3200))
            h = dict(th, subject=th['subject'])
        else:
            # recent threads get most answers, as in a real queue; none
            # gets so many that its sender trips the flood limit (20 in
            # 10 minutes by default), which the whole run falls within
            while True:
                th = threads[max(0, len(threads) - 1 -
                                 int(rng.expovariate(1 / 40)))]
                if len(th['msgs']) < MAX_THREAD:
                    break
            parent_id, parent_text = th['msgs'][-1]
            quoted = ['On %s, %s wrote:' % (rfc2822_date(t - 60), th['name'])]
            quoted += ['> ' + ln if ln else '>' for ln in parent_text[:25]]
            text = body_lines(rng, th['name'], rng.randint(300, 1000))
            text = text[:-4] + [''] + quoted + [''] + text[-4:]
            h = dict(th, subject='Re: ' + th['subject'], parent=parent_id,
                     refs=[m for m, _ in th['msgs']][-10:])
        h['msgid'] = '%d.%08x@%s' % (i, rng.getrandbits(32), th['domain'])
        h['date'] = rfc2822_date(t)
        th['msgs'].append((h['msgid'], text))
        fname = '%04d.eml' % i
        envelope.append('%s %s\n' % (th['to'], fname))
        with open(os.path.join(a.outdir, 'mail', fname), 'wb') as f:
            f.write(render(rng, h, text))

    with open(os.path.join(a.outdir, 'accounts.csv'), 'w') as f:
        f.write('crm_id,name,status,sla_policy,domains,contacts\n')
        for c, name, status, policy, domain in accounts:
            f.write('CRM-%04d,%s Ltd,%s,%s,%s,\n' % (c, domain.split('.')[0],
                                                   status, policy, domain))
    with open(os.path.join(a.outdir, 'envelope'), 'w') as f:
        f.writelines(envelope)


if __name__ == '__main__':
    main()
