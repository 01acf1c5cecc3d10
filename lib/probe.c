/* probe: an image's user, init and os-release through a probe container
 * (probe.h). */
#include "probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "imageref.h"
#include "json.h"
#include "osrelease.h"
#include "passwd.h"
#include "probecache.h"
#include "probefile.h"

#define PROBE_TIMEOUT_MS 60000

static int probe_user(struct probe *pr, struct image_info *out, eb_err *e)
{
	const struct image_probe_opts *o = pr->o;
	buf data = { 0 };
	eb_err why;
	pw_user u;
	int rc;

	rc = probe_lookup(pr, "/etc/passwd", true, &data, NULL, &why, e);
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

		rc = probe_lookup(pr, files[i], true, &data, NULL, &why, e);
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		if (osrelease_parse(data.p, data.len, &osr, &why) < 0) {
			/* Warnings as LOG_INFO (notes LOG_DEBUG). */
			log_to(o->log, o->log_arg, LOG_INFO,
			       "warning: %s's %s: %s; taking os \"linux\"",
			       o->image, files[i], why.msg);
		} else if (!osrelease_valid_id(osr.id)) {
			log_to(o->log, o->log_arg, LOG_INFO,
			       "warning: %s's %s: ID \"%.64s\" is not a valid os-release ID; taking os \"linux\"",
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
	/* Never started; a command only because create needs one. */
	ctr_command_json(&w, false);
	jw_kbool(&w, "NetworkDisabled", true);
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
		probe_call_reset(&calls[i]);
	}
}

static int remove_probe(struct probe *pr, eb_err *e)
{
	char *ids[2] = { pr->id, pr->id2 };

	delete_containers(pr, ids, pr->id2 ? 2 : 1, e);
	return e->msg[0] ? -1 : 0;
}

bool init_is_systemd(const char *target)
{
	const char *slash = target ? strrchr(target, '/') : NULL;

	return slash && !strcmp(slash + 1, "systemd");
}

int image_probe(docker *d, const struct image_probe_opts *o,
		struct image_info *out, eb_err *e)
{
	struct probe pr = { .d = d, .o = o };
	struct imageref ref;
	char *norm = NULL;
	long saved_timeout = d->timeout_ms;
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (imageref_parse(o->image, &ref, e) < 0)
		return -1;
	norm = imageref_string(&ref);
	imageref_free(&ref);
	/* Each request is small: a daemon that hangs must not hang us. */
	d->timeout_ms = PROBE_TIMEOUT_MS;
	if (probe_stopped(&pr, e) || create_probe(&pr, norm, !o->slow, e) < 0)
		goto done;
	if (!o->slow)
		probe_prefetch(&pr);
	if (probe_user(&pr, out, e) == 0 && probe_os(&pr, out, e) == 0) {
		buf data = { 0 };
		eb_err why;
		char *target = NULL;
		int rc = probe_lookup(&pr, "/sbin/init", false, &data, &target, &why, e);

		buf_free(&data);
		out->init = rc == 1;
		out->systemd = rc == 1 && init_is_systemd(target);
		free(target);
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
	probe_known_free(&pr);
	d->timeout_ms = saved_timeout;
	free(pr.id);
	free(pr.id2);
	free(norm);
	if (ret < 0)
		image_info_free(out);
	return ret;
}

/* --- through the cache (probecache.h) ------------------------------------- */

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


int image_probe_cached(docker *d, const struct image_probe_opts *o,
		       const char *dir, struct image_info *out, bool *hit,
		       eb_err *e)
{
	struct imageref ref;
	char *norm, *id, *file;
	eb_err werr;
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
	file = image_cache_file(dir, id);
	if (file && image_cache_read(file, o->user, out) == 0) {
		log_to(o->log, o->log_arg, LOG_DEBUG,
		       "probe: %s from the cache (image %.19s)", o->image, id);
		*hit = true;
		ret = 0;
	} else {
		ret = image_probe(d, o, out, e);
		/* The cache only saves time: failing to keep it is a note. */
		if (ret == 0 && file &&
		    image_cache_write(dir, file, o->user, out, &werr) < 0 &&
		    werr.msg[0])
			log_to(o->log, o->log_arg, LOG_DEBUG, "%s", werr.msg);
	}
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
		jw_kint(&w, "uid", (long long)i->uid);
		jw_kint(&w, "gid", (long long)i->gid);
		jw_kstr(&w, "home", i->home);
		jw_kbool(&w, "init", i->init);
		jw_kbool(&w, "systemd", i->systemd);
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
	buf_printf(out, "uid %lu\ngid %lu\nhome %s\ninit %s\nsystemd %s\nos %s\nlibdir %s\n",
		   i->uid, i->gid, i->home, i->init ? "yes" : "no",
		   i->systemd ? "yes" : "no", i->os, i->libdir);
	return 0;
}
