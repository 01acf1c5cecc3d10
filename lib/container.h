/* container: the workspace container's create body (POST /containers/create)
 * from envbox-docker create's options, its spec lines and an environment.
 * Pure: no API calls, no getenv; the caller passes environ in.
 * https://docs.docker.com/engine/api/v1.41/#operation/ContainerCreate
 *
 * The inner container's safety is written here once: never privileged, user
 * root (mapped to the host's unprivileged range by userns-remap or sysbox),
 * no added capabilities unless nesting asks for SYS_ADMIN and NET_ADMIN,
 * which are the inner root's in its own user namespace (nesting.h,
 * docs/security.md).
 *
 * Devices are bind mounts of the host's node plus a device-cgroup rule for
 * its numbers, not HostConfig.Devices: in a user namespace runc cannot
 * mknod, and for Devices it bind-mounts the host node at the *inner* path
 * instead (/dev/net/tun of the host, owned by the host's root, where we
 * passed /tmp/coder-tun owned by the shifted root) or fails when the host
 * has none there. A bind of HOSTPATH gives the node we made, with its
 * owner. */
#ifndef ENVBOX_CONTAINER_H
#define ENVBOX_CONTAINER_H
#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "spec.h"
#include "util.h"

#define CTR_CPU_PERIOD 100000 /* µs; the quota is CPUs × this */
#define CTR_HOSTNAME_MAX 64   /* the kernel's HOST_NAME_MAX */

struct ctr_opts {
	const char *name;     /* the container's name */
	const char *image;
	const char *runtime;  /* NULL: "runc" */
	const char *hostname; /* NULL: name */
	const char *workdir;  /* NULL: the image's */
	bool init;            /* entrypoint /sbin/init, else sleep infinity */
	unsigned cpus;        /* thousandths of a CPU; 0: no CPU limit */
	unsigned long long memory; /* bytes; 0: no limit */
	const char *pass_env; /* CODER_INNER_ENVS syntax; NULL or "": none */
	bool agent_env;       /* CODER_AGENT_TOKEN and CODER_AGENT_SUBSYSTEM */
	const char **envs;    /* --env NAME=VALUE, in order */
	size_t nenvs;
	/* Docker inside (nesting.h): SYS_ADMIN and NET_ADMIN, no AppArmor
	 * profile, no masked or read-only /proc paths, a private cgroup
	 * namespace under NEST_CGROUP_PARENT, the seccomp profile seccomp (its
	 * JSON; NULL: dockerd's default). */
	bool nesting;
	const char *seccomp;
	/* The image's init is systemd: tmpfs on /run and /run/lock, stopped
	 * with SIGRTMIN+3 (its "halt"). */
	bool systemd;
};

/* Checks the options: a container name as docker allows
 * ([A-Za-z0-9][A-Za-z0-9_.-]+), an image without whitespace, a hostname of
 * at most 64 letters, digits, '.', '_' or '-', a runtime name, an absolute
 * workdir, the pass_env patterns, each --env NAME=VALUE. Errors name the
 * option; a --env value is never shown (it may be a secret). */
int ctr_opts_check(const struct ctr_opts *o, eb_err *e);

/* A --env argument: NAME=VALUE, NAME not empty, without whitespace or
 * control characters. The error quotes the name at most, never the value. */
int ctr_env_arg_check(const char *arg, eb_err *e);

/* Checks the spec lines as a set: a bind or device path must not hold ':'
 * (dockerd's Binds syntax splits on it), and no two binds or devices may share an
 * inner path. Errors name the line: lineno[i] when given (where s[i] was
 * read), else i + 1. */
int ctr_specs_check(const struct spec *s, size_t n, const size_t *lineno,
		    eb_err *e);

/* The container's Env, "NAME=VALUE" entries with unique names, in the order
 * each name first appeared. Sources, later ones winning for the same NAME:
 *   1. --pass-env: for each pattern in order, the matching entries of
 *      environ in environ's order (the original's filterElements);
 *   2. env spec lines, in order;
 *   3. --agent-env: CODER_AGENT_TOKEN (when set in environ, empty allowed)
 *      and CODER_AGENT_SUBSYSTEM (environ's value merged with "envbox");
 *   4. --env options, in order.
 * So what envbox itself decides (the agent's variables) beats what is passed
 * through from outside, and what the caller says explicitly beats all. */
struct ctr_env {
	char **v;
	size_t n;
};

void ctr_env_build(const struct ctr_opts *o, const struct spec *s, size_t n,
		   char *const *environ, struct ctr_env *out);
/* The value of NAME in env, or NULL. */
const char *ctr_env_get(const struct ctr_env *env, const char *name);
void ctr_env_free(struct ctr_env *env);

/* A device line's node as stat() found it on the host. */
struct ctr_devnum {
	char type; /* 'c' or 'b' */
	unsigned major, minor;
};

/* Appends the create body's JSON to out. dev[i] is used for each device
 * line s[i]. Call the checks first: what they refuse is not handled here. */
void ctr_create_body(const struct ctr_opts *o, const struct spec *s,
		     const struct ctr_devnum *dev, size_t n,
		     char *const *environ, buf *out);

/* The body's "Entrypoint", /sbin/init with init or else "sleep infinity",
 * and an empty "Cmd", so the image's own CMD is not appended to it: the
 * workspace's (ctr_create_body) and the image probe's, which is never
 * started but must have a command to be created. */
void ctr_command_json(json_w *w, bool init);

/* How a container ended, from GET /containers/NAME/json's State. */
struct ctr_end {
	bool running;
	int exit_code;
	bool oom_killed;
	char error[256]; /* State.Error, may be empty */
};

/* Parses an inspect answer's State; -1 with e on a malformed document. */
int ctr_end_parse(const char *js, size_t len, struct ctr_end *out, eb_err *e);

#endif
