/* test_hostcheck: the verdict over facts (each rule once, from a host that
 * is ready), the text and JSON forms, and the strict parsers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hostcheck.h"
#include "json.h"

#define ALL_CAPS ((int64_t)0x1ffffffffff)

static char data_path[] = "/var/lib/docker", coder_path[] = "/var/lib/coder";
static char ext4[] = "ext4", slash[] = "/";

/* A cgroup v2 host where everything is in place. */
static struct hc_facts ready(void)
{
	return (struct hc_facts){
		.kernel = "6.1.0-18-amd64",
		.cgroup = HC_CG_V2,
		.cg_ctrl = HC_CTRL_ALL,
		.max_userns = 65536,
		.userns_clone = -1,
		.apparmor_userns = -1,
		.init_userns = 1,
		.cap_eff = ALL_CAPS,
		.seccomp = 0,
		.lsm_label = "unconfined",
		.tun = true,
		.fuse = true,
		.gpu_libs = -1,
		.data_root = { data_path, ext4, slash, 50LL << 30 },
		.coder_root = { coder_path, ext4, slash, 50LL << 30 },
	};
}

/* The result named name (the first), or NULL. */
static const struct hc_result *find(const struct hc_report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

/* Judges f; the named check's status, -1 when it is absent. */
static int status_of(const struct hc_facts *f, const char *name, enum hc_status *worst,
		     char **verdict_line)
{
	struct hc_report r;
	const struct hc_result *x;
	int st;
	buf b = { 0 };

	hostcheck_judge(f, &r);
	x = find(&r, name);
	st = x ? (int)x->status : -1;
	if (worst)
		*worst = r.worst;
	hostcheck_text(&r, true, &b);
	if (verdict_line)
		*verdict_line = buf_steal(&b);
	buf_free(&b);
	hostcheck_report_free(&r);
	return st;
}

static bool has(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static void test_verdicts(void)
{
	struct hc_facts f = ready();
	enum hc_status w;
	char *line;

	CHECK(status_of(&f, "cgroup", &w, &line) == HC_OK);
	CHECK(w < HC_DEGRADED);
	CHECK_STR(line, "verdict ready\n");
	free(line);
	CHECK(status_of(&f, "userns_clone", NULL, NULL) == -1); /* absent sysctl: no line */

	/* user.max_user_namespaces=0: cannot start, naming the sysctl. */
	f = ready();
	f.max_userns = 0;
	CHECK(status_of(&f, "userns", &w, &line) == HC_FATAL);
	CHECK(w == HC_FATAL);
	CHECK(has(line, "verdict cannot start: "));
	CHECK(has(line, "sysctl -w user.max_user_namespaces=65536"));
	free(line);
	f.max_userns = -1;
	CHECK(status_of(&f, "userns", &w, NULL) == HC_INFO);
	CHECK(w < HC_DEGRADED);

	/* Hybrid cgroup and no CAP_SYS_RESOURCE: degraded, both named. */
	f = ready();
	f.cgroup = HC_CG_HYBRID;
	f.cgroup2_at = "/sys/fs/cgroup/unified";
	f.cap_eff = ALL_CAPS & ~((int64_t)1 << HC_CAP_SYS_RESOURCE);
	CHECK(status_of(&f, "cgroup", &w, &line) == HC_DEGRADED);
	CHECK(w == HC_DEGRADED);
	CHECK(has(line, "verdict degraded: cgroup v1 (hybrid)"));
	CHECK(has(line, "no CAP_SYS_RESOURCE: oom_score_adj cannot go below 0"));
	free(line);
	CHECK(status_of(&f, "cap_sys_resource", NULL, NULL) == HC_DEGRADED);
	CHECK(status_of(&f, "cap_sys_admin", NULL, NULL) == HC_OK);
	f.cgroup = HC_CG_V1;
	f.cg_ctrl = HC_CTRL_CPU | HC_CTRL_MEMORY;
	CHECK(status_of(&f, "cgroup", NULL, &line) == HC_DEGRADED);
	CHECK(has(line, "cgroup v1: no controller can be delegated to the workspace, no pids"));
	free(line);
	f.cgroup = HC_CG_NONE;
	CHECK(status_of(&f, "cgroup", &w, NULL) == HC_FATAL);
	f.cgroup = HC_CG_UNKNOWN;
	CHECK(status_of(&f, "cgroup", NULL, NULL) == HC_INFO);

	/* v2 without memory to delegate. */
	f = ready();
	f.cg_ctrl = HC_CTRL_CPU | HC_CTRL_PIDS;
	CHECK(status_of(&f, "cgroup", &w, &line) == HC_DEGRADED);
	CHECK(has(line, "cgroup v2 without memory to delegate: CODER_MEMORY is not applied"));
	free(line);
	f.cg_ctrl = -1;
	CHECK(status_of(&f, "cgroup", NULL, NULL) == HC_INFO);

	/* Missing CAP_SYS_ADMIN or CAP_NET_ADMIN: cannot start. A degraded
	 * reason is not in a "cannot start" verdict. */
	f = ready();
	f.cap_eff = ALL_CAPS & ~((int64_t)1 << HC_CAP_SYS_ADMIN) &
		    ~((int64_t)1 << HC_CAP_SYS_RESOURCE);
	CHECK(status_of(&f, "cap_sys_admin", &w, &line) == HC_FATAL);
	CHECK(has(line, "no CAP_SYS_ADMIN"));
	CHECK(!has(line, "SYS_RESOURCE"));
	free(line);
	f.cap_eff = ALL_CAPS & ~((int64_t)1 << HC_CAP_NET_ADMIN);
	CHECK(status_of(&f, "cap_net_admin", &w, NULL) == HC_FATAL);
	f.cap_eff = -1;
	CHECK(status_of(&f, "capabilities", &w, NULL) == HC_INFO);
	CHECK(w < HC_DEGRADED);
	/* CAP_MKNOD only matters for the devices envbox makes. */
	f.cap_eff = ALL_CAPS & ~((int64_t)1 << HC_CAP_MKNOD);
	CHECK(status_of(&f, "cap_mknod", NULL, NULL) == -1);
	f.add_fuse = true;
	CHECK(status_of(&f, "cap_mknod", NULL, NULL) == HC_FATAL);

	/* The data root on the container's own overlay root. */
	f = ready();
	f.data_root.fstype = "overlay";
	CHECK(status_of(&f, "data_root", &w, &line) == HC_FATAL);
	CHECK(has(line, "mount a volume at /var/lib/docker"));
	free(line);
	f.data_root.fstype = ext4;
	f.data_root.avail = 1LL << 30;
	CHECK(status_of(&f, "data_root", &w, NULL) == HC_DEGRADED);
	f.data_root.avail = -1;
	CHECK(status_of(&f, "data_root", &w, NULL) == HC_OK);
	f.data_root.fstype = NULL;
	CHECK(status_of(&f, "data_root", &w, NULL) == HC_INFO);
	f = ready();
	f.coder_root.fstype = "overlay";
	CHECK(status_of(&f, "coder_root", &w, NULL) == HC_INFO);

	/* The userns sysctls: informational in the host's namespace. */
	f = ready();
	f.userns_clone = 0;
	f.apparmor_userns = 1;
	CHECK(status_of(&f, "userns_clone", &w, NULL) == HC_INFO);
	CHECK(status_of(&f, "apparmor_userns", NULL, NULL) == HC_INFO);
	CHECK(w < HC_DEGRADED);
	f.init_userns = 0;
	CHECK(status_of(&f, "userns_clone", &w, &line) == HC_FATAL);
	CHECK(has(line, "sysctl -w kernel.unprivileged_userns_clone=1"));
	free(line);
	CHECK(status_of(&f, "apparmor_userns", NULL, NULL) == HC_DEGRADED);
	f.userns_clone = 1;
	f.apparmor_userns = 0;
	CHECK(status_of(&f, "userns_clone", &w, NULL) == HC_OK);
	CHECK(status_of(&f, "apparmor_userns", NULL, NULL) == HC_OK);

	/* Subordinate IDs. */
	f = ready();
	f.subid[1] = 1;
	CHECK(status_of(&f, "subid", &w, NULL) == HC_INFO);
	f.subid[0] = -1;
	strcpy(f.subid_why[0], "/etc/subuid:1: range overlaps");
	CHECK(status_of(&f, "subid", &w, &line) == HC_FATAL);
	CHECK(has(line, "/etc/subuid:1: range overlaps"));
	free(line);

	/* Seccomp, AppArmor. */
	f = ready();
	f.seccomp = 2;
	CHECK(status_of(&f, "seccomp", &w, NULL) == HC_DEGRADED);
	f.seccomp = -1;
	CHECK(status_of(&f, "seccomp", NULL, NULL) == HC_INFO);
	f = ready();
	f.lsm_label = "docker-default (enforce)";
	CHECK(status_of(&f, "apparmor", &w, NULL) == HC_DEGRADED);
	f.lsm_label = "docker-default (complain)";
	CHECK(status_of(&f, "apparmor", &w, NULL) == HC_INFO);
	f.lsm_label = NULL;
	CHECK(status_of(&f, "apparmor", &w, NULL) == HC_INFO);

	/* sysbox (Docker in the workspace: test_nesting). */
	f = ready();
	CHECK(status_of(&f, "sysbox", NULL, NULL) == HC_INFO);
	f.sysbox_runc = f.sysbox_mgr = true;
	CHECK(status_of(&f, "sysbox", NULL, NULL) == HC_OK);
	f.runtime_override = "runc";
	CHECK(status_of(&f, "sysbox", NULL, NULL) == HC_INFO);

	/* Devices. */
	f = ready();
	f.tun = false;
	CHECK(status_of(&f, "tun", &w, NULL) == HC_INFO);
	f.add_tun = true;
	CHECK(status_of(&f, "tun", &w, NULL) == HC_DEGRADED);

	/* GPUs. */
	f = ready();
	f.add_gpu = true;
	CHECK(status_of(&f, "gpu", &w, NULL) == HC_FATAL);
	f.usr_lib_dir = "/var/coder/usr/lib";
	CHECK(status_of(&f, "gpu", &w, NULL) == HC_DEGRADED);
	f.gpu_devices = 2;
	CHECK(status_of(&f, "gpu", &w, NULL) == HC_DEGRADED);
	f.gpu_libs = 0;
	CHECK(status_of(&f, "gpu", &w, NULL) == HC_DEGRADED);
	f.gpu_libs = 5;
	CHECK(status_of(&f, "gpu", &w, NULL) == HC_OK);

	/* Mount sources: idmapped or chowned, never worse than info. */
	{
		struct hc_mount m[2] = { { .src = "/home/coder", .probed = true, .idmap = true },
					 { .src = "/mnt/nfs", .probed = true } };

		f = ready();
		f.mount = m;
		f.nmount = 2;
		CHECK(status_of(&f, "idmap", &w, NULL) == HC_OK);
		CHECK(w < HC_DEGRADED);
		f.mount = m + 1;
		f.nmount = 1;
		CHECK(status_of(&f, "idmap", &w, NULL) == HC_INFO);
		CHECK(w < HC_DEGRADED);
		f.config_error = "CODER_MOUNTS: entry \"x\": bad";
		CHECK(status_of(&f, "config", &w, NULL) == HC_FATAL);
	}

	/* Kernel. */
	f = ready();
	f.kernel = "5.10.0";
	CHECK(status_of(&f, "kernel", NULL, NULL) == HC_INFO);
	f.kernel = NULL;
	CHECK(status_of(&f, "kernel", &w, NULL) == HC_INFO);
	CHECK(w < HC_DEGRADED);
}

/* The docker_in_workspace line: its status, whether its message starts
 * with want ("yes: nesting ", "yes: sysbox" or "no: ": what the entrypoint
 * reads) and holds part, and the verdict line holds verdict (NULL: not
 * checked). */
static bool nesting_is(const struct hc_facts *f, enum hc_status st, const char *want,
		       const char *part, const char *verdict)
{
	struct hc_report r;
	const struct hc_result *x;
	buf b = { 0 };
	bool ok;

	hostcheck_judge(f, &r);
	x = find(&r, "docker_in_workspace");
	hostcheck_text(&r, true, &b);
	ok = x && x->status == st && !strncmp(x->message, want, strlen(want)) &&
	     has(x->message, part) && (!verdict || has(b.p, verdict));
	if (!ok)
		fprintf(stderr, "docker_in_workspace: %s %s | %s", x ? hc_status_name(x->status) : "-",
			x ? x->message : "(none)", b.p);
	buf_free(&b);
	hostcheck_report_free(&r);
	return ok;
}

/* Docker inside the workspace: sysbox, or runc's nesting on cgroup v2 as
 * ENVBOX_NESTING says; the kernel that cannot mount overlay in a user
 * namespace. */
static void test_nesting(void)
{
	struct hc_facts f = ready();

	/* runc on cgroup v2: nesting, with auto (unset) and on. */
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting (runc, cgroup v2)", "verdict ready"));
	f.nesting = "on";
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting (runc, cgroup v2)", "verdict ready"));
	f.nesting = "off";
	CHECK(nesting_is(&f, HC_INFO, "no: ", "ENVBOX_NESTING=off", "verdict ready"));

	/* cgroup v1: without it, said; on makes that fatal, naming why. */
	f = ready();
	f.cgroup = HC_CG_HYBRID;
	CHECK(nesting_is(&f, HC_INFO, "no: ", "this host is cgroup v1 (hybrid)", NULL));
	f.cgroup = HC_CG_V1;
	CHECK(nesting_is(&f, HC_INFO, "no: ", "no: this host is cgroup v1: the workspace cannot run", NULL));
	f.nesting = "on";
	CHECK(nesting_is(&f, HC_FATAL, "no: ", "ENVBOX_NESTING=on",
			 "verdict cannot start: ENVBOX_NESTING=on, but this host is cgroup v1: "
			 "nesting needs cgroup v2 (or sysbox)"));
	f.nesting = "off";
	CHECK(nesting_is(&f, HC_INFO, "no: ", "ENVBOX_NESTING=off", NULL));
	f = ready();
	f.cgroup = HC_CG_UNKNOWN;
	CHECK(nesting_is(&f, HC_INFO, "no: ", "the cgroup version is unknown", NULL));
	f.nesting = "on";
	CHECK(nesting_is(&f, HC_FATAL, "no: ", "the cgroup version is unknown",
			 "verdict cannot start: ENVBOX_NESTING=on, but the cgroup version is unknown"));

	/* Overlay in a user namespace: 5.11 and later. */
	f = ready();
	f.kernel = "5.10.0-28-amd64";
	CHECK(nesting_is(&f, HC_DEGRADED, "yes: nesting ", "older than 5.11",
			 "verdict degraded: kernel 5.10.0-28-amd64 is older than 5.11: a dockerd "
			 "in the workspace cannot use overlay2"));
	f.kernel = "4.19.0";
	CHECK(nesting_is(&f, HC_DEGRADED, "yes: nesting ", "falls back from overlay2", NULL));
	f.kernel = "5.11.0";
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting", "verdict ready"));
	f.kernel = NULL;
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting", NULL));
	f.kernel = "weird";
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting", NULL));
	f.kernel = "5.4.0";
	f.nesting = "off";
	CHECK(nesting_is(&f, HC_INFO, "no: ", "ENVBOX_NESTING=off", "verdict ready"));
	f.cgroup = HC_CG_V1;
	f.nesting = "auto";
	CHECK(nesting_is(&f, HC_INFO, "no: ", "cgroup v1", NULL));

	/* sysbox: its own way, whatever ENVBOX_NESTING and the cgroup. */
	f = ready();
	f.sysbox_runc = true;
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting (runc", NULL)); /* mgr missing: runc */
	f.sysbox_mgr = true;
	CHECK(nesting_is(&f, HC_OK, "yes: sysbox", "sysbox lets the workspace", NULL));
	f.cgroup = HC_CG_V1;
	f.nesting = "on";
	CHECK(nesting_is(&f, HC_OK, "yes: sysbox", "sysbox", "verdict degraded")); /* the cgroup line */

	/* ENVBOX_INNER_RUNTIME chooses. */
	f = ready();
	f.sysbox_runc = f.sysbox_mgr = true;
	f.runtime_override = "runc";
	CHECK(nesting_is(&f, HC_OK, "yes: nesting ", "nesting (runc", NULL));
	f.runtime_override = "crun";
	CHECK(nesting_is(&f, HC_INFO, "no: ", "not crun", NULL));
	f = ready();
	f.runtime_override = "sysbox-runc";
	CHECK(nesting_is(&f, HC_OK, "yes: sysbox", "sysbox", NULL));
}

static void test_text_and_json(void)
{
	struct hc_facts f = ready();
	struct hc_report r;
	buf b = { 0 };
	json_doc d;
	eb_err e;
	char *s;

	f.max_userns = 0;
	f.data_root.fstype = "overlay";
	f.seccomp = 2;
	hostcheck_judge(&f, &r);
	CHECK_STR(hostcheck_verdict(&r), "cannot start");
	hostcheck_text(&r, false, &b);
	CHECK(str_starts(b.p, "kernel ok: 6.1.0-18-amd64\ncgroup ok: "));
	CHECK(has(b.p, "\nuserns fatal: user.max_user_namespaces=0"));
	CHECK(has(b.p, "\nseccomp degraded: "));
	/* The verdict is the last line and names only the fatal reasons. */
	s = strstr(b.p, "\nverdict cannot start: ");
	CHECK(s && !strchr(s + 1, '\n')[1]);
	CHECK(s && !has(s, "seccomp"));
	buf_reset(&b);

	hostcheck_json(&r, &b);
	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	CHECK(json_str_eq(&d, json_get(&d, 0, "verdict", NULL), "cannot start"));
	CHECK(json_size(&d, json_get(&d, 0, "reasons", NULL)) == 2);
	CHECK(json_size(&d, json_get(&d, 0, "checks", NULL)) == (int)r.n);
	CHECK(json_str_eq(&d, json_path(&d, 0, "checks[0].name"), "kernel"));
	CHECK(json_str_eq(&d, json_path(&d, 0, "checks[0].status"), "ok"));
	CHECK(json_get(&d, json_path(&d, 0, "checks[0]"), "reason", NULL) < 0);
	json_free(&d);
	buf_free(&b);
	hostcheck_report_free(&r);
}

static void test_parsers(void)
{
	int64_t cap;
	int sec;
	long long v;
	eb_err e;
	char *p;

#define STATUS(s) hostcheck_parse_status(s, strlen(s), &cap, &sec, &e)
	CHECK(STATUS("Name:\tx\nCapEff:\t000001fffeffffff\nSeccomp:\t2\n") == 0);
	CHECK(cap == 0x1fffeffffffLL && sec == 2);
	CHECK(STATUS("Name:\tx\n") == 0);
	CHECK(cap == -1 && sec == -1);
	CHECK(STATUS("CapEff:\t0000000000000000") == 0 && cap == 0);
	CHECK(STATUS("CapEff:\t00000xyz\n") == -1);
	CHECK(STATUS("CapEff:\t\n") == -1);
	CHECK(STATUS("CapEff:\t00000000000000001\n") == -1); /* 17 digits */
	CHECK(STATUS("CapEff:\tffffffffffffffff\n") == -1);  /* bit 63 */
	CHECK(STATUS("CapEff:\t1\nCapEff:\t1\n") == -1);     /* twice */
	CHECK(STATUS("Seccomp:\t3\n") == -1);
	CHECK(STATUS("Seccomp:\t10\n") == -1);
	CHECK(STATUS("CapEffX:\t1\nSeccomp_filters:\t9\n") == 0 && cap == -1 && sec == -1);
#undef STATUS

	p = hostcheck_parse_cgroup("12:pids:/a\n0::/kubepods/x\n", strlen("12:pids:/a\n0::/kubepods/x\n"));
	CHECK_STR(p, "/kubepods/x");
	free(p);
	CHECK(!hostcheck_parse_cgroup("1:cpu:/\n", strlen("1:cpu:/\n")));
	CHECK(!hostcheck_parse_cgroup("0::x\n", strlen("0::x\n")));
	CHECK(!hostcheck_parse_cgroup("0::/a\tb\n", strlen("0::/a\tb\n")));

	CHECK(hostcheck_parse_controllers("cpuset cpu io memory hugetlb pids rdma misc\n", strlen("cpuset cpu io memory hugetlb pids rdma misc\n")) ==
	      HC_CTRL_ALL);
	CHECK(hostcheck_parse_controllers("cpuset io memory\n", strlen("cpuset io memory\n")) == HC_CTRL_MEMORY);
	CHECK(hostcheck_parse_controllers("", strlen("")) == 0);

	CHECK(hostcheck_parse_sysctl("0\n", strlen("0\n"), &v) == 0 && v == 0);
	CHECK(hostcheck_parse_sysctl("96363\n", strlen("96363\n"), &v) == 0 && v == 96363);
	CHECK(hostcheck_parse_sysctl("-1", strlen("-1"), &v) == 0 && v == -1);
	CHECK(hostcheck_parse_sysctl("", strlen(""), &v) == -1);
	CHECK(hostcheck_parse_sysctl("\n", strlen("\n"), &v) == -1);
	CHECK(hostcheck_parse_sysctl("1 2\n", strlen("1 2\n"), &v) == -1);
	CHECK(hostcheck_parse_sysctl("12x", strlen("12x"), &v) == -1);
	CHECK(hostcheck_parse_sysctl("1\n\n", strlen("1\n\n"), &v) == -1);
	CHECK(hostcheck_parse_sysctl("9999999999999999999", strlen("9999999999999999999"), &v) == -1);

	CHECK(hostcheck_parse_uid_map("         0          0 4294967295\n", strlen("         0          0 4294967295\n")) == 1);
	CHECK(hostcheck_parse_uid_map("         0     100000      65536\n", strlen("         0     100000      65536\n")) == 0);
	CHECK(hostcheck_parse_uid_map("0 0 4294967295\n1 1 1\n", strlen("0 0 4294967295\n1 1 1\n")) == 0);
	CHECK(hostcheck_parse_uid_map("0 0\n", strlen("0 0\n")) == -1);
	CHECK(hostcheck_parse_uid_map("0 0 1 2\n", strlen("0 0 1 2\n")) == -1);
	CHECK(hostcheck_parse_uid_map("", strlen("")) == -1);
	CHECK(hostcheck_parse_uid_map("0 0 99999999999\n", strlen("0 0 99999999999\n")) == -1);
}

int main(void)
{
	test_verdicts();
	test_nesting();
	test_text_and_json();
	test_parsers();
	return check_done("test_hostcheck");
}
