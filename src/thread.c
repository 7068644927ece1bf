/* Threading rules: subject tokens, signed reply addresses, and the
 * decision which ticket a message joins. Parses untrusted input (subjects
 * and addresses come from senders). */
#include "ticketgate/thread.h"
#include "ticketgate/mac.h"
#include "ticketgate/util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAC_BYTES 10 /* 80 bits: far beyond guessing over SMTP */
#define MAC_CHARS 16 /* base32 of MAC_BYTES */
#define MAX_NUMBER_DIGITS 15

int
tg_thread_subject_token(const char *subject, int64_t *number_r)
{
	for (const char *p = strstr(subject, "[#"); p != NULL;
	     p = strstr(p + 1, "[#")) {
		const char *d = p + 2;
		int64_t n = 0;
		size_t digits = 0;

		while (*d >= '0' && *d <= '9' && digits < MAX_NUMBER_DIGITS) {
			n = n * 10 + (*d - '0');
			d++;
			digits++;
		}
		if (digits > 0 && *d == ']' && n > 0) {
			*number_r = n;
			return 1;
		}
	}
	return 0;
}

/* The mac of a reply token: over "t<number>:<address>", the address
 * lowercased. */
static void
compute_mac(const unsigned char *key, size_t keylen, const char *address,
	    size_t addrlen, int64_t number, char out[MAC_CHARS + 1])
{
	struct tg_buf msg;

	tg_buf_init(&msg, 64, 0);
	tg_buf_appendf(&msg, "t%" PRId64 ":", number);
	for (size_t i = 0; i < addrlen; i++)
		tg_buf_putc(&msg, tg_ascii_tolower((unsigned char)address[i]));
	tg_mac_b32(key, keylen, msg.data, msg.len, MAC_BYTES, out);
	tg_buf_deinit(&msg);
}

void
tg_thread_reply_address(const unsigned char *key, size_t keylen,
			const char *address, int64_t number,
			struct tg_buf *out)
{
	const char *at = strrchr(address, '@');
	char mac[MAC_CHARS + 1];

	compute_mac(key, keylen, address, strlen(address), number, mac);
	if (at == NULL)
		at = address + strlen(address);
	for (const char *p = address; p < at; p++)
		tg_buf_putc(out, tg_ascii_tolower((unsigned char)*p));
	tg_buf_appendf(out, "+t%" PRId64 ".%s", number, mac);
	for (const char *p = at; *p != '\0'; p++)
		tg_buf_putc(out, tg_ascii_tolower((unsigned char)*p));
}

int
tg_thread_parse_address(const unsigned char *key, size_t keylen,
			const char *address, int64_t *number_r,
			struct tg_buf *base)
{
	const char *at = strrchr(address, '@');
	const char *plus, *p, *dot;
	char mac[MAC_CHARS + 1];
	int64_t n = 0;
	size_t digits = 0;
	struct tg_buf plain;
	int ret;

	if (at == NULL)
		at = address + strlen(address);
	plus = memchr(address, '+', (size_t)(at - address));
	if (plus == NULL || plus[1] != 't') {
		for (p = address; *p != '\0'; p++)
			tg_buf_putc(base, tg_ascii_tolower((unsigned char)*p));
		return 0;
	}
	for (p = plus + 2; p < at && *p >= '0' && *p <= '9' &&
	     digits < MAX_NUMBER_DIGITS; p++, digits++)
		n = n * 10 + (*p - '0');
	dot = p;
	tg_buf_init(&plain, 64, 0);
	for (p = address; p < plus; p++)
		tg_buf_putc(&plain, tg_ascii_tolower((unsigned char)*p));
	for (p = at; *p != '\0'; p++)
		tg_buf_putc(&plain, tg_ascii_tolower((unsigned char)*p));
	tg_buf_append(base, plain.data, plain.len);
	if (digits == 0 || n == 0 || dot >= at || *dot != '.' ||
	    (size_t)(at - dot - 1) != MAC_CHARS) {
		tg_buf_deinit(&plain);
		return -1;
	}
	compute_mac(key, keylen, plain.data, plain.len, n, mac);
	/* constant time: the comparison must not leak how much matched */
	ret = tg_mac_equal(mac, dot + 1, MAC_CHARS) ? 1 : -1;
	if (ret == 1)
		*number_r = n;
	tg_buf_deinit(&plain);
	return ret;
}

enum tg_thread_via
tg_thread_decide(const struct tg_thread_facts *f, int64_t *ticket_r)
{
	if (f->token_ticket > 0) {
		*ticket_r = f->token_ticket;
		return TG_THREAD_TOKEN;
	}
	if (f->reference_ticket > 0) {
		*ticket_r = f->reference_ticket;
		return TG_THREAD_REFERENCES;
	}
	if (f->subject_ticket > 0 && f->sender_in_subject_ticket) {
		*ticket_r = f->subject_ticket;
		return TG_THREAD_SUBJECT;
	}
	*ticket_r = 0;
	return TG_THREAD_NEW;
}

const char *
tg_thread_via_name(enum tg_thread_via via)
{
	switch (via) {
	case TG_THREAD_TOKEN: return "reply-token";
	case TG_THREAD_REFERENCES: return "references";
	case TG_THREAD_SUBJECT: return "subject-token";
	case TG_THREAD_NEW: break;
	}
	return "new";
}

enum tg_followup
tg_thread_customer_followup(enum tg_ticket_status s, bool automatic)
{
	if (automatic)
		return TG_FOLLOWUP_APPEND;
	switch (s) {
	case TG_STATUS_PENDING:
	case TG_STATUS_SOLVED:
		return TG_FOLLOWUP_REOPEN;
	case TG_STATUS_CLOSED:
		return TG_FOLLOWUP_NEW_LINKED;
	case TG_STATUS_OPEN:
	case TG_STATUS_ON_HOLD:
	case TG_STATUS_SPAM:
		break;
	}
	return TG_FOLLOWUP_APPEND;
}

static const char *const status_names[] = {
	[TG_STATUS_OPEN] = "open",     [TG_STATUS_PENDING] = "pending",
	[TG_STATUS_ON_HOLD] = "on_hold", [TG_STATUS_SOLVED] = "solved",
	[TG_STATUS_CLOSED] = "closed", [TG_STATUS_SPAM] = "spam",
};

const char *
tg_ticket_status_name(enum tg_ticket_status s)
{
	return (size_t)s < TG_N(status_names) ? status_names[s] : "open";
}

int
tg_ticket_status_parse(const char *name)
{
	for (size_t i = 0; i < TG_N(status_names); i++)
		if (strcmp(name, status_names[i]) == 0)
			return (int)i;
	return -1;
}
