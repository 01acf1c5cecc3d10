/* dockerd: the command line envbox starts the inner Docker daemon with. */
#ifndef ENVBOX_DOCKERD_H
#define ENVBOX_DOCKERD_H
#include <stdbool.h>

#include "util.h"

struct dockerd_opts {
	const char *bip;      /* --bip, "172.19.0.1/30" */
	int mtu;              /* --mtu */
	bool cgroup_v2;       /* run in a cgroup namespace of its own */
	bool debug;           /* --log-level=debug */
	bool no_space;        /* the disk-full fallback: the spare data root */
	const char *no_space_driver;    /* its storage driver; NULL: vfs */
	const char *data_root;          /* NULL: dockerd's own (/var/lib/docker) */
	const char *no_space_data_root; /* NULL: /var/lib/docker.bak */
	const char *prelude;  /* cgroup_v2: the prelude's path; NULL: DOCKERD_PRELUDE */
};

/* The cgroup v2 prelude (scripts/cgroup-v2-prelude) where the image installs
 * it: PREFIX/libexec/envbox/cgroup-v2-prelude for PREFIX=/usr/local. */
#define DOCKERD_PRELUDE "/usr/local/libexec/envbox/cgroup-v2-prelude"
/* ... and relative to the prefix the binary is in: installed_path
 * (util.h) finds it beside this binary. */
#define PRELUDE_UNDER_PREFIX "libexec/envbox/cgroup-v2-prelude"

/* The argv (NULL-terminated, malloc'd strings in a malloc'd array; free with
 * dockerd_argv_free). On cgroup v2 dockerd runs as `unshare --cgroup PRELUDE
 * dockerd ...`: the prelude, a short sh script (scripts/cgroup-v2-prelude),
 * makes the new namespace's root its cgroup root and delegates the
 * controllers, so inner containers' cgroups nest under envbox's own (as
 * moby's dind does), then execs dockerd. */
char **dockerd_argv(const struct dockerd_opts *o);
void dockerd_argv_free(char **argv);

/* The storage driver for the disk-full fallback. want is what the operator
 * asked for (ENVBOX_NO_SPACE_DRIVER): NULL, "" or "auto" for
 * fuse-overlayfs where it can work (fuse_ok: /dev/fuse opens; tool_ok:
 * fuse-overlayfs is on PATH), vfs otherwise; "vfs" or "fuse-overlayfs" to
 * force one (fuse-overlayfs still falls back to vfs when it cannot work).
 * why (n bytes) says why, for the log. NULL for any other want. */
const char *dockerd_no_space_driver(const char *want, bool fuse_ok, bool tool_ok,
				    char *why, size_t n);

/* cgroup v2 when the unified hierarchy is mounted at root (cgroup.controllers
 * present); v1 and hybrid hosts are false. */
bool cgroup_is_v2(const char *cgroup_root);

/* The MTU of interface ifname under sys_root (/sys): 0 when there is no such
 * interface, -1 with e when its mtu file is unreadable or nonsense. */
int net_mtu(const char *sys_root, const char *ifname, eb_err *e);

#endif
