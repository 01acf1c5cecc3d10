/* hostcheck: the decisions (see hostcheck.h). Everything here is a pure
 * function of struct hc_facts; the reading is in hostfacts.c, the parsers
 * of what the kernel writes in hostcheck_parse.c, the report's output in
 * hostcheck_report.c. */
#include "hostcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Capabilities envbox wants, and what is lost without each. */
static const struct hc_cap {
	int bit;
	const char *name;      /* the check's name */
	const char *cap;       /* as capabilities(7) and docker --cap-add say */
	enum hc_status missing;
	const char *brief;     /* for the verdict */
	const char *loss;      /* for the line */
} caps[] = {
	/* mount(2), namespaces, cgroups: every step of creating a container */
	{ HC_CAP_SYS_ADMIN, "cap_sys_admin", "SYS_ADMIN", HC_FATAL,
	  "dockerd cannot create containers",
	  "dockerd cannot mount, create namespaces or set up cgroups, so it cannot "
	  "create the workspace" },
	/* the bridge, veth pairs and iptables rules of the workspace's network */
	{ HC_CAP_NET_ADMIN, "cap_net_admin", "NET_ADMIN", HC_FATAL,
	  "dockerd cannot set up networking",
	  "dockerd cannot create its bridge, veth pairs or iptables rules" },
	/* oom_score_adj below 0 (proc(5)): envbox asks for -1000 */
	{ HC_CAP_SYS_RESOURCE, "cap_sys_resource", "SYS_RESOURCE", HC_DEGRADED,
	  "oom_score_adj cannot go below 0",
	  "envbox cannot set its oom_score_adj below 0 (it asks for -1000), so under "
	  "memory pressure the OOM killer may take envbox or dockerd before the "
	  "workspace's processes" },
};

/* Backing filesystems dockerd's overlay2 driver refuses with "driver not
 * supported" (moby's daemon/graphdriver/overlay2, the backing-fs check):
 * an overlay cannot be the upper layer of another. */
static const struct {
	const char *fstype;
	const char *what;
} no_overlay2[] = {
	/* the container's own root: what /var/lib/docker is without a volume */
	{ "overlay", "the container's own root (overlay)" },
	{ "aufs", "aufs" },         /* an older union filesystem */
	{ "ecryptfs", "eCryptfs" }, /* a stacked filesystem too */
};

static void add(struct hc_report *r, const char *name, enum hc_status st, char *reason,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One result; reason (owned, NULL for ok and info) goes into the verdict. */
static void add(struct hc_report *r, const char *name, enum hc_status st, char *reason,
		const char *fmt, ...)
{
	va_list ap;
	struct hc_result *x;

	r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	x = &r->v[r->n++];
	va_start(ap, fmt);
	x->message = xvasprintf(fmt, ap);
	va_end(ap);
	x->name = name;
	x->status = st;
	x->reason = reason;
	if (st > r->worst)
		r->worst = st;
}

/* "12.3 GiB", "512 MiB" */
static void size_str(long long n, char *out, size_t len)
{
	if (n >= 1LL << 30)
		snprintf(out, len, "%.1f GiB", (double)n / (1LL << 30));
	else
		snprintf(out, len, "%lld MiB", n >> 20);
}

/* The controllers in mask, named: "cpu, pids". */
static void ctrl_names(int mask, char *out, size_t len)
{
	static const char *const names[] = { "cpu", "memory", "pids" };

	out[0] = 0;
	for (size_t i = 0; i < N(names); i++)
		if (mask & (1 << i))
			snprintf(out + strlen(out), len - strlen(out), "%s%s",
				 out[0] ? ", " : "", names[i]);
}

/* What each missing controller costs. */
static void ctrl_loss(int missing, char *out, size_t len)
{
	out[0] = 0;
	if (missing & HC_CTRL_CPU)
		snprintf(out + strlen(out), len - strlen(out), "%sCODER_CPUS is not applied",
			 out[0] ? ", " : "");
	if (missing & HC_CTRL_MEMORY)
		snprintf(out + strlen(out), len - strlen(out), "%sCODER_MEMORY is not applied",
			 out[0] ? ", " : "");
	if (missing & HC_CTRL_PIDS)
		snprintf(out + strlen(out), len - strlen(out),
			 "%sthe number of processes cannot be limited", out[0] ? ", " : "");
}

static void check_kernel(const struct hc_facts *f, struct hc_report *r)
{
	struct idmap_kver k;

	if (!f->kernel)
		add(r, "kernel", HC_INFO, NULL, "release unknown (osrelease unreadable)");
	else if (idmap_kver_parse(f->kernel, &k))
		add(r, "kernel", HC_INFO, NULL, "release \"%s\" is not N.N...", f->kernel);
	else if (!idmap_kver_atleast(k, 5, 12))
		add(r, "kernel", HC_INFO, NULL,
		    "%s: older than 5.12, so no idmapped mounts: mount sources are chowned",
		    f->kernel);
	else
		add(r, "kernel", HC_OK, NULL, "%s", f->kernel);
}

static void check_cgroup(const struct hc_facts *f, struct hc_report *r)
{
	char names[64], loss[160];
	int missing = f->cg_ctrl < 0 ? 0 : HC_CTRL_ALL & ~f->cg_ctrl;

	ctrl_names(missing, names, sizeof names);
	ctrl_loss(missing, loss, sizeof loss);
	switch (f->cgroup) {
	case HC_CG_UNKNOWN:
		add(r, "cgroup", HC_INFO, NULL, "version unknown: the mount table is unreadable");
		return;
	case HC_CG_NONE:
		add(r, "cgroup", HC_FATAL,
		    xstrdup("no cgroup filesystem at /sys/fs/cgroup: run the outer container "
			    "privileged, or bind /sys/fs/cgroup read-write"),
		    "nothing is mounted at /sys/fs/cgroup, so dockerd cannot create the "
		    "workspace's cgroup; run the outer container privileged (docker run "
		    "--privileged mounts it), or bind the host's /sys/fs/cgroup read-write");
		return;
	case HC_CG_V2:
		if (f->cg_ctrl < 0)
			add(r, "cgroup", HC_INFO, NULL,
			    "v2; %s is unreadable: cannot tell which controllers can be "
			    "delegated to the workspace", f->cg_ctrl_file ? f->cg_ctrl_file
									  : "cgroup.controllers");
		else if (missing)
			add(r, "cgroup", HC_DEGRADED,
			    xasprintf("cgroup v2 without %s to delegate: %s", names, loss),
			    "v2, but %s %s not available to this cgroup (%s), so it cannot be "
			    "delegated to the workspace: %s; enable %s in the parent cgroup's "
			    "cgroup.subtree_control",
			    names, strchr(names, ',') ? "are" : "is",
			    f->cg_ctrl_file ? f->cg_ctrl_file : "cgroup.controllers", loss,
			    strchr(names, ',') ? "them" : "it");
		else
			add(r, "cgroup", HC_OK, NULL,
			    "v2; cpu, memory and pids can be delegated to the workspace");
		return;
	case HC_CG_V1:
	case HC_CG_HYBRID: {
		char hybrid[320];
		char extra[320] = "";

		if (f->cgroup == HC_CG_HYBRID)
			snprintf(hybrid, sizeof hybrid, " (hybrid: cgroup2 at %s, the controllers "
				 "on v1)", f->cgroup2_at ? f->cgroup2_at : "?");
		else
			hybrid[0] = 0;
		if (missing)
			snprintf(extra, sizeof extra, "; no v1 hierarchy for %s: %s", names, loss);
		add(r, "cgroup", HC_DEGRADED,
		    xasprintf("cgroup v1%s: no controller can be delegated to the workspace%s%s",
			      f->cgroup == HC_CG_HYBRID ? " (hybrid)" : "",
			      missing ? ", no " : "", missing ? names : ""),
		    "v1%s: the workspace's limits apply through the v1 hierarchies, but "
		    "delegating controllers to it needs cgroup v2, so programs inside "
		    "(systemd, dockerd) cannot manage cgroups of their own%s; boot the node "
		    "with cgroup v2 (systemd.unified_cgroup_hierarchy=1) to get it",
		    hybrid, extra);
		return;
	}
	}
}

static void check_userns(const struct hc_facts *f, struct hc_report *r)
{
	const char *assumed = f->init_userns < 0 ? " (uid_map unreadable: assumed)" : "";

	if (f->max_userns < 0)
		add(r, "userns", HC_INFO, NULL,
		    "user.max_user_namespaces unreadable: cannot tell whether user "
		    "namespaces are allowed");
	else if (f->max_userns == 0)
		add(r, "userns", HC_FATAL,
		    xstrdup("user.max_user_namespaces=0 allows no user namespaces: "
			    "sysctl -w user.max_user_namespaces=65536 on the node"),
		    "user.max_user_namespaces=0: the node allows no user namespaces and the "
		    "workspace runs in one (dockerd's userns-remap, or sysbox); set it on the "
		    "node: sysctl -w user.max_user_namespaces=65536 (Bottlerocket: "
		    "settings.kernel.sysctl)");
	else
		add(r, "userns", HC_OK, NULL, "user.max_user_namespaces=%lld", f->max_userns);

	if (f->userns_clone == 0 && f->init_userns == 0)
		add(r, "userns_clone", HC_FATAL,
		    xstrdup("kernel.unprivileged_userns_clone=0 and the outer container is "
			    "in a user namespace: sysctl -w kernel.unprivileged_userns_clone=1 "
			    "on the node"),
		    "kernel.unprivileged_userns_clone=0 and the outer container runs in a "
		    "user namespace of its own, where its CAP_SYS_ADMIN does not count: "
		    "dockerd cannot create the workspace's; set it on the node: sysctl -w "
		    "kernel.unprivileged_userns_clone=1");
	else if (f->userns_clone == 0)
		add(r, "userns_clone", HC_INFO, NULL,
		    "kernel.unprivileged_userns_clone=0 restricts only processes without "
		    "CAP_SYS_ADMIN in the host's user namespace; envbox's dockerd runs as "
		    "root there%s, so the workspace starts, but programs inside it cannot "
		    "create user namespaces of their own (bubblewrap, Chrome's sandbox, "
		    "rootless Podman)", assumed);
	else if (f->userns_clone > 0)
		add(r, "userns_clone", HC_OK, NULL, "kernel.unprivileged_userns_clone=%lld",
		    f->userns_clone);

	if (f->apparmor_userns > 0 && f->init_userns == 0)
		add(r, "apparmor_userns", HC_DEGRADED,
		    xstrdup("kernel.apparmor_restrict_unprivileged_userns=1 and the outer "
			    "container is in a user namespace: the workspace's may be confined"),
		    "kernel.apparmor_restrict_unprivileged_userns=%lld and the outer container "
		    "runs in a user namespace of its own: the user namespaces dockerd creates "
		    "may be confined by AppArmor's unprivileged_userns profile, without "
		    "capabilities; sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 "
		    "on the node lifts it", f->apparmor_userns);
	else if (f->apparmor_userns > 0)
		add(r, "apparmor_userns", HC_INFO, NULL,
		    "kernel.apparmor_restrict_unprivileged_userns=%lld restricts only "
		    "processes without CAP_SYS_ADMIN in the host's user namespace; envbox's "
		    "dockerd runs as root there%s and is not affected; programs inside the "
		    "workspace may be refused user namespaces of their own",
		    f->apparmor_userns, assumed);
	else if (f->apparmor_userns == 0)
		add(r, "apparmor_userns", HC_OK, NULL,
		    "kernel.apparmor_restrict_unprivileged_userns=0");
}

static void check_subid(const struct hc_facts *f, struct hc_report *r)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };

	for (int i = 0; i < 2; i++)
		if (f->subid[i] < 0) {
			add(r, "subid", HC_FATAL, xasprintf("%s", f->subid_why[i]),
			    "%s: envbox-xid subid refuses to add coder:100000:65536, the range "
			    "dockerd maps the workspace onto; remove or change that line",
			    f->subid_why[i]);
			return;
		}
	if (f->subid[0] == 0 && f->subid[1] == 0)
		add(r, "subid", HC_OK, NULL, "coder:100000:65536 in /etc/subuid and /etc/subgid");
	else
		add(r, "subid", HC_INFO, NULL,
		    "coder:100000:65536 missing from %s: envbox adds it at start "
		    "(envbox-xid subid)",
		    f->subid[0] && f->subid[1] ? "/etc/subuid and /etc/subgid"
					       : files[f->subid[0] ? 0 : 1]);
}

#define CHOWN_COST                                                                  \
	"the top directory is given to the workspace's user (uid+100000) and the files " \
	"in it the host wrote show as nobody (65534) inside"

static void check_idmap(const struct hc_facts *f, struct hc_report *r)
{
	if (f->config_error) {
		add(r, "config", HC_FATAL, xstrdup(f->config_error),
		    "%s: envbox docker refuses it (exit 2)", f->config_error);
		return;
	}
	if (f->idmap_disabled) {
		add(r, "idmap", HC_INFO, NULL,
		    "CODER_DISABLE_IDMAPPED_MOUNT=true: each CODER_MOUNTS source is chowned: "
		    CHOWN_COST);
		return;
	}
	if (!f->nmount) {
		add(r, "idmap", HC_INFO, NULL, "no CODER_MOUNTS sources");
		return;
	}
	for (size_t i = 0; i < f->nmount; i++) {
		const struct hc_mount *m = &f->mount[i];

		if (!m->probed)
			add(r, "idmap", HC_INFO, NULL, "%s: cannot probe (%s): it is chowned: "
			    CHOWN_COST, m->src, m->why);
		else if (m->idmap)
			add(r, "idmap", HC_OK, NULL, "%s: idmapped: %s", m->src, m->why);
		else
			add(r, "idmap", HC_INFO, NULL, "%s: chowned, not idmapped (%s): "
			    CHOWN_COST, m->src, m->why);
	}
}

static void check_caps(const struct hc_facts *f, struct hc_report *r)
{
	if (f->cap_eff < 0) {
		add(r, "capabilities", HC_INFO, NULL,
		    "CapEff unreadable (/proc/self/status): cannot tell which are held");
		return;
	}
	for (size_t i = 0; i < N(caps); i++) {
		const struct hc_cap *c = &caps[i];

		if (f->cap_eff & ((int64_t)1 << c->bit))
			add(r, c->name, HC_OK, NULL, "CAP_%s held", c->cap);
		else
			add(r, c->name, c->missing,
			    xasprintf("no CAP_%s: %s (run the outer container privileged, or "
				      "--cap-add %s)", c->cap, c->brief, c->cap),
			    "CAP_%s missing: %s; run the outer container privileged (or "
			    "--cap-add %s)", c->cap, c->loss, c->cap);
	}
	/* The device nodes envbox passes in are made with mknod(2). */
	if ((f->add_tun || f->add_fuse) && !(f->cap_eff & ((int64_t)1 << HC_CAP_MKNOD)))
		add(r, "cap_mknod", HC_FATAL,
		    xstrdup("no CAP_MKNOD for CODER_ADD_TUN/CODER_ADD_FUSE (run the outer "
			    "container privileged, or --cap-add MKNOD)"),
		    "CAP_MKNOD missing: envbox cannot make the /dev/net/tun or /dev/fuse "
		    "node CODER_ADD_TUN or CODER_ADD_FUSE asks for; run the outer container "
		    "privileged (or --cap-add MKNOD)");
}

static void check_confinement(const struct hc_facts *f, struct hc_report *r)
{
	const char *l = f->lsm_label;

	if (f->seccomp < 0)
		add(r, "seccomp", HC_INFO, NULL, "unknown (no Seccomp field in /proc/self/status)");
	else if (f->seccomp == 0)
		add(r, "seccomp", HC_OK, NULL, "off, as in a privileged container");
	else
		add(r, "seccomp", HC_DEGRADED,
		    xstrdup("a seccomp filter applies to the outer container: dockerd may be "
			    "refused system calls (--security-opt seccomp=unconfined)"),
		    "a seccomp %s applies to the outer container: dockerd may be refused the "
		    "system calls it needs (mount, unshare, keyctl) and fail to create the "
		    "workspace; run it with --security-opt seccomp=unconfined (Kubernetes: "
		    "privileged, or seccompProfile type Unconfined)",
		    f->seccomp == 1 ? "strict mode" : "filter");

	if (!l)
		add(r, "apparmor", HC_INFO, NULL,
		    "no AppArmor label (AppArmor not enabled, or not readable)");
	else if (!strcmp(l, "unconfined"))
		add(r, "apparmor", HC_OK, NULL, "unconfined");
	else if (str_ends(l, " (enforce)"))
		add(r, "apparmor", HC_DEGRADED,
		    xasprintf("AppArmor profile %s may deny dockerd's mounts "
			      "(--security-opt apparmor=unconfined)", l),
		    "confined by the AppArmor profile %s: it may deny the mounts dockerd "
		    "makes for the workspace; run the outer container with --security-opt "
		    "apparmor=unconfined (Kubernetes: privileged, or appArmorProfile type "
		    "Unconfined)", l);
	else
		add(r, "apparmor", HC_INFO, NULL, "label %s", l);
}

/* The runtime the entrypoint will choose: ENVBOX_INNER_RUNTIME, else
 * sysbox-runc where both of sysbox's programs are found, else runc. */
static const char *runtime_of(const struct hc_facts *f)
{
	return f->runtime_override		   ? f->runtime_override
	       : f->sysbox_runc && f->sysbox_mgr ? "sysbox-runc"
						   : "runc";
}

static void check_runtime(const struct hc_facts *f, struct hc_report *r)
{
	bool sysbox = f->sysbox_runc && f->sysbox_mgr;

	if (f->runtime_override)
		add(r, "sysbox", HC_INFO, NULL, "ENVBOX_INNER_RUNTIME=%s chooses the runtime",
		    f->runtime_override);
	else if (sysbox)
		add(r, "sysbox", HC_OK, NULL,
		    "sysbox-runc and sysbox-mgr found: the workspace runs under sysbox");
	else
		add(r, "sysbox", HC_INFO, NULL,
		    "not installed (%s not on PATH): the workspace runs with runc under "
		    "dockerd's user namespace remapping",
		    !f->sysbox_runc && !f->sysbox_mgr ? "sysbox-runc, sysbox-mgr"
		    : !f->sysbox_runc		      ? "sysbox-runc"
						      : "sysbox-mgr");
}

/* Docker and systemd inside the workspace: sysbox's own way, or runc with
 * nesting (docs/nesting.md) where the host is cgroup v2 and ENVBOX_NESTING
 * allows. The message starts "yes: sysbox", "yes: nesting " or "no: ": the
 * entrypoint nests a runc workspace on "yes: nesting " (applets/envbox.sh,
 * choose_nesting). ENVBOX_NESTING=on where nesting cannot be is fatal. */
static void check_nesting(const struct hc_facts *f, struct hc_report *r)
{
	static const char name[] = "docker_in_workspace";
	const char *runtime = runtime_of(f);
	const char *mode = f->nesting ? f->nesting : "auto";
	const char *host = f->cgroup == HC_CG_V1       ? "this host is cgroup v1"
			   : f->cgroup == HC_CG_HYBRID ? "this host is cgroup v1 (hybrid)"
			   : f->cgroup == HC_CG_NONE   ? "no cgroup filesystem is mounted"
						       : "the cgroup version is unknown";
	struct idmap_kver k;

	if (!strcmp(runtime, "sysbox-runc")) {
		add(r, name, HC_OK, NULL, "yes: sysbox lets the workspace run dockerd and systemd");
	} else if (strcmp(runtime, "runc")) {
		add(r, name, HC_INFO, NULL,
		    "no: envbox sets the workspace up for dockerd and systemd under runc or "
		    "sysbox-runc, not %s", runtime);
	} else if (!strcmp(mode, "off")) {
		add(r, name, HC_INFO, NULL,
		    "no: nesting is off (ENVBOX_NESTING=off): the workspace cannot run dockerd "
		    "or systemd");
	} else if (f->cgroup != HC_CG_V2 && !strcmp(mode, "on")) {
		add(r, name, HC_FATAL,
		    xasprintf("ENVBOX_NESTING=on, but %s: nesting needs cgroup v2 (or sysbox)",
			      host),
		    "no: ENVBOX_NESTING=on: Docker inside the workspace needs a cgroup v2 host "
		    "or sysbox, and %s; boot the node with cgroup v2, or set ENVBOX_NESTING=auto "
		    "to start without it", host);
	} else if (f->cgroup != HC_CG_V2) {
		add(r, name, HC_INFO, NULL,
		    "no: %s: the workspace cannot run dockerd or systemd, which needs cgroup "
		    "v2 or sysbox", host);
	} else if (f->kernel && !idmap_kver_parse(f->kernel, &k) &&
		   !idmap_kver_atleast(k, 5, 11)) {
		/* overlay in a user namespace came with 5.11: before it, a
		 * dockerd inside falls back from overlay2 by itself. */
		add(r, name, HC_DEGRADED,
		    xasprintf("kernel %s is older than 5.11: a dockerd in the workspace cannot "
			      "use overlay2", f->kernel),
		    "yes: nesting (runc, cgroup v2), but kernel %s is older than 5.11, which "
		    "cannot mount overlay in a user namespace: a dockerd in the workspace "
		    "falls back from overlay2 to fuse-overlayfs where it is installed and "
		    "/dev/fuse is there (CODER_ADD_FUSE=true), else to vfs (every layer "
		    "copied in full)", f->kernel);
	} else {
		add(r, name, HC_OK, NULL,
		    "yes: nesting (runc, cgroup v2): the workspace can run dockerd and "
		    "systemd; ENVBOX_NESTING=off turns it off");
	}
}

static void check_device(struct hc_report *r, const char *name, const char *path,
			 bool present, bool wanted, const char *var, const char *node,
			 const char *module)
{
	if (present && wanted)
		add(r, name, HC_OK, NULL, "%s present; %s=true passes it in", path, var);
	else if (present)
		add(r, name, HC_OK, NULL, "%s present (%s=true passes it in)", path, var);
	else if (wanted)
		add(r, name, HC_DEGRADED, xasprintf("no %s for %s=true (modprobe %s)", path,
						    var, module),
		    "%s absent: envbox makes its own node (%s) for %s=true, but opening it "
		    "needs the %s driver, which this node may not have loaded (modprobe %s)",
		    path, node, var, module, module);
	else
		add(r, name, HC_INFO, NULL, "%s absent (only %s=true needs it)", path, var);
}

static void check_devices(const struct hc_facts *f, struct hc_report *r)
{
	check_device(r, "tun", "/dev/net/tun", f->tun, f->add_tun, "CODER_ADD_TUN", "10:200",
		     "tun");
	check_device(r, "fuse", "/dev/fuse", f->fuse, f->add_fuse, "CODER_ADD_FUSE", "10:229",
		     "fuse");
}

static void check_gpu(const struct hc_facts *f, struct hc_report *r)
{
	if (!f->add_gpu) {
		if (f->gpu_devices > 0)
			add(r, "gpu", HC_INFO, NULL,
			    "CODER_ADD_GPU is not true: the %d /dev/nvidia* node%s here stay "
			    "outside", f->gpu_devices, f->gpu_devices == 1 ? "" : "s");
		else
			add(r, "gpu", HC_INFO, NULL, "CODER_ADD_GPU is not true");
		return;
	}
	if (!f->usr_lib_dir)
		add(r, "gpu", HC_FATAL,
		    xstrdup("CODER_ADD_GPU=true without CODER_USR_LIB_DIR: mount the host's "
			    "/usr/lib in and name it there"),
		    "CODER_ADD_GPU=true but CODER_USR_LIB_DIR is not set: envbox docker "
		    "refuses to start; mount the host's /usr/lib in and name it there");
	else if (f->gpu_devices <= 0)
		add(r, "gpu", HC_DEGRADED,
		    xstrdup("CODER_ADD_GPU=true but no /dev/nvidia* nodes: no GPU in the "
			    "workspace"),
		    "CODER_ADD_GPU=true but no /dev/nvidia* device nodes: the workspace "
		    "starts without a GPU; give the outer container one (a nvidia.com/gpu "
		    "resource, or the NVIDIA container runtime)");
	else if (f->gpu_libs < 0)
		add(r, "gpu", HC_DEGRADED,
		    xasprintf("CODER_USR_LIB_DIR %s unreadable: no GPU driver libraries",
			      f->usr_lib_dir),
		    "%d device node%s, but CODER_USR_LIB_DIR %s is unreadable: programs in "
		    "the workspace get no driver libraries", f->gpu_devices,
		    f->gpu_devices == 1 ? "" : "s", f->usr_lib_dir);
	else if (f->gpu_libs == 0)
		add(r, "gpu", HC_DEGRADED,
		    xasprintf("no GPU driver libraries under %s", f->usr_lib_dir),
		    "%d device node%s, but no driver libraries (libcuda*, libnvidia-*) "
		    "under CODER_USR_LIB_DIR %s: programs in the workspace cannot use the "
		    "GPU; mount the host's /usr/lib there", f->gpu_devices,
		    f->gpu_devices == 1 ? "" : "s", f->usr_lib_dir);
	else
		add(r, "gpu", HC_OK, NULL, "%d device node%s, %d driver librar%s under %s",
		    f->gpu_devices, f->gpu_devices == 1 ? "" : "s", f->gpu_libs,
		    f->gpu_libs == 1 ? "y" : "ies", f->usr_lib_dir);
}

static void check_data_root(const struct hc_fs *d, struct hc_report *r)
{
	char size[32] = "free space unknown";

	if (d->avail >= 0) {
		size_str(d->avail, size, sizeof size);
		strcat(size, " free");
	}
	if (!d->fstype) {
		add(r, "data_root", HC_INFO, NULL, "%s: filesystem unknown, %s", d->path, size);
		return;
	}
	for (size_t i = 0; i < N(no_overlay2); i++)
		if (!strcmp(d->fstype, no_overlay2[i].fstype)) {
			add(r, "data_root", HC_FATAL,
			    xasprintf("%s is on %s, where overlay2 cannot work: mount a volume "
				      "at %s", d->path, no_overlay2[i].what, d->path),
			    "%s is on %s (mount %s), where dockerd's overlay2 cannot work: it "
			    "would fail with \"driver not supported\"; mount a volume at %s",
			    d->path, no_overlay2[i].what, d->mount ? d->mount : "?", d->path);
			return;
		}
	if (d->avail >= 0 && d->avail < HC_LOW_SPACE)
		add(r, "data_root", HC_DEGRADED,
		    xasprintf("only %s at %s", size, d->path),
		    "%s: %s (mount %s), only %s: the image and the workspace's writable layer "
		    "may not fit, and a full disk sends envbox to its vfs fallback on the "
		    "container's own disk (slow); give the volume more room",
		    d->path, d->fstype, d->mount ? d->mount : "?", size);
	else
		add(r, "data_root", HC_OK, NULL, "%s: %s (mount %s), %s: overlay2 works there",
		    d->path, d->fstype, d->mount ? d->mount : "?", size);
}

static void check_coder_root(const struct hc_fs *d, struct hc_report *r)
{
	char size[32] = "free space unknown";

	if (d->avail >= 0) {
		size_str(d->avail, size, sizeof size);
		strcat(size, " free");
	}
	if (!d->fstype)
		add(r, "coder_root", HC_INFO, NULL, "%s: filesystem unknown, %s", d->path, size);
	else if (!strcmp(d->fstype, "overlay"))
		add(r, "coder_root", HC_INFO, NULL,
		    "%s: on the container's own root (overlay), %s: what the workspace keeps "
		    "there (its own Docker data) is lost with the container; mount a volume "
		    "at %s to keep it", d->path, size, d->path);
	else
		add(r, "coder_root", HC_OK, NULL, "%s: %s (mount %s), %s", d->path, d->fstype,
		    d->mount ? d->mount : "?", size);
}

void hostcheck_judge(const struct hc_facts *f, struct hc_report *r)
{
	*r = (struct hc_report){ .worst = HC_OK };
	check_kernel(f, r);
	check_cgroup(f, r);
	check_userns(f, r);
	check_subid(f, r);
	check_idmap(f, r);
	check_caps(f, r);
	check_confinement(f, r);
	check_runtime(f, r);
	check_nesting(f, r);
	check_devices(f, r);
	check_gpu(f, r);
	check_data_root(&f->data_root, r);
	check_coder_root(&f->coder_root, r);
}
