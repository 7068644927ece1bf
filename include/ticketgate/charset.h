/* Charset conversion to UTF-8 (iconv inside) and UTF-8 validation. Charset
 * labels are matched the way mail needs: case-insensitively, with the
 * aliases real mailers write (ks_c_5601-1987, x-sjis, utf8, cp-1252...). */
#ifndef TICKETGATE_CHARSET_H
#define TICKETGATE_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/buf.h"

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF). */
bool tg_utf8_valid(const char *s, size_t len);

/* Whether the charset label names a charset we can convert from. */
bool tg_charset_known(const char *charset);

/* Converts in[0..len) from charset to UTF-8 and appends it to out.
 * Returns 0, or -1 when the charset is unknown or the bytes are invalid in
 * it; on -1 out is left as it was. */
int tg_charset_to_utf8(const char *charset, const char *in, size_t len,
		       struct tg_buf *out);

/* Appends bytes of unknown charset as UTF-8: valid UTF-8 sequences are
 * kept, every other byte is read as Windows-1252. Never fails. */
void tg_charset_fallback_to_utf8(const char *in, size_t len,
				 struct tg_buf *out);

/* Decodes a text body: the declared charset (NULL or "" means US-ASCII),
 * else UTF-8, else the label's sibling encodings (cp932 and EUC-JP for
 * Japanese labels, GB18030 for Chinese, cp949 for Korean), else the
 * fallback above. The result is always valid UTF-8. Returns 0 when the
 * declared charset decoded it, 1 when UTF-8 did, 2 otherwise. */
int tg_charset_decode_text(const char *charset, const char *in, size_t len,
			   struct tg_buf *out);

#endif
