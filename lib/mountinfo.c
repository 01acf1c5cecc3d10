/* mountinfo: read a mount table and find the mount holding a path.
 *
 * Hand-parsed on purpose rather than with libmount: its table parser (2.38)
 * guesses the format from the first line and reads a malformed mountinfo as
 * fstab, skips bad lines silently unless an error callback is set, replaces
 * a /dev/root source with a device it looks up on the running system (wrong
 * for a fixture from another machine) and accepts numbers strtol accepts.
 * The kernel's format is one fixed line of eleven fields (fs/proc_namespace.c
 * show_mountinfo); a strict reader that names the bad line is short. */
#include "mountinfo.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* Mount tables have thousands of lines at most; a bound keeps a bad path
 * (a device, a pipe with no end) from eating memory. */
#define MOUNTINFO_MAX (64u << 20)

/* A cursor over one line's space-separated fields. */
struct cur {
	const char *p, *end; /* p NULL after the last field */
};

static bool next_field(struct cur *c, const char **f, size_t *n)
{
	const char *sp;

	if (!c->p)
		return false;
	sp = memchr(c->p, ' ', (size_t)(c->end - c->p));
	*f = c->p;
	*n = sp ? (size_t)(sp - c->p) : (size_t)(c->end - c->p);
	c->p = sp ? sp + 1 : NULL;
	return true;
}

static bool parse_num(const char *f, size_t n, unsigned long max, unsigned long *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return false;
		if (*v > (max - (unsigned long)(f[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (unsigned long)(f[i] - '0');
	}
	return true;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Decodes the kernel's \ooo escapes. A backslash not starting one is kept
 * as it is (the kernel escapes its own backslashes, so none occur). */
static char *decode(const char *f, size_t n, const char *what, eb_err *e)
{
	buf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		if (f[i] == '\\' && i + 3 < n && f[i + 1] >= '0' && f[i + 1] <= '3' &&
		    is_octal(f[i + 2]) && is_octal(f[i + 3])) {
			char c = (char)((f[i + 1] - '0') << 6 | (f[i + 2] - '0') << 3 |
					(f[i + 3] - '0'));

			if (c == 0) {
				eb_errf(e, "%s holds an escaped NUL byte", what);
				buf_free(&b);
				return NULL;
			}
			buf_addc(&b, c);
			i += 3;
		} else {
			buf_addc(&b, f[i]);
		}
	}
	return buf_steal(&b);
}

static void bad_field(eb_err *e, const char *what, const char *f, size_t n)
{
	buf q = { 0 };

	spec_quote(&q, f, n);
	eb_errf(e, "bad %s %s", what, q.p);
	buf_free(&q);
}

/* Reads a "tag:N" optional field into *v when it has tag; -1 if N is bad. */
static int opt_tag(const char *f, size_t n, const char *tag, int *v, eb_err *e)
{
	size_t tl = strlen(tag);
	unsigned long u;

	if (n <= tl || memcmp(f, tag, tl) || f[tl] != ':')
		return 0;
	if (!parse_num(f + tl + 1, n - tl - 1, INT_MAX, &u)) {
		bad_field(e, "optional field", f, n);
		return -1;
	}
	*v = (int)u;
	return 0;
}

static void entry_free(struct mountinfo_entry *m)
{
	free(m->root);
	free(m->target);
	free(m->vfs_opts);
	free(m->opt_fields);
	free(m->fstype);
	free(m->source);
	free(m->super_opts);
}

/* A field that must be there and not be empty. */
static bool need(struct cur *c, const char **f, size_t *n, const char *what, eb_err *e)
{
	if (!next_field(c, f, n)) {
		eb_errf(e, "missing %s", what);
		return false;
	}
	if (*n == 0) {
		eb_errf(e, "empty %s (two spaces in a row)", what);
		return false;
	}
	return true;
}

/* A field that must be a number up to INT_MAX: the mount and parent IDs. */
static bool need_id(struct cur *c, const char *what, int *v, eb_err *e)
{
	const char *f;
	size_t n;
	unsigned long u;

	if (!need(c, &f, &n, what, e))
		return false;
	if (!parse_num(f, n, INT_MAX, &u)) {
		bad_field(e, what, f, n);
		return false;
	}
	*v = (int)u;
	return true;
}

static int parse_line(const char *s, size_t len, struct mountinfo_entry *m, eb_err *e)
{
	struct cur c = { s, s + len };
	const char *f, *colon;
	size_t n;
	unsigned long u, v;
	buf opt = { 0 };

	memset(m, 0, sizeof *m);
	if (!need_id(&c, "mount ID", &m->id, e) ||
	    !need_id(&c, "parent ID", &m->parent, e))
		return -1;
	if (!need(&c, &f, &n, "major:minor", e))
		return -1;
	colon = memchr(f, ':', n);
	if (!colon || !parse_num(f, (size_t)(colon - f), UINT_MAX, &u) ||
	    !parse_num(colon + 1, n - (size_t)(colon + 1 - f), UINT_MAX, &v)) {
		bad_field(e, "major:minor", f, n);
		return -1;
	}
	m->major = (unsigned)u;
	m->minor = (unsigned)v;

	if (!need(&c, &f, &n, "root", e) || !(m->root = decode(f, n, "root", e)))
		goto fail;
	if (!need(&c, &f, &n, "mount point", e) ||
	    !(m->target = decode(f, n, "mount point", e)))
		goto fail;
	if (m->target[0] != '/') {
		bad_field(e, "mount point (not absolute)", f, n);
		goto fail;
	}
	if (!need(&c, &f, &n, "mount options", e) ||
	    !(m->vfs_opts = decode(f, n, "mount options", e)))
		goto fail;

	/* Optional fields up to "-"; unknown tags are kept, not refused, as
	 * later kernels may add some. */
	for (;;) {
		if (!next_field(&c, &f, &n)) {
			eb_errf(e, "missing \" - \" separator");
			goto fail;
		}
		if (n == 0) {
			eb_errf(e, "empty optional field (two spaces in a row)");
			goto fail;
		}
		if (n == 1 && f[0] == '-')
			break;
		if (opt_tag(f, n, "shared", &m->shared, e) ||
		    opt_tag(f, n, "master", &m->master, e) ||
		    opt_tag(f, n, "propagate_from", &m->propagate_from, e))
			goto fail;
		if (n == 10 && !memcmp(f, "unbindable", 10))
			m->unbindable = true;
		if (opt.len)
			buf_addc(&opt, ' ');
		buf_add(&opt, f, n);
	}
	m->opt_fields = buf_steal(&opt);

	if (!need(&c, &f, &n, "filesystem type", e) ||
	    !(m->fstype = decode(f, n, "filesystem type", e)))
		goto fail;
	/* The source may be empty: "tmpfs  rw" (mount -t tmpfs "" DIR). */
	if (!next_field(&c, &f, &n)) {
		eb_errf(e, "missing source");
		goto fail;
	}
	if (!(m->source = decode(f, n, "source", e)))
		goto fail;
	/* Super options are the rest of the line: a filesystem that does not
	 * escape a space in its options must not make the line unreadable. */
	if (!c.p || c.p == c.end) {
		eb_errf(e, "missing superblock options");
		goto fail;
	}
	if (!(m->super_opts = decode(c.p, (size_t)(c.end - c.p), "superblock options", e)))
		goto fail;
	m->mnt_ro = mountinfo_has_opt(m->vfs_opts, "ro");
	m->sb_ro = mountinfo_has_opt(m->super_opts, "ro");
	m->ro = m->mnt_ro || m->sb_ro;
	return 0;
fail:
	buf_free(&opt);
	entry_free(m);
	memset(m, 0, sizeof *m);
	return -1;
}

int mountinfo_parse(struct mountinfo *mi, const char *text, size_t len,
		    const char *name, eb_err *e)
{
	const char *p = text, *end = text + len, *line;
	size_t cap = 0, lineno = 0, n;
	struct mountinfo_entry m;
	eb_err why;

	mi->v = NULL;
	mi->n = 0;
	while (line_next(&p, end, &line, &n)) {
		lineno++;
		if (n == 0) {
			eb_errf(&why, "empty line");
			goto bad;
		}
		if (memchr(line, 0, n)) {
			eb_errf(&why, "contains a NUL byte");
			goto bad;
		}
		if (parse_line(line, n, &m, &why))
			goto bad;
		if (mi->n == cap) {
			cap = cap ? cap * 2 : 32;
			mi->v = xrealloc(mi->v, cap * sizeof *mi->v);
		}
		mi->v[mi->n++] = m;
	}
	return 0;
bad:
	eb_errf(e, "%s:%zu: %s", name, lineno, why.msg);
	mountinfo_free(mi);
	return -1;
}

int mountinfo_load(struct mountinfo *mi, const char *path, eb_err *e)
{
	buf b = { 0 };
	int rc;

	mi->v = NULL;
	mi->n = 0;
	if (!path)
		path = MOUNTINFO_SELF;
	if (read_file(path, MOUNTINFO_MAX, &b, e)) {
		buf_free(&b);
		return -1;
	}
	rc = mountinfo_parse(mi, b.p, b.len, path, e);
	buf_free(&b);
	return rc;
}

void mountinfo_free(struct mountinfo *mi)
{
	for (size_t i = 0; i < mi->n; i++)
		entry_free(&mi->v[i]);
	free(mi->v);
	mi->v = NULL;
	mi->n = 0;
}

bool mountinfo_has_opt(const char *opts, const char *name)
{
	size_t nl = strlen(name);
	const char *p = opts, *comma;

	for (;;) {
		comma = strchr(p, ',');
		if ((comma ? (size_t)(comma - p) : strlen(p)) == nl && !memcmp(p, name, nl))
			return true;
		if (!comma)
			return false;
		p = comma + 1;
	}
}


/* Whether target (a clean absolute path) is path or one of its parents. */
static bool holds(const char *target, const char *path)
{
	size_t n = strlen(target);

	if (n == 1 && target[0] == '/')
		return true;
	return !strncmp(path, target, n) && (path[n] == '/' || path[n] == 0);
}

const struct mountinfo_entry *mountinfo_find(const struct mountinfo *mi,
					     const char *path)
{
	const struct mountinfo_entry *best = NULL;
	size_t best_len = 0;
	char *p, *t;

	if (path[0] != '/')
		return NULL;
	p = path_clean(path);
	for (size_t i = 0; i < mi->n; i++) {
		t = path_clean(mi->v[i].target);
		if (holds(t, p) && (!best || strlen(t) >= best_len)) {
			best = &mi->v[i];
			best_len = strlen(t);
		}
		free(t);
	}
	free(p);
	return best;
}
