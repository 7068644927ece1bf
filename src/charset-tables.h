/* The data behind charset.c, for charset.c alone (which includes this
 * once): the codecs Python's labels resolve to, with the glibc converter
 * each maps to, and the corrections where glibc's code points differ
 * from Python's. The logic that reads them is all in charset.c.
 */
#ifndef TICKETGATE_CHARSET_TABLES_H
#define TICKETGATE_CHARSET_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "ticketgate/util.h"

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

/* The builders above are for the tables only. */
#undef SUB
#undef ETEN
#undef FIX
#undef OWN
#undef SB
#undef SBF
#undef MB
#undef MBF
#undef WIN
#undef DOS

#endif
