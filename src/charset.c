/* Charset conversion to UTF-8 and UTF-8 validation. A label resolves the
 * way Python 3.11's codecs.lookup() resolves it and the bytes then decode as
 * that Python codec decodes them: glibc iconv does the work, corrected
 * where it differs. Every function here parses untrusted input. The
 * label and correction tables are in charset-tables.h. */
#include "ticketgate/charset.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset-tables.h"

/* codecs.lookup() lower-cases, then encodings.normalize_encoding() turns
 * each run of bytes other than ASCII alphanumerics and '.' into one '_'
 * and drops it at both ends. Labels too long for any known name fail. */
static bool
normalize(const char *label, char *key, size_t size)
{
	bool punct = false;
	size_t n = 0;

	for (; *label != '\0'; label++) {
		int c = tg_ascii_tolower((unsigned char)*label);

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      c == '.')) {
			punct = true;
			continue;
		}
		if (n + 2 >= size)
			return false;
		if (punct && n > 0)
			key[n++] = '_';
		key[n++] = (char)c;
		punct = false;
	}
	key[n] = '\0';
	return n > 0;
}

static bool
has_token(const char *list, const char *key, size_t klen)
{
	for (size_t n; *list != '\0'; list += n + (list[n] == ' ')) {
		n = strcspn(list, " ");
		if (n == klen && memcmp(list, key, n) == 0)
			return true;
	}
	return false;
}

/* encodings.search_function() tries the aliases, then the aliases with
 * '.' read as '_', then module names (never with a '.'). No name occurs
 * twice in the table, so one pass finds what Python finds. */
static const struct codec *
scan(const char *key)
{
	char key2[40];
	size_t klen = strlen(key), i;

	for (i = 0; i <= klen; i++)
		key2[i] = key[i] == '.' ? '_' : key[i];
	for (i = 0; i < TG_N(codecs); i++) {
		const char *mod = codecs[i].names;
		size_t mlen = strcspn(mod, " ");

		if ((mlen == klen && memcmp(mod, key, klen) == 0 &&
		     strchr(key, '.') == NULL) ||
		    has_token(mod + mlen, key, klen) ||
		    has_token(mod + mlen, key2, klen))
			return &codecs[i];
	}
	return NULL;
}

/* The scan takes microseconds and callers retry one label many times
 * (a character at a time in headers): each thread remembers the last. */
static const struct codec *
lookup(const char *label)
{
	static _Thread_local char last[40];
	static _Thread_local const struct codec *last_codec;
	char key[40];

	if (label == NULL)
		return NULL;
	if (last[0] != '\0' && strcmp(label, last) == 0)
		return last_codec;
	if (!normalize(label, key, sizeof(key)))
		return NULL;
	last_codec = scan(key);
	if (strlen(label) < sizeof(last))
		strcpy(last, label);
	else
		last[0] = '\0';
	return last_codec;
}

bool
tg_charset_known(const char *charset)
{
	return lookup(charset) != NULL;
}

/* Length of the well-formed UTF-8 sequence at p (n > 0), else 0. The
 * second byte's range rules out overlongs, surrogates and code points
 * past U+10FFFF, as Python's strict decoder does. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0], lo = 0x80, hi = 0xBF;
	size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 :
		     c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;

	if (len < 2)
		return len;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* Bytes before the first one >= 0x80, eight at a time. */
static size_t
ascii_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

bool
tg_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	if (len == 0) /* s may be NULL then: no arithmetic on it */
		return true;
	while ((i += ascii_prefix(p + i, len - i)) < len) {
		k = utf8_seq(p + i, len - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Decoders encode into a stack chunk appended in bulk. Once an append is
 * refused (the buffer's cap) later ones are skipped, so that the output
 * stays a prefix, but decoding goes on: invalid input still gives -1. */
struct stage {
	struct tg_buf *out;
	size_t len0, n; /* out->len on entry, bytes staged */
	bool overflow0, full;
	unsigned char s[4096];
};

#define STAGE(b) { .out = (b), .len0 = (b)->len, .overflow0 = (b)->overflow }

static void
stage_append(struct stage *st, const void *p, size_t n)
{
	if (n > 0 && !st->full && tg_buf_append(st->out, p, n) < 0)
		st->full = true;
}

static void
stage_flush(struct stage *st)
{
	stage_append(st, st->s, st->n);
	st->n = 0;
}

/* cp is a scalar value: iconv's UTF-32 output and the fixes are. */
static size_t
put_utf8(unsigned char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (unsigned char)(0xC0 | cp >> 6);
		d[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (unsigned char)(0xE0 | cp >> 12);
		d[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		d[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | cp >> 18);
	d[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	d[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	d[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void
stage_cp(struct stage *st, uint32_t cp)
{
	if (st->n > sizeof(st->s) - 4)
		stage_flush(st);
	st->n += put_utf8(st->s + st->n, cp);
}

static uint32_t
apply_fix(const struct codec *c, uint32_t cp)
{
	for (size_t i = 0; i < c->nfix; i++)
		if (cp >= c->fix[i].lo && cp <= c->fix[i].hi)
			return c->fix[i].to == BAD ? BAD :
			       c->fix[i].to + (cp - c->fix[i].lo);
	return cp;
}

/* iconv_open() costs tens of microseconds: each thread keeps its last few
 * descriptors (and byte tables), freed by a key destructor when the
 * thread exits, or by atexit() for the thread that calls exit(). */
#define NSLOTS 8

struct slot {
	const struct codec *codec; /* NULL: free */
	const char *name;
	iconv_t cd;                /* K_TABLE: closed once the table is built */
	unsigned char (*table)[4]; /* K_TABLE: length, then UTF-8 bytes */
};

static _Thread_local struct slot slots[NSLOTS];
static _Thread_local unsigned slot_next;
static _Thread_local bool slots_registered;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static pthread_key_t slots_key;
static bool slots_key_ok;

static void
slot_clear(struct slot *s)
{
	if (s->codec != NULL && s->table == NULL)
		iconv_close(s->cd);
	free(s->table);
	s->codec = NULL;
	s->table = NULL;
}

static void
slots_free(void *arg)
{
	struct slot *s = arg;

	for (int i = 0; i < NSLOTS; i++)
		slot_clear(&s[i]);
	slots_registered = false;
}

static void
slots_free_at_exit(void)
{
	slots_free(slots);
}

static void
slots_init(void)
{
	slots_key_ok = pthread_key_create(&slots_key, slots_free) == 0;
	atexit(slots_free_at_exit);
}

static uint32_t
get_u32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Each byte on its own, with a flush for the converters that hold a base
 * letter back waiting for a combining mark. */
static void
build_table(struct slot *s)
{
	s->table = tg_xcalloc(256, sizeof(*s->table));
	for (int b = 0; b < 256; b++) {
		char in = (char)b, *ip = &in, u[8], *op = u;
		size_t il = 1, ol = sizeof(u);
		uint32_t cp;

		iconv(s->cd, NULL, NULL, NULL, NULL);
		if (iconv(s->cd, &ip, &il, &op, &ol) == (size_t)-1 ||
		    iconv(s->cd, NULL, NULL, &op, &ol) == (size_t)-1 ||
		    ol != sizeof(u) - 4)
			continue;
		cp = apply_fix(s->codec, get_u32le((unsigned char *)u));
		if (cp != BAD)
			s->table[b][0] =
				(unsigned char)put_utf8(&s->table[b][1], cp);
	}
	iconv_close(s->cd);
}

static struct slot *
slot_get(const struct codec *c, const char *name)
{
	struct slot *s;
	iconv_t cd;

	for (s = slots; s < slots + NSLOTS; s++) {
		if (s->codec == c && strcmp(s->name, name) == 0) {
			if (s->table == NULL)
				iconv(s->cd, NULL, NULL, NULL, NULL);
			return s;
		}
	}
	cd = iconv_open("UTF-32LE", name);
	if (cd == (iconv_t)-1)
		return NULL;
	if (!slots_registered) {
		pthread_once(&slots_once, slots_init);
		if (slots_key_ok)
			pthread_setspecific(slots_key, slots);
		slots_registered = true;
	}
	s = &slots[slot_next++ % NSLOTS];
	slot_clear(s);
	s->codec = c;
	s->name = name;
	s->cd = cd;
	if (c->kind == K_TABLE)
		build_table(s);
	return s;
}

static int
conv_table(const struct slot *s, const unsigned char *p, size_t len,
	   struct stage *st)
{
	for (size_t i = 0; i < len; i++) {
		const unsigned char *e = s->table[p[i]];

		if (e[0] == 0)
			return -1;
		if (st->n > sizeof(st->s) - 3)
			stage_flush(st);
		memcpy(st->s + st->n, e + 1, 3);
		st->n += e[0];
	}
	return 0;
}

static int
conv_iconv(const struct slot *s, const unsigned char *p, size_t len,
	   bool last, struct stage *st)
{
	char *ip = (char *)p; /* iconv() never writes through it */
	unsigned char u[4096];
	bool flushing = false;

	for (;;) {
		char *op = (char *)u;
		size_t ol = sizeof(u), r;

		/* after the last input, a call with NULL lets a stateful
		 * decoder emit what it holds back */
		r = flushing ? iconv(s->cd, NULL, NULL, &op, &ol)
			     : iconv(s->cd, &ip, &len, &op, &ol);
		if (r == (size_t)-1 && errno != E2BIG)
			return -1; /* EILSEQ, or EINVAL: cut short */
		for (size_t i = 0; i < sizeof(u) - ol; i += 4) {
			uint32_t cp = get_u32le(u + i);

			if (s->codec->nfix > 0 &&
			    (cp = apply_fix(s->codec, cp)) == BAD)
				return -1;
			stage_cp(st, cp);
		}
		if (r != (size_t)-1) {
			if (flushing || !last)
				return 0;
			flushing = true;
		}
	}
}

/* Jamo index of each KS X 1001 letter 0xA4A1-0xA4BE as an initial and as
 * a final consonant, -1 where it cannot be one. */
static const signed char jamo_initial[30] = {
	0, 1, -1, 2, -1, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1,
	6, 7, 8, -1, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
};
static const signed char jamo_final[30] = {
	1, 2, 3, 4, 5, 6, 7, -1, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, -1, 18, 19, 20, 21, 22, -1, 23, 24, 25, 26, 27,
};

/* KS X 1001 Annex 3, which Python's euc_kr reads and writes: a syllable
 * outside the charset is the filler 0xA4D4 and three jamo 0xA4xx
 * (initial, medial, final or filler). Anything else after the filler
 * is an error, as in Python. */
static uint32_t
makeup_syllable(const unsigned char *p, size_t n)
{
	int ini, med, fin;

	if (n < 8 || p[2] != 0xA4 || p[4] != 0xA4 || p[6] != 0xA4 ||
	    p[3] < 0xA1 || p[3] > 0xBE || p[5] < 0xBF || p[5] > 0xD3 ||
	    (p[7] != 0xD4 && (p[7] < 0xA1 || p[7] > 0xBE)))
		return BAD;
	ini = jamo_initial[p[3] - 0xA1];
	med = p[5] - 0xBF;
	fin = p[7] == 0xD4 ? 0 : jamo_final[p[7] - 0xA1];
	if (ini < 0 || fin < 0)
		return BAD;
	return 0xAC00 + (uint32_t)(ini * 588 + med * 28 + fin);
}

/* Walks the input as Python does (ASCII bytes alone, others in pairs):
 * iconv decodes the runs between eight-byte syllables. */
static int
conv_euckr(const struct slot *s, const unsigned char *p, size_t len,
	   struct stage *st)
{
	size_t i = 0, run = 0;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (i + 1 < len && p[i] == 0xA4 && p[i + 1] == 0xD4) {
			cp = makeup_syllable(p + i, len - i);
			if (cp == BAD ||
			    conv_iconv(s, p + run, i - run, false, st) < 0)
				return -1;
			stage_cp(st, cp);
			i += 8;
			run = i;
			continue;
		}
		i += 2;
	}
	return conv_iconv(s, p + run, len - run, true, st);
}

/* Python's iso2022_jp_2 writes GB 2312 as ESC $ ( A, which glibc does not
 * know; both know ESC $ A. */
static int
conv_jp2(const struct slot *s, const unsigned char *p, size_t len,
	 struct stage *st)
{
	size_t i, run = 0;

	for (i = 0; i + 4 <= len; i++) {
		if (p[i] != 0x1B || memcmp(p + i, "\x1B$(A", 4) != 0)
			continue;
		if (conv_iconv(s, p + run, i - run, false, st) < 0 ||
		    conv_iconv(s, (const unsigned char *)"\x1B$A", 3, false,
			       st) < 0)
			return -1;
		run = i + 4;
		i += 3;
	}
	return conv_iconv(s, p + run, len - run, true, st);
}

static int
b64_sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Python's UTF-7 decoder: any ASCII byte but '+' stands for itself, '+'
 * must open base64 or be "+-", and base64 must close on a sextet boundary
 * with zero padding bits. The lone surrogates Python lets through are
 * errors here: they have no UTF-8 form. */
static int
conv_utf7(const unsigned char *p, size_t len, struct stage *st)
{
	const unsigned char *end = p + len;
	uint32_t acc = 0, high = 0, u;
	unsigned bits = 0;
	bool shift = false;
	int v;

	while (p < end) {
		if (shift && (v = b64_sextet(*p)) >= 0) {
			p++;
			acc = (acc << 6 | (uint32_t)v) & 0x3FFFFF;
			if ((bits += 6) < 16)
				continue;
			bits -= 16;
			u = acc >> bits & 0xFFFF;
			if ((high != 0) != (u >= 0xDC00 && u <= 0xDFFF))
				return -1;
			if (high != 0)
				stage_cp(st, 0x10000 + ((high - 0xD800) << 10) +
						 (u - 0xDC00));
			else if (u < 0xD800 || u > 0xDBFF)
				stage_cp(st, u);
			high = u >= 0xD800 && u <= 0xDBFF ? u : 0;
		} else if (shift) {
			if (bits >= 6 || (acc & ((1u << bits) - 1)) || high)
				return -1;
			shift = false;
			p += *p == '-';
		} else if (*p == '+') {
			if (++p < end && *p == '-') {
				stage_cp(st, '+');
				p++;
			} else if (p < end && b64_sextet(*p) < 0) {
				return -1;
			} else {
				shift = true;
				bits = 0;
			}
		} else if (*p < 0x80) {
			stage_cp(st, *p++);
		} else {
			return -1;
		}
	}
	return shift && (bits >= 6 || (acc & ((1u << bits) - 1)) || high) ?
		       -1 : 0;
}

int
tg_charset_to_utf8(const char *charset, const char *in, size_t len,
		   struct tg_buf *out)
{
	const struct codec *c = lookup(charset);
	const unsigned char *p = (const unsigned char *)in;
	const char *name;
	struct stage st = STAGE(out);
	struct slot *s;
	int rc;

	if (c == NULL || (c->kind == K_ASCII && ascii_prefix(p, len) != len))
		return -1;
	if (len == 0) /* in may be NULL then; every codec decodes it to "" */
		return 0;
	if (c->kind == K_UTF8SIG && len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
		p += 3;
		len -= 3;
	}
	if (c->kind <= K_UTF8SIG) {
		if (c->kind != K_ASCII && !tg_utf8_valid((const char *)p, len))
			return -1;
		tg_buf_append(out, p, len);
		return 0;
	}
	/* Python's utf-16 and utf-32 drop one BOM, else read little-endian */
	name = c->iconv;
	if (c->kind == K_UTF16 && len >= 2 &&
	    (!memcmp(p, "\xFF\xFE", 2) || !memcmp(p, "\xFE\xFF", 2))) {
		name = p[0] == 0xFE ? "UTF-16BE" : name;
		p += 2;
		len -= 2;
	} else if (c->kind == K_UTF32 && len >= 4 &&
		   (!memcmp(p, "\xFF\xFE\0\0", 4) ||
		    !memcmp(p, "\0\0\xFE\xFF", 4))) {
		name = p[0] == 0 ? "UTF-32BE" : name;
		p += 4;
		len -= 4;
	}
	if (c->kind == K_UTF7)
		rc = conv_utf7(p, len, &st);
	else if ((s = slot_get(c, name)) == NULL)
		rc = -1;
	else if (c->kind == K_TABLE)
		rc = conv_table(s, p, len, &st);
	else if (c->kind == K_EUCKR)
		rc = conv_euckr(s, p, len, &st);
	else if (c->kind == K_JP2)
		rc = conv_jp2(s, p, len, &st);
	else
		rc = conv_iconv(s, p, len, true, &st);
	if (rc == 0) {
		stage_flush(&st);
	} else {
		out->len = st.len0;
		out->overflow = st.overflow0;
		if (out->data != NULL)
			out->data[out->len] = '\0';
	}
	return rc;
}

/* Windows-1252 for 0x80-0x9F; its five holes become U+FFFD rather than
 * C1 controls, which would only hide that the text was not cp1252. */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

void
tg_charset_fallback_to_utf8(const char *in, size_t len, struct tg_buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	struct stage st = STAGE(out);
	size_t i = 0, run = 0, k;

	if (len == 0)
		return;
	while ((i += ascii_prefix(p + i, len - i)) < len) {
		k = utf8_seq(p + i, len - i);
		if (k > 0) {
			i += k;
			continue;
		}
		/* what was staged precedes the valid run before p[i] */
		stage_flush(&st);
		stage_append(&st, p + run, i - run);
		stage_cp(&st, p[i] < 0xA0 ? cp1252_c1[p[i] - 0x80] : p[i]);
		run = ++i;
	}
	stage_flush(&st);
	stage_append(&st, p + run, len - run);
}

static bool
blank_label(const char *s)
{
	for (; *s != '\0'; s++)
		if (!tg_ascii_isspace((unsigned char)*s) && *s != '"' &&
		    *s != '\'')
			return false;
	return true;
}

/* Mislabelled CJK text is usually in a sibling encoding of the label:
 * 8-bit Shift_JIS or EUC-JP under iso-2022-jp, GBK under gb2312, UHC
 * under euc-kr. Trying those reads it where Windows-1252 would not. */
static int
decode_family(const char *charset, const char *in, size_t len,
	      struct tg_buf *out)
{
	static const struct {
		const char *prefix;
		const char *try[2];
	} families[] = {
		{ "iso-2022-jp", { "cp932", "euc-jp" } },
		{ "shift_jis", { "cp932", "euc-jp" } },
		{ "euc-jp", { "cp932", NULL } },
		{ "gb2312", { "gb18030", NULL } },
		{ "gbk", { "gb18030", NULL } },
		{ "euc-kr", { "cp949", NULL } },
		{ "big5", { "big5-hkscs", NULL } },
	};
	char label[32];
	size_t n = 0;

	while (*charset == ' ' || *charset == '"' || *charset == '\'')
		charset++;
	for (; charset[n] != '\0' && n < sizeof(label) - 1; n++)
		label[n] = (char)tg_ascii_tolower((unsigned char)charset[n]);
	label[n] = '\0';
	for (size_t i = 0; i < TG_N(families); i++) {
		if (strncmp(label, families[i].prefix,
			    strlen(families[i].prefix)) != 0)
			continue;
		for (size_t k = 0; k < 2 && families[i].try[k] != NULL; k++)
			if (tg_charset_to_utf8(families[i].try[k], in, len,
					       out) == 0)
				return 0;
	}
	return -1;
}

int
tg_charset_decode_text(const char *charset, const char *in, size_t len,
		       struct tg_buf *out)
{
	if (charset == NULL || blank_label(charset))
		charset = "us-ascii";
	if (tg_charset_to_utf8(charset, in, len, out) == 0)
		return 0;
	if (tg_utf8_valid(in, len)) {
		tg_buf_append(out, in, len);
		return 1;
	}
	if (decode_family(charset, in, len, out) == 0)
		return 2;
	tg_charset_fallback_to_utf8(in, len, out);
	return 2;
}
