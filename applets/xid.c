/* envbox-xid: user-namespace ID mapping on the host side — subordinate ID
 * ranges for dockerd's userns-remap (subuid(5)), shifting a tree's
 * ownership, probing a path's filesystem for idmapped-mount support, and
 * idmapped bind mounts (mount_setattr(2)). The rules: lib/subid.h,
 * lib/xid.h, lib/idmap.h; docs/envbox-xid.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "idmap.h"
#include "json.h"
#include "mountinfo.h"
#include "subid.h"
#include "xid.h"

const char xid_usage[] =
	"Usage: envbox-xid subid [--user NAME] [--start N] [--count N] [--root DIR]\n"
	"       envbox-xid shift --offset N [--uid U] [--gid G] PATH...\n"
	"       envbox-xid shift --offset N --recursive [--reverse] [--count N] PATH...\n"
	"       envbox-xid probe [--json] [--kernel RELEASE] PATH\n"
	"       envbox-xid idmap --offset N [--count N] SRC DST\n"
	"\n"
	"subid    Make sure user NAME (coder) exists, creating it as a system user\n"
	"         (useradd --system --user-group) when missing, and owns the range\n"
	"         N:COUNT (100000:65536) in /etc/subuid and /etc/subgid, appending\n"
	"         \"NAME:N:COUNT\" where missing; other lines are kept byte for byte\n"
	"         and each file is replaced whole (temporary file, rename). Refused:\n"
	"         a range overlapping another owner's, or NAME holding other ranges\n"
	"         but not this one. Prints \"user NAME UID created|exists\" and\n"
	"         \"subuid|subgid NAME:N:COUNT added|present\". Idempotent.\n"
	"shift    Without --recursive: set each PATH's owner to U+N:G+N (U and G\n"
	"         default to 0). With --recursive: move the owner and group of\n"
	"         PATH and every entry below it by +N (--reverse: by -N). Either\n"
	"         way symlinks are never followed (their own owner changes), set-ID\n"
	"         bits and file capabilities, which chown drops, are put back, and\n"
	"         PATH is resolved first; \"/\" is refused. Recursive: the walk stays\n"
	"         on PATH's filesystem and mount, a hard-linked file changes once,\n"
	"         ACL entries and a namespaced capability's root move too. Every\n"
	"         PATH is checked before anything changes: an ID outside the range\n"
	"         (0..COUNT-1 before +N, N..N+COUNT-1 before -N) or one that would\n"
	"         leave 0..4294967294 is listed and nothing is changed.\n"
	"probe    Print what backs PATH and whether it can be mounted idmapped:\n"
	"             fstype TYPE         libblkid's type on the backing device, or\n"
	"                                 statfs's for a filesystem without one\n"
	"             source DEVICE|none  the backing block device\n"
	"             idmap yes|no REASON by filesystem and kernel version\n"
	"         A missing PATH is probed at its nearest existing parent.\n"
	"idmap    Bind SRC at DST as an idmapped mount (with the mounts below SRC):\n"
	"         IDs 0..COUNT-1 on disk show as N..N+COUNT-1, so a container whose\n"
	"         root is host uid N sees the on-disk owners and nothing is chowned.\n"
	"         DST is created when missing (a directory, or a file for a file).\n"
	"\n"
	"Options:\n"
	"  --user NAME       (subid) the user dockerd remaps to (coder)\n"
	"  --start N         (subid) first subordinate ID (100000)\n"
	"  --count N         (subid, idmap) how many IDs (65536); (shift --recursive)\n"
	"                    the range entries must lie in, 0 for any (65536)\n"
	"  --root DIR        (subid) use DIR/etc/passwd, group, subuid, subgid\n"
	"  --offset N        (shift, idmap) the host ID of the inner root\n"
	"  --uid U, --gid G  (shift) the owner to set, before the offset (0)\n"
	"  --recursive       (shift) every entry below PATH, each by its own IDs\n"
	"  --reverse         (shift --recursive) move by -N instead of +N\n"
	"  --json            (probe) print a JSON object instead of lines\n"
	"  --kernel RELEASE  (probe) judge for this kernel release, not uname's\n"
	"  -h, --help        print this help\n"
	"\n"
	"Exit codes: 0 done, 1 failed (a range conflict, useradd failed, an entry\n"
	"that cannot be shifted, \"/\", a path no mount holds, the kernel or the\n"
	"filesystem cannot idmap), 2 usage error.\n";

#define DEFAULT_USER "coder"
#define DEFAULT_START 100000u
#define DEFAULT_COUNT 65536u

/* A number chown(2) can take as an ID. */
static uint32_t parse_id(const char *cmd, const char *name, const char *v)
{
	long long n = parse_count(name, v);

	if (n > (long long)XID_ID_MAX)
		usage_error("%s: %s %s is past the largest ID %u", cmd, name, v, XID_ID_MAX);
	return (uint32_t)n;
}

/* start..start+count-1 must be real IDs; count at least 1. */
static void check_range(const char *cmd, uint32_t start, uint32_t count)
{
	if (count == 0)
		usage_error("%s: --count must be at least 1", cmd);
	if ((uint64_t)start + count - 1 > XID_ID_MAX)
		usage_error("%s: range %u+%u is past the largest ID %u", cmd, start, count,
			    XID_ID_MAX);
}

static int cmd_subid(int argc, char **argv)
{
	const char *user = DEFAULT_USER, *root = "", *v;
	uint32_t start = DEFAULT_START, count = DEFAULT_COUNT;
	struct subid_result r;
	eb_err e;
	buf out = { 0 };

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--user")))
			user = v;
		else if ((v = opt_value(argc, argv, &i, "--start")))
			start = parse_id("subid", "--start", v);
		else if ((v = opt_value(argc, argv, &i, "--count")))
			count = parse_id("subid", "--count", v);
		else if ((v = opt_value(argc, argv, &i, "--root")))
			root = v;
		else if (argv[i][0] == '-')
			usage_error("subid: unknown option '%s'", argv[i]);
		else
			usage_error("subid: unexpected argument '%s'", argv[i]);
	}
	if (!*user || user[0] == '-' || strpbrk(user, ": \t\n\r/"))
		usage_error("subid: \"%s\" cannot be a user name", user);
	if (*root && root[0] != '/')
		usage_error("subid: --root \"%s\" is not an absolute path", root);
	/* 0 is the host's root: a container must never map onto it. */
	if (start == 0)
		usage_error("subid: --start 0 would map the container onto host root");
	check_range("subid", start, count);

	if (subid_ensure(root, user, start, count, &r, &e))
		die("subid: %s", e.msg);
	buf_printf(&out, "user %s %lu %s\n", user, r.uid, r.user_created ? "created" : "exists");
	buf_printf(&out, "subuid %s:%u:%u %s\n", user, start, count,
		   r.added[0] ? "added" : "present");
	buf_printf(&out, "subgid %s:%u:%u %s\n", user, start, count,
		   r.added[1] ? "added" : "present");
	put_stdout(&out);
	buf_free(&out);
	return 0;
}

static int cmd_shift(int argc, char **argv)
{
	const char *v, *offset_s = NULL, *uid_s = NULL, *gid_s = NULL, *count_s = NULL;
	struct shift_opts o = { .span = DEFAULT_COUNT };
	bool reverse = false, dashdash = false;
	uint32_t offset = 0;
	char **paths = xcalloc((size_t)argc, sizeof *paths);
	struct shift_report *rep;
	size_t np = 0, bad = 0, listed = 0, done;
	eb_err e;

	for (int i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || !argv[i][1])
			paths[np++] = argv[i];
		else if (!strcmp(argv[i], "--"))
			dashdash = true;
		else if (!strcmp(argv[i], "--recursive") || !strcmp(argv[i], "-R"))
			o.recursive = true;
		else if (!strcmp(argv[i], "--reverse"))
			reverse = true;
		else if ((v = opt_value(argc, argv, &i, "--offset")))
			offset = parse_id("shift", "--offset", offset_s = v);
		else if ((v = opt_value(argc, argv, &i, "--uid")))
			o.uid = parse_id("shift", "--uid", uid_s = v);
		else if ((v = opt_value(argc, argv, &i, "--gid")))
			o.gid = parse_id("shift", "--gid", gid_s = v);
		else if ((v = opt_value(argc, argv, &i, "--count")))
			o.span = parse_id("shift", "--count", count_s = v);
		else
			usage_error("shift: unknown option '%s'", argv[i]);
	}
	if (!offset_s)
		usage_error("shift: --offset is required");
	if (np == 0)
		usage_error("shift: expected at least one PATH");
	if (o.recursive && (uid_s || gid_s))
		usage_error("shift: --uid and --gid set one owner; --recursive moves each "
			    "entry's own (use one or the other)");
	if (!o.recursive && (reverse || count_s))
		usage_error("shift: %s needs --recursive", reverse ? "--reverse" : "--count");
	if (o.recursive) {
		o.delta = reverse ? -(int64_t)offset : (int64_t)offset;
		o.lo = reverse ? offset : 0;
		if (o.span && (uint64_t)o.lo + o.span - 1 > XID_ID_MAX)
			usage_error("shift: range %u+%u is past the largest ID %u", o.lo,
				    o.span, XID_ID_MAX);
	} else {
		if ((uint64_t)o.uid + offset > XID_ID_MAX || (uint64_t)o.gid + offset > XID_ID_MAX)
			usage_error("shift: --uid/--gid + --offset %u is past the largest ID %u",
				    offset, XID_ID_MAX);
		o.uid += offset;
		o.gid += offset;
	}

	/* Every path is checked before any changes. */
	rep = xcalloc(np, sizeof *rep);
	for (size_t i = 0; i < np; i++) {
		if (shift_check(paths[i], &o, &rep[i], &e))
			die("shift: %s", e.msg);
		bad += rep[i].total;
		for (size_t j = 0; j < rep[i].n && listed < XID_SHIFT_REPORT_MAX; j++, listed++)
			warn("shift: %s: %s", rep[i].v[j].path, rep[i].v[j].why);
	}
	if (bad)
		die("shift: %zu %s cannot be shifted by %s%u%s; nothing was changed", bad,
		    bad == 1 ? "entry" : "entries", reverse ? "-" : "+", offset,
		    bad > listed ? " (the first are listed)" : "");
	for (size_t i = 0; i < np; i++) {
		if (shift_apply(paths[i], &o, &done, &e))
			die("shift: %s (%zu entries of %s were shifted before)", e.msg, done,
			    paths[i]);
		shift_report_free(&rep[i]);
	}
	free(rep);
	free(paths);
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	const char *path = NULL, *kernel = NULL, *v;
	bool json = false, dashdash = false;
	struct idmap_kver k;
	struct idmap_probe p;
	struct mountinfo mi;
	eb_err e;
	buf out = { 0 };

	for (int i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || !argv[i][1]) {
			if (path)
				usage_error("probe: one PATH at most (got \"%s\" and \"%s\")",
					    path, argv[i]);
			path = argv[i];
		} else if (!strcmp(argv[i], "--")) {
			dashdash = true;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if ((v = opt_value(argc, argv, &i, "--kernel"))) {
			kernel = v;
		} else {
			usage_error("probe: unknown option '%s'", argv[i]);
		}
	}
	if (!path)
		usage_error("probe: expected a PATH");
	if (kernel && idmap_kver_parse(kernel, &k))
		usage_error("probe: --kernel \"%s\" is not a release like 6.1.0", kernel);
	if (!kernel && idmap_kver_running(&k, &e))
		die("probe: %s", e.msg);
	if (mountinfo_load(&mi, NULL, &e))
		die("probe: %s", e.msg);
	if (idmap_probe(path, &mi, k, &p, &e))
		die("probe: %s", e.msg);

	if (json) {
		json_w w;
		char kv[32];

		jw_init(&w, &out);
		jw_obj(&w);
		jw_kstr(&w, "path", p.path);
		jw_kstr(&w, "mount", p.target);
		jw_kstr(&w, "driver", p.driver);
		jw_kstr(&w, "fstype", p.fstype);
		jw_key(&w, "source");
		if (p.source)
			jw_str(&w, p.source);
		else
			jw_null(&w);
		jw_kbool(&w, "idmap", p.idmap);
		jw_kstr(&w, "reason", p.why);
		snprintf(kv, sizeof kv, "%u.%u", k.major, k.minor);
		jw_kstr(&w, "kernel", kv);
		jw_obj_end(&w);
		buf_addc(&out, '\n');
	} else {
		buf_printf(&out, "fstype %s\nsource %s\nidmap %s %s\n", p.fstype,
			   p.source ? p.source : "none", p.idmap ? "yes" : "no", p.why);
	}
	put_stdout(&out);
	buf_free(&out);
	idmap_probe_free(&p);
	mountinfo_free(&mi);
	return 0;
}

static int cmd_idmap(int argc, char **argv)
{
	const char *args[2] = { NULL, NULL }, *v, *offset_s = NULL;
	uint32_t offset = 0, count = DEFAULT_COUNT;
	bool dashdash = false;
	int n = 0;
	eb_err e;

	for (int i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || !argv[i][1]) {
			if (n == 2)
				usage_error("idmap: expected SRC DST, got a third argument '%s'",
					    argv[i]);
			args[n++] = argv[i];
		} else if (!strcmp(argv[i], "--")) {
			dashdash = true;
		} else if ((v = opt_value(argc, argv, &i, "--offset"))) {
			offset = parse_id("idmap", "--offset", offset_s = v);
		} else if ((v = opt_value(argc, argv, &i, "--count"))) {
			count = parse_id("idmap", "--count", v);
		} else {
			usage_error("idmap: unknown option '%s'", argv[i]);
		}
	}
	if (!offset_s)
		usage_error("idmap: --offset is required");
	if (n != 2)
		usage_error("idmap: expected SRC DST");
	check_range("idmap", offset, count);
	if (args[1][0] != '/')
		usage_error("idmap: DST \"%s\" is not an absolute path", args[1]);
	if (idmap_mount(args[0], args[1], offset, count, &e))
		die("idmap: %s", e.msg);
	return 0;
}

/* A table of commands and run_command, as every applet with commands has
 * (applet.h). */
int xid_main(int argc, char **argv)
{
	static const struct applet_cmd cmds[] = {
		{ "subid", cmd_subid },
		{ "shift", cmd_shift },
		{ "probe", cmd_probe },
		{ "idmap", cmd_idmap },
	};

	return run_command(argc, argv, cmds, sizeof cmds / sizeof *cmds, NULL);
}
