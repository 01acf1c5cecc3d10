/* spec: write and read the spec lines the applets exchange (see spec.h). */
#include "spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void spec_quote(buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

/* Space and the control characters: a field cannot hold them, and a person
 * reading a pipeline could not see them. Bytes >= 0x80 (UTF-8) are fine. */
static bool bad_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

/* What is wrong with a field holding c ("contains whitespace"). */
static const char *bad_byte_why(unsigned char c)
{
	if (c == 0)
		return "contains a NUL byte";
	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return "contains whitespace";
	return "contains a control character";
}

static int check_path_n(const char *what, const char *p, size_t n, eb_err *e)
{
	buf q = { 0 };
	const char *why = NULL;

	if (n == 0) {
		eb_errf(e, "empty %s", what);
		return -1;
	}
	if (p[0] != '/')
		why = "is not an absolute path";
	for (size_t i = 0; !why && i < n; i++)
		if (bad_byte((unsigned char)p[i]))
			why = bad_byte_why((unsigned char)p[i]);
	if (!why)
		return 0;
	spec_quote(&q, p, n);
	eb_errf(e, "%s %s %s", what, q.p, why);
	buf_free(&q);
	return -1;
}

int spec_check_path(const char *what, const char *path, eb_err *e)
{
	return check_path_n(what, path, strlen(path), e);
}

static int check_env_name(const char *name, size_t n, eb_err *e)
{
	buf q = { 0 };

	if (n == 0) {
		eb_errf(e, "empty variable name");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '=' || bad_byte((unsigned char)name[i])) {
			spec_quote(&q, name, n);
			eb_errf(e, "variable name %s %s", q.p, name[i] == '=' ?
				"contains '='" : bad_byte_why((unsigned char)name[i]));
			buf_free(&q);
			return -1;
		}
	}
	return 0;
}

int spec_write_bind(buf *b, const char *src, const char *dst, bool ro, eb_err *e)
{
	if (spec_check_path("source", src, e) || spec_check_path("destination", dst, e))
		return -1;
	buf_printf(b, "bind %s %s %s\n", src, dst, ro ? "ro" : "rw");
	return 0;
}

int spec_write_device(buf *b, const char *host, const char *inner, eb_err *e)
{
	if (spec_check_path("device", host, e) || spec_check_path("inner device", inner, e))
		return -1;
	buf_printf(b, "device %s %s\n", host, inner);
	return 0;
}

int spec_write_env(buf *b, const char *name, const char *value, eb_err *e)
{
	if (check_env_name(name, strlen(name), e))
		return -1;
	/* Never quote the value: it may be a secret. */
	if (strchr(value, '\n')) {
		eb_errf(e, "variable %s: value contains a newline", name);
		return -1;
	}
	buf_printf(b, "env %s=%s\n", name, value);
	return 0;
}

int spec_write(buf *b, const struct spec *s, eb_err *e)
{
	switch (s->kind) {
	case SPEC_BIND:
		return spec_write_bind(b, s->src, s->dst, s->ro, e);
	case SPEC_DEVICE:
		return spec_write_device(b, s->src, s->dst, e);
	case SPEC_ENV:
		return spec_write_env(b, s->name, s->value, e);
	}
	eb_errf(e, "unknown spec kind %d", (int)s->kind);
	return -1;
}

void spec_free(struct spec *s)
{
	free(s->src);
	free(s->dst);
	free(s->name);
	free(s->value);
	memset(s, 0, sizeof *s);
}

/* The line as errors show it: an env line's value is elided. */
static void quote_line(buf *q, const char *line, size_t len)
{
	const char *eq;

	if (len >= 4 && !memcmp(line, "env ", 4)) {
		eq = memchr(line, '=', len);
		spec_quote(q, line, eq ? (size_t)(eq - line) + 1 : 4);
		q->p[--q->len] = 0; /* drop the closing quote to add "..." */
		buf_adds(q, "...\"");
		return;
	}
	spec_quote(q, line, len);
}

/* Splits line into exactly n fields separated by single spaces. */
static bool split_n(const char *p, size_t len, const char **f, size_t *fl, int n)
{
	int k = 0;
	const char *end = p + len, *sp;

	while (k < n) {
		sp = memchr(p, ' ', (size_t)(end - p));
		f[k] = p;
		fl[k] = sp ? (size_t)(sp - p) : (size_t)(end - p);
		k++;
		if (!sp)
			break;
		p = sp + 1;
	}
	return k == n && f[n - 1] + fl[n - 1] == end;
}

static bool is_word(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && !memcmp(p, w, n);
}

/* The kinds of line with two paths: the line's form, and what the paths are
 * called in errors. */
static const struct two_paths {
	const char *word, *form, *src, *dst;
	enum spec_kind kind;
} two_paths[] = {
	{ "bind", "bind SRC DST ro|rw", "source", "destination", SPEC_BIND },
	{ "device", "device HOSTPATH INNERPATH", "device", "inner device", SPEC_DEVICE },
};

static int parse_fields(const char *line, size_t len, struct spec *s, eb_err *e)
{
	const char *f[3], *eq, *sp, *rest;
	size_t fl[3], kl, rl;

	if (len == 0) {
		eb_errf(e, "empty line");
		return -1;
	}
	if (memchr(line, 0, len)) {
		eb_errf(e, "contains a NUL byte");
		return -1;
	}
	if (memchr(line, '\n', len)) {
		eb_errf(e, "contains a newline");
		return -1;
	}
	sp = memchr(line, ' ', len);
	kl = sp ? (size_t)(sp - line) : len;
	rest = sp ? sp + 1 : line + len;
	rl = len - (size_t)(rest - line);
	if (is_word(line, kl, "env")) {
		s->kind = SPEC_ENV;
		eq = memchr(rest, '=', rl);
		if (!sp || !eq) {
			eb_errf(e, "expected env NAME=VALUE");
			return -1;
		}
		if (check_env_name(rest, (size_t)(eq - rest), e))
			return -1;
		s->name = xstrndup(rest, (size_t)(eq - rest));
		s->value = xstrndup(eq + 1, rl - (size_t)(eq - rest) - 1);
		return 0;
	}
	/* bind and device: two paths, SRC and DST; bind's mode after them. */
	for (size_t i = 0; i < sizeof two_paths / sizeof *two_paths; i++) {
		const struct two_paths *t = &two_paths[i];
		bool bind = t->kind == SPEC_BIND;

		if (!is_word(line, kl, t->word))
			continue;
		s->kind = t->kind;
		if (!sp || !split_n(rest, rl, f, fl, bind ? 3 : 2)) {
			eb_errf(e, "expected %s", t->form);
			return -1;
		}
		if (check_path_n(t->src, f[0], fl[0], e) ||
		    check_path_n(t->dst, f[1], fl[1], e))
			return -1;
		if (bind && is_word(f[2], fl[2], "ro")) {
			s->ro = true;
		} else if (bind && !is_word(f[2], fl[2], "rw")) {
			buf q = { 0 };

			spec_quote(&q, f[2], fl[2]);
			eb_errf(e, "mode %s is not ro or rw", q.p);
			buf_free(&q);
			return -1;
		}
		s->src = xstrndup(f[0], fl[0]);
		s->dst = xstrndup(f[1], fl[1]);
		return 0;
	}
	eb_errf(e, "unknown kind (expected bind, device or env)");
	return -1;
}

int spec_parse(const char *line, size_t len, struct spec *s, eb_err *e)
{
	eb_err why;
	buf q = { 0 };

	memset(s, 0, sizeof *s);
	if (len && line[len - 1] == '\n')
		len--;
	if (parse_fields(line, len, s, &why) == 0)
		return 0;
	spec_free(s);
	quote_line(&q, line, len);
	eb_errf(e, "spec line %s: %s", q.p, why.msg);
	buf_free(&q);
	return -1;
}

int spec_read(FILE *f, struct spec *s, size_t *lineno, eb_err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	eb_err why;
	int rc = 0;

	memset(s, 0, sizeof *s);
	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		++*lineno;
		if (n == 0 || (n == 1 && line[0] == '\n'))
			continue;
		rc = 1;
		if (spec_parse(line, (size_t)n, s, &why)) {
			eb_errf(e, "line %zu: %s", *lineno, why.msg);
			rc = -1;
		}
		break;
	}
	if (n < 0 && ferror(f)) {
		eb_errf(e, "unable to read spec lines: %s", strerror(errno ? errno : EIO));
		rc = -1;
	}
	free(line);
	return rc;
}
