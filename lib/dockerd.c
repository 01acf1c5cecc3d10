/* dockerd: the command line envbox starts the inner Docker daemon with. */
#include "dockerd.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Where dockerd keeps its data when the user's volume is full: the pod's
 * ephemeral disk, where overlay2 cannot stack on the container's own
 * overlay root. fuse-overlayfs can (layers shared, as overlay2); vfs always
 * works but copies every layer in full, slow and many times the disk. */
#define NO_SPACE_DATA_ROOT "/var/lib/docker.bak"

const char *dockerd_no_space_driver(const char *want, bool fuse_ok, bool tool_ok,
				    char *why, size_t n)
{
	bool force_vfs = want && !strcmp(want, "vfs");

	if (want && *want && strcmp(want, "auto") && strcmp(want, "vfs") &&
	    strcmp(want, "fuse-overlayfs"))
		return NULL;
	if (force_vfs) {
		snprintf(why, n, "vfs, as ENVBOX_NO_SPACE_DRIVER asks");
		return "vfs";
	}
	if (fuse_ok && tool_ok) {
		snprintf(why, n, "fuse-overlayfs: /dev/fuse and fuse-overlayfs are here, "
			 "so layers are shared as with overlay2");
		return "fuse-overlayfs";
	}
	snprintf(why, n, "vfs (every layer copied in full: slow, and many times the "
		 "disk): %s", !fuse_ok ? "/dev/fuse cannot be opened (CODER_ADD_FUSE "
		 "or a FUSE device plugin gives the pod one)" :
		 "fuse-overlayfs is not installed");
	return "vfs";
}

char **dockerd_argv(const struct dockerd_opts *o)
{
	char **v = xcalloc(24, sizeof *v);
	int n = 0;

	if (o->cgroup_v2) {
		v[n++] = xstrdup("unshare");
		v[n++] = xstrdup("--cgroup");
		v[n++] = xstrdup(o->prelude ? o->prelude : DOCKERD_PRELUDE);
	}
	v[n++] = xstrdup("dockerd");
	v[n++] = xstrdup("--userns-remap=coder");
	v[n++] = xasprintf("--bip=%s", o->bip);
	v[n++] = xasprintf("--mtu=%d", o->mtu);
	if (o->no_space) {
		v[n++] = xasprintf("--data-root=%s", o->no_space_data_root ?
				   o->no_space_data_root : NO_SPACE_DATA_ROOT);
		v[n++] = xasprintf("--storage-driver=%s",
				   o->no_space_driver ? o->no_space_driver : "vfs");
	} else {
		if (o->data_root)
			v[n++] = xasprintf("--data-root=%s", o->data_root);
		v[n++] = xstrdup("--storage-driver=overlay2");
	}
	if (o->debug)
		v[n++] = xstrdup("--log-level=debug");
	v[n] = NULL;
	return v;
}

void dockerd_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

bool cgroup_is_v2(const char *cgroup_root)
{
	char *p = xasprintf("%s/cgroup.controllers", cgroup_root);
	bool v2 = access(p, F_OK) == 0;

	free(p);
	return v2;
}

int net_mtu(const char *sys_root, const char *ifname, eb_err *e)
{
	char *path;
	buf b = { 0 };
	char *end;
	long mtu;

	if (!*ifname || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, "..")) {
		eb_errf(e, "interface \"%s\": not an interface name", ifname);
		return -1;
	}
	path = xasprintf("%s/class/net/%s/mtu", sys_root, ifname);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		free(path);
		return 0;
	}
	if (read_file(path, 64, &b, e) < 0) {
		free(path);
		buf_free(&b);
		return -1;
	}
	errno = 0;
	mtu = strtol(b.p, &end, 10);
	while (*end == '\n')
		end++;
	if (errno || end == b.p || *end || mtu < 68 || mtu > 65536) {
		eb_errf(e, "%s: \"%.16s\" is not an MTU", path, b.p);
		free(path);
		buf_free(&b);
		return -1;
	}
	free(path);
	buf_free(&b);
	return (int)mtu;
}
