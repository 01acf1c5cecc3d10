/* nesting: Docker and systemd inside the workspace under runc on a cgroup
 * v2 host, without sysbox (docs/nesting.md).
 *
 * The create body asks for what a dockerd needs (container.h: namespaced
 * SYS_ADMIN and NET_ADMIN, no AppArmor profile, no masked /proc paths, a
 * private cgroup namespace, the seccomp profile envbox ships). This file
 * does the cgroup part, on envbox's side of the workspace's cgroup:
 *
 *   delegate  after create, before start: the workspace's cgroup directory
 *             made by envbox, with the directory and its cgroup.procs,
 *             cgroup.subtree_control and cgroup.threads owned by the
 *             workspace's root (systemd's delegation). runc takes the
 *             directory as it finds it, so PID 1 starts in a cgroup it may
 *             manage: no window in which systemd finds it read-only. The
 *             limits (memory.max, cpu.max...) stay root's.
 *   prelude   after start, for an init that is not systemd (systemd does it
 *             itself): the processes moved to a child "init" and every
 *             controller enabled for children, as moby's dind entrypoint
 *             does, so the workspace's dockerd can give its containers
 *             limits (cgroup v2's no-internal-processes rule).
 *
 * Everything is done through file descriptors under the cgroup root, never
 * following a link; the workspace owns the delegated directory and what it
 * makes there is read, never trusted. */
#ifndef ENVBOX_NESTING_H
#define ENVBOX_NESTING_H
#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/* Where envbox sees the cgroup v2 hierarchy its dockerd uses. */
#define NEST_CGROUP_ROOT "/sys/fs/cgroup"

/* The cgroup parent envbox gives a nesting workspace (HostConfig), so its
 * cgroup is CGROUP_ROOT/docker/ID whatever dockerd's --cgroup-parent. */
#define NEST_CGROUP_PARENT "/docker"

/* The child cgroup the prelude moves the workspace's processes to (docker
 * exec lands there too: runc joins PID 1's cgroup). */
#define NEST_INIT_CGROUP "init"

/* How many rounds the prelude moves processes before it gives up: a
 * workspace that forks faster than they can be moved is not waited for. */
#define NEST_PRELUDE_TRIES 100

/* A container ID as dockerd makes them: 64 lowercase hex digits. */
bool nest_id_valid(const char *id);

/* "cpuset cpu io memory pids\n" (cgroup.controllers) -> "+cpuset +cpu +io
 * +memory +pids" (what cgroup.subtree_control takes). Owned; "" for none. */
char *nest_controllers_enable(const char *controllers);

/* "UID:GID", each a number below 2^32 - 1; -1 with e naming opt. */
int nest_owner_parse(const char *opt, const char *s, uid_t *uid, gid_t *gid,
		     eb_err *e);

/* Makes CGROUP_ROOT/docker/ID (docker/ made if missing) and hands it to
 * uid:gid as above. -1 with e, the directory removed again. */
int nest_delegate(const char *cgroup_root, const char *id, uid_t uid,
		  gid_t gid, eb_err *e);

/* Removes CGROUP_ROOT/docker/ID when it is empty (a create whose start
 * never came); quiet. */
void nest_undelegate(const char *cgroup_root, const char *id);

/* After start: true when the workspace's processes are in the delegated
 * directory (or below it), i.e. runc took it. */
bool nest_in_use(const char *cgroup_root, const char *id);

/* The prelude (above): init/ made and handed to uid:gid like its parent,
 * every process of the parent moved there, the parent's controllers
 * enabled for its children; up to NEST_PRELUDE_TRIES rounds. -1 with e. */
int nest_prelude(const char *cgroup_root, const char *id, uid_t uid,
		 gid_t gid, eb_err *e);

#endif
