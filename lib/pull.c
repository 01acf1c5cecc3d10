/* pull: pull and prune through the Engine API (pull.h). */
#include "pull.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "b64.h"
#include "imageref.h"
#include "json.h"
#include "progress.h"

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

/* o->log (the arg is o), with o->auth's secrets starred out of msg. */
static void log_masked(void *arg, enum log_type t, const char *msg)
{
	const struct image_pull_opts *o = arg;
	char *masked = xstrdup(msg);

	image_mask_secrets(masked, strlen(masked) + 1, o->auth);
	o->log(o->log_arg, t, masked);
	free(masked);
}

static void say(const struct image_pull_opts *o, enum log_type t,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(const struct image_pull_opts *o, enum log_type t,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vto(o->log ? log_masked : NULL, (void *)o, t, fmt, ap);
	va_end(ap);
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
	if (a->last ? mono_ms() - a->last < a->interval : !layers_known(a->prog))
		return 0;
	progress_summary(a->prog, &b);
	say(a->o, LOG_INFO, "%s", b.p);
	buf_free(&b);
	a->last = mono_ms();
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
