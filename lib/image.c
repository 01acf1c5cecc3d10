/* image: pull, probe and prune through the Engine API (image.h). */
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "b64.h"
#include "imageref.h"
#include "json.h"
#include "osrelease.h"
#include "passwd.h"
#include "progress.h"
#include "tar.h"

/* --- pull faults ----------------------------------------------------------- */

/* Texts in the daemon's message, in the order they are tried: the first
 * hit decides. Matching ignores case. Sources: Go's crypto/x509 and
 * crypto/tls errors, the distribution spec's error codes
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes)
 * and the messages dockerd 20.10 wraps them in. */
static const struct {
	const char *text;
	enum pull_fault fault;
} fault_texts[] = {
	/* Disk full while writing layers: first, whatever else it says. */
	{ "no space left on device", PULL_FAULT_NOSPACE },
	/* Certificates: retrying cannot make a CA trusted. */
	{ "x509:", PULL_FAULT_CERT },
	{ "certificate signed by unknown authority", PULL_FAULT_CERT },
	{ "certificate is not valid", PULL_FAULT_CERT },
	{ "certificate is valid for", PULL_FAULT_CERT },     /* wrong host name */
	{ "certificate has expired", PULL_FAULT_CERT },
	{ "failed to verify certificate", PULL_FAULT_CERT }, /* Go >= 1.20 */
	{ "tls: bad certificate", PULL_FAULT_CERT },         /* our client cert refused */
	{ "tls: unknown certificate authority", PULL_FAULT_CERT },
	/* The registry refused us: the same credentials will be refused again. */
	{ "no basic auth credentials", PULL_FAULT_AUTH },
	{ "authentication required", PULL_FAULT_AUTH },
	{ "unauthorized", PULL_FAULT_AUTH },                 /* code UNAUTHORIZED, HTTP 401 */
	{ "pull access denied", PULL_FAULT_AUTH },           /* Docker Hub: private or absent */
	{ "denied: ", PULL_FAULT_AUTH },                     /* code DENIED */
	{ "access to the resource is denied", PULL_FAULT_AUTH },
	{ "403 forbidden", PULL_FAULT_AUTH },
	{ "status code 401", PULL_FAULT_AUTH },
	{ "status code 403", PULL_FAULT_AUTH },
	{ "status: 401", PULL_FAULT_AUTH },
	{ "status: 403", PULL_FAULT_AUTH },
	/* The image is not there: asking again will not make it appear. */
	{ "manifest unknown", PULL_FAULT_NOTFOUND },         /* code MANIFEST_UNKNOWN */
	{ "name unknown", PULL_FAULT_NOTFOUND },             /* code NAME_UNKNOWN */
	{ "not found", PULL_FAULT_NOTFOUND },                /* "manifest for X not found" */
};

/* "denied: " also ends "open /x: permission denied: ..." from the daemon's
 * own disk, which is not the registry refusing us. */
static bool hit(const char *msg, const char *text)
{
	size_t n = strlen(text);

	for (const char *p = msg; (p = strcasestr(p, text)); p += n) {
		if (!strcmp(text, "denied: ") && p - msg >= 11 &&
		    !strncasecmp(p - 11, "permission ", 11))
			continue;
		return true;
	}
	return false;
}

enum pull_fault image_pull_fault(const char *msg)
{
	for (size_t i = 0; i < sizeof fault_texts / sizeof *fault_texts; i++)
		if (hit(msg, fault_texts[i].text))
			return fault_texts[i].fault;
	return PULL_FAULT_OTHER;
}

long image_backoff_ms(unsigned n)
{
	long ms = 1000;

	while (n-- > 1 && ms < 3000)
		ms *= 2;
	return ms < 3000 ? ms : 3000;
}

/* Removes every occurrence of secret from msg, in place. */
static void mask_one(char *msg, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p = msg;

	if (n < 4)
		return;
	while ((p = strstr(p, secret))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
		p += 3;
	}
}

void image_mask_secrets(char *msg, size_t size, const char *auth)
{
	static const char *const fields[] = {
		"password", "identitytoken", "registrytoken",
	};
	unsigned char *js = NULL;
	size_t len = 0;
	json_doc d = { 0 };
	eb_err ignored;

	if (!auth || !*auth || !size)
		return;
	msg[size - 1] = 0;
	mask_one(msg, auth);
	/* envbox-auth writes URL-safe base64; other tools the standard one. */
	if (b64_decode(auth, strlen(auth), B64_URL, &js, &len) < 0 &&
	    b64_decode(auth, strlen(auth), B64_STD, &js, &len) < 0)
		return;
	if (json_parse(&d, (const char *)js, len, &ignored) == 0) {
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
			char *s = json_strdup(&d, json_obj_get(&d, 0, fields[i]));

			mask_one(msg, s);
			free(s);
		}
		json_free(&d);
	}
	free(js);
}

/* --- pull ------------------------------------------------------------------ */

static void say(const struct image_pull_opts *o, enum log_type t,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(const struct image_pull_opts *o, enum log_type t,
		const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!o->log)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	image_mask_secrets(msg, strlen(msg) + 1, o->auth);
	o->log(o->log_arg, t, msg);
	free(msg);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct attempt {
	const struct image_pull_opts *o;
	progress *prog;
	long interval, last; /* ms; last 0: no progress line yet */
};

/* dockerd names every layer ("Pulling fs layer") before any moves on: the
 * first line waits for that, so it counts them all. */
static bool layers_known(const progress *p)
{
	for (size_t i = 0; i < p->nlayer; i++)
		if (p->layer[i].state != LAYER_WAITING)
			return true;
	return false;
}

static int on_progress(const char *line, size_t n, void *arg, eb_err *e)
{
	struct attempt *a = arg;
	buf b = { 0 };

	if (progress_line(a->prog, line, n, e) < 0)
		return -1;
	if (a->last ? now_ms() - a->last < a->interval : !layers_known(a->prog))
		return 0;
	progress_summary(a->prog, &b);
	say(a->o, LOG_INFO, "%s", b.p);
	buf_free(&b);
	a->last = now_ms();
	return 0;
}

/* The daemon's words without our "POST /images/create?...: " before them. */
static void strip_prefix(char *msg, const char *method, const char *path)
{
	size_t m = strlen(method), p = strlen(path);

	if (!strncmp(msg, method, m) && msg[m] == ' ' &&
	    !strncmp(msg + m + 1, path, p) && !strncmp(msg + m + 1 + p, ": ", 2))
		memmove(msg, msg + m + p + 3, strlen(msg + m + p + 3) + 1);
}

/* The final line: "Pulled IMAGE (3/3 layers done, ...)" or up to date. */
static void say_done(const struct image_pull_opts *o, const progress *p)
{
	const char *status = progress_status(p);
	buf b = { 0 };

	if (status && str_starts(status, "Image is up to date")) {
		say(o, LOG_INFO, "Image %s is up to date", o->image);
		return;
	}
	progress_summary(p, &b);
	say(o, LOG_INFO, "Pulled %s (%s)", o->image,
	    str_starts(b.p, "pulling: ") ? b.p + 9 : b.p);
	buf_free(&b);
}

static char *pull_path(const struct imageref *r)
{
	char *from, *repo = xasprintf("%s/%s", r->registry, r->repo);
	char *tag = docker_query_escape(r->digest ? r->digest : r->tag);
	char *path;

	/* As the docker CLI sends it: the digest, when there is one, as tag. */
	from = docker_query_escape(repo);
	path = xasprintf("/images/create?fromImage=%s&tag=%s", from, tag);
	free(from);
	free(tag);
	free(repo);
	return path;
}

int image_pull(docker *d, const struct image_pull_opts *o, eb_err *e)
{
	struct imageref ref;
	const char *headers[2] = { NULL, NULL };
	char *path = NULL, *hdr = NULL;
	struct attempt a = { .o = o };
	docker_req r = { .method = "POST" };
	bool pruned = false, creds = o->auth && *o->auth;
	unsigned retry = 0;
	int ret = -1;

	if (imageref_parse(o->image, &ref, e) < 0)
		return -1;
	path = pull_path(&ref);
	r.path = path;
	if (creds) {
		hdr = xasprintf("X-Registry-Auth: %s", o->auth);
		headers[0] = hdr;
		r.headers = headers;
	}
	a.prog = xmalloc(sizeof *a.prog);
	a.interval = o->interval_ms > 0 ? o->interval_ms : 2000;
	say(o, LOG_INFO, "Pulling image %s", o->image);

	for (unsigned n = 1;; n++) {
		eb_err why;
		enum pull_fault f;
		long pause;

		progress_init(a.prog);
		a.last = 0;
		if (docker_stream_lines(d, &r, on_progress, &a, &why) == 0) {
			if (!progress_error(a.prog) && progress_status(a.prog)) {
				say_done(o, a.prog);
				ret = 0;
				break;
			}
			/* A 200 answer can still fail: the error comes in the stream. */
			eb_errf(&why, "%s", progress_error(a.prog) ? progress_error(a.prog) :
				"the pull stream ended before the pull did");
		}
		strip_prefix(why.msg, r.method, r.path);
		image_mask_secrets(why.msg, sizeof why.msg, o->auth);
		f = image_pull_fault(why.msg);

		if (f == PULL_FAULT_NOSPACE && !pruned) {
			long long freed = 0;
			eb_err perr;

			say(o, LOG_INFO, "pull %s: attempt %u failed: %s; pruning unused images and trying again",
			    o->image, n, why.msg);
			pruned = true;
			if (image_prune(d, &freed, &perr) < 0)
				say(o, LOG_INFO, "warning: pruning images: %s", perr.msg);
			else
				say(o, LOG_INFO, "Pruned unused images: %lld bytes reclaimed", freed);
			continue;
		}
		if (f != PULL_FAULT_OTHER || retry == o->retries)
			say(o, LOG_INFO, "pull %s: attempt %u failed: %s", o->image, n,
			    why.msg);
		switch (f) {
		case PULL_FAULT_NOSPACE:
			eb_errf(e, "no space left on device in the daemon's data root, even after pruning unused images: %s",
				why.msg);
			goto out;
		case PULL_FAULT_CERT:
			eb_errf(e, "the certificate of registry %s is not trusted; set CODER_EXTRA_CERTS_PATH to its CA certificate (a file or a directory): %s",
				ref.registry, why.msg);
			goto out;
		case PULL_FAULT_AUTH:
			if (creds)
				eb_errf(e, "registry %s refused the credentials: %s",
					ref.registry, why.msg);
			else
				eb_errf(e, "registry %s requires authentication and no credentials matched %s (see CODER_IMAGE_PULL_SECRET and CODER_DOCKER_CONFIG): %s",
					ref.registry, ref.registry, why.msg);
			goto out;
		case PULL_FAULT_NOTFOUND:
			eb_errf(e, "no such image in registry %s: %s", ref.registry,
				why.msg);
			goto out;
		case PULL_FAULT_OTHER:
			break;
		}
		if (retry == o->retries) {
			eb_errf(e, "pulling from registry %s: giving up after %u attempt%s: %s",
				ref.registry, n, n == 1 ? "" : "s", why.msg);
			goto out;
		}
		pause = image_backoff_ms(++retry);
		say(o, LOG_INFO, "pull %s: attempt %u failed: %s; retrying in %ld s",
		    o->image, n, why.msg, pause / 1000);
		sleep_ms(pause);
	}
out:
	free(a.prog);
	free(hdr);
	free(path);
	imageref_free(&ref);
	return ret;
}

/* --- prune ----------------------------------------------------------------- */

int image_prune(docker *d, long long *reclaimed, eb_err *e)
{
	char *filters = docker_query_escape("{\"dangling\":[\"false\"]}");
	char *path = xasprintf("/images/prune?filters=%s", filters);
	docker_req r = { .method = "POST", .path = path };
	json_doc doc = { 0 };
	buf out = { 0 };
	int ret = -1;

	*reclaimed = 0;
	if (docker_request(d, &r, NULL, &out, e) < 0)
		goto done;
	if (json_parse(&doc, out.p ? out.p : "", out.len, e) < 0 ||
	    json_int(&doc, json_obj_get(&doc, 0, "SpaceReclaimed"), reclaimed) < 0) {
		eb_errf(e, "POST /images/prune: no SpaceReclaimed number in the answer");
		goto done;
	}
	ret = 0;
done:
	json_free(&doc);
	buf_free(&out);
	free(path);
	free(filters);
	return ret;
}

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

/* --- probe ----------------------------------------------------------------- */

#define FILE_MAX (16u << 20) /* /etc/passwd and os-release, read whole */
#define PEEK_MAX (64u << 10) /* any entry's headers fit in this */
#define LINKS_MAX 40         /* the kernel's MAXSYMLINKS */
#define PROBE_TIMEOUT_MS 60000

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

/* What the fast path learned of one path (see prefetch). */
struct known {
	const char *path;  /* as asked */
	bool want_data;
	bool os;           /* one of the os-release files (only one is read) */
	int rc;            /* as lookup's: 1 regular file, 0 not (why), -1 unknown */
	bool has_data;     /* data holds the file's bytes */
	buf data;
	eb_err why;
	/* while resolving: */
	char *at;          /* the path reached */
	int hops;
};

struct probe {
	docker *d;
	const struct image_probe_opts *o;
	char *id;
	char *id2; /* a second container for the fast path's reads, or NULL */
	struct known known[4];
	size_t nknown;
};

static bool stopped(const struct probe *pr, eb_err *e)
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
 * what failed. */
static int lookup(struct probe *pr, const char *path, bool want_data, buf *data,
		  eb_err *why, eb_err *e)
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
		if (stopped(pr, e)) {
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
	free(cur);
	free(ent);
	return ret;
}

/* --- probe, the fast path ---------------------------------------------------
 *
 * lookup() above reads a path with HEAD then GET, link by link; each GET
 * has dockerd start a helper process (its chrooted tar), ~80 ms here. The
 * fast path asks less, and all at once: a HEAD answers with the path's
 * stat in X-Docker-Container-Path-Stat (base64 JSON: its Go FileMode, and
 * for a symbolic link the target fully resolved inside the container), so
 * the four paths are stat'ed concurrently, links resolved with one more
 * round of HEADs, and then only the files whose bytes are needed (passwd
 * and the os-release that will be used) are read, concurrently. Anything
 * it cannot tell (a daemon without the header, a link loop dockerd refuses
 * to resolve, an odd archive) is left to lookup(). */

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
 * to a link's target, or given up (left to lookup). */
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
	k->hops = -1; /* done with it: lookup() decides */
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
static void call_reset(docker_call *c)
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
 * cannot learn is left to lookup(). */
static void prefetch(struct probe *pr)
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
			call_reset(&calls[m]);
			calls[m].req.method = "HEAD";
			calls[m].req.path = archive_path(pr, m, pr->known[i].at);
			calls[m].header = PATH_STAT_HEADER;
			idx[m++] = i;
		}
		if (!m || stopped(pr, &e))
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
			call_reset(&calls[m]);
			calls[m].req.method = "GET";
			calls[m].req.path = archive_path(pr, m, k->at);
			calls[m].max = FILE_MAX + PEEK_MAX;
			idx[m++] = i;
		}
		if (m && !stopped(pr, &e) && docker_batch(pr->d, calls, m, &e) == 0)
			for (size_t j = 0; j < m; j++)
				took_data(&pr->known[idx[j]], &calls[j]);
	}
	for (size_t i = 0; i < n; i++)
		call_reset(&calls[i]);
}

static void known_free(struct probe *pr)
{
	for (size_t i = 0; i < pr->nknown; i++) {
		buf_free(&pr->known[i].data);
		free(pr->known[i].at);
	}
	pr->nknown = 0;
}

/* A message for the probe's log (warnings as LOG_INFO, notes LOG_DEBUG). */
static void note(const struct image_probe_opts *o, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(const struct image_probe_opts *o, int level, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!o->log)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	o->log(o->log_arg, level, msg);
	free(msg);
}

/* An os-release ID as the spec allows it: a-z, 0-9, ".", "_", "-". */
static bool valid_os_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("._-", *s)))
			return false;
	return true;
}

static int probe_user(struct probe *pr, struct image_info *out, eb_err *e)
{
	const struct image_probe_opts *o = pr->o;
	buf data = { 0 };
	eb_err why;
	pw_user u;
	int rc;

	rc = lookup(pr, "/etc/passwd", true, &data, &why, e);
	if (rc == 0) {
		eb_errf(e, "%s has no /etc/passwd (%s)", o->image, why.msg);
		rc = -1;
	}
	if (rc < 0)
		goto out;
	rc = passwd_lookup(data.p, data.len, o->user, &u, e);
	if (rc == 0 && o->user[0] && !o->user[strspn(o->user, "0123456789")]) {
		/* A uid, as `getent passwd 1000` takes one. */
		errno = 0;
		unsigned long uid = strtoul(o->user, NULL, 10);

		if (!errno)
			rc = passwd_lookup_uid(data.p, data.len, uid, &u, e);
	}
	if (rc == 0) {
		eb_errf(e, "user \"%s\" not found in %s's /etc/passwd", o->user,
			o->image);
		rc = -1;
	} else if (rc < 0) {
		eb_err inner = *e;

		eb_errf(e, "%s's /etc/passwd: %s", o->image, inner.msg);
	} else if (u.home[0] != '/') {
		/* The home becomes a mount destination and a working
		 * directory: both must be absolute. */
		eb_errf(e, "user \"%s\" in %s's /etc/passwd has the home directory "
			"\"%.200s\", which is not an absolute path", o->user, o->image, u.home);
		pw_user_free(&u);
		rc = -1;
	} else {
		out->uid = u.uid;
		out->gid = u.gid;
		out->home = xstrdup(u.home);
		pw_user_free(&u);
	}
out:
	buf_free(&data);
	return rc < 0 ? -1 : 0;
}

/* /etc/os-release, else /usr/lib/os-release (the spec's fallback), else
 * ID "linux". A malformed one is a warning: the workspace can run without
 * knowing its distribution. */
static int probe_os(struct probe *pr, struct image_info *out, eb_err *e)
{
	static const char *const files[] = { "/etc/os-release", "/usr/lib/os-release" };
	const struct image_probe_opts *o = pr->o;
	buf data = { 0 };
	eb_err why;
	int rc = 0;

	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		os_release osr;

		rc = lookup(pr, files[i], true, &data, &why, e);
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		if (osrelease_parse(data.p, data.len, &osr, &why) < 0) {
			note(o, LOG_INFO, "warning: %s's %s: %s; taking os \"linux\"",
				o->image, files[i], why.msg);
		} else if (!valid_os_id(osr.id)) {
			note(o, LOG_INFO, "warning: %s's %s: ID \"%.64s\" is not a valid os-release ID; taking os \"linux\"",
				o->image, files[i], osr.id);
			os_release_free(&osr);
		} else {
			out->os = xstrdup(osr.id);
			if (osr.id_like)
				out->os_like = xstrdup(osr.id_like);
			os_release_free(&osr);
		}
		break;
	}
	buf_free(&data);
	if (rc < 0)
		return -1;
	if (!out->os)
		out->os = xstrdup("linux");
	out->libdir = osrelease_libdir(out->os, out->os_like);
	return 0;
}

/* The daemon's 404 for the image, said as what to do about it. */
static void not_present(const struct image_probe_opts *o, eb_err *e)
{
	eb_err inner = *e;

	eb_errf(e, "image %s is not present (pull it first): %s", o->image,
		inner.msg);
}

/* The container's id from a create answer, or NULL. */
static char *created_id(const buf *out)
{
	json_doc doc = { 0 };
	eb_err e;
	char *id = NULL;

	if (json_parse(&doc, out->p ? out->p : "", out->len, &e) == 0 &&
	    (id = json_strdup(&doc, json_obj_get(&doc, 0, "Id"))) &&
	    (!id[0] || id[strspn(id, "0123456789abcdef")])) {
		free(id);
		id = NULL;
	}
	json_free(&doc);
	return id;
}

static void delete_containers(struct probe *pr, char **ids, size_t n, eb_err *e);

/* The probe container (and with two, a second one for reads at once),
 * created concurrently. Only the first is needed. */
static int create_probe(struct probe *pr, const char *image, bool two,
			eb_err *e)
{
	docker_call calls[2];
	buf body = { 0 };
	json_w w;
	size_t n = two ? 2 : 1;
	char *ids[2] = { NULL, NULL };
	int ret = -1;

	jw_init(&w, &body);
	jw_obj(&w);
	jw_kstr(&w, "Image", image);
	/* Never started; an entrypoint only because create needs a command. */
	jw_key(&w, "Entrypoint");
	jw_arr(&w);
	jw_str(&w, "sleep");
	jw_str(&w, "infinity");
	jw_arr_end(&w);
	jw_key(&w, "Cmd");
	jw_arr(&w);
	jw_arr_end(&w);
	jw_key(&w, "NetworkDisabled");
	jw_bool(&w, true);
	jw_key(&w, "Labels");
	jw_obj(&w);
	jw_kstr(&w, "envbox.probe", "true");
	jw_obj_end(&w);
	jw_key(&w, "HostConfig");
	jw_obj(&w);
	jw_kstr(&w, "NetworkMode", "none");
	jw_obj_end(&w);
	jw_obj_end(&w);

	memset(calls, 0, sizeof calls);
	for (size_t i = 0; i < n; i++) {
		calls[i].req.method = "POST";
		calls[i].req.path = "/containers/create";
		calls[i].req.body = body.p;
		calls[i].req.body_len = body.len;
	}
	if (docker_batch(pr->d, calls, n, e) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (calls[i].rc == 0)
			ids[i] = created_id(&calls[i].out);
	if (calls[0].rc < 0) {
		*e = calls[0].err;
		if (calls[0].status == 404)
			not_present(pr->o, e);
	} else if (!ids[0]) {
		eb_errf(e, "POST /containers/create: no container Id in the answer");
	} else {
		pr->id = ids[0];
		pr->id2 = ids[1];
		ids[0] = ids[1] = NULL;
		ret = 0;
	}
	if (ids[1]) {
		/* The first failed: leave nothing behind either. */
		eb_err ignored;

		delete_containers(pr, &ids[1], 1, &ignored);
	}
done:
	for (size_t i = 0; i < n; i++)
		docker_call_free(&calls[i]);
	free(ids[0]);
	free(ids[1]);
	buf_free(&body);
	return ret;
}

/* DELETE each of ids at once; e->msg is empty unless one failed. */
static void delete_containers(struct probe *pr, char **ids, size_t n, eb_err *e)
{
	docker_call calls[2];
	eb_err be;

	memset(calls, 0, sizeof calls);
	e->msg[0] = 0;
	for (size_t i = 0; i < n; i++) {
		calls[i].req.method = "DELETE";
		calls[i].req.path = xasprintf("/containers/%s?force=1&v=1", ids[i]);
	}
	if (docker_batch(pr->d, calls, n, &be) < 0)
		*e = be;
	for (size_t i = 0; i < n; i++) {
		if (calls[i].rc < 0 && !e->msg[0])
			eb_errf(e, "%.12s: %s", ids[i], calls[i].err.msg);
		call_reset(&calls[i]);
	}
}

static int remove_probe(struct probe *pr, eb_err *e)
{
	char *ids[2] = { pr->id, pr->id2 };

	delete_containers(pr, ids, pr->id2 ? 2 : 1, e);
	return e->msg[0] ? -1 : 0;
}

int image_probe(docker *d, const struct image_probe_opts *o,
		struct image_info *out, eb_err *e)
{
	struct probe pr = { .d = d, .o = o };
	struct imageref ref;
	char *norm = NULL;
	long saved_timeout = d->timeout_ms;
	bool slow;
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (imageref_parse(o->image, &ref, e) < 0)
		return -1;
	norm = imageref_string(&ref);
	imageref_free(&ref);
	/* Each request is small: a daemon that hangs must not hang us. */
	d->timeout_ms = PROBE_TIMEOUT_MS;
	slow = getenv("ENVBOX_PROBE_SLOW") != NULL;
	if (stopped(&pr, e) || create_probe(&pr, norm, !slow, e) < 0)
		goto done;
	if (!slow)
		prefetch(&pr);
	if (probe_user(&pr, out, e) == 0 && probe_os(&pr, out, e) == 0) {
		buf data = { 0 };
		eb_err why;
		int rc = lookup(&pr, "/sbin/init", false, &data, &why, e);

		buf_free(&data);
		out->init = rc == 1;
		ret = rc < 0 ? -1 : 0;
	}
	/* Always, also after an error or a signal: leave no container. */
	{
		eb_err rerr;

		if (remove_probe(&pr, &rerr) < 0) {
			eb_err first = *e;

			if (ret == 0)
				eb_errf(e, "removing the probe container %s",
					rerr.msg);
			else
				eb_errf(e, "%.700s (and removing the probe container failed: %.200s)",
					first.msg, rerr.msg);
			ret = -1;
		}
	}
done:
	known_free(&pr);
	d->timeout_ms = saved_timeout;
	free(pr.id);
	free(pr.id2);
	free(norm);
	if (ret < 0)
		image_info_free(out);
	return ret;
}

/* --- the probe's cache -------------------------------------------------------
 *
 * What the probe reads is fixed by the image's ID (the digest of its
 * config, which names every layer's content): a restarted workspace, whose
 * image is already in the data root, need not read it again. One file per
 * directory, for the last image probed, so the cache stays one file. */

#define CACHE_MAGIC "envbox-probe 1"
#define CACHE_MAX 8192

/* DIR/probe-ALGO-HEX for an image ID "ALGO:HEX", or NULL when the ID is not
 * of that shape. */
static char *cache_file(const char *dir, const char *id)
{
	const char *colon = strchr(id, ':');
	size_t alg;

	if (!colon)
		return NULL;
	alg = (size_t)(colon - id);
	if (!alg || alg > 16 || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789") != alg ||
	    !colon[1] || colon[1 + strspn(colon + 1, "0123456789abcdef")] ||
	    strlen(colon + 1) > 128)
		return NULL;
	return xasprintf("%s/probe-%.*s-%s", dir, (int)alg, id, colon + 1);
}

/* "KEY VALUE\n" at *p (VALUE to the end of the line, may be empty): the
 * value, malloc'd, and *p past the line; NULL when the line is not KEY. */
static char *cache_line(const char **p, const char *end, const char *key)
{
	size_t k = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *v;

	if (!nl || (size_t)(nl - *p) < k + 1 || memcmp(*p, key, k) || (*p)[k] != ' ')
		return NULL;
	v = xstrndup(*p + k + 1, (size_t)(nl - *p - (ptrdiff_t)k - 1));
	if (strlen(v) != (size_t)(nl - *p - (ptrdiff_t)k - 1)) { /* a NUL inside */
		free(v);
		return NULL;
	}
	*p = nl + 1;
	return v;
}

static bool cache_number(const char *s, unsigned long *out)
{
	char *end;

	/* As format writes them: digits, no leading zero. */
	if (!*s || s[strspn(s, "0123456789")] || strlen(s) > 10 ||
	    (s[0] == '0' && s[1]))
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && *out <= 0xffffffffUL;
}

int image_cache_parse(const char *s, size_t len, const char *user,
		      struct image_info *out)
{
	const char *p = s, *end = s + len;
	char *v[8] = { NULL };
	static const char *const keys[] = { "magic", "user", "uid", "gid",
					    "home", "init", "os", "os_like" };
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (len < sizeof CACHE_MAGIC || memcmp(s, CACHE_MAGIC "\n", sizeof CACHE_MAGIC))
		return -1;
	p += sizeof CACHE_MAGIC;
	for (size_t i = 1; i < 8; i++)
		if (!(v[i] = cache_line(&p, end, keys[i])))
			goto out;
	if (p != end || strcmp(v[1], user) || !cache_number(v[2], &out->uid) ||
	    !cache_number(v[3], &out->gid) || v[4][0] != '/' ||
	    (strcmp(v[5], "yes") && strcmp(v[5], "no")) || !valid_os_id(v[6]))
		goto out;
	out->home = v[4];
	out->init = !strcmp(v[5], "yes");
	out->os = v[6];
	out->os_like = v[7][0] ? v[7] : NULL;
	out->libdir = osrelease_libdir(out->os, out->os_like);
	v[4] = v[6] = NULL;
	if (out->os_like)
		v[7] = NULL;
	ret = 0;
out:
	for (size_t i = 0; i < 8; i++)
		free(v[i]);
	if (ret < 0) {
		free(out->home);
		free(out->os);
		free(out->os_like);
		memset(out, 0, sizeof *out);
	}
	return ret;
}

int image_cache_format(const struct image_info *i, const char *user, buf *out)
{
	/* Each value on one line: a user or home with a newline is not kept. */
	if (strchr(user, '\n') || strchr(i->home, '\n') ||
	    (i->os_like && strchr(i->os_like, '\n')))
		return -1;
	buf_printf(out, "%s\nuser %s\nuid %lu\ngid %lu\nhome %s\ninit %s\nos %s\nos_like %s\n",
		   CACHE_MAGIC, user, i->uid, i->gid, i->home,
		   i->init ? "yes" : "no", i->os, i->os_like ? i->os_like : "");
	return 0;
}

/* The image's ID ("sha256:..."), or NULL with e (404: not present). */
static char *image_id(docker *d, const struct image_probe_opts *o,
		      const char *norm, eb_err *e)
{
	char *path = xasprintf("/images/%s/json", norm);
	docker_req r = { .method = "GET", .path = path };
	json_doc doc = { 0 };
	buf out = { 0 };
	long status = 0;
	char *id = NULL;

	if (docker_request(d, &r, &status, &out, e) < 0) {
		if (status == 404)
			not_present(o, e);
	} else if (json_parse(&doc, out.p ? out.p : "", out.len, e) < 0 ||
		   !(id = json_strdup(&doc, json_obj_get(&doc, 0, "Id")))) {
		eb_errf(e, "GET %s: no image Id in the answer", path);
	}
	json_free(&doc);
	buf_free(&out);
	free(path);
	return id;
}

/* Writes file atomically and removes the directory's other probe files;
 * failures are notes, not errors (the cache only saves time). */
static void cache_store(const struct image_probe_opts *o, const char *dir,
			const char *file, const struct image_info *i)
{
	buf b = { 0 };
	char *tmp = xasprintf("%s.tmp%ld", file, (long)getpid());
	const char *base = strrchr(file, '/') + 1;
	DIR *dh;
	FILE *f;

	if (image_cache_format(i, o->user, &b) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		note(o, LOG_DEBUG, "probe cache %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!(f = fopen(tmp, "w"))) {
		note(o, LOG_DEBUG, "probe cache %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fwrite(b.p, 1, b.len, f) != b.len || fflush(f) || fsync(fileno(f)) ||
	    fclose(f)) {
		note(o, LOG_DEBUG, "probe cache %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, file) < 0) {
		note(o, LOG_DEBUG, "probe cache %s: %s", file, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if ((dh = opendir(dir))) {
		struct dirent *de;

		while ((de = readdir(dh)))
			if (str_starts(de->d_name, "probe-") && strcmp(de->d_name, base))
				unlinkat(dirfd(dh), de->d_name, 0);
		closedir(dh);
	}
out:
	free(tmp);
	buf_free(&b);
}

int image_probe_cached(docker *d, const struct image_probe_opts *o,
		       const char *dir, struct image_info *out, bool *hit,
		       eb_err *e)
{
	struct imageref ref;
	char *norm, *id, *file;
	buf b = { 0 };
	eb_err ignored;
	int ret;

	*hit = false;
	if (imageref_parse(o->image, &ref, e) < 0)
		return -1;
	norm = imageref_string(&ref);
	imageref_free(&ref);
	id = image_id(d, o, norm, e);
	free(norm);
	if (!id)
		return -1;
	file = cache_file(dir, id);
	if (file && read_file(file, CACHE_MAX, &b, &ignored) == 0 &&
	    image_cache_parse(b.p ? b.p : "", b.len, o->user, out) == 0) {
		note(o, LOG_DEBUG, "probe: %s from the cache (image %.19s)", o->image, id);
		*hit = true;
		ret = 0;
	} else {
		ret = image_probe(d, o, out, e);
		if (ret == 0 && file)
			cache_store(o, dir, file, out);
	}
	buf_free(&b);
	free(file);
	free(id);
	return ret;
}

void image_info_free(struct image_info *i)
{
	free(i->home);
	free(i->os);
	free(i->os_like);
	memset(i, 0, sizeof *i);
}

int image_info_format(const struct image_info *i, bool json, buf *out,
		      eb_err *e)
{
	if (json) {
		json_w w;

		jw_init(&w, out);
		jw_obj(&w);
		jw_key(&w, "uid");
		jw_int(&w, (long long)i->uid);
		jw_key(&w, "gid");
		jw_int(&w, (long long)i->gid);
		jw_kstr(&w, "home", i->home);
		jw_key(&w, "init");
		jw_bool(&w, i->init);
		jw_kstr(&w, "os", i->os);
		jw_kstr(&w, "libdir", i->libdir);
		jw_obj_end(&w);
		buf_addc(out, '\n');
		return 0;
	}
	if (!*i->home || i->home[strcspn(i->home, " \t\n\r\v\f")]) {
		eb_errf(e, "home directory \"%.200s\" cannot be written as one word on a line (use --json)",
			i->home);
		return -1;
	}
	buf_printf(out, "uid %lu\ngid %lu\nhome %s\ninit %s\nos %s\nlibdir %s\n",
		   i->uid, i->gid, i->home, i->init ? "yes" : "no", i->os,
		   i->libdir);
	return 0;
}
