/* passwd: look a user up in an /etc/passwd document (see passwd.h). */
#include "passwd.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 4294967294UL /* (uid_t)-1 means "no id" to the kernel */

enum { NAME, PASSWD, UID, GID, GECOS, HOME, SHELL, NFIELD };

typedef struct {
	const char *f[NFIELD];
	size_t l[NFIELD];
} fields;

/* Splits a line (no newline) into fields. Like glibc, the shell is the rest
 * of the line, colons and all. Returns NULL or what is wrong. */
static const char *split(const char *s, size_t n, fields *fl)
{
	size_t i = 0, start = 0;
	int k = 0;

	if (memchr(s, 0, n))
		return "has a NUL byte";
	for (; i < n && k < SHELL; i++) {
		if (s[i] != ':')
			continue;
		fl->f[k] = s + start;
		fl->l[k] = i - start;
		k++;
		start = i + 1;
	}
	if (k < SHELL)
		return "has fewer than 7 fields";
	fl->f[SHELL] = s + start;
	fl->l[SHELL] = n - start;
	return NULL;
}

static int parse_id(const char *s, size_t n, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > ID_MAX)
		return -1;
	*out = v;
	return 0;
}

/* Fills u from a split line, or says which field is wrong. */
static const char *fill(const fields *fl, pw_user *u)
{
	unsigned long uid, gid;

	if (fl->l[NAME] == 0)
		return "has an empty name";
	if (parse_id(fl->f[UID], fl->l[UID], &uid) < 0)
		return "has a uid that is not a number in 0..4294967294";
	if (parse_id(fl->f[GID], fl->l[GID], &gid) < 0)
		return "has a gid that is not a number in 0..4294967294";
	u->name = xstrndup(fl->f[NAME], fl->l[NAME]);
	u->home = xstrndup(fl->f[HOME], fl->l[HOME]);
	u->shell = xstrndup(fl->f[SHELL], fl->l[SHELL]);
	u->uid = uid;
	u->gid = gid;
	return NULL;
}

/* Walks the lines that are not blank or comments, matching on the name
 * field, or on uid when name is NULL. */
static int lookup(const char *doc, size_t len, const char *name,
		  unsigned long uid, pw_user *u, eb_err *e)
{
	const char *p = doc, *s;
	size_t n, nl = 0, namelen = name ? strlen(name) : 0;

	memset(u, 0, sizeof *u);
	while (line_next(&p, doc + len, &s, &n)) {
		const char *bad;
		fields fl;

		nl++;
		/* glibc skips leading blanks; a CRLF file would otherwise
		 * give every user a shell ending in '\r'. */
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n == 0 || *s == '#')
			continue;
		bad = split(s, n, &fl);
		if (name) {
			/* Only this user's line has to be well formed. */
			if (bad ? !(n > namelen && memcmp(s, name, namelen) == 0 &&
				    s[namelen] == ':')
				: !(fl.l[NAME] == namelen &&
				    memcmp(fl.f[NAME], name, namelen) == 0))
				continue;
			if (!bad)
				bad = fill(&fl, u);
			if (bad) {
				eb_errf(e, "passwd line %zu, user %s: %s", nl, name, bad);
				return -1;
			}
			return 1;
		}
		if (bad)
			continue;
		{
			unsigned long v;

			if (parse_id(fl.f[UID], fl.l[UID], &v) < 0 || v != uid)
				continue;
		}
		if (fill(&fl, u))
			continue;
		return 1;
	}
	if (name)
		eb_errf(e, "no user %s in passwd", name);
	else
		eb_errf(e, "no user with uid %lu in passwd", uid);
	return 0;
}

int passwd_lookup(const char *doc, size_t len, const char *name, pw_user *u,
		  eb_err *e)
{
	if (!*name || strpbrk(name, ":\n")) {
		memset(u, 0, sizeof *u);
		eb_errf(e, "\"%.64s\": not a valid user name", name);
		return -1;
	}
	return lookup(doc, len, name, 0, u, e);
}

int passwd_lookup_uid(const char *doc, size_t len, unsigned long uid,
		      pw_user *u, eb_err *e)
{
	return lookup(doc, len, NULL, uid, u, e);
}

void pw_user_free(pw_user *u)
{
	free(u->name);
	free(u->home);
	free(u->shell);
	memset(u, 0, sizeof *u);
}
