/* hostcheck: can envbox start on this host, and what would it lose?
 *
 * Two halves, so the decisions can be tested without a host:
 *   - hostcheck_gather reads the facts (struct hc_facts) from the running
 *     system, every file under a root prefix so a fixture tree can stand
 *     in for /proc, /sys, /etc and /dev;
 *   - hostcheck_judge turns facts into one result per check (ok, info,
 *     degraded, fatal) and a verdict: ready, degraded (starts, with what is
 *     lost and why) or cannot start (why, and the setting that fixes it).
 *     It reads nothing: same facts, same report.
 *
 * Where a fact comes from (ROOT is the prefix, "" for the live system):
 *   kernel          ROOT/proc/sys/kernel/osrelease
 *   cgroup          ROOT/proc/self/mountinfo (what is mounted under
 *                   /sys/fs/cgroup); on v2 ROOT/proc/self/cgroup's "0::"
 *                   path and that cgroup's cgroup.controllers under
 *                   ROOT/sys/fs/cgroup (the top one when it is missing)
 *   user namespaces ROOT/proc/sys/user/max_user_namespaces,
 *                   ROOT/proc/sys/kernel/unprivileged_userns_clone,
 *                   ROOT/proc/sys/kernel/apparmor_restrict_unprivileged_userns,
 *                   ROOT/proc/self/uid_map (the host's namespace or not)
 *   subordinate IDs ROOT/etc/subuid, ROOT/etc/subgid, ROOT/etc/passwd
 *   capabilities    ROOT/proc/self/status (CapEff, Seccomp)
 *   AppArmor        ROOT/proc/self/attr/apparmor/current, else
 *                   ROOT/proc/self/attr/current
 *   sysbox          sysbox-runc and sysbox-mgr in ROOT+each $PATH entry
 *   nesting         ENVBOX_NESTING, with the runtime, the cgroup version
 *                   and the kernel: Docker inside the workspace or not
 *   devices         ROOT/dev/net/tun, ROOT/dev/fuse, ROOT/dev/nvidia*
 *   GPU libraries   ROOT+CODER_USR_LIB_DIR and its subdirectories, one
 *                   level (libnvidia-*, libcuda*: gpu_library's table)
 *   data roots      filesystem type from the mount table (the mount that
 *                   holds the path, lexically; live, the nearest existing
 *                   directory is resolved first), free space from
 *                   statvfs(2) of ROOT+path's nearest existing directory
 *   mount sources   live: idmap_probe (libblkid, statfs); under a ROOT:
 *                   the mount table's type for the source, judged by
 *                   idmap_fs_supported, as a probe cannot reach a fixture
 * A fact that cannot be read is "unknown" and reported as info, never a
 * guess. */
#ifndef ENVBOX_HOSTCHECK_H
#define ENVBOX_HOSTCHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum hc_status { HC_OK, HC_INFO, HC_DEGRADED, HC_FATAL };
/* "ok", "info", "degraded", "fatal" */
const char *hc_status_name(enum hc_status s);

enum hc_cgroup {
	HC_CG_UNKNOWN, /* the mount table could not be read */
	HC_CG_NONE,    /* nothing mounted at /sys/fs/cgroup */
	HC_CG_V1,      /* cgroup v1 hierarchies only */
	HC_CG_HYBRID,  /* v1 hierarchies and a cgroup2 beside them */
	HC_CG_V2,      /* cgroup2 at /sys/fs/cgroup */
};

/* The controllers envbox needs, as bits. */
enum { HC_CTRL_CPU = 1, HC_CTRL_MEMORY = 2, HC_CTRL_PIDS = 4, HC_CTRL_ALL = 7 };

/* The capabilities checked (capability(7) numbers). */
enum { HC_CAP_NET_ADMIN = 12, HC_CAP_SYS_ADMIN = 21, HC_CAP_SYS_RESOURCE = 24,
       HC_CAP_MKNOD = 27 };

/* What backs a directory envbox keeps data in. */
struct hc_fs {
	char *path;      /* as configured: /var/lib/docker */
	char *fstype;    /* the mount's type ("overlay"), NULL unknown */
	char *mount;     /* the mount point holding it, NULL unknown */
	long long avail; /* bytes free for an unprivileged writer; -1 unknown */
};

/* A CODER_MOUNTS source and whether it can be mounted idmapped. */
struct hc_mount {
	char *src;
	bool probed;     /* false: why says why not */
	bool idmap;
	char why[1024];
};

/* -1 in an int or long long field: absent or unreadable. */
struct hc_facts {
	char *kernel;                 /* "6.1.0-18-amd64"; NULL unknown */
	enum hc_cgroup cgroup;
	char *cgroup2_at;             /* hybrid: where cgroup2 is mounted */
	int cg_ctrl;                  /* HC_CTRL_* present; -1 unknown */
	char *cg_ctrl_file;           /* v2: the cgroup.controllers read */
	long long max_userns;         /* user.max_user_namespaces */
	long long userns_clone;       /* kernel.unprivileged_userns_clone */
	long long apparmor_userns;    /* kernel.apparmor_restrict_unprivileged_userns */
	int init_userns;              /* 1 in the host's user namespace, 0 not, -1 unknown */
	/* subuid, subgid: 0 the range is there, 1 envbox will add it, -1
	 * envbox-xid subid would refuse (subid_why says why) */
	int subid[2];
	char subid_why[2][1024];
	char *config_error;           /* a variable read that envbox docker refuses */
	struct hc_mount *mount;
	size_t nmount;
	bool idmap_disabled;          /* CODER_DISABLE_IDMAPPED_MOUNT=true */
	int64_t cap_eff;              /* CapEff bits; -1 unknown */
	int seccomp;                  /* 0 off, 1 strict, 2 filter; -1 unknown */
	char *lsm_label;              /* the AppArmor label; NULL: none readable */
	bool sysbox_runc, sysbox_mgr; /* found on PATH */
	const char *runtime_override; /* ENVBOX_INNER_RUNTIME */
	const char *nesting;          /* ENVBOX_NESTING: "auto", "on", "off" */
	bool tun, fuse;               /* the device nodes exist */
	bool add_tun, add_fuse, add_gpu;
	const char *usr_lib_dir;      /* CODER_USR_LIB_DIR; NULL unset */
	int gpu_devices;              /* /dev/nvidia* character devices */
	int gpu_libs;                 /* driver libraries; -1 unreadable */
	struct hc_fs data_root, coder_root;
};

/* One line of the report. */
struct hc_result {
	const char *name;   /* "cgroup", "cap_sys_admin", ... */
	enum hc_status status;
	char *message;      /* what was found, what it costs, what fixes it */
	char *reason;       /* degraded, fatal: the short form for the verdict */
};

struct hc_report {
	struct hc_result *v;
	size_t n;
	enum hc_status worst; /* HC_FATAL: cannot start; HC_DEGRADED: degraded;
			       * less (ok, info): ready */
};

/* Free space under which the data root is degraded: an image and the
 * workspace's writable layer need room, and a full disk sends envbox to
 * its vfs fallback. */
#define HC_LOW_SPACE (2LL << 30)

/* Judges. Never fails; r is freed with hostcheck_report_free. */
void hostcheck_judge(const struct hc_facts *f, struct hc_report *r);
void hostcheck_report_free(struct hc_report *r);

/* "ready", "degraded", "cannot start" */
const char *hostcheck_verdict(const struct hc_report *r);
/* The report as lines, "NAME STATUS: message" each, then the verdict line
 * "verdict ready", "verdict degraded: REASON; REASON" or "verdict cannot
 * start: REASON; ..." (only the fatal reasons: what to fix first).
 * verdict_only: the verdict line alone. Appended to out. */
void hostcheck_text(const struct hc_report *r, bool verdict_only, buf *out);
/* The report as one JSON object (docs/envbox-check.md), newline-ended. */
void hostcheck_json(const struct hc_report *r, buf *out);

/* --- parsers for what the kernel writes (strict; fuzzed; hostcheck_parse.c) */

/* /proc/PID/status: CapEff (hex) and Seccomp (0..2). A field absent is -1;
 * a field present but malformed is an error (-1 with e). */
int hostcheck_parse_status(const char *text, size_t len, int64_t *cap_eff,
			   int *seccomp, eb_err *e);
/* /proc/PID/cgroup: the path of the "0::PATH" line (cgroup v2), owned, or
 * NULL when there is none or it is malformed. */
char *hostcheck_parse_cgroup(const char *text, size_t len);
/* A cgroup.controllers line ("cpuset cpu io memory pids"): HC_CTRL_* bits. */
int hostcheck_parse_controllers(const char *text, size_t len);
/* A sysctl file's value: one decimal integer, an optional newline; -1
 * (and *v untouched) otherwise. */
int hostcheck_parse_sysctl(const char *text, size_t len, long long *v);
/* /proc/PID/uid_map: 1 the identity map of the host's namespace
 * ("0 0 4294967295"), 0 another, -1 malformed. */
int hostcheck_parse_uid_map(const char *text, size_t len);

/* --- gathering (hostfacts.c) ---------------------------------------------- */

struct hc_opts {
	const char *root; /* prefix for every file read; "" or NULL: live */
	/* Variables (CODER_*, ENVBOX_DATA_ROOT, ENVBOX_INNER_RUNTIME, PATH)
	 * through get: getenv, or a fake. */
	const char *(*get)(const char *name);
};

/* Reads the facts. Only an unusable root (missing, not a directory) fails,
 * -1 with e naming it; a fact that cannot be read is left unknown. */
int hostcheck_gather(const struct hc_opts *o, struct hc_facts *f, eb_err *e);
void hostcheck_facts_free(struct hc_facts *f);

#endif
