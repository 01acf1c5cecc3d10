/* hostfacts: reading the facts hostcheck_judge decides on (hostcheck.h
 * lists where each comes from). A fact that cannot be read stays unknown. */
#include "hostcheck.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "gpu.h"
#include "idmap.h"
#include "mountinfo.h"
#include "mounts.h"
#include "values.h"
#include "passwd.h"
#include "subid.h"

/* Files under /proc and /sys are small; /etc files too. */
#define SMALL (1 << 20)

struct ctx {
	const char *root; /* "" live */
	const struct hc_opts *o;
	struct mountinfo mi;
	bool have_mi;
};

static char *at(const struct ctx *c, const char *path)
{
	return xasprintf("%s%s", c->root, path);
}

/* ROOT+path read whole; -1 when it cannot be. */
static int slurp(const struct ctx *c, const char *path, buf *b)
{
	char *p = at(c, path);
	eb_err e;
	int rc = read_file(p, SMALL, b, &e);

	free(p);
	return rc;
}

/* A one-line value (a sysctl, a label) without its newline; NULL when
 * unreadable, empty or holding control characters. */
static char *read_value(const struct ctx *c, const char *path)
{
	buf b = { 0 };
	char *v = NULL;

	if (!slurp(c, path, &b)) {
		while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\0'))
			b.p[--b.len] = 0;
		if (b.len && !str_control(b.p) && strlen(b.p) == b.len)
			v = buf_steal(&b);
	}
	buf_free(&b);
	return v;
}

static long long read_sysctl(const struct ctx *c, const char *path)
{
	buf b = { 0 };
	long long v = -1;

	if (!slurp(c, path, &b) && hostcheck_parse_sysctl(b.p, b.len, &v))
		v = -1;
	buf_free(&b);
	return v;
}

static const char *env(const struct ctx *c, const char *name)
{
	const char *v = c->o->get ? c->o->get(name) : NULL;

	return v && *v ? v : NULL;
}

static void config_error(struct hc_facts *f, const char *msg)
{
	if (!f->config_error)
		f->config_error = xstrdup(msg);
}

static bool flag(const struct ctx *c, struct hc_facts *f, const char *name)
{
	const char *v = env(c, name);
	bool b = false;
	eb_err e;

	if (v && parse_bool(name, v, &b, &e))
		config_error(f, e.msg);
	return b;
}

static void gather_cgroup(const struct ctx *c, struct hc_facts *f)
{
	const struct mountinfo_entry *top;
	buf b = { 0 };
	bool v1 = false;
	char *path, *file;

	f->cg_ctrl = -1;
	if (!c->have_mi) {
		f->cgroup = HC_CG_UNKNOWN;
		return;
	}
	top = mountinfo_find(&c->mi, "/sys/fs/cgroup");
	if (top && !strcmp(top->target, "/sys/fs/cgroup") && !strcmp(top->fstype, "cgroup2")) {
		f->cgroup = HC_CG_V2;
		/* Our own cgroup, as the cgroup namespace names it. */
		path = !slurp(c, "/proc/self/cgroup", &b) ? hostcheck_parse_cgroup(b.p, b.len) : NULL;
		buf_reset(&b);
		if (path) {
			char *clean = path_clean(path);

			file = xasprintf("%s/sys/fs/cgroup%s%scgroup.controllers", c->root,
					 clean, strcmp(clean, "/") ? "/" : "");
			free(clean);
			free(path);
			if (!read_file(file, SMALL, &b, &(eb_err){ 0 })) {
				f->cg_ctrl = hostcheck_parse_controllers(b.p, b.len);
				f->cg_ctrl_file = file;
				buf_free(&b);
				return;
			}
			free(file);
			buf_reset(&b);
		}
		file = at(c, "/sys/fs/cgroup/cgroup.controllers");
		if (!read_file(file, SMALL, &b, &(eb_err){ 0 }))
			f->cg_ctrl = hostcheck_parse_controllers(b.p, b.len);
		f->cg_ctrl_file = file;
		buf_free(&b);
		return;
	}
	/* v1: a hierarchy per controller (or a few joined) below it. */
	f->cg_ctrl = 0;
	for (size_t i = 0; i < c->mi.n; i++) {
		const struct mountinfo_entry *m = &c->mi.v[i];

		if (!str_starts(m->target, "/sys/fs/cgroup/"))
			continue;
		if (!strcmp(m->fstype, "cgroup")) {
			v1 = true;
			if (mountinfo_has_opt(m->super_opts, "cpu"))
				f->cg_ctrl |= HC_CTRL_CPU;
			if (mountinfo_has_opt(m->super_opts, "memory"))
				f->cg_ctrl |= HC_CTRL_MEMORY;
			if (mountinfo_has_opt(m->super_opts, "pids"))
				f->cg_ctrl |= HC_CTRL_PIDS;
		} else if (!strcmp(m->fstype, "cgroup2") && !f->cgroup2_at) {
			f->cgroup2_at = xstrdup(m->target);
		}
	}
	f->cgroup = !v1 ? HC_CG_NONE : f->cgroup2_at ? HC_CG_HYBRID : HC_CG_V1;
}

/* coder's uid from ROOT/etc/passwd, or a value no subid line can hold. */
static unsigned long coder_uid(const struct ctx *c)
{
	buf b = { 0 };
	pw_user u;
	eb_err e;
	unsigned long uid = ULONG_MAX;

	if (!slurp(c, "/etc/passwd", &b) && passwd_lookup(b.p, b.len, "coder", &u, &e) == 1) {
		uid = u.uid;
		pw_user_free(&u);
	}
	buf_free(&b);
	return uid;
}

static void gather_subid(const struct ctx *c, struct hc_facts *f)
{
	static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
	unsigned long uid = coder_uid(c);

	for (int i = 0; i < 2; i++) {
		char *p = at(c, files[i]);
		buf b = { 0 }, add = { 0 };
		eb_err e;

		if (read_file(p, SMALL, &b, &e)) {
			struct stat st;

			/* A missing file is created by envbox-xid subid. */
			if (stat(p, &st) && errno == ENOENT) {
				f->subid[i] = 1;
			} else {
				f->subid[i] = -1;
				snprintf(f->subid_why[i], sizeof f->subid_why[i], "%s", e.msg);
			}
		} else {
			f->subid[i] = subid_plan(b.p, b.len, p, "coder", uid, 100000, 65536, &add, &e);
			if (f->subid[i] < 0)
				snprintf(f->subid_why[i], sizeof f->subid_why[i], "%s", e.msg);
		}
		buf_free(&add);
		buf_free(&b);
		free(p);
	}
}

/* The kernel judged for idmapped mounts: the release read, else uname's. */
static struct idmap_kver kernel_version(const struct hc_facts *f)
{
	struct idmap_kver k = { 0, 0 };

	if (!f->kernel || idmap_kver_parse(f->kernel, &k))
		(void)idmap_kver_running(&k, &(eb_err){ 0 });
	return k;
}

/* ENVBOX_NESTING as envbox docker reads it; refused: a config error, and
 * judged as auto. */
static void gather_nesting(const struct ctx *c, struct hc_facts *f)
{
	eb_err e;

	if (parse_nesting("ENVBOX_NESTING", env(c, "ENVBOX_NESTING"), &f->nesting, &e) < 0) {
		config_error(f, e.msg);
		f->nesting = "auto";
	}
}

static void gather_mounts(const struct ctx *c, struct hc_facts *f)
{
	struct mount_list ml = { 0 };
	struct idmap_kver k = kernel_version(f);
	eb_err e;

	f->idmap_disabled = flag(c, f, "CODER_DISABLE_IDMAPPED_MOUNT");
	if (mounts_parse(env(c, "CODER_MOUNTS") ? env(c, "CODER_MOUNTS") : "", &ml, &e)) {
		char *msg = xasprintf("CODER_MOUNTS: %s", e.msg);

		config_error(f, msg);
		free(msg);
		return;
	}
	if (f->idmap_disabled || !ml.n) {
		mounts_free(&ml);
		return;
	}
	f->mount = xcalloc(ml.n, sizeof *f->mount);
	f->nmount = ml.n;
	for (size_t i = 0; i < ml.n; i++) {
		struct hc_mount *m = &f->mount[i];

		m->src = xstrdup(ml.v[i].src);
		if (!c->have_mi) {
			snprintf(m->why, sizeof m->why, "the mount table is unreadable");
		} else if (!*c->root) {
			struct idmap_probe p;

			if (idmap_probe(m->src, &c->mi, k, &p, &e)) {
				snprintf(m->why, sizeof m->why, "%s", e.msg);
			} else {
				m->probed = true;
				m->idmap = p.idmap;
				snprintf(m->why, sizeof m->why, "%s", p.why);
				idmap_probe_free(&p);
			}
		} else {
			/* A fixture: the mount table's type, as no probe can reach it. */
			const struct mountinfo_entry *me = mountinfo_find(&c->mi, m->src);

			if (!me) {
				snprintf(m->why, sizeof m->why, "no mount holds it");
			} else {
				m->probed = true;
				m->idmap = idmap_fs_supported(me->fstype, k, m->why, sizeof m->why);
			}
		}
	}
	mounts_free(&ml);
}

static void gather_status(const struct ctx *c, struct hc_facts *f)
{
	buf b = { 0 };
	eb_err e;

	f->cap_eff = -1;
	f->seccomp = -1;
	if (!slurp(c, "/proc/self/status", &b) &&
	    hostcheck_parse_status(b.p, b.len, &f->cap_eff, &f->seccomp, &e)) {
		f->cap_eff = -1;
		f->seccomp = -1;
	}
	buf_free(&b);
	/* AppArmor's own file first: on a kernel with several LSMs the
	 * shared one may belong to another. */
	f->lsm_label = read_value(c, "/proc/self/attr/apparmor/current");
	if (!f->lsm_label)
		f->lsm_label = read_value(c, "/proc/self/attr/current");
}

/* An executable regular file named name in ROOT+some $PATH directory. */
static bool on_path(const struct ctx *c, const char *name)
{
	const char *path = env(c, "PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *p;
		struct stat st;

		if (dir[0] != '/')
			continue;
		p = xasprintf("%s%s/%s", c->root, dir, name);
		found = !stat(p, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0111);
		free(p);
	}
	free(copy);
	return found;
}

static bool char_device(const struct ctx *c, const char *path)
{
	char *p = at(c, path);
	struct stat st;
	bool yes = !stat(p, &st) && S_ISCHR(st.st_mode);

	free(p);
	return yes;
}

/* /dev/nvidia* character devices. */
static int count_gpu_devices(const struct ctx *c)
{
	char *dev = at(c, "/dev");
	DIR *d = opendir(dev);
	struct dirent *de;
	int n = 0;

	if (d) {
		while ((de = readdir(d)))
			if (str_starts(de->d_name, "nvidia")) {
				char *p = xasprintf("/dev/%s", de->d_name);

				n += char_device(c, p);
				free(p);
			}
		closedir(d);
	}
	free(dev);
	return n;
}

/* Driver libraries in dir and the directories right below it (the
 * multiarch one: x86_64-linux-gnu); -1 when dir cannot be read. */
static int count_gpu_libs(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return depth ? 0 : -1;
	while ((de = readdir(d))) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		if (gpu_library(de->d_name)) {
			n++;
			continue;
		}
		if (depth)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (!lstat(p, &st) && S_ISDIR(st.st_mode))
			n += count_gpu_libs(p, depth + 1);
		free(p);
	}
	closedir(d);
	return n;
}

/* The mount holding path, its type and the free space there. Live, the
 * nearest existing directory is resolved first (symlinks); under a root
 * the path is taken lexically. */
static void gather_fs(const struct ctx *c, const char *path, struct hc_fs *fs)
{
	char *clean = path_clean(path), *near = xstrdup(clean), *lookup;
	struct statvfs sv;

	fs->path = xstrdup(path);
	fs->avail = -1;
	/* The nearest existing ancestor under the root. */
	for (;;) {
		char *p = at(c, near);
		struct stat st;
		bool ok = !stat(p, &st) && S_ISDIR(st.st_mode);
		char *slash;

		if (ok && !statvfs(p, &sv))
			fs->avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
		free(p);
		if (ok || !strcmp(near, "/"))
			break;
		slash = strrchr(near, '/');
		if (slash == near)
			slash[1] = 0;
		else
			*slash = 0;
	}
	lookup = NULL;
	if (!*c->root) {
		char *real = realpath(near, NULL);

		if (real) {
			const char *rest = clean + strlen(near);

			lookup = xasprintf("%s%s", real, rest);
			free(real);
		}
	}
	if (c->have_mi) {
		const struct mountinfo_entry *m =
			mountinfo_find(&c->mi, lookup ? lookup : clean);

		if (m) {
			fs->fstype = xstrdup(m->fstype);
			fs->mount = xstrdup(m->target);
		}
	}
	free(lookup);
	free(near);
	free(clean);
}

int hostcheck_gather(const struct hc_opts *o, struct hc_facts *f, eb_err *e)
{
	struct ctx c = { .root = o->root ? o->root : "", .o = o };
	char *mi_path;
	buf b = { 0 };
	struct stat st;
	const char *data_root;

	*f = (struct hc_facts){ 0 };
	if (*c.root && stat(c.root, &st)) {
		eb_errf(e, "root %s: %s", c.root, strerror(errno));
		return -1;
	}
	if (*c.root && !S_ISDIR(st.st_mode)) {
		eb_errf(e, "root %s: not a directory", c.root);
		return -1;
	}
	mi_path = at(&c, MOUNTINFO_SELF);
	c.have_mi = !mountinfo_load(&c.mi, mi_path, &(eb_err){ 0 });
	free(mi_path);

	f->kernel = read_value(&c, "/proc/sys/kernel/osrelease");
	gather_cgroup(&c, f);
	f->max_userns = read_sysctl(&c, "/proc/sys/user/max_user_namespaces");
	f->userns_clone = read_sysctl(&c, "/proc/sys/kernel/unprivileged_userns_clone");
	f->apparmor_userns = read_sysctl(&c, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	f->init_userns = !slurp(&c, "/proc/self/uid_map", &b) ?
		hostcheck_parse_uid_map(b.p, b.len) : -1;
	buf_free(&b);
	gather_subid(&c, f);
	gather_mounts(&c, f);
	gather_status(&c, f);
	f->sysbox_runc = on_path(&c, "sysbox-runc");
	f->sysbox_mgr = on_path(&c, "sysbox-mgr");
	f->runtime_override = env(&c, "ENVBOX_INNER_RUNTIME");
	gather_nesting(&c, f);
	f->tun = char_device(&c, "/dev/net/tun");
	f->fuse = char_device(&c, "/dev/fuse");
	f->add_tun = flag(&c, f, "CODER_ADD_TUN");
	f->add_fuse = flag(&c, f, "CODER_ADD_FUSE");
	f->add_gpu = flag(&c, f, "CODER_ADD_GPU");
	f->usr_lib_dir = env(&c, "CODER_USR_LIB_DIR");
	f->gpu_devices = count_gpu_devices(&c);
	f->gpu_libs = -1;
	if (f->add_gpu && f->usr_lib_dir) {
		char *dir = at(&c, f->usr_lib_dir);

		f->gpu_libs = count_gpu_libs(dir, 0);
		free(dir);
	}
	data_root = env(&c, "ENVBOX_DATA_ROOT");
	gather_fs(&c, data_root ? data_root : "/var/lib/docker", &f->data_root);
	gather_fs(&c, "/var/lib/coder", &f->coder_root);
	if (c.have_mi)
		mountinfo_free(&c.mi);
	return 0;
}

static void fs_free(struct hc_fs *fs)
{
	free(fs->path);
	free(fs->fstype);
	free(fs->mount);
}

void hostcheck_facts_free(struct hc_facts *f)
{
	free(f->kernel);
	free(f->cgroup2_at);
	free(f->cg_ctrl_file);
	free(f->config_error);
	for (size_t i = 0; i < f->nmount; i++)
		free(f->mount[i].src);
	free(f->mount);
	free(f->lsm_label);
	fs_free(&f->data_root);
	fs_free(&f->coder_root);
	*f = (struct hc_facts){ 0 };
}
