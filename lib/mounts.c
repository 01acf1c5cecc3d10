/* mounts: parse CODER_MOUNTS (see mounts.h for the grammar and its errors). */
#include "mounts.h"

#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* Length of p without trailing slashes ("/a/" and "/a" are one place). */
static size_t trimmed_len(const char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

static bool same_place(const char *a, const char *b)
{
	size_t n = trimmed_len(a);

	return n == trimmed_len(b) && !memcmp(a, b, n);
}

/* True when path has a ".." component: refused, so a mount names the place
 * it says (a source can still be a symlink; prepare resolves those). */
static bool has_dotdot(const char *p)
{
	for (const char *c = p; (c = strstr(c, "..")); c += 2)
		if ((c == p || c[-1] == '/') && (c[2] == '/' || c[2] == 0))
			return true;
	return false;
}

/* Appends entry i (from 0) of value, quoted. */
static void quote_nth(buf *q, const char *value, size_t i)
{
	const char *p = value, *comma;

	while (i-- && (comma = strchr(p, ',')))
		p = comma + 1;
	comma = strchr(p, ',');
	spec_quote(q, p, comma ? (size_t)(comma - p) : strlen(p));
}

/* One entry of n bytes; fills *m or says why not (without naming it). */
static int parse_entry(const char *s, size_t n, struct mount_spec *m, eb_err *e)
{
	const char *c1 = memchr(s, ':', n), *c2 = NULL, *opt = NULL;
	char *src, *dst;

	if (c1)
		c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s));
	if (!c1 || (c2 && memchr(c2 + 1, ':', n - (size_t)(c2 + 1 - s)))) {
		eb_errf(e, "expected src:dst[:ro|rw]");
		return -1;
	}
	m->ro = false;
	if (c2) {
		size_t ol = n - (size_t)(c2 + 1 - s);
		buf q = { 0 };

		opt = c2 + 1;
		if (ol == 2 && !memcmp(opt, "ro", 2)) {
			m->ro = true;
		} else if (!(ol == 2 && !memcmp(opt, "rw", 2))) {
			spec_quote(&q, opt, ol);
			eb_errf(e, "unknown option %s (expected ro or rw)", q.p);
			buf_free(&q);
			return -1;
		}
	}
	src = xstrndup(s, (size_t)(c1 - s));
	dst = xstrndup(c1 + 1, (size_t)((c2 ? c2 : s + n) - (c1 + 1)));
	if (spec_check_path("source", src, e) || spec_check_path("destination", dst, e)) {
		free(src);
		free(dst);
		return -1;
	}
	if (has_dotdot(src) || has_dotdot(dst)) {
		eb_errf(e, "%s has a \"..\" component", has_dotdot(src) ? "source" : "destination");
		free(src);
		free(dst);
		return -1;
	}
	m->src = src;
	m->dst = dst;
	return 0;
}

int mounts_parse(const char *value, struct mount_list *out, eb_err *e)
{
	const char *p = value, *comma;
	size_t n, cap = 0, idx = 0;
	struct mount_spec m;
	eb_err why;
	buf q = { 0 };

	out->v = NULL;
	out->n = 0;
	if (!*value)
		return 0;
	for (;;) {
		idx++;
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0) {
			spec_quote(&q, value, strlen(value));
			eb_errf(e, "entry %zu of %s is empty (a stray ',')", idx, q.p);
			goto fail;
		}
		if (parse_entry(p, n, &m, &why)) {
			spec_quote(&q, p, n);
			eb_errf(e, "entry %s: %s", q.p, why.msg);
			goto fail;
		}
		for (size_t i = 0; i < out->n; i++) {
			if (!same_place(out->v[i].dst, m.dst))
				continue;
			spec_quote(&q, p, n);
			buf_adds(&q, ": destination ");
			spec_quote(&q, m.dst, strlen(m.dst));
			buf_adds(&q, " already used by entry ");
			quote_nth(&q, value, i);
			eb_errf(e, "entry %s", q.p);
			free(m.src);
			free(m.dst);
			goto fail;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 4;
			out->v = xrealloc(out->v, cap * sizeof *out->v);
		}
		out->v[out->n++] = m;
		if (!comma)
			return 0;
		p = comma + 1;
	}
fail:
	buf_free(&q);
	mounts_free(out);
	return -1;
}

void mounts_free(struct mount_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].src);
		free(l->v[i].dst);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
