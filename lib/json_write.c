/* json_write: JSON text out. json_escape makes a string literal of any
 * bytes (invalid UTF-8 becomes U+FFFD); the jw_* writer places the commas
 * and colons. */
#include "json.h"

#include <string.h>

#include "json_int.h"

void json_escape(buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run;

	buf_addc(b, '"');
	while (i < n) {
		unsigned char c = u[i];
		char esc[7];

		/* Copy plain printable ASCII in one go. */
		for (run = i; run < n && u[run] >= 0x20 && u[run] < 0x80 &&
			      u[run] != '"' && u[run] != '\\'; run++)
			;
		if (run > i) {
			buf_add(b, s + i, run - i);
			i = run;
			continue;
		}
		if (c >= 0x80) {
			size_t m = json_utf8_len(u + i, n - i);

			/* Invalid UTF-8 cannot go into a JSON string: it
			 * becomes U+FFFD, as Go's encoder does. */
			if (m == 0) {
				buf_adds(b, "\\ufffd");
				m = 1;
			} else {
				buf_add(b, s + i, m);
			}
			i += m;
			continue;
		}
		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_add(b, esc, 6);
		}
		i++;
	}
	buf_addc(b, '"');
}

void jw_init(json_w *w, buf *b)
{
	w->b = b;
	w->depth = 0;
	w->first = 0;
	w->after_key = false;
}

/* Bit depth-1 of first is set while the container at that depth has no
 * member yet. Deeper than 64 levels the bits run out, and the last byte
 * written tells the same thing: only '[' or '{' means "nothing yet". */
static void jw_sep(json_w *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->depth <= 64) {
		unsigned long long bit = 1ULL << (w->depth - 1);

		if (w->first & bit)
			w->first &= ~bit;
		else
			buf_addc(w->b, ',');
	} else if (w->b->p[w->b->len - 1] != '[' &&
		   w->b->p[w->b->len - 1] != '{') {
		buf_addc(w->b, ',');
	}
}

static void jw_open(json_w *w, char c)
{
	jw_sep(w);
	buf_addc(w->b, c);
	w->depth++;
	if (w->depth <= 64)
		w->first |= 1ULL << (w->depth - 1);
}

static void jw_close(json_w *w, char c)
{
	buf_addc(w->b, c);
	if (w->depth > 0)
		w->depth--;
	w->after_key = false;
}

void jw_obj(json_w *w)
{
	jw_open(w, '{');
}

void jw_obj_end(json_w *w)
{
	jw_close(w, '}');
}

void jw_arr(json_w *w)
{
	jw_open(w, '[');
}

void jw_arr_end(json_w *w)
{
	jw_close(w, ']');
}

void jw_key(json_w *w, const char *k)
{
	jw_sep(w);
	json_escape(w->b, k, strlen(k));
	buf_addc(w->b, ':');
	w->after_key = true;
}

/* A NULL string is written as null, which is what a caller holding an
 * optional value means. */
void jw_str(json_w *w, const char *s)
{
	if (!s)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

void jw_strn(json_w *w, const char *s, size_t n)
{
	jw_sep(w);
	json_escape(w->b, s, n);
}

void jw_int(json_w *w, long long v)
{
	jw_sep(w);
	buf_printf(w->b, "%lld", v);
}

void jw_bool(json_w *w, bool v)
{
	jw_sep(w);
	buf_adds(w->b, v ? "true" : "false");
}

void jw_null(json_w *w)
{
	jw_sep(w);
	buf_adds(w->b, "null");
}

void jw_kstr(json_w *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_kint(json_w *w, const char *k, long long v)
{
	jw_key(w, k);
	jw_int(w, v);
}

void jw_kbool(json_w *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

void jw_kstrs(json_w *w, const char *k, char *const *v, size_t n)
{
	jw_key(w, k);
	jw_arr(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_end(w);
}
