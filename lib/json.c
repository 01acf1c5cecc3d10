/* json: a reader on jsmn tokens: parsing, navigation, values. The writer is
 * json_write.c.
 *
 * jsmn (https://github.com/zserge/jsmn) splits a document into tokens but,
 * even in strict mode, accepts text that is not JSON: "[1 2]", "[1,]",
 * "{\"a\":}", several root values, raw control characters in strings, any
 * primitive starting with t/f/n or a digit ("tru", "01", "1.2.3"). So
 * json_parse first checks the text against RFC 8259 with a small validator
 * (json_check.c) that also counts the tokens, then lets jsmn fill exactly
 * that many. */

/* The one place jsmn's implementation is compiled, so it comes before
 * json.h (which includes jsmn.h as declarations only), with the same
 * settings json.h makes, so jsmntok_t has one layout everywhere. Static:
 * the jsmn_* symbols stay private to this file. */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_STATIC
#include <jsmn.h>

#include "json.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_int.h"

/* ---- parsing ----------------------------------------------------------- */

int json_parse(json_doc *d, const char *js, size_t len, eb_err *e)
{
	jsmn_parser p;
	size_t at = 0;
	int ntok, r;

	memset(d, 0, sizeof *d);
	/* jsmn keeps offsets in ints. */
	if (len >= INT_MAX) {
		eb_errf(e, "JSON document too large (%zu bytes)", len);
		return -1;
	}
	if (!js)
		js = "";
	if (json_check(js, len, &ntok, e) < 0)
		return -1;
	d->js = js;
	d->len = len;
	d->ntok = ntok;
	d->tok = xcalloc((size_t)ntok, sizeof *d->tok);

	/* jsmn's strict mode wants a delimiter after every primitive, so it
	 * refuses a bare root "1" or "true": such a root is filled in here. */
	while (at < len && strchr(" \t\r\n", js[at]))
		at++;
	if (js[at] != '{' && js[at] != '[' && js[at] != '"') {
		size_t end = at;

		while (end < len && !strchr(" \t\r\n", js[end]))
			end++;
		d->tok[0] = (jsmntok_t){ .type = JSMN_PRIMITIVE,
					 .start = (int)at, .end = (int)end,
					 .size = 0, .parent = -1 };
		return 0;
	}
	/* The validator counted the tokens, so one pass with an array of
	 * exactly that size must yield them all. */
	jsmn_init(&p);
	r = jsmn_parse(&p, js, len, d->tok, (unsigned)ntok);
	if (r != ntok) {
		eb_errf(e, "invalid JSON: tokenizer disagrees with validator "
			"(%d, want %d tokens)", r, ntok);
		json_free(d);
		return -1;
	}
	return 0;
}

void json_free(json_doc *d)
{
	if (!d)
		return;
	free(d->tok);
	d->tok = NULL;
	d->ntok = 0;
}

/* ---- navigation -------------------------------------------------------- */

static bool valid(const json_doc *d, int i)
{
	return d && d->tok && i >= 0 && i < d->ntok;
}

int json_type(const json_doc *d, int i)
{
	return valid(d, i) ? (int)d->tok[i].type : -1;
}

int json_size(const json_doc *d, int i)
{
	int t = json_type(d, i);

	/* jsmn counts an object's keys, each key holding its value. */
	return t == JSMN_OBJECT || t == JSMN_ARRAY ? d->tok[i].size : -1;
}

/* Tokens come in document order, so i's subtree is every following token
 * that starts before i ends. For a key this skips just the key. */
int json_skip(const json_doc *d, int i)
{
	int j;

	if (!valid(d, i))
		return -1;
	for (j = i + 1; j < d->ntok && d->tok[j].start < d->tok[i].end; j++)
		;
	return j;
}

int json_obj_key(const json_doc *d, int obj, int n)
{
	int k, m;

	if (json_type(d, obj) != JSMN_OBJECT || n < 0 || n >= d->tok[obj].size)
		return -1;
	k = obj + 1;
	for (m = 0; m < n; m++)
		k = json_skip(d, k + 1);
	return k;
}

int json_arr_at(const json_doc *d, int arr, int idx)
{
	int k, m;

	if (json_type(d, arr) != JSMN_ARRAY || idx < 0 ||
	    idx >= d->tok[arr].size)
		return -1;
	k = arr + 1;
	for (m = 0; m < idx; m++)
		k = json_skip(d, k);
	return k;
}

static bool str_eqn(const json_doc *d, int i, const char *s, size_t n);

/* With duplicate keys the last one wins, as in Go's encoding/json, which
 * wrote most of the documents we read (docker, its config files). */
static int obj_getn(const json_doc *d, int obj, const char *key, size_t n)
{
	int k, m, found = -1;

	if (json_type(d, obj) != JSMN_OBJECT || !key)
		return -1;
	k = obj + 1;
	for (m = 0; m < d->tok[obj].size; m++) {
		if (str_eqn(d, k, key, n))
			found = k + 1;
		k = json_skip(d, k + 1);
	}
	return found;
}

int json_obj_get(const json_doc *d, int obj, const char *key)
{
	return key ? obj_getn(d, obj, key, strlen(key)) : -1;
}

int json_get(const json_doc *d, int i, ...)
{
	const char *key;
	va_list ap;

	va_start(ap, i);
	while ((key = va_arg(ap, const char *)) != NULL)
		i = json_obj_get(d, i, key);
	va_end(ap);
	return valid(d, i) ? i : -1;
}

/* Reads a decimal index of n bytes at p; -1 when not one. */
static int parse_index(const char *p, size_t n)
{
	long v = 0;
	size_t k;

	if (n == 0)
		return -1;
	for (k = 0; k < n; k++) {
		if (p[k] < '0' || p[k] > '9')
			return -1;
		v = v * 10 + (p[k] - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

int json_path(const json_doc *d, int i, const char *path)
{
	const char *p = path;
	bool first = true;

	if (!path)
		return -1;
	while (*p && i >= 0) {
		size_t n;

		if (*p == '[') {
			const char *close = strchr(p, ']');

			if (!close)
				return -1;
			i = json_arr_at(d, i, parse_index(p + 1,
							  (size_t)(close - p - 1)));
			p = close + 1;
		} else {
			if (!first && *p++ != '.')
				return -1;
			n = strcspn(p, ".[");
			if (n == 0)
				return -1;
			if (json_type(d, i) == JSMN_ARRAY)
				i = json_arr_at(d, i, parse_index(p, n));
			else
				i = obj_getn(d, i, p, n);
			p += n;
		}
		first = false;
	}
	return valid(d, i) ? i : -1;
}

/* ---- values ------------------------------------------------------------ */

static long hex4(const char *s)
{
	long v = 0;
	int k;

	for (k = 0; k < 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t utf8_put(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Unescapes the n bytes of a string token into out (room for n bytes: no
 * escape is shorter than what it stands for) and NUL-terminates it. A
 * lone surrogate or \u0000 (which no C string can carry) is an error. */
static int unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		long cp, lo;

		if (c != '\\') {
			if (c < 0x20)
				return -1;
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		c = (unsigned char)s[i + 1];
		i += 2;
		switch (c) {
		case '"': case '\\': case '/':
			out[o++] = (char)c;
			break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			if (n - i < 4 || (cp = hex4(s + i)) < 0)
				return -1;
			i += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u')
					return -1;
				lo = hex4(s + i + 2);
				if (lo < 0xdc00 || lo > 0xdfff)
					return -1;
				i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			if (cp == 0)
				return -1;
			o += utf8_put(out + o, (unsigned long)cp);
			break;
		default:
			return -1;
		}
	}
	out[o] = 0;
	return 0;
}

char *json_strdup(const json_doc *d, int i)
{
	const jsmntok_t *t;
	char *out;

	if (json_type(d, i) != JSMN_STRING)
		return NULL;
	t = &d->tok[i];
	out = xmalloc((size_t)(t->end - t->start) + 1);
	if (unescape(d->js + t->start, (size_t)(t->end - t->start), out) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static bool str_eqn(const json_doc *d, int i, const char *s, size_t n)
{
	const jsmntok_t *t;
	size_t tlen;
	char *u;
	bool eq;

	if (json_type(d, i) != JSMN_STRING || !s)
		return false;
	t = &d->tok[i];
	tlen = (size_t)(t->end - t->start);
	/* Most strings have no escapes: compare in place. */
	if (!memchr(d->js + t->start, '\\', tlen))
		return tlen == n && memcmp(d->js + t->start, s, n) == 0;
	u = json_strdup(d, i);
	eq = u && strlen(u) == n && memcmp(u, s, n) == 0;
	free(u);
	return eq;
}

bool json_str_eq(const json_doc *d, int i, const char *s)
{
	return s && str_eqn(d, i, s, strlen(s));
}

static bool is_number(const json_doc *d, int i)
{
	char c;

	if (json_type(d, i) != JSMN_PRIMITIVE)
		return false;
	c = d->js[d->tok[i].start];
	return c == '-' || (c >= '0' && c <= '9');
}

static int mul10_add(unsigned long long *v, unsigned digit,
		     unsigned long long lim)
{
	if (*v > (lim - digit) / 10)
		return -1;
	*v = *v * 10 + digit;
	return 0;
}

/* Exact: the number's decimal digits D (integer and fraction parts run
 * together) times 10^scale must be a whole number that fits. */
int json_int(const json_doc *d, int i, long long *out)
{
	const char *p, *end, *ip, *fp = NULL;
	size_t ilen, flen = 0, n, k, first, last;
	long long ex = 0, scale;
	unsigned long long v = 0, lim;
	bool neg, eneg = false;

	if (!is_number(d, i))
		return -1;
	p = d->js + d->tok[i].start;
	end = d->js + d->tok[i].end;
	neg = *p == '-';
	if (neg)
		p++;
	ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	ilen = (size_t)(p - ip);
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		flen = (size_t)(p - fp);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		/* Clamped: far past any long long, far from overflowing. */
		for (; p < end; p++)
			if (ex < 1000000000LL)
				ex = ex * 10 + (*p - '0');
		if (eneg)
			ex = -ex;
	}
#define DIGIT(k) ((k) < ilen ? ip[k] : fp[(k) - ilen])
	n = ilen + flen;
	for (first = 0; first < n && DIGIT(first) == '0'; first++)
		;
	if (first == n) {
		*out = 0;
		return 0;
	}
	for (last = n - 1; DIGIT(last) == '0'; last--)
		;
	scale = ex - (long long)flen + (long long)(n - 1 - last);
	if (scale < 0 || (long long)(last - first + 1) + scale > 19)
		return -1;
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (k = first; k <= last; k++)
		if (mul10_add(&v, (unsigned)(DIGIT(k) - '0'), lim) < 0)
			return -1;
#undef DIGIT
	while (scale-- > 0)
		if (mul10_add(&v, 0, lim) < 0)
			return -1;
	if (!neg)
		*out = (long long)v;
	else if (v == (unsigned long long)LLONG_MAX + 1)
		*out = LLONG_MIN;
	else
		*out = -(long long)v;
	return 0;
}

int json_num(const json_doc *d, int i, double *out)
{
	char *s, *end;
	double v;

	if (!is_number(d, i))
		return -1;
	s = xstrndup(d->js + d->tok[i].start,
		     (size_t)(d->tok[i].end - d->tok[i].start));
	v = strtod(s, &end);
	if (*end || isinf(v)) {
		free(s);
		return -1;
	}
	free(s);
	*out = v;
	return 0;
}

static bool prim_is(const json_doc *d, int i, const char *lit)
{
	size_t n = strlen(lit);

	return json_type(d, i) == JSMN_PRIMITIVE &&
	       (size_t)(d->tok[i].end - d->tok[i].start) == n &&
	       memcmp(d->js + d->tok[i].start, lit, n) == 0;
}

int json_bool(const json_doc *d, int i, bool *out)
{
	if (prim_is(d, i, "true"))
		*out = true;
	else if (prim_is(d, i, "false"))
		*out = false;
	else
		return -1;
	return 0;
}

bool json_is_null(const json_doc *d, int i)
{
	return prim_is(d, i, "null");
}
