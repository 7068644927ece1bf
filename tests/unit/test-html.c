/* Tests for the HTML to text conversion: a table of real-world-shaped
 * snippets whose words match Python's html.parser reference (plus the
 * link targets we add), then invariants over generated and hostile input. */
#include "ticketgate/html.h"
#include "tg-test.h"

#include <stdint.h>
#include <stdlib.h>

struct html_case {
	const char *html;
	const char *want;
};

static const struct html_case cases[] = {
	/* plain text */
	{ "Hello world",
	  "Hello world" },
	/* paragraphs get a blank line */
	{ "<p>One</p><p>Two</p>",
	  "One\n\nTwo" },
	/* Gmail divs */
	{ "<div dir=\"ltr\">Hi team,<div><br></div><div>The printer "
	  "is down again.</div><div><br></div><div>Thanks,</div><div>"
	  "Ana</div></div>",
	  "Hi team,\n\nThe printer is down again.\n\nThanks,\nAna" },
	/* br, self-closing br, </br> */
	{ "Line 1<br>Line 2<br/><br />Line 3</br>Line 4",
	  "Line 1\nLine 2\n\nLine 3\nLine 4" },
	/* whitespace folds, result trimmed */
	{ "  a \n\t b \r\n  c  \x0b\x0c d ",
	  "a b c d" },
	/* basic references */
	{ "&lt;tag&gt; &amp; &quot;q&quot; &apos;s&#39;",
	  "<tag> & \"q\" 's'" },
	/* typographic references */
	{ "&ldquo;Hi&rdquo; &mdash; &hellip; &euro;5 &pound;3 &copy;"
	  " &reg; &trade; &frac12; &deg; &plusmn;",
	  "“Hi” — … €5 £3 © ® ™ ½ ° ±" },
	/* Latin-1 letters */
	{ "Caf&eacute; &Uuml;ber Espa&ntilde;a Stra&szlig;e &AElig;"
	  "sir &Ccedil;a",
	  "Café Über España Straße Æsir Ça" },
	/* Greek, arrows, longest and two-code-point names */
	{ "&alpha;&beta;&Omega; &rarr; &hArr; &zwnj;|&CounterClockwiseContourIntegral;"
	  "|&NotEqualTilde;",
	  "αβΩ → ⇔ \xe2\x80\x8c|∳|≂\xcc\xb8" },
	/* legacy names without ';' */
	{ "&amp &copy2024 &notit; &ampxyz; &nbspx &LT &gt.",
	  "& ©2024 ¬it; &xyz; x < >." },
	/* not references */
	{ "&hellip &mdash &foo; &; & alone &#; &#x; &#xZ",
	  "&hellip &mdash &foo; &; & alone &#; &#x; &#xZ" },
	/* numeric references */
	{ "&#65;&#x42;&#X43;&#0068 &#x1F600; &#x41",
	  "ABCD 😀 A" },
	/* invalid numbers become U+FFFD */
	{ "[&#0;][&#xD800;][&#x110000;][&#99999999999999999999;]",
	  "[\xef\xbf\xbd][\xef\xbf\xbd][\xef\xbf\xbd][\xef\xbf\xbd]" },
	/* C1 numbers read as Windows-1252 */
	{ "&#128;&#x93;quoted&#x94; &#150; &#x9F;",
	  "€“quoted” – Ÿ" },
	/* code points Python drops */
	{ "a&#1;b&#x7F;c&#xFFFE;d&#11;e&#xFDD0;f",
	  "abcdef" },
	/* Unicode whitespace as str.split() sees it */
	{ "a&nbsp;&nbsp;b\xc2\xa0""c\xe2\x80\x83""d\xe3\x80\x80""e&#x2009;"
	  "f\xc2\x85g\x1ch x\xe2\x80\x8by",
	  "a b c d e f g h x\xe2\x80\x8by" },
	/* script, style, title dropped */
	{ "<title>Title</title><style>p {color: red}</style>Body <script>"
	  "var s = \"</div>\";</script>end",
	  "Body end" },
	/* raw text ends only at its own end tag */
	{ "a<SCRIPT type=\"text/javascript\">if (x < 1) { y = \"<p>"
	  "\"; }</Script >b<style>x</ style >c",
	  "abc" },
	/* unclosed script drops the rest */
	{ "Before<script>document.write(\"x\")",
	  "Before" },
	/* head shows nothing */
	{ "<html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
	  "content=\"width=device-width\"><base href=\"http://x/\">"
	  "<link rel=stylesheet href=a.css><title>Newsletter</title>"
	  "<style>td{padding:0}</style></head><body>Visible</body></html>",
	  "Visible" },
	/* comments */
	{ "a<!-- hidden -->b<!-- x -- >c<!---->d",
	  "abcd" },
	/* conditional comments */
	{ "<!--[if mso]><table><tr><td>MSO only</td></tr></table><![endif]-->"
	  "<!--[if !mso]><!-->Everyone<!--<![endif]-->",
	  "Everyone" },
	/* downlevel-revealed conditionals */
	{ "<p><![if !supportLists]>1.<![endif]>Item one</p>",
	  "1.Item one" },
	/* doctype, processing instruction, CDATA */
	{ "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\"><?xml "
	  "version=\"1.0\"?>x<![CDATA[ y ]]>z",
	  "xz" },
	/* empty comments as a browser reads them */
	{ "a<!-->b<!--->c",
	  "abc" },
	/* unclosed comment: text resumes as Python */
	{ "Text <!-- never closed <b>bold</b> more",
	  "Text <!-- never closed <b>bold more" },
	/* '<' that starts no tag */
	{ "if a < b and c <d then",
	  "if a < b and c <d then" },
	/* '<' at the end */
	{ "x <",
	  "x <" },
	/* '>' inside a quoted value */
	{ "<div title=\"a > b\" class='x'>Text</div>",
	  "Text" },
	/* uppercase, unquoted */
	{ "<P ALIGN=center><FONT FACE=Arial SIZE=2>Hi</FONT></P>",
	  "Hi" },
	/* unclosed tag at EOF */
	{ "Hello <div class=\"x",
	  "Hello <div class=\"x" },
	/* unclosed quote */
	{ "<a href=\"foo>bar</a> baz",
	  "<a href=\"foo>bar baz" },
	/* Outlook o:p */
	{ "<p class=MsoNormal>Hello<o:p></o:p></p><p class=MsoNormal>"
	  "<o:p>&nbsp;</o:p></p><p class=MsoNormal>Regards,<o:p></o:p>"
	  "</p>",
	  "Hello\n\nRegards," },
	/* table cells */
	{ "<table><tr><td>Name</td><td>Value</td></tr><tr><th>A</th>"
	  "<td>1</td></tr></table>",
	  "Name Value\nA 1" },
	/* lists */
	{ "<ul><li>One</li><li>Two</li></ul>After",
	  "One\nTwo\n\nAfter" },
	/* pre keeps its lines */
	{ "<pre>line 1\n  indented\n\nline 3</pre>after",
	  "line 1\nindented\n\nline 3\n\nafter" },
	/* link target shown */
	{ "<a href=\"https://example.com/reset?u=1&amp;t=2\">Reset "
	  "password</a>",
	  "Reset password <https://example.com/reset?u=1&t=2>" },
	/* link target equal to its text */
	{ "<a href=\"https://example.com/\">https://example.com</a>"
	  ", <a href=\"mailto:help@example.com\">Help@Example.com</a>",
	  "https://example.com, Help@Example.com" },
	/* link targets not shown */
	{ "<a href=\"#top\">Top</a> <a href=\"javascript:void(0)\">"
	  "x</a> <a href=\"http://x.example/\"><img alt=\"Logo\" src=\"l.png\">"
	  "</a> <a href=\" \">y</a>",
	  "Top x y" },
	/* references in href as a browser decodes them */
	{ "<a href=\"http://x.example/?a=1&copy=2&amp;b=3&#38;c\">q</a>",
	  "q <http://x.example/?a=1&copy=2&b=3&c>" },
	/* img alt dropped */
	{ "Logo: <img alt=\"ACME\" src=\"x.png\">.",
	  "Logo: ." },
	/* invalid UTF-8 becomes U+FFFD */
	{ "a\xff\xc3(b\xed\xa0\x80""c😀",
	  "a\xef\xbf\xbd\xef\xbf\xbd(b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd""c😀" },
	/* unknown marked sections as bogus comments */
	{ "<![foo]>text <![ x>more",
	  "text more" },
	/* self-closing raw elements open nothing */
	{ "<script/>visible <title/>too",
	  "visible too" },
	/* nested title counted */
	{ "<title>a<title>b</title>c</title>d",
	  "d" },
	/* end tag variants */
	{ "a</p x>b</ p>c</>d</ x>e</div\n>f",
	  "a\n\nb\n\ncde\nf" },
	/* attribute backtracking as Python */
	{ "<div class='x' 'y'>1</div><div a==\"b>2</div><div a= \"c>"
	  "3</div>",
	  "1\n3" },
	/* newsletter table layout */
	{ "<html><body><table width=\"100%\" cellpadding=\"0\"><tr>"
	  "<td align=\"center\"><table width=\"600\"><tr><td style=\"padding:20px\">"
	  "<h1>Spring Sale</h1><p>Save 20% on everything.</p><a href=\"https://shop.example/sale?utm_source=mail\">"
	  "Shop now</a></td></tr><tr><td><font size=\"1\">Unsubscribe "
	  "<a href=\"https://shop.example/u?id=7\">here</a></font></td>"
	  "</tr></table></td></tr></table></body></html>",
	  "Spring Sale\n\nSave 20% on everything.\n\nShop now <https://shop.example/sale?utm_source=mail>"
	  "\nUnsubscribe here <https://shop.example/u?id=7>" },
	/* Outlook message */
	{ "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
	  "<head><meta http-equiv=Content-Type content=\"text/html;"
	  " charset=utf-8\"><!--[if gte mso 9]><xml><o:OfficeDocumentSettings>"
	  "<o:AllowPNG/></o:OfficeDocumentSettings></xml><![endif]-->"
	  "<style><!--\n/* Font Definitions */\np.MsoNormal {margin:0cm;"
	  "}\n--></style></head><body lang=EN-US link=\"#0563C1\"><div "
	  "class=WordSection1><p class=MsoNormal>Hi Support,<o:p></o:p>"
	  "</p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>"
	  "Our VPN drops every hour.<o:p></o:p></p><p class=MsoNormal>"
	  "<b><span style='color:#1F497D'>Pat O&#8217;Brien</span></b>"
	  "<o:p></o:p></p></div></body></html>",
	  "Hi Support,\n\nOur VPN drops every hour.\n\nPat O’Brien" },
	/* Gmail reply with quote */
	{ "<div dir=\"ltr\">Still broken.</div><br><div class=\"gmail_quote\">"
	  "<div dir=\"ltr\" class=\"gmail_attr\">On Mon, 3 Jan 2025 "
	  "at 10:00, Help &lt;<a href=\"mailto:help@example.com\">help@example.com</a>"
	  "&gt; wrote:<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px "
	  "0px 0px 0.8ex\">Please restart.</blockquote></div>",
	  "Still broken.\n\nOn Mon, 3 Jan 2025 at 10:00, Help <help@example.com>"
	  " wrote:\n\nPlease restart." },
};

static char *
convert(const char *html, size_t len)
{
	struct tg_buf b;

	tg_buf_init(&b, 0, 0);
	tg_html_to_text(html, len, &b);
	return tg_buf_detach(&b, NULL);
}

static void
test_table(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		char *got = convert(cases[i].html, strlen(cases[i].html));

		TG_CHECK_STREQ_IDX(got, cases[i].want, i);
		free(got);
	}
}

/* Valid UTF-8, no NUL, trimmed, spaces single, at most one blank line. */
static bool
well_formed(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	if (len > 0 && (s[0] == ' ' || s[0] == '\n' || s[len - 1] == ' ' ||
			s[len - 1] == '\n'))
		return false;
	if (strstr(s, "  ") || strstr(s, "\n\n\n") || strstr(s, " \n") ||
	    strstr(s, "\n "))
		return false;
	for (size_t i = 0; i < len; ) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 :
			   c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
		unsigned cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;

		if (n == 0 || len - i < n)
			return false;
		for (size_t k = 1; k < n; k++) {
			if (((unsigned char)s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | ((unsigned char)s[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || (c < 0x20 && c != '\n' &&
		    !(c >= 1 && c <= 8) && !(c >= 0x0E && c <= 0x1B)))
			return false;
		i += n;
	}
	return true;
}

static void
check_well_formed(const char *html, size_t len, int idx)
{
	struct tg_buf b;
	bool ok;

	tg_buf_init(&b, 0, 0);
	tg_html_to_text(html, len, &b);
	ok = well_formed(tg_buf_cstr(&b), b.len);
	TG_CHECK(ok);
	if (!ok)
		fprintf(stderr, "  input %d: %.*s\n", idx, (int)(len < 200 ? len : 200), html);
	tg_buf_deinit(&b);
}

static void
test_append_and_empty(void)
{
	struct tg_buf b;

	tg_buf_init(&b, 0, 0);
	tg_buf_puts(&b, "Body: ");
	tg_html_to_text("<p> Hi </p>", 11, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "Body: Hi");
	tg_html_to_text("<br><p>&nbsp;</p>  ", 19, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "Body: Hi");
	tg_html_to_text(NULL, 0, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "Body: Hi");
	/* the length bounds the input, not a NUL */
	tg_buf_reset(&b);
	tg_html_to_text("a\0b<p>c</p>tail", 11, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "a\xef\xbf\xbd" "b\n\nc");
	tg_buf_reset(&b);
	tg_html_to_text("x &am", 3, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "x &");
	tg_buf_deinit(&b);
}

static void
test_cap(void)
{
	const char *html = "<p>éééé &euro;&euro;&euro;</p>";
	struct tg_buf b;

	/* a refused append ends the output on a whole character, trimmed */
	tg_buf_init(&b, 0, 10);
	tg_html_to_text(html, strlen(html), &b);
	TG_CHECK(b.overflow);
	TG_CHECK(b.len <= 10);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "éééé");
	tg_buf_deinit(&b);
}

/* Deterministic, so a failure reproduces. */
static uint64_t rng_state = 88172645463325252u;

static unsigned
rng(unsigned n)
{
	/* xorshift: no wrapping arithmetic for -fsanitize=integer to flag */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static void
test_generated(void)
{
	static const char *const frags[] = {
		"<p>", "</p>", "<div>", "</div>", "<br>", "<br/>", "<td>", "</td>",
		"<script>", "</script>", "<style>", "</style>", "<title>",
		"</title>", "<pre>", "</pre>", "<!--", "-->", "<!-->", "<![if x]>",
		"<![endif]>", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?x?>", "<!",
		"</", "<", ">", "&amp;", "&amp", "&#", "&#x", "&#0;", "&#x80;",
		"&nbsp;", "&", ";", "\"", "'", "=", "/", " ", "\n", "\xc2\xa0",
		"\xe3\x80\x80", "\xff", "\xc3", "\x80", "\0", "text", "x",
		"<a href=\"http://a.example/?q=1&amp;r\">", "<a href='mailto:x'>",
		"</a>", "<a href=", "<div class=\"a>b\">", "<o:p>", "</o:p>",
		"<p\x0bq>", "<a b='c'd>", "<a ==\"", "\xe2\x80\x83", "&#x1F600;",
	};
	char html[512];

	for (int i = 0; i < 4000; i++) {
		size_t len = 0;
		int n = 1 + (int)rng(30);

		for (int k = 0; k < n; k++) {
			const char *f = frags[rng(TG_N(frags))];
			size_t fl = *f ? strlen(f) : 1;	/* "\0" is one NUL */

			if (len + fl > sizeof(html))
				break;
			memcpy(html + len, f, fl);
			len += fl;
		}
		check_well_formed(html, len, i);
	}
	for (int i = 0; i < 2000; i++) {
		size_t len = rng(64);

		for (size_t k = 0; k < len; k++)
			html[k] = i < 1000 ? (char)rng(256) : "<>/!-&#;=\"' ax\n"[rng(15)];
		check_well_formed(html, len, i);
	}
}

/* Patterns that would be quadratic with a naive rescan; they must finish
 * at once (the benchmark is separate: no timing here). */
static void
test_hostile(void)
{
	static const char *const units[] = {
		"<a b=\"", "<a b=\"x>", "<!--", "<!-- >", "<a href='", "&", "&#9",
		"&amp", "<", "</", "<!", "<![CDATA[", "<![if x", "<?", "<div a\"",
		"<div>", "</div>", "<a =", "<![if ] ",
	};
	size_t size = 1 << 18;
	char *html = tg_xmalloc(size);

	for (size_t u = 0; u < TG_N(units); u++) {
		size_t ul = strlen(units[u]), len = 0;

		while (len + ul <= size) {
			memcpy(html + len, units[u], ul);
			len += ul;
		}
		check_well_formed(html, len, (int)u);
	}
	memcpy(html, "<script>", 8);
	memset(html + 8, ' ', size - 8);
	for (size_t i = 8; i + 2 < size; i += 64)
		memcpy(html + i, "</", 2);
	check_well_formed(html, size, -1);
	free(html);
}

int
main(void)
{
	test_table();
	test_append_and_empty();
	test_cap();
	test_generated();
	test_hostile();
	return tg_test_done();
}
