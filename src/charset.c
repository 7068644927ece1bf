/* Charset conversion to UTF-8 and UTF-8 validation. A label resolves the
 * way Python 3.11's codecs.lookup() resolves it and the bytes then decode as
 * that Python codec decodes them: glibc iconv does the work, corrected
 * where it differs. Every function here parses untrusted input. */
#include "ticketgate/charset.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BAD 0xFFFFFFFFu

/* iconv yields a code point in lo..hi where Python yields to + (cp - lo)
 * instead, or fails (BAD). Each entry was checked exhaustively against
 * Python: those code points come from nothing else in that charset. */
struct fix {
	uint32_t lo, hi, to;
};

enum kind {
	K_ASCII,   /* bytes < 0x80 only */
	K_UTF8,    /* strict UTF-8, copied without iconv */
	K_UTF8SIG, /* the same after dropping one leading BOM */
	K_UTF16,   /* a BOM picks the byte order and is dropped; else LE */
	K_UTF32,
	K_UTF7,    /* own decoder: glibc's rejects '~', '\\' and controls */
	K_EUCKR,   /* iconv, plus Python's eight-byte syllables (below) */
	K_JP2,     /* iconv, plus Python's own escape for GB 2312 */
	K_TABLE,   /* single-byte: a table built from iconv one byte at a
		    * time, so glibc cannot compose cp1255/cp1258 marks */
	K_ICONV,   /* multibyte or stateful: iconv over the whole input */
};

struct codec {
	const char *names; /* Python's module name, then its aliases */
	const char *iconv;
	enum kind kind;
	const struct fix *fix;
	size_t nfix;
};

/* Left different from Python, all rare in mail:
 * - cp932: Python also takes Windows' single bytes 0x80, 0xA0, 0xFD-0xFF;
 * - gb18030: 0xFE51/52/53/6C/76/91 are private use in Python, CJK Ext. B
 *   here; Python also takes 18 four-byte codes glibc lacks (0x82359037..);
 * - big5hkscs: glibc lacks 7 codes (0xA15A...) and has HKSCS-2008's 68;
 * - big5: 8 codes of 0xF9D6-0xF9FE decode here, Python rejects them;
 * - johab: Python takes 17 jamo codes (0x8441...) that glibc rejects;
 * - utf_7: a lone surrogate, which Python passes on, is an error here;
 * - iso2022_*: malformed escape sequences are literal text for one side
 *   and an error for the other.
 * Everything else was checked to match byte for byte. */
#define SUB(from, to) { from, from, to }

static const struct fix fix_sjis[] = {	/* JIS X 0201 Roman vs ASCII */
	SUB(0xA5, '\\'), SUB(0x203E, '~'),
};
static const struct fix fix_eucjp[] = {
	{ 0x80, 0x9F, BAD }, SUB(0xFF5E, '~'),
};
static const struct fix fix_euckr[] = { { 0x80, 0x9F, BAD }, SUB(0x327E, BAD) };
static const struct fix fix_johab[] = { SUB(0x20A9, '\\'), SUB(0x327E, BAD) };
static const struct fix fix_gbk[] = { SUB(0x20AC, BAD) };
static const struct fix fix_gb18030[] = { /* glibc has the 2005 edition */
	SUB(0xFE10, 0xE78D), SUB(0xFE12, 0xE78E), SUB(0xFE11, 0xE78F),
	SUB(0xFE13, 0xE790), SUB(0xFE14, 0xE791), SUB(0xFE15, 0xE792),
	SUB(0xFE16, 0xE793), SUB(0xFE17, 0xE794), SUB(0xFE18, 0xE795),
	SUB(0xFE19, 0xE796), SUB(0x1E3F, 0xE7C7), SUB(0xE7C7, 0x1E3F),
	SUB(0x9FB4, 0xE81E), SUB(0x9FB5, 0xE826), SUB(0x9FB6, 0xE82B),
	SUB(0x9FB7, 0xE82C), SUB(0x9FB8, 0xE832), SUB(0x9FB9, 0xE843),
	SUB(0x9FBA, 0xE854), SUB(0x9FBB, 0xE864),
};
/* glibc has Big5's ETEN kana, Cyrillic and numbers in private use */
#define ETEN { 0xF6B1, 0xF6B1, 0x30FE }, { 0xF6B2, 0xF6B3, 0x309D }, \
	{ 0xF6B4, 0xF6B4, 0x3005 }, { 0xF6B5, 0xF707, 0x3041 },      \
	{ 0xF708, 0xF75D, 0x30A1 }, { 0xF75E, 0xF75F, 0x0414 },      \
	{ 0xF760, 0xF760, 0x0401 }, { 0xF761, 0xF767, 0x0416 },      \
	{ 0xF768, 0xF77A, 0x0423 }, { 0xF77B, 0xF77B, 0x0451 },      \
	{ 0xF77C, 0xF795, 0x0436 }, { 0xF796, 0xF79F, 0x2460 },      \
	{ 0xF7A0, 0xF7A9, 0x2474 }, { 0xF7AA, 0xF848, BAD }
static const struct fix fix_big5[] = {
	ETEN, SUB(0x80, BAD), SUB(0x20AC, BAD),
	SUB(0x2027, 0x2022), SUB(0xFE51, 0xFF64), SUB(0xAF, 0x203E),
	SUB(0xFF5E, 0x223C), SUB(0x2295, 0x2641), SUB(0x2299, 0x2609),
	SUB(0x2215, 0xFF0F), SUB(0xFE68, 0xFF3C), SUB(0xFFE5, 0xA5),
	SUB(0xFFE0, 0xA2), SUB(0xFFE1, 0xA3),
	/* 0xF9D6-0xF9FE, cp950 only, bar code points also at 0xA2xx */
	SUB(0x7881, BAD), SUB(0x92B9, BAD), SUB(0x88CF, BAD), SUB(0x58BB, BAD),
	SUB(0x6052, BAD), SUB(0x7CA7, BAD), SUB(0x5AFA, BAD),
	{ 0x2551, 0x255D, BAD }, { 0x255F, 0x2560, BAD },
	{ 0x2562, 0x2569, BAD }, { 0x256B, 0x256C, BAD }, SUB(0x2593, BAD),
};
static const struct fix fix_cp950[] = { ETEN, SUB(0x80, BAD) };
static const struct fix fix_hkscs[] = { SUB(0x80, BAD) };
static const struct fix fix_tis620[] = { SUB(0xA0, BAD) };
static const struct fix fix_macroman[] = {
	SUB(0x394, 0x2206), SUB(0xE01E, 0xF8FF),
};
static const struct fix fix_maccyr[] = { SUB(0xA4, 0x20AC) };
static const struct fix fix_cp273[] = { SUB(0xAF, 0x203E) };
static const struct fix fix_cp1026[] = { SUB(0x20AC, 0xA4) };

#define FIX(f) f, TG_N(f)
#define OWN(n, ic, k) { n, ic, k, NULL, 0 }
#define SB(n, ic) { n, ic, K_TABLE, NULL, 0 }
#define SBF(n, ic, f) { n, ic, K_TABLE, FIX(f) }
#define MB(n, ic) { n, ic, K_ICONV, NULL, 0 }
#define MBF(n, ic, f) { n, ic, K_ICONV, FIX(f) }
#define WIN(n) SB("cp" #n " " #n " windows_" #n " cp_" #n, "CP" #n)
#define DOS(n) SB("cp" #n " " #n " csibm" #n " ibm" #n, "CP" #n)

/* Python's codecs with a glibc equivalent, named as in
 * encodings/aliases.py. Python lacks some labels real mail uses; these
 * unambiguous ones are added: x_sjis, windows_31j, windows_874, x_euc_jp,
 * iso_8859_8_i (same bytes as 8859-8), x_gbk and cp_1250...cp_1258.
 * ks_c_5601_1987 is read as cp949 (Python: euc_kr), the superset Outlook
 * actually writes under that label; text valid in euc_kr decodes the same.
 * Left out, so
 * unknown: Python codecs glibc lacks or decodes differently (hz, cp720,
 * cp856, cp875, cp1006, cp424, most mac_*, palmos, the JIS X 0213 ones,
 * iso2022_jp_1/_ext) and the bytes-to-bytes ones (base64, rot13...). */
static const struct codec codecs[] = {
	OWN("ascii 646 ansi_x3.4_1968 ansi_x3.4_1986 ansi_x3_4_1968 cp367 "
	    "csascii ibm367 iso646_us iso_646.irv_1991 iso_ir_6 us us_ascii",
	    NULL, K_ASCII),
	OWN("utf_8 cp65001 u8 utf utf8 utf8_ucs2 utf8_ucs4", NULL, K_UTF8),
	OWN("utf_8_sig", NULL, K_UTF8SIG),
	OWN("utf_16 u16 utf16", "UTF-16LE", K_UTF16),
	MB("utf_16_le unicodelittleunmarked utf_16le", "UTF-16LE"),
	MB("utf_16_be unicodebigunmarked utf_16be", "UTF-16BE"),
	OWN("utf_32 u32 utf32", "UTF-32LE", K_UTF32),
	MB("utf_32_le utf_32le", "UTF-32LE"),
	MB("utf_32_be utf_32be", "UTF-32BE"),
	OWN("utf_7 u7 unicode_1_1_utf_7 utf7", NULL, K_UTF7),
	SB("latin_1 8859 cp819 csisolatin1 ibm819 iso8859 iso8859_1 iso_8859_1 "
	    "iso_8859_1_1987 iso_ir_100 l1 latin latin1", "ISO-8859-1"),
	SB("iso8859_2 csisolatin2 iso_8859_2 iso_8859_2_1987 iso_ir_101 l2 "
	    "latin2", "ISO-8859-2"),
	SB("iso8859_3 csisolatin3 iso_8859_3 iso_8859_3_1988 iso_ir_109 l3 "
	    "latin3", "ISO-8859-3"),
	SB("iso8859_4 csisolatin4 iso_8859_4 iso_8859_4_1988 iso_ir_110 l4 "
	    "latin4", "ISO-8859-4"),
	SB("iso8859_5 csisolatincyrillic cyrillic iso_8859_5 iso_8859_5_1988 "
	    "iso_ir_144", "ISO-8859-5"),
	SB("iso8859_6 arabic asmo_708 csisolatinarabic ecma_114 iso_8859_6 "
	    "iso_8859_6_1987 iso_ir_127", "ISO-8859-6"),
	SB("iso8859_7 csisolatingreek ecma_118 elot_928 greek greek8 "
	    "iso_8859_7 iso_8859_7_1987 iso_ir_126", "ISO-8859-7"),
	SB("iso8859_8 csisolatinhebrew hebrew iso_8859_8 iso_8859_8_1988 "
	    "iso_ir_138 iso_8859_8_i", "ISO-8859-8"),
	SB("iso8859_9 csisolatin5 iso_8859_9 iso_8859_9_1989 iso_ir_148 l5 "
	    "latin5", "ISO-8859-9"),
	SB("iso8859_10 csisolatin6 iso_8859_10 iso_8859_10_1992 iso_ir_157 l6 "
	    "latin6", "ISO-8859-10"),
	SB("iso8859_11 iso_8859_11 iso_8859_11_2001 thai", "ISO-8859-11"),
	SB("iso8859_13 iso_8859_13 l7 latin7", "ISO-8859-13"),
	SB("iso8859_14 iso_8859_14 iso_8859_14_1998 iso_celtic iso_ir_199 l8 "
	    "latin8", "ISO-8859-14"),
	SB("iso8859_15 iso_8859_15 l9 latin9", "ISO-8859-15"),
	SB("iso8859_16 iso_8859_16 iso_8859_16_2001 iso_ir_226 l10 latin10",
	    "ISO-8859-16"),
	WIN(1250), WIN(1251), WIN(1252), WIN(1253), WIN(1254), WIN(1255),
	WIN(1256), WIN(1257), WIN(1258),
	SB("cp437 437 cspc8codepage437 ibm437", "CP437"),
	SB("cp737", "CP737"),
	SB("cp775 775 cspc775baltic ibm775", "CP775"),
	SB("cp850 850 cspc850multilingual ibm850", "CP850"),
	SB("cp852 852 cspcp852 ibm852", "CP852"),
	DOS(855), DOS(857), DOS(858), DOS(860), DOS(863), DOS(864), DOS(865),
	DOS(866),
	SB("cp861 861 cp_is csibm861 ibm861", "CP861"),
	SB("cp862 862 cspc862latinhebrew ibm862", "CP862"),
	SB("cp869 869 cp_gr csibm869 ibm869", "CP869"),
	SB("cp874 windows_874", "CP874"),
	SB("cp1125 1125 cp866u ibm1125 ruscii", "CP1125"),
	SB("cp037 037 csibm037 ebcdic_cp_ca ebcdic_cp_nl ebcdic_cp_us "
	    "ebcdic_cp_wt ibm037 ibm039", "CP037"),
	SB("cp500 500 csibm500 ebcdic_cp_be ebcdic_cp_ch ibm500", "CP500"),
	SB("cp1140 1140 ibm1140", "CP1140"),
	SBF("cp273 273 csibm273 ibm273", "CP273", fix_cp273),
	SBF("cp1026 1026 csibm1026 ibm1026", "CP1155", fix_cp1026),
	SB("koi8_r cskoi8r", "KOI8-R"),
	SB("koi8_u", "KOI8-U"),
	SB("koi8_t", "KOI8-T"),
	SB("kz1048 kz_1048 rk1048 strk1048_2002", "RK1048"),
	SB("ptcp154 cp154 csptcp154 cyrillic_asian pt154", "PT154"),
	SB("hp_roman8 cp1051 ibm1051 r8 roman8", "HP-ROMAN8"),
	SBF("tis_620 iso_ir_166 tis620 tis_620_0 tis_620_2529_0 tis_620_2529_1",
	    "ISO-8859-11", fix_tis620),
	SBF("mac_roman macintosh macroman", "MACINTOSH", fix_macroman),
	SBF("mac_cyrillic maccyrillic", "MAC-CYRILLIC", fix_maccyr),
	SB("mac_latin2 mac_centeuro maccentraleurope maclatin2",
	    "MAC-CENTRALEUROPE"),
	MBF("shift_jis csshiftjis s_jis shiftjis sjis x_mac_japanese x_sjis",
	    "SJIS", fix_sjis),
	MB("cp932 932 ms932 ms_kanji mskanji windows_31j", "CP932"),
	MBF("euc_jp eucjp u_jis ujis x_euc_jp", "EUC-JP", fix_eucjp),
	{ "euc_kr euckr korean ks_x_1001 ksc5601 ksx1001 x_mac_korean",
	  "EUC-KR", K_EUCKR, FIX(fix_euckr) },
	MB("cp949 949 ms949 uhc ks_c_5601 ks_c_5601_1987", "CP949"),
	MBF("johab cp1361 ms1361", "JOHAB", fix_johab),
	MB("gb2312 chinese csiso58gb231280 euc_cn euccn eucgb2312_cn "
	    "gb2312_1980 gb2312_80 iso_ir_58 x_mac_simp_chinese", "EUC-CN"),
	MBF("gbk 936 cp936 ms936 x_gbk", "GBK", fix_gbk),
	MBF("gb18030 gb18030_2000", "GB18030", fix_gb18030),
	MBF("big5 big5_tw csbig5 x_mac_trad_chinese", "BIG5", fix_big5),
	MBF("cp950 950 ms950", "BIG5", fix_cp950),
	MBF("big5hkscs big5_hkscs hkscs", "BIG5-HKSCS", fix_hkscs),
	MB("iso2022_jp csiso2022jp iso2022jp iso_2022_jp", "ISO-2022-JP"),
	OWN("iso2022_jp_2 iso2022jp_2 iso_2022_jp_2", "ISO-2022-JP-2", K_JP2),
	MB("iso2022_jp_3 iso2022jp_3 iso_2022_jp_3", "ISO-2022-JP-3"),
	MB("iso2022_kr csiso2022kr iso2022kr iso_2022_kr", "ISO-2022-KR"),
};

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
