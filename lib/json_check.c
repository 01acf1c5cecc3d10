/* json_check: the strict validator json_parse runs before jsmn (json.c
 * says why): RFC 8259's grammar, well-formed UTF-8 in strings, exactly one
 * value; it also counts the tokens jsmn will fill. */
#include "json.h"

#include <string.h>

#include "json_int.h"

typedef struct {
	const unsigned char *s;
	size_t len, pos;
	int ntok;
	eb_err *e;
} vstate;

static int verr(vstate *v, const char *what)
{
	if (v->pos >= v->len)
		eb_errf(v->e, "invalid JSON: unexpected end of input, %s", what);
	else
		eb_errf(v->e, "invalid JSON at offset %zu: %s", v->pos, what);
	return -1;
}

static void skip_ws(vstate *v)
{
	while (v->pos < v->len) {
		unsigned char c = v->s[v->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		v->pos++;
	}
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0.
 * Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not
 * well-formed (RFC 3629). */
size_t json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* A string starting at the opening quote. Escapes are checked for shape
 * only; what they mean (surrogates, NUL) is json_strdup's business. */
static int v_string(vstate *v)
{
	v->pos++;
	while (v->pos < v->len) {
		unsigned char c = v->s[v->pos];
		size_t n;

		if (c == '"') {
			v->pos++;
			v->ntok++;
			return 0;
		}
		if (c < 0x20)
			return verr(v, "control character in string");
		if (c == '\\') {
			if (v->pos + 1 >= v->len)
				break;
			c = v->s[++v->pos];
			if (c == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (v->pos + i >= v->len ||
					    !is_hex(v->s[v->pos + i]))
						return verr(v, "bad \\u escape");
				v->pos += 4;
			} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
				return verr(v, "bad escape in string");
			}
			v->pos++;
			continue;
		}
		n = json_utf8_len(v->s + v->pos, v->len - v->pos);
		if (n == 0)
			return verr(v, "invalid UTF-8 in string");
		v->pos += n;
	}
	return verr(v, "unterminated string");
}

static int digits(vstate *v)
{
	size_t start = v->pos;

	while (v->pos < v->len && v->s[v->pos] >= '0' && v->s[v->pos] <= '9')
		v->pos++;
	return v->pos > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int v_number(vstate *v)
{
	if (v->s[v->pos] == '-')
		v->pos++;
	if (v->pos < v->len && v->s[v->pos] == '0')
		v->pos++;
	else if (!digits(v))
		return verr(v, "bad number");
	if (v->pos < v->len && v->s[v->pos] == '.') {
		v->pos++;
		if (!digits(v))
			return verr(v, "bad number");
	}
	if (v->pos < v->len && (v->s[v->pos] == 'e' || v->s[v->pos] == 'E')) {
		v->pos++;
		if (v->pos < v->len &&
		    (v->s[v->pos] == '+' || v->s[v->pos] == '-'))
			v->pos++;
		if (!digits(v))
			return verr(v, "bad number");
	}
	v->ntok++;
	return 0;
}

static int v_literal(vstate *v, const char *lit)
{
	size_t n = strlen(lit);

	if (v->len - v->pos < n || memcmp(v->s + v->pos, lit, n) != 0)
		return verr(v, "unexpected character");
	v->pos += n;
	v->ntok++;
	return 0;
}

/* A scalar, or the opening bracket of a container (pushed on stack). */
static int v_value(vstate *v, buf *stack)
{
	unsigned char c;

	if (v->pos >= v->len)
		return verr(v, "expected a value");
	c = v->s[v->pos];
	switch (c) {
	case '{':
	case '[':
		buf_addc(stack, (char)c);
		v->pos++;
		v->ntok++;
		return 0;
	case '"':
		return v_string(v);
	case 't':
		return v_literal(v, "true");
	case 'f':
		return v_literal(v, "false");
	case 'n':
		return v_literal(v, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return v_number(v);
		return verr(v, "expected a value");
	}
}

/* Checks s against the JSON grammar and counts jsmn's tokens (one per value
 * and per key). Iterative with the open brackets on a heap stack, so deep
 * nesting cannot overflow the C stack. A stack entry is '{' or '[' while
 * the container is empty, 'o' or 'a' once it has a member. */
int json_check(const char *s, size_t len, int *ntok, eb_err *e)
{
	vstate v = { (const unsigned char *)s, len, 0, 0, e };
	buf stack = { 0 };
	int rc = -1;

	skip_ws(&v);
	if (v_value(&v, &stack) < 0)
		goto out;
	while (stack.len > 0) {
		char *top = &stack.p[stack.len - 1];
		bool obj = *top == '{' || *top == 'o';
		bool empty = *top == '{' || *top == '[';

		skip_ws(&v);
		if (v.pos >= v.len) {
			verr(&v, obj ? "expected '}'" : "expected ']'");
			goto out;
		}
		if (v.s[v.pos] == (obj ? '}' : ']')) {
			v.pos++;
			stack.len--;
			continue;
		}
		if (!empty) {
			if (v.s[v.pos] != ',') {
				verr(&v, "expected ',' or a closing bracket");
				goto out;
			}
			v.pos++;
			skip_ws(&v);
		}
		*top = obj ? 'o' : 'a';
		if (obj) {
			if (v.pos >= v.len || v.s[v.pos] != '"') {
				verr(&v, "expected a string key");
				goto out;
			}
			if (v_string(&v) < 0)
				goto out;
			skip_ws(&v);
			if (v.pos >= v.len || v.s[v.pos] != ':') {
				verr(&v, "expected ':'");
				goto out;
			}
			v.pos++;
			skip_ws(&v);
		}
		/* May push, moving stack.p: top is not used after this. */
		if (v_value(&v, &stack) < 0)
			goto out;
	}
	skip_ws(&v);
	if (v.pos < v.len) {
		verr(&v, "trailing data after the JSON value");
		goto out;
	}
	*ntok = v.ntok;
	rc = 0;
out:
	buf_free(&stack);
	return rc;
}
