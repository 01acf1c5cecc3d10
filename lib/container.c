/* container: the workspace container's create body. */
#include "container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "json.h"
#include "nesting.h"
#include "values.h"

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Letters, digits, '_', '.', '-', starting with a letter or digit: docker's
 * container names, and what a hostname or runtime name can safely be. */
static bool plain_name(const char *s)
{
	if (!alnum(*s))
		return false;
	for (; *s; s++)
		if (!alnum(*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

static bool has_space_or_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

int ctr_env_arg_check(const char *arg, eb_err *e)
{
	const char *eq = strchr(arg, '=');
	buf b = { 0 };

	if (!eq) {
		eb_errf(e, "--env: expected NAME=VALUE, got an argument without '='");
		return -1;
	}
	if (eq == arg) {
		eb_errf(e, "--env: expected NAME=VALUE, got an empty NAME");
		return -1;
	}
	for (const char *p = arg; p < eq; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			spec_quote(&b, arg, (size_t)(eq - arg));
			eb_errf(e, "--env %s=...: the name has whitespace or a control character",
				b.p);
			buf_free(&b);
			return -1;
		}
	return 0;
}

int ctr_opts_check(const struct ctr_opts *o, eb_err *e)
{
	const char *host = o->hostname ? o->hostname : o->name;
	envs_list l;

	if (!o->name || strlen(o->name) < 2 || !plain_name(o->name)) {
		eb_errf(e, "container name \"%s\": expected [A-Za-z0-9][A-Za-z0-9_.-]+",
			o->name ? o->name : "");
		return -1;
	}
	if (!o->image || !*o->image || has_space_or_control(o->image)) {
		eb_errf(e, "image \"%s\": expected an image reference without whitespace",
			o->image ? o->image : "");
		return -1;
	}
	if (o->runtime && !plain_name(o->runtime)) {
		eb_errf(e, "--runtime \"%s\": expected a runtime name", o->runtime);
		return -1;
	}
	if (strlen(host) > CTR_HOSTNAME_MAX || !plain_name(host)) {
		eb_errf(e, "%s \"%s\": expected at most %d of A-Z a-z 0-9 _ . -, starting with a letter or digit",
			o->hostname ? "--hostname" : "hostname (the container name)",
			host, CTR_HOSTNAME_MAX);
		return -1;
	}
	if (o->workdir && (o->workdir[0] != '/' || has_space_or_control(o->workdir))) {
		buf b = { 0 };

		spec_quote(&b, o->workdir, strlen(o->workdir));
		eb_errf(e, "--workdir %s: expected an absolute path without whitespace",
			b.p);
		buf_free(&b);
		return -1;
	}
	if (o->pass_env) {
		if (envs_parse("--pass-env", o->pass_env, &l, e) < 0)
			return -1;
		envs_free(&l);
	}
	for (size_t i = 0; i < o->nenvs; i++)
		if (ctr_env_arg_check(o->envs[i], e) < 0)
			return -1;
	return 0;
}

/* Where a spec line puts something inside the container. */
static const char *inner_path(const struct spec *s)
{
	return s->kind == SPEC_ENV ? NULL : s->dst;
}

int ctr_specs_check(const struct spec *s, size_t n, const size_t *lineno,
		    eb_err *e)
{
	for (size_t i = 0; i < n; i++) {
		const char *dst = inner_path(&s[i]);

		if (s[i].kind != SPEC_ENV &&
		    (strchr(s[i].src, ':') || strchr(s[i].dst, ':'))) {
			eb_errf(e, "line %zu: %s %s %s: a path with ':' cannot be bound (dockerd splits on it)",
				lineno ? lineno[i] : i + 1,
				s[i].kind == SPEC_BIND ? "bind" : "device",
				s[i].src, s[i].dst);
			return -1;
		}
		if (!dst)
			continue;
		for (size_t j = 0; j < i; j++) {
			const char *other = inner_path(&s[j]);

			if (other && !strcmp(other, dst)) {
				eb_errf(e, "line %zu: %s is already the target of line %zu",
					lineno ? lineno[i] : i + 1, dst,
					lineno ? lineno[j] : j + 1);
				return -1;
			}
		}
	}
	return 0;
}

/* --- the environment ------------------------------------------------------- */

static size_t name_len(const char *entry)
{
	return strcspn(entry, "=");
}

static ssize_t env_find(const struct ctr_env *env, const char *name, size_t n)
{
	for (size_t i = 0; i < env->n; i++)
		if (name_len(env->v[i]) == n && !memcmp(env->v[i], name, n))
			return (ssize_t)i;
	return -1;
}

/* Takes entry ("NAME=VALUE", owned): replaces NAME's entry when replace is
 * set, else keeps the one there. */
static void env_put(struct ctr_env *env, char *entry, bool replace)
{
	ssize_t i = env_find(env, entry, name_len(entry));

	if (i >= 0) {
		if (replace) {
			free(env->v[i]);
			env->v[i] = entry;
		} else {
			free(entry);
		}
		return;
	}
	env->v = xrealloc(env->v, (env->n + 1) * sizeof *env->v);
	env->v[env->n++] = entry;
}

static const char *environ_get(char *const *environ, const char *name)
{
	size_t n = strlen(name);

	for (char *const *p = environ; p && *p; p++)
		if (!strncmp(*p, name, n) && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

/* Credentials envbox handles for itself: never passed in, whatever
 * CODER_INNER_ENVS says (CODER_* would match the pull secret). The agent
 * token goes in on purpose, through --agent-env. */
static const char *const never_passed[] = {
	"CODER_IMAGE_PULL_SECRET", /* registry passwords */
	"ENVBOX_REGISTRY_AUTH",    /* the same, as handed to the pull */
};

static bool is_never_passed(const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (size_t i = 0; i < sizeof never_passed / sizeof *never_passed; i++)
		if (strlen(never_passed[i]) == n && !memcmp(never_passed[i], entry, n))
			return true;
	return false;
}

static void env_pass(struct ctr_env *env, const char *patterns,
		     char *const *environ)
{
	envs_list l;
	eb_err e;

	if (!patterns || envs_parse("--pass-env", patterns, &l, &e) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		envs_list one = { &l.pat[i], 1 };

		for (char *const *p = environ; p && *p; p++)
			/* Not a NAME=VALUE entry: nothing to pass. */
			if (strchr(*p, '=') && envs_match(&one, *p) && !is_never_passed(*p))
				env_put(env, xstrdup(*p), false);
	}
	envs_free(&l);
}

void ctr_env_build(const struct ctr_opts *o, const struct spec *s, size_t n,
		   char *const *environ, struct ctr_env *out)
{
	out->v = NULL;
	out->n = 0;
	env_pass(out, o->pass_env, environ);
	for (size_t i = 0; i < n; i++)
		if (s[i].kind == SPEC_ENV)
			env_put(out, xasprintf("%s=%s", s[i].name, s[i].value), true);
	if (o->agent_env) {
		const char *token = environ_get(environ, "CODER_AGENT_TOKEN");
		char *sub = subsystem_merge(environ_get(environ, "CODER_AGENT_SUBSYSTEM"));

		if (token)
			env_put(out, xasprintf("CODER_AGENT_TOKEN=%s", token), true);
		env_put(out, xasprintf("CODER_AGENT_SUBSYSTEM=%s", sub), true);
		free(sub);
	}
	for (size_t i = 0; i < o->nenvs; i++)
		env_put(out, xstrdup(o->envs[i]), true);
}

const char *ctr_env_get(const struct ctr_env *env, const char *name)
{
	ssize_t i = env_find(env, name, strlen(name));

	return i < 0 ? NULL : env->v[i] + strlen(name) + 1;
}

void ctr_env_free(struct ctr_env *env)
{
	for (size_t i = 0; i < env->n; i++)
		free(env->v[i]);
	free(env->v);
	env->v = NULL;
	env->n = 0;
}

/* --- the body -------------------------------------------------------------- */

/* What a dockerd in the workspace needs (docs/nesting.md says why each):
 * the capabilities are the inner root's, in the workspace's user namespace;
 * runc must mount a fresh /proc, which the kernel allows only where no
 * path of the old one is masked; the AppArmor profile docker-default
 * forbids mounts. Never seccomp=unconfined: the profile is dockerd's
 * default plus the four calls a nested runc makes. */
static void nesting_host_config(const struct ctr_opts *o, json_w *w)
{
	jw_key(w, "CapAdd");
	jw_arr(w);
	jw_str(w, "SYS_ADMIN");
	jw_str(w, "NET_ADMIN");
	jw_arr_end(w);
	jw_key(w, "SecurityOpt");
	jw_arr(w);
	jw_str(w, "apparmor=unconfined");
	if (o->seccomp) {
		char *opt = xasprintf("seccomp=%s", o->seccomp);

		jw_str(w, opt);
		free(opt);
	}
	jw_arr_end(w);
	jw_key(w, "MaskedPaths");
	jw_arr(w);
	jw_arr_end(w);
	jw_key(w, "ReadonlyPaths");
	jw_arr(w);
	jw_arr_end(w);
	jw_kstr(w, "CgroupnsMode", "private");
	jw_kstr(w, "CgroupParent", NEST_CGROUP_PARENT);
}

void ctr_command_json(json_w *w, bool init)
{
	jw_key(w, "Entrypoint");
	jw_arr(w);
	if (init) {
		jw_str(w, "/sbin/init");
	} else {
		jw_str(w, "sleep");
		jw_str(w, "infinity");
	}
	jw_arr_end(w);
	jw_key(w, "Cmd");
	jw_arr(w);
	jw_arr_end(w);
}

void ctr_create_body(const struct ctr_opts *o, const struct spec *s,
		     const struct ctr_devnum *dev, size_t n,
		     char *const *environ, buf *out)
{
	struct ctr_env env;
	json_w w;

	ctr_env_build(o, s, n, environ, &env);
	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "Image", o->image);
	jw_kstr(&w, "Hostname", o->hostname ? o->hostname : o->name);
	if (o->workdir)
		jw_kstr(&w, "WorkingDir", o->workdir);
	/* Root inside; the host sees the shifted, unprivileged uid. */
	jw_kstr(&w, "User", "root");
	jw_kbool(&w, "Tty", false);
	if (o->systemd)
		jw_kstr(&w, "StopSignal", "SIGRTMIN+3");
	ctr_command_json(&w, o->init);
	jw_kstrs(&w, "Env", env.v, env.n);

	jw_key(&w, "HostConfig");
	jw_obj(&w);
	jw_kstr(&w, "Runtime", o->runtime ? o->runtime : "runc");
	jw_kbool(&w, "Privileged", false);
	/* Binds as the original writes them, "SRC:DST" or "SRC:DST:ro"; then
	 * the devices' nodes (see the top of container.h). */
	jw_key(&w, "Binds");
	jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		char *b;

		if (s[i].kind == SPEC_ENV)
			continue;
		b = xasprintf("%s:%s%s", s[i].src, s[i].dst,
			      s[i].kind == SPEC_BIND && s[i].ro ? ":ro" : "");
		jw_str(&w, b);
		free(b);
	}
	jw_arr_end(&w);
	jw_key(&w, "DeviceCgroupRules");
	jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		char *rule;

		if (s[i].kind != SPEC_DEVICE)
			continue;
		rule = xasprintf("%c %u:%u rwm", dev[i].type, dev[i].major,
				 dev[i].minor);
		jw_str(&w, rule);
		free(rule);
	}
	jw_arr_end(&w);
	jw_key(&w, "ExtraHosts");
	jw_arr(&w);
	jw_str(&w, "host.docker.internal:host-gateway");
	jw_arr_end(&w);
	if (o->cpus) {
		jw_kint(&w, "CpuPeriod", CTR_CPU_PERIOD);
		jw_kint(&w, "CpuQuota", (long long)o->cpus * CTR_CPU_PERIOD / 1000);
	}
	if (o->memory) {
		jw_kint(&w, "Memory", (long long)o->memory);
	}
	if (o->nesting)
		nesting_host_config(o, &w);
	if (o->systemd) {
		/* As systemd-nspawn and podman give a systemd container. */
		jw_key(&w, "Tmpfs");
		jw_obj(&w);
		jw_kstr(&w, "/run", "rw,nosuid,nodev,mode=755");
		jw_kstr(&w, "/run/lock", "rw,nosuid,nodev,noexec,mode=1777");
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	ctr_env_free(&env);
}

int ctr_end_parse(const char *js, size_t len, struct ctr_end *out, eb_err *e)
{
	json_doc d;
	int state;
	long long code;
	char *err;

	memset(out, 0, sizeof *out);
	if (json_parse(&d, js, len, e) < 0)
		return -1;
	state = json_obj_get(&d, 0, "State");
	if (json_type(&d, state) != JSMN_OBJECT ||
	    json_bool(&d, json_obj_get(&d, state, "Running"), &out->running) < 0 ||
	    json_int(&d, json_obj_get(&d, state, "ExitCode"), &code) < 0) {
		eb_errf(e, "container inspect: no State with Running and ExitCode");
		json_free(&d);
		return -1;
	}
	out->exit_code = code < 0 || code > 255 ? 255 : (int)code;
	/* OOMKilled is absent on some daemons: not killed then. */
	if (json_bool(&d, json_obj_get(&d, state, "OOMKilled"), &out->oom_killed) < 0)
		out->oom_killed = false;
	err = json_strdup(&d, json_obj_get(&d, state, "Error"));
	if (err) {
		snprintf(out->error, sizeof out->error, "%s", err);
		free(err);
	}
	json_free(&d);
	return 0;
}
