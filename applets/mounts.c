/* envbox-mounts: parse CODER_MOUNTS into spec lines; show which mount holds
 * a path; prepare mount sources for the inner user. The grammar and its
 * errors: lib/mounts.h; the preparing rules: lib/prepare.h;
 * docs/envbox-mounts.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "idmap.h"
#include "json.h"
#include "log.h"
#include "mountinfo.h"
#include "mounts.h"
#include "prepare.h"
#include "spec.h"

const char mounts_usage[] =
	"Usage: envbox-mounts parse [--json] [VALUE]\n"
	"       envbox-mounts mountinfo [--mountinfo FILE] [--json] PATH...\n"
	"       envbox-mounts prepare --uid U --gid G --home DIR [--offset N]\n"
	"                     [--mountinfo FILE] [--idmap-dir DIR] [--protect PATH]...\n"
	"                     [--nesting]\n"
	"                     < BIND-LINES\n"
	"\n"
	"parse      Print one spec line per CODER_MOUNTS entry, in order:\n"
	"               bind SRC DST ro|rw\n"
	"           VALUE defaults to $CODER_MOUNTS; unset or empty means no mounts\n"
	"           (no output). VALUE is \"src:dst[:ro|rw]\" entries joined by \",\";\n"
	"           rw is the default. A malformed entry is a usage error naming it:\n"
	"           one field or more than three, an empty or relative path, a path\n"
	"           with whitespace, an option other than ro or rw, an empty entry\n"
	"           (\",,\", a leading or trailing \",\"), a destination given twice.\n"
	"mountinfo  For each PATH, the mount that holds it, one line each:\n"
	"               PATH TARGET FSTYPE SOURCE ro|rw\n"
	"           Fields are escaped as in mountinfo (\\040 for a space, \\134 for\n"
	"           a backslash); an empty source prints as \"-\". ro means writes\n"
	"           through the mount fail: the mount or its filesystem is read-only.\n"
	"           On the live table a PATH that exists is resolved (symlinks, \"..\").\n"
	"prepare    Make each source of the bind lines on stdin usable by the inner\n"
	"           container, whose root is host uid N, then print the lines\n"
	"           unchanged. Every source, whatever its destination, is first\n"
	"           resolved from / by file descriptors and refused (exit 1) when:\n"
	"             - it is, lies below or contains a path the outer container\n"
	"               or envbox needs: /proc /sys /dev /etc /usr /bin /sbin /lib*\n"
	"               /boot /envbox, dockerd's, containerd's and sysbox's state\n"
	"               and sockets under /run, /var/run and /var/lib, the pod's\n"
	"               /run/secrets, /var/log/envbox, and each --protect PATH\n"
	"               (so /, /run, /var, /var/lib are refused); read-only binds\n"
	"               of /usr/src and /lib/modules are allowed;\n"
	"             - it is on, or has mounted inside it, a kernel interface\n"
	"               (proc, sysfs, devtmpfs, devpts, cgroup, cgroup2, bpf...);\n"
	"             - it is such a path under another name (same inode);\n"
	"             - a symbolic link on its way lies inside another source (the\n"
	"               workspace can write there and may have planted it).\n"
	"           A source bound at a destination private to envbox\n"
	"           (/var/lib/docker, /var/lib/containers, /var/lib/sysbox,\n"
	"           /lib/modules, /usr/src, /var/lib/coder) is then only created\n"
	"           when missing; with --nesting (the workspace runs its own\n"
	"           dockerd) /var/lib/docker and /var/lib/containers are not\n"
	"           private. Every other source, on its resolved file:\n"
	"             - missing: created as a directory (mkdir -p, 0755);\n"
	"             - itself a read-only mount: remounted read-write (the bind\n"
	"               stays ro when its line says ro); inside a read-only mount\n"
	"               it is not the mount point of: an error;\n"
	"             - a directory: mode 02755 (a regular file keeps its mode);\n"
	"             - owner U+N:G+N when bound at DIR or when the source is\n"
	"               /root or /home/NAME, else N:N;\n"
	"             - a socket, FIFO or device node: left as is, with a warning.\n"
	"           Every line and source is checked before anything changes.\n"
	"           With --idmap-dir, a source whose filesystem can be mounted\n"
	"           idmapped (envbox-xid probe) is mounted so (on-disk IDs 0..65535\n"
	"           seen as N..N+65535) at DIR/I, I its line's index, and its line\n"
	"           names DIR/I instead; the mount is nodev. It gets the owner\n"
	"           above less N (U:G or\n"
	"           0:0) and 02755 only when its owner differs: a volume the user\n"
	"           owns is left as it is. One owned at or past N (shifted before)\n"
	"           is chowned as without the option, and so is one the kernel\n"
	"           refuses. The choice is logged per source.\n"
	"\n"
	"Options:\n"
	"  --json             (parse, mountinfo) print a JSON array of objects\n"
	"                     instead of lines\n"
	"  --mountinfo FILE   read FILE instead of /proc/self/mountinfo; each PATH\n"
	"                     must then be absolute and is taken as written;\n"
	"                     prepare decides from FILE, acts on the live system\n"
	"  --uid U, --gid G   (prepare) the inner user's IDs, as in the image\n"
	"  --home DIR         (prepare) the inner user's home directory\n"
	"  --offset N         (prepare) host uid of the inner root (100000)\n"
	"  --idmap-dir DIR    (prepare) idmapped mounts under DIR instead of chown\n"
	"  --nesting          (prepare) /var/lib/docker and /var/lib/containers are\n"
	"                     the inner root's: prepared like other sources\n"
	"  --protect PATH     (prepare) refuse PATH, its parents and what lies below\n"
	"                     it as a source too (repeatable)\n"
	"  -h, --help         print this help\n"
	"\n"
	"Exit codes: 0 done, 1 failed (mount table unreadable or malformed, no\n"
	"mount holds PATH; prepare: a line on stdin that is not a bind line, a\n"
	"source that cannot be prepared), 2 usage error (bad arguments, U+N or\n"
	"G+N past 4294967294, a malformed CODER_MOUNTS or VALUE).\n";

static int cmd_parse(int argc, char **argv)
{
	const char *value = NULL, *from = "argument";
	bool json = false, dashdash = false;
	struct mount_list ml;
	eb_err e;
	buf out = { 0 };

	for (int i = 1; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--json"))
			json = true;
		else if (!dashdash && !strcmp(argv[i], "--"))
			dashdash = true;
		else if (!dashdash && argv[i][0] == '-' && argv[i][1])
			usage_error("parse: unknown option '%s'", argv[i]);
		else if (value)
			usage_error("parse: one VALUE at most (got \"%s\" and \"%s\")",
				    value, argv[i]);
		else
			value = argv[i];
	}
	if (!value) {
		value = getenv("CODER_MOUNTS");
		from = "CODER_MOUNTS";
		if (!value)
			value = "";
	}
	if (mounts_parse(value, &ml, &e))
		usage_error("%s %s", from, e.msg);

	if (json) {
		json_w w;

		jw_init(&w, &out);
		jw_arr(&w);
		for (size_t i = 0; i < ml.n; i++) {
			jw_obj(&w);
			jw_kstr(&w, "src", ml.v[i].src);
			jw_kstr(&w, "dst", ml.v[i].dst);
			jw_kbool(&w, "ro", ml.v[i].ro);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		buf_addc(&out, '\n');
	} else {
		for (size_t i = 0; i < ml.n; i++)
			if (spec_write_bind(&out, ml.v[i].src, ml.v[i].dst, ml.v[i].ro, &e))
				die_err(&e);
	}
	put_stdout(&out);
	buf_free(&out);
	mounts_free(&ml);
	return 0;
}

/* A mountinfo field as the kernel writes it, so the line still splits on
 * spaces; an empty one as "-". */
static void add_escaped(buf *b, const char *s)
{
	if (!*s) {
		buf_addc(b, '-');
		return;
	}
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			buf_printf(b, "\\%03o", (unsigned char)*s);
		else
			buf_addc(b, *s);
	}
}

static void add_json_entry(json_w *w, const char *path, const struct mountinfo_entry *m)
{
	jw_obj(w);
	jw_kstr(w, "path", path);
	jw_kstr(w, "target", m->target);
	jw_kstr(w, "fstype", m->fstype);
	jw_kstr(w, "source", m->source);
	jw_kstr(w, "root", m->root);
	jw_kbool(w, "ro", m->ro);
	jw_kbool(w, "mount_ro", m->mnt_ro);
	jw_kbool(w, "superblock_ro", m->sb_ro);
	jw_kstr(w, "mount_options", m->vfs_opts);
	jw_kstr(w, "superblock_options", m->super_opts);
	jw_kstr(w, "optional_fields", m->opt_fields);
	jw_kint(w, "id", m->id);
	jw_kint(w, "parent", m->parent);
	jw_kint(w, "major", m->major);
	jw_kint(w, "minor", m->minor);
	jw_obj_end(w);
}

static int cmd_mountinfo(int argc, char **argv)
{
	const char *file = NULL, *v;
	bool json = false, dashdash = false;
	char **paths = xcalloc((size_t)argc, sizeof *paths);
	int np = 0;
	struct mountinfo mi;
	eb_err e;
	buf out = { 0 };
	json_w w;

	for (int i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || !argv[i][1])
			paths[np++] = argv[i];
		else if (!strcmp(argv[i], "--"))
			dashdash = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if ((v = opt_value(argc, argv, &i, "--mountinfo")))
			file = v;
		else
			usage_error("mountinfo: unknown option '%s'", argv[i]);
	}
	if (np == 0)
		usage_error("mountinfo: expected at least one PATH");
	if (file && !*file)
		usage_error("mountinfo: --mountinfo needs a file name");
	for (int i = 0; i < np; i++) {
		if (file && paths[i][0] != '/')
			usage_error("mountinfo: PATH \"%s\" must be absolute with --mountinfo",
				    paths[i]);
	}
	if (mountinfo_load(&mi, file, &e))
		die_err(&e);

	if (json) {
		jw_init(&w, &out);
		jw_arr(&w);
	}
	for (int i = 0; i < np; i++) {
		const struct mountinfo_entry *m;
		char *real = NULL;
		const char *look = paths[i];

		/* The live table: what holds a path is where its symlinks lead.
		 * A table from a file describes another system; take it as is. */
		if (!file) {
			real = realpath(paths[i], NULL);
			if (real)
				look = real;
			else if (errno != ENOENT || paths[i][0] != '/')
				die("unable to resolve %s: %s", paths[i], strerror(errno));
		}
		m = mountinfo_find(&mi, look);
		if (!m)
			die("no mount in %s holds %s", file ? file : MOUNTINFO_SELF, look);
		if (json) {
			add_json_entry(&w, paths[i], m);
		} else {
			add_escaped(&out, paths[i]);
			buf_addc(&out, ' ');
			add_escaped(&out, m->target);
			buf_addc(&out, ' ');
			add_escaped(&out, m->fstype);
			buf_addc(&out, ' ');
			add_escaped(&out, m->source);
			buf_adds(&out, m->ro ? " ro\n" : " rw\n");
		}
		free(real);
	}
	if (json) {
		jw_arr_end(&w);
		buf_addc(&out, '\n');
	}
	put_stdout(&out);
	buf_free(&out);
	mountinfo_free(&mi);
	free(paths);
	return 0;
}

/* An ID option: a number chown(2) can take ((uid_t)-1 means "no change"). */
static uint32_t parse_id(const char *name, const char *v)
{
	long long n = parse_count(name, v);

	if (n > (long long)PREPARE_ID_MAX)
		usage_error("prepare: %s %s is past the largest ID %u", name, v,
			    PREPARE_ID_MAX);
	return (uint32_t)n;
}

/* A line on stdin that parsed but is not a bind line, as errors show it:
 * an env line without its value (it may be a secret). */
static void die_not_bind(size_t lineno, const struct spec *s)
{
	buf q = { 0 };

	if (s->kind == SPEC_ENV) {
		buf_printf(&q, "\"env %s=...\"", s->name);
	} else {
		buf l = { 0 };
		eb_err e;

		if (spec_write(&l, s, &e))
			buf_adds(&l, "?");
		spec_quote(&q, l.p, l.len && l.p[l.len - 1] == '\n' ? l.len - 1 : l.len);
		buf_free(&l);
	}
	die("prepare: line %zu: spec line %s: only bind lines can be prepared "
	    "(expected bind SRC DST ro|rw)", lineno, q.p);
}

/* --idmap-dir, before prepare_apply: the choice is the lib's
 * (prepare_choose_idmap); each source left chowned is logged with why. */
static void choose_idmap(struct prepare_plan *plan, const struct mountinfo *mi,
			 uint32_t offset, struct prepare_idmap *c)
{
	struct idmap_kver k;
	eb_err e;

	if (idmap_kver_running(&k, &e)) {
		warn("prepare: %s: mount sources are chowned", e.msg);
		return;
	}
	prepare_choose_idmap(plan, mi, k, offset, idmap_probe, c);
	for (size_t i = 0; i < plan->n; i++)
		if (c[i].why[0])
			log_msg(LOG_INFO, "Mount %s: chowned to %u:%u (%s)", plan->v[i].src,
				plan->v[i].uid, plan->v[i].gid, c[i].why);
}

/* --idmap-dir, after prepare_apply: each chosen source is mounted idmapped
 * at DIR/I and its bind line names that; one the kernel refuses after all
 * is chowned as it would have been. */
static void mount_idmapped(const struct prepare_plan *plan, struct spec *binds,
			   const struct prepare_idmap *c, const char *dir, uint32_t offset)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct prepare_step *s = &plan->v[i];
		char *stage;
		eb_err e, why;

		if (!c[i].on)
			continue;
		stage = xasprintf("%s/%zu", dir, i);
		if (idmap_mount_at(s->r.fd, s->path, stage, offset, 65536, IDMAP_NODEV, &e)) {
			if (prepare_own(s->r.fd, c[i].uid, c[i].gid, c[i].chmod ? 02755 : -1,
					&why))
				die("prepare: %s: %s (and no idmapped mount: %s)", s->src,
				    why.msg, e.msg);
			log_msg(LOG_INFO, "Mount %s: chowned to %u:%u (the idmapped mount "
				"failed: %s)", s->src, c[i].uid, c[i].gid, e.msg);
			free(stage);
			continue;
		}
		if (s->create_from)
			log_msg(LOG_INFO, "Mount %s: created owned by %u:%u, idmapped at %s",
				s->src, s->uid, s->gid, stage);
		else if (c[i].owner_set)
			log_msg(LOG_INFO, "Mount %s: idmapped at %s, owner set to %u:%u "
				"(was %u:%u)", s->src, stage, s->uid, s->gid, c[i].was_uid,
				c[i].was_gid);
		else
			log_msg(LOG_INFO, "Mount %s: idmapped at %s, on-disk owners kept",
				s->src, stage);
		free(binds[i].src);
		binds[i].src = stage;
	}
}

static int cmd_prepare(int argc, char **argv)
{
	const char *file = NULL, *home = NULL, *uid_s = NULL, *gid_s = NULL, *v;
	const char *idmap_dir = NULL;
	const char **protect = xcalloc((size_t)argc, sizeof *protect);
	struct prepare_idmap *choice;
	struct prepare_opts o = { .offset = PREPARE_OFFSET };
	struct spec *binds = NULL;
	size_t n = 0, lineno = 0;
	struct prepare_plan plan;
	struct mountinfo mi;
	uint32_t shifted;
	eb_err e;
	buf out = { 0 };
	int rc;

	/* An opt_value chain as every command's (applet.h says why). */
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--uid")))
			o.uid = parse_id("--uid", uid_s = v);
		else if ((v = opt_value(argc, argv, &i, "--gid")))
			o.gid = parse_id("--gid", gid_s = v);
		else if ((v = opt_value(argc, argv, &i, "--offset")))
			o.offset = parse_id("--offset", v);
		else if ((v = opt_value(argc, argv, &i, "--home")))
			home = v;
		else if ((v = opt_value(argc, argv, &i, "--mountinfo")))
			file = v;
		else if ((v = opt_value(argc, argv, &i, "--idmap-dir")))
			idmap_dir = v;
		else if (!strcmp(argv[i], "--nesting"))
			o.nesting = true;
		else if ((v = opt_value(argc, argv, &i, "--protect"))) {
			if (v[0] != '/')
				usage_error("prepare: --protect \"%s\" is not an absolute path", v);
			protect[o.nprotect++] = v;
		} else if (argv[i][0] == '-')
			usage_error("prepare: unknown option '%s'", argv[i]);
		else
			usage_error("prepare: unexpected argument '%s' (bind lines "
				    "come on stdin)", argv[i]);
	}
	if (!uid_s || !gid_s || !home)
		usage_error("prepare: --uid, --gid and --home are required");
	if (home[0] != '/')
		usage_error("prepare: --home \"%s\" is not an absolute path", home);
	if (file && !*file)
		usage_error("prepare: --mountinfo needs a file name");
	if (idmap_dir && idmap_dir[0] != '/')
		usage_error("prepare: --idmap-dir \"%s\" is not an absolute path", idmap_dir);
	/* A shift past the ID space is a mistake in the arguments, found
	 * here whether or not a home mount needs it. */
	if (prepare_shift("--uid", o.uid, o.offset, &shifted, &e) ||
	    prepare_shift("--gid", o.gid, o.offset, &shifted, &e))
		usage_error("prepare: %s", e.msg);
	o.home = home;
	o.protect = protect;

	/* Read every line first: a bad one must stop us before any change. */
	for (;;) {
		binds = xrealloc(binds, (n + 1) * sizeof *binds);
		rc = spec_read(stdin, &binds[n], &lineno, &e);
		if (rc < 0)
			die("prepare: %s", e.msg);
		if (rc == 0)
			break;
		if (binds[n].kind != SPEC_BIND)
			die_not_bind(lineno, &binds[n]);
		if (spec_write_bind(&out, binds[n].src, binds[n].dst, binds[n].ro, &e))
			die("prepare: line %zu: %s", lineno, e.msg);
		n++;
	}
	if (mountinfo_load(&mi, file, &e))
		die("prepare: %s", e.msg);
	if (prepare_plan(&plan, &o, binds, n, &mi, &e))
		die("prepare: %s", e.msg);
	choice = xcalloc(n ? n : 1, sizeof *choice);
	if (idmap_dir)
		choose_idmap(&plan, &mi, o.offset, choice);
	for (size_t i = 0; i < plan.n; i++)
		if (plan.v[i].warning)
			warn("prepare: %s: %s: owner and mode left as they are",
			     plan.v[i].src, plan.v[i].warning);
	if (prepare_apply(&plan, &e))
		die("prepare: %s", e.msg);
	if (idmap_dir) {
		mount_idmapped(&plan, binds, choice, idmap_dir, o.offset);
		buf_reset(&out);
		for (size_t i = 0; i < n; i++)
			if (spec_write_bind(&out, binds[i].src, binds[i].dst, binds[i].ro, &e))
				die("prepare: %s", e.msg);
	}
	put_stdout(&out);
	free(choice);

	prepare_plan_free(&plan);
	mountinfo_free(&mi);
	for (size_t i = 0; i < n; i++)
		spec_free(&binds[i]);
	free(binds);
	free(protect);
	buf_free(&out);
	return 0;
}

/* A table of commands and run_command, as every applet with commands has
 * (applet.h). */
int mounts_main(int argc, char **argv)
{
	static const struct applet_cmd cmds[] = {
		{ "parse", cmd_parse },
		{ "mountinfo", cmd_mountinfo },
		{ "prepare", cmd_prepare },
	};

	return run_command(argc, argv, cmds, sizeof cmds / sizeof *cmds, NULL);
}
