/* probefile: the probe's reads of files in its container (probefile.h). */
#include "probefile.h"

#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "tar.h"

/* --- paths in an image ----------------------------------------------------- */

char *image_path_clean(const char *path)
{
	return path_clean(path);
}

char *image_link_target(const char *path, const char *target)
{
	const char *slash = strrchr(path, '/');
	char *joined, *clean;

	if (!target || !*target)
		return NULL;
	if (target[0] == '/' || !slash)
		return image_path_clean(target);
	joined = xasprintf("%.*s/%s", (int)(slash - path), path, target);
	clean = image_path_clean(joined);
	free(joined);
	return clean;
}

/* --- the lookup, link by link ---------------------------------------------- */

#define FILE_MAX (16u << 20) /* /etc/passwd and os-release, read whole */
#define PEEK_MAX (64u << 10) /* any entry's headers fit in this */
#define LINKS_MAX 40         /* the kernel's MAXSYMLINKS */

struct fetch {
	buf *b;
	size_t max;
	bool full; /* stopped at max */
};

static int collect(const char *p, size_t n, void *arg, eb_err *e)
{
	struct fetch *f = arg;

	if (f->b->len + n > f->max) {
		buf_add(f->b, p, f->max - f->b->len);
		f->full = true;
		eb_errf(e, "more than %zu bytes", f->max);
		return -1;
	}
	buf_add(f->b, p, n);
	return 0;
}

bool probe_stopped(const struct probe *pr, eb_err *e)
{
	if (pr->o->stop && *pr->o->stop) {
		eb_errf(e, "interrupted by a signal");
		return true;
	}
	return false;
}

/* Looks path up in the probe container, following symlinks inside the
 * image. 1: a regular file (its bytes in data when want_data; else data
 * may hold only the start of the archive); 0: nothing there, a dangling
 * link, a link loop, or not a regular file (why says which); -1: e says
 * what failed; target as probefile.h says. */
int probe_lookup(struct probe *pr, const char *path, bool want_data, buf *data,
		 char **target, eb_err *why, eb_err *e)
{
	tar_entry *ent;
	char *cur;
	int ret = -1;

	for (size_t i = 0; i < pr->nknown; i++) {
		struct known *k = &pr->known[i];

		if (strcmp(k->path, path) || k->rc < 0 ||
		    (k->rc == 1 && want_data && !k->has_data))
			continue;
		buf_reset(data);
		if (k->rc == 1 && want_data)
			buf_add(data, k->data.p, k->data.len);
		if (k->rc == 1 && target)
			*target = xstrdup(k->at);
		*why = k->why;
		return k->rc;
	}
	ent = xmalloc(sizeof *ent);
	cur = image_path_clean(path);
	for (int hops = 0;; hops++) {
		char *q = docker_query_escape(cur);
		char *p = xasprintf("/containers/%s/archive?path=%s", pr->id, q);
		docker_req head = { .method = "HEAD", .path = p };
		docker_req get = { .method = "GET", .path = p };
		struct fetch f = { .b = data, .max = want_data ? FILE_MAX : PEEK_MAX };
		tar_reader tr;
		long status = 0;
		int rc;

		free(q);
		buf_reset(data);
		if (probe_stopped(pr, e)) {
			free(p);
			goto out;
		}
		if (!strcmp(cur, "/")) {
			eb_errf(why, "a symbolic link to the root directory");
			free(p);
			ret = 0;
			goto out;
		}
		/* HEAD first: a 404 there is "absent", not an error. */
		if (docker_request(pr->d, &head, &status, NULL, e) < 0) {
			if (status != 404) {
				/* A HEAD's error has no message: the GET's
				 * says what it is (a link loop dockerd will
				 * not resolve, or a real failure). */
				buf_reset(data);
				if (docker_request(pr->d, &get, &status, data, e) == 0)
					eb_errf(e, "HEAD %s: failed (HTTP 500) where GET succeeded", p);
				else if (strstr(e->msg, "too many links")) {
					eb_errf(why, "too many levels of symbolic links");
					ret = 0;
				}
				free(p);
				goto out;
			}
			free(p);
			if (hops)
				eb_errf(why, "a symbolic link to %s, which does not exist",
					cur);
			else
				eb_errf(why, "no such file");
			ret = 0;
			goto out;
		}
		rc = docker_stream(pr->d, &get, collect, &f, e);
		free(p);
		if (rc < 0 && !f.full)
			goto out;
		/* The archive of one path starts with that path's entry. */
		tar_init(&tr, data->p ? data->p : "", data->len);
		rc = tar_next(&tr, ent, e);
		if (rc < 0 && f.full && !want_data) {
			/* Only a file's data outgrows PEEK_MAX: headers, links
			 * and directories' own entries are small. */
			ret = 1;
			goto out;
		}
		if (rc < 0) {
			eb_err inner = *e;

			if (f.full)
				eb_errf(e, "%s: larger than %u MiB", cur, FILE_MAX >> 20);
			else
				eb_errf(e, "%s: %s", cur, inner.msg);
			goto out;
		}
		if (rc == 0) {
			eb_errf(e, "%s: the daemon sent an empty archive", cur);
			goto out;
		}
		if (ent->type == TAR_REG) {
			if (want_data) {
				/* Keep only the file's bytes. */
				buf tmp = { 0 };

				buf_add(&tmp, ent->data, (size_t)ent->size);
				buf_free(data);
				*data = tmp;
			}
			ret = 1;
			goto out;
		}
		if (ent->type != TAR_SYMLINK) {
			const char *what = ent->type == TAR_DIR ? "a directory" :
					   "not a regular file";

			if (hops)
				eb_errf(why, "a symbolic link to %s, %s", cur, what);
			else
				eb_errf(why, "%s", what);
			ret = 0;
			goto out;
		}
		if (hops == LINKS_MAX) {
			eb_errf(why, "too many levels of symbolic links");
			ret = 0;
			goto out;
		}
		{
			char *next = image_link_target(cur, ent->linkname);

			if (!next) {
				eb_errf(why, "a symbolic link to %s, which has an empty target",
					cur);
				ret = 0;
				goto out;
			}
			free(cur);
			cur = next;
		}
	}
out:
	if (ret == 1 && target)
		*target = cur;
	else
		free(cur);
	free(ent);
	return ret;
}

/* --- probe, the fast path ---------------------------------------------------
 *
 * probe_lookup() above reads a path with HEAD then GET, link by link; each GET
 * has dockerd start a helper process (its chrooted tar), ~80 ms here. The
 * fast path asks less, and all at once: a HEAD answers with the path's
 * stat in X-Docker-Container-Path-Stat (base64 JSON: its Go FileMode, and
 * for a symbolic link the target fully resolved inside the container), so
 * the four paths are stat'ed concurrently, links resolved with one more
 * round of HEADs, and then only the files whose bytes are needed (passwd
 * and the os-release that will be used) are read, concurrently. Anything
 * it cannot tell (a daemon without the header, a link loop dockerd refuses
 * to resolve, an odd archive) is left to probe_lookup(). */

/* Go's os.FileMode type bits. */
#define GO_MODE_DIR (1ULL << 31)
#define GO_MODE_SYMLINK (1ULL << 27)
#define GO_MODE_TYPE ((1ULL << 31) | (1ULL << 27) | (1ULL << 26) | \
		      (1ULL << 25) | (1ULL << 24) | (1ULL << 21) | (1ULL << 19))
#define PATH_STAT_HEADER "X-Docker-Container-Path-Stat"

/* The header's mode and link target; -1 when it cannot be read. */
static int path_stat_parse(const char *hdr, unsigned long long *mode,
			   char **target)
{
	json_doc doc = { 0 };
	unsigned char *raw = NULL;
	size_t len = 0;
	long long m;
	eb_err e;
	int t, ret = -1;

	*target = NULL;
	if (!hdr || b64_decode(hdr, strlen(hdr), B64_STD, &raw, &len) < 0)
		return -1;
	if (json_parse(&doc, (const char *)raw, len, &e) < 0 ||
	    json_int(&doc, json_obj_get(&doc, 0, "mode"), &m) < 0 || m < 0)
		goto out;
	*mode = (unsigned long long)m;
	t = json_obj_get(&doc, 0, "linkTarget");
	*target = t >= 0 ? json_strdup(&doc, t) : NULL;
	ret = 0;
out:
	json_free(&doc);
	free(raw);
	return ret;
}

/* dockerd serves one archive request per container at a time (it holds
 * the container's lock while it mounts, tars and unmounts): reads meant to
 * run together go to different containers. */
static char *archive_path(const struct probe *pr, size_t n, const char *path)
{
	const char *id = n % 2 && pr->id2 ? pr->id2 : pr->id;
	char *q = docker_query_escape(path);
	char *p = xasprintf("/containers/%s/archive?path=%s", id, q);

	free(q);
	return p;
}

/* Takes one HEAD's answer for k: settled (rc 0 or 1), or k->at moved on
 * to a link's target, or given up (left to probe_lookup). */
static void took_stat(struct known *k, docker_call *c)
{
	unsigned long long mode;
	char *target = NULL;

	if (c->rc < 0 && c->status == 404) {
		if (k->hops)
			eb_errf(&k->why, "a symbolic link to %s, which does not exist",
				k->at);
		else
			eb_errf(&k->why, "no such file");
		k->rc = 0;
		return;
	}
	if (c->rc < 0 || path_stat_parse(c->header_value, &mode, &target) < 0)
		goto give_up;
	if (mode & GO_MODE_SYMLINK) {
		if (!target || target[0] != '/' || k->hops >= LINKS_MAX)
			goto give_up;
		free(k->at);
		k->at = image_path_clean(target);
		k->hops++;
		free(target);
		if (!strcmp(k->at, "/")) {
			eb_errf(&k->why, "a symbolic link to the root directory");
			k->rc = 0;
		}
		return;
	}
	free(target);
	if (!(mode & GO_MODE_TYPE)) {
		k->rc = 1;
		return;
	}
	{
		const char *what = mode & GO_MODE_DIR ? "a directory" :
				   "not a regular file";

		if (k->hops)
			eb_errf(&k->why, "a symbolic link to %s, %s", k->at, what);
		else
			eb_errf(&k->why, "%s", what);
	}
	k->rc = 0;
	return;
give_up:
	free(target);
	k->rc = -1;
	k->hops = -1; /* done with it: probe_lookup() decides */
}

/* The file's bytes from a GET of its archive: the first entry. */
static void took_data(struct known *k, docker_call *c)
{
	tar_entry ent;
	tar_reader tr;
	eb_err e;

	if (c->rc < 0)
		return;
	tar_init(&tr, c->out.p ? c->out.p : "", c->out.len);
	if (tar_next(&tr, &ent, &e) == 1 && ent.type == TAR_REG) {
		buf_reset(&k->data);
		buf_add(&k->data, ent.data, (size_t)ent.size);
		k->has_data = true;
	}
}

/* Frees what a call holds (its path is ours) and empties it for reuse. */
void probe_call_reset(docker_call *c)
{
	docker_call_free(c);
	free((char *)c->req.path);
	memset(c, 0, sizeof *c);
}

static bool pending(const struct known *k)
{
	return k->rc < 0 && k->hops >= 0;
}

/* Fills pr->known for the paths the probe reads. Never fails: what it
 * cannot learn is left to probe_lookup(). */
void probe_prefetch(struct probe *pr)
{
	static const struct { const char *path; bool data, os; } paths[] = {
		{ "/etc/passwd", true, false },
		{ "/etc/os-release", true, true },
		{ "/usr/lib/os-release", true, true },
		{ "/sbin/init", false, false },
	};
	const size_t n = sizeof paths / sizeof *paths;
	docker_call calls[sizeof paths / sizeof *paths];
	size_t idx[sizeof paths / sizeof *paths];
	eb_err e;

	memset(calls, 0, sizeof calls);
	pr->nknown = n;
	for (size_t i = 0; i < n; i++) {
		struct known *k = &pr->known[i];

		memset(k, 0, sizeof *k);
		k->path = paths[i].path;
		k->want_data = paths[i].data;
		k->os = paths[i].os;
		k->rc = -1;
		k->at = xstrdup(k->path);
	}
	/* Stat, then the links' targets, until every path is settled. */
	for (;;) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			if (!pending(&pr->known[i]))
				continue;
			probe_call_reset(&calls[m]);
			calls[m].req.method = "HEAD";
			calls[m].req.path = archive_path(pr, m, pr->known[i].at);
			calls[m].header = PATH_STAT_HEADER;
			idx[m++] = i;
		}
		if (!m || probe_stopped(pr, &e))
			break;
		if (docker_batch(pr->d, calls, m, &e) < 0) {
			for (size_t j = 0; j < m; j++)
				pr->known[idx[j]].hops = -1;
			break;
		}
		for (size_t j = 0; j < m; j++)
			took_stat(&pr->known[idx[j]], &calls[j]);
	}
	/* Then the bytes of passwd and of the os-release probe_os will take. */
	{
		size_t m = 0;
		bool os_taken = false;

		for (size_t i = 0; i < n; i++) {
			struct known *k = &pr->known[i];

			if (!k->want_data || k->rc != 1)
				continue;
			if (k->os) {
				if (os_taken)
					continue;
				os_taken = true;
			}
			probe_call_reset(&calls[m]);
			calls[m].req.method = "GET";
			calls[m].req.path = archive_path(pr, m, k->at);
			calls[m].max = FILE_MAX + PEEK_MAX;
			idx[m++] = i;
		}
		if (m && !probe_stopped(pr, &e) && docker_batch(pr->d, calls, m, &e) == 0)
			for (size_t j = 0; j < m; j++)
				took_data(&pr->known[idx[j]], &calls[j]);
	}
	for (size_t i = 0; i < n; i++)
		probe_call_reset(&calls[i]);
}

void probe_known_free(struct probe *pr)
{
	for (size_t i = 0; i < pr->nknown; i++) {
		buf_free(&pr->known[i].data);
		free(pr->known[i].at);
	}
	pr->nknown = 0;
}
