/* config: validation of the CODER_* variables of `envbox docker`. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imageref.h"
#include "mounts.h"
#include "spec.h"

#define BRIDGE_CIDR_DEFAULT "172.19.0.1/30" /* the original's */

bool valid_container_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("_.-", c)))
			return false;
	}
	return true;
}

bool valid_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == 0) {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return false;
		label++;
	}
	return true;
}

/* A value that is set and not empty; the original treats empty as unset. */
static const char *val(const char *(*get)(const char *), const char *name)
{
	const char *v = get(name);

	return v && *v ? v : NULL;
}

static int flag(const char *(*get)(const char *), const char *name, bool *out,
		eb_err *e)
{
	const char *v = val(get, name);

	*out = false;
	return v ? parse_bool(name, v, out, e) : 0;
}

/* A user name fit for a passwd lookup: no separators, no whitespace, and
 * not taken for an option by the programs it is passed to. */
static bool valid_username(const char *s)
{
	if (*s == '-')
		return false;
	for (; *s; s++)
		if (*s == ':' || *s == '/' || (unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Variables whose values become lines or arguments (settings lines, spec
 * lines, paths): a control character in one could inject a line. The
 * secrets and CODER_BOOTSTRAP_SCRIPT (a script: newlines are its own) are
 * not among them. */
static const char *const line_vars[] = {
	"CODER_INNER_IMAGE", "CODER_INNER_USERNAME", "CODER_CVM_CONTAINER_NAME",
	"CODER_INNER_HOSTNAME", "CODER_INNER_WORK_DIR", "CODER_DOCKER_BRIDGE_CIDR",
	"CODER_CPUS", "CODER_MEMORY", "CODER_MOUNTS", "CODER_INNER_ENVS",
	"CODER_EXTRA_CERTS_PATH", "CODER_AGENT_URL", "CODER_USR_LIB_DIR",
	"CODER_INNER_USR_LIB_DIR", "CODER_ADD_TUN", "CODER_ADD_FUSE", "CODER_ADD_GPU",
	"CODER_DISABLE_IDMAPPED_MOUNT", "CODER_DEBUG", "ENVBOX_NESTING",
};

/* Destinations envbox binds itself (the entrypoint's prepare_mounts). */
static const char *const builtin_dsts[] = { "/var/lib/docker", "/var/lib/containers" };

static int no_control(const char *(*get)(const char *), eb_err *e)
{
	for (size_t i = 0; i < sizeof line_vars / sizeof *line_vars; i++) {
		const char *v = get(line_vars[i]), *c;
		char *shown;
		buf q = { 0 };

		if (!v || !(c = str_control(v)))
			continue;
		shown = url_redacted(v);
		spec_quote(&q, shown, strlen(shown));
		eb_errf(e, "%s %s: a control character (0x%02x) is not allowed", line_vars[i],
			q.p, (unsigned char)*c);
		buf_free(&q);
		free(shown);
		return -1;
	}
	return 0;
}

static int mounts_check(const char *v, eb_err *e)
{
	struct mount_list mounts = { 0 };

	if (mounts_parse(v, &mounts, e) < 0) {
		eb_err why = *e;

		eb_errf(e, "CODER_MOUNTS %s", why.msg);
		return -1;
	}
	for (size_t i = 0; i < mounts.n; i++)
		for (size_t j = 0; j < sizeof builtin_dsts / sizeof *builtin_dsts; j++) {
			char *dst = path_clean(mounts.v[i].dst);
			bool taken = !strcmp(dst, builtin_dsts[j]);

			free(dst);
			if (!taken)
				continue;
			eb_errf(e, "CODER_MOUNTS entry \"%s:%s\": destination %s is envbox's "
				"own (the inner dockerd's or containers' storage, a volume "
				"of envbox's)", mounts.v[i].src, mounts.v[i].dst, builtin_dsts[j]);
			mounts_free(&mounts);
			return -1;
		}
	mounts_free(&mounts);
	return 0;
}

int config_load(struct envbox_config *c, const char *(*get)(const char *name),
		eb_err *e)
{
	const char *v;
	struct imageref ref;
	envs_list envs = { 0 };
	struct stat st;

	memset(c, 0, sizeof *c);
	if (no_control(get, e) < 0)
		return -1;

	c->image = val(get, "CODER_INNER_IMAGE");
	if (!c->image) {
		eb_errf(e, "CODER_INNER_IMAGE is required: the image of the workspace container");
		return -1;
	}
	if (imageref_parse(c->image, &ref, e) < 0) {
		eb_err why = *e;

		eb_errf(e, "CODER_INNER_IMAGE \"%s\": %s", c->image, why.msg);
		return -1;
	}
	imageref_free(&ref);

	c->username = val(get, "CODER_INNER_USERNAME");
	if (!c->username) {
		eb_errf(e, "CODER_INNER_USERNAME is required: the user of the workspace container");
		return -1;
	}
	if (!valid_username(c->username)) {
		eb_errf(e, "CODER_INNER_USERNAME \"%s\": not a user name (no whitespace, ':' or '/')",
			c->username);
		return -1;
	}

	c->container = val(get, "CODER_CVM_CONTAINER_NAME");
	if (!c->container)
		c->container = "workspace_cvm";
	if (!valid_container_name(c->container)) {
		eb_errf(e, "CODER_CVM_CONTAINER_NAME \"%s\": expected [a-zA-Z0-9][a-zA-Z0-9_.-]+",
			c->container);
		return -1;
	}

	c->hostname = val(get, "CODER_INNER_HOSTNAME");
	if (c->hostname && !valid_hostname(c->hostname)) {
		eb_errf(e, "CODER_INNER_HOSTNAME \"%s\": not a host name (letters, digits, '-' and '.', 64 at most)",
			c->hostname);
		return -1;
	}
	if (!c->hostname)
		c->hostname = c->container;

	c->workdir = val(get, "CODER_INNER_WORK_DIR");
	if (c->workdir && c->workdir[0] != '/') {
		eb_errf(e, "CODER_INNER_WORK_DIR \"%s\": must be an absolute path", c->workdir);
		return -1;
	}
	if (c->workdir && strpbrk(c->workdir, " \t")) {
		eb_errf(e, "CODER_INNER_WORK_DIR \"%s\": a path without whitespace is expected",
			c->workdir);
		return -1;
	}

	v = val(get, "CODER_DOCKER_BRIDGE_CIDR");
	if (cidr_bridge("CODER_DOCKER_BRIDGE_CIDR", v ? v : BRIDGE_CIDR_DEFAULT, c->bip, e) < 0)
		return -1;

	if ((v = val(get, "CODER_CPUS")) && parse_cpus("CODER_CPUS", v, &c->cpus, e) < 0)
		return -1;
	if ((v = val(get, "CODER_MEMORY")) && parse_memory("CODER_MEMORY", v, &c->memory, e) < 0)
		return -1;

	if (flag(get, "CODER_ADD_TUN", &c->add_tun, e) < 0 ||
	    flag(get, "CODER_ADD_FUSE", &c->add_fuse, e) < 0 ||
	    flag(get, "CODER_ADD_GPU", &c->add_gpu, e) < 0 ||
	    flag(get, "CODER_DISABLE_IDMAPPED_MOUNT", &c->disable_idmapped_mount, e) < 0 ||
	    flag(get, "CODER_DEBUG", &c->debug, e) < 0)
		return -1;
	if (c->add_gpu && !val(get, "CODER_USR_LIB_DIR")) {
		eb_errf(e, "CODER_ADD_GPU is true but CODER_USR_LIB_DIR is not set: mount the host's /usr/lib in and name it there");
		return -1;
	}

	if (parse_nesting("ENVBOX_NESTING", val(get, "ENVBOX_NESTING"), &c->nesting, e) < 0)
		return -1;

	if ((v = val(get, "CODER_MOUNTS")) && mounts_check(v, e) < 0)
		return -1;
	if ((v = val(get, "CODER_INNER_ENVS"))) {
		if (envs_parse("CODER_INNER_ENVS", v, &envs, e) < 0)
			return -1;
		envs_free(&envs);
	}

	if ((v = val(get, "CODER_EXTRA_CERTS_PATH")) && stat(v, &st) < 0) {
		eb_errf(e, "CODER_EXTRA_CERTS_PATH \"%s\": no such file or directory", v);
		return -1;
	}
	if ((v = val(get, "CODER_AGENT_URL")) && !str_starts(v, "http://") &&
	    !str_starts(v, "https://")) {
		char *shown = url_redacted(v);

		eb_errf(e, "CODER_AGENT_URL \"%s\": expected an http:// or https:// URL", shown);
		free(shown);
		return -1;
	}
	return 0;
}
