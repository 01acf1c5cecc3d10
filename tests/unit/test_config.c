/* Unit tests for lib/config (CODER_* validation) and lib/dockerd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "dockerd.h"
#include "log.h"

/* A fake environment: NAME=VALUE strings, NULL-terminated. */
static const char *const *fake;

static const char *get(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *p = fake; p && *p; p++)
		if (!strncmp(*p, name, n) && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

#define BASE "CODER_INNER_IMAGE=registry.example.com/ws:1", "CODER_INNER_USERNAME=coder"

/* Loads env and returns the error message ("" when it loaded). */
static const char *load(struct envbox_config *c, const char *const *env)
{
	static eb_err e;

	fake = env;
	e.msg[0] = 0;
	if (config_load(c, get, &e) == 0)
		return "";
	return e.msg;
}

static void defaults(void)
{
	struct envbox_config c;
	const char *env[] = { BASE, NULL };

	CHECK_STR(load(&c, env), "");
	CHECK_STR(c.container, "workspace_cvm");
	CHECK_STR(c.hostname, "workspace_cvm");
	CHECK_STR(c.bip, "172.19.0.1/30");
	CHECK(c.workdir == NULL);
	CHECK(c.cpus == 0 && c.memory == 0);
	CHECK_STR(c.nesting, "auto");
	CHECK(!c.add_tun && !c.add_fuse && !c.add_gpu && !c.debug);
}

static void everything_set(void)
{
	struct envbox_config c;
	const char *env[] = { BASE, "CODER_CVM_CONTAINER_NAME=ws_2", "CODER_INNER_HOSTNAME=dev-box",
		"CODER_INNER_WORK_DIR=/home/coder", "CODER_DOCKER_BRIDGE_CIDR=10.20.0.0/24",
		"CODER_CPUS=4", "CODER_MEMORY=2147483648", "CODER_ADD_TUN=true", "CODER_ADD_FUSE=1",
		"CODER_ADD_GPU=TRUE", "CODER_USR_LIB_DIR=/var/coder/usr/lib",
		"CODER_DISABLE_IDMAPPED_MOUNT=t", "CODER_DEBUG=false",
		"CODER_MOUNTS=/home/coder:/home/coder,/s:/s:ro", "CODER_INNER_ENVS=KUBERNETES_*,MY_ENV",
		"CODER_AGENT_URL=https://coder.example.com", NULL };

	CHECK_STR(load(&c, env), "");
	CHECK_STR(c.container, "ws_2");
	CHECK_STR(c.hostname, "dev-box");
	CHECK_STR(c.workdir, "/home/coder");
	CHECK_STR(c.bip, "10.20.0.1/24");
	CHECK(c.cpus == 4000);
	CHECK(c.memory == 2147483648ULL);
	CHECK(c.add_tun && c.add_fuse && c.add_gpu && c.disable_idmapped_mount && !c.debug);
}

/* Each bad value is refused with a message naming its variable. */
static void refusals(void)
{
	static const struct {
		const char *set, *want;
	} cases[] = {
		{ "CODER_CPUS=abc", "CODER_CPUS" },
		{ "CODER_CPUS=0", "CODER_CPUS" },
		{ "CODER_CPUS=-1", "CODER_CPUS" },
		{ "CODER_MEMORY=lots", "CODER_MEMORY" },
		{ "CODER_MEMORY=-5", "CODER_MEMORY" },
		{ "CODER_DOCKER_BRIDGE_CIDR=10.0.0.0", "CODER_DOCKER_BRIDGE_CIDR" },
		{ "CODER_DOCKER_BRIDGE_CIDR=10.0.0.0/33", "CODER_DOCKER_BRIDGE_CIDR" },
		{ "CODER_DOCKER_BRIDGE_CIDR=300.0.0.0/8", "CODER_DOCKER_BRIDGE_CIDR" },
		{ "CODER_ADD_TUN=yes", "CODER_ADD_TUN" },
		{ "CODER_ADD_FUSE=2", "CODER_ADD_FUSE" },
		{ "CODER_DISABLE_IDMAPPED_MOUNT=on", "CODER_DISABLE_IDMAPPED_MOUNT" },
		{ "CODER_DEBUG=verbose", "CODER_DEBUG" },
		{ "CODER_ADD_GPU=true", "CODER_USR_LIB_DIR" },
		{ "CODER_MOUNTS=/a", "CODER_MOUNTS" },
		{ "CODER_MOUNTS=/a:/b:rx", "CODER_MOUNTS" },
		{ "CODER_MOUNTS=a:/b", "CODER_MOUNTS" },
		{ "CODER_INNER_ENVS=BAD NAME", "CODER_INNER_ENVS" },
		{ "CODER_CVM_CONTAINER_NAME=-x", "CODER_CVM_CONTAINER_NAME" },
		{ "CODER_CVM_CONTAINER_NAME=a/b", "CODER_CVM_CONTAINER_NAME" },
		{ "CODER_INNER_HOSTNAME=under_score", "CODER_INNER_HOSTNAME" },
		{ "CODER_INNER_HOSTNAME=-lead", "CODER_INNER_HOSTNAME" },
		{ "CODER_INNER_WORK_DIR=relative", "CODER_INNER_WORK_DIR" },
		{ "CODER_EXTRA_CERTS_PATH=/nonexistent/certs", "CODER_EXTRA_CERTS_PATH" },
		{ "CODER_AGENT_URL=coder.example.com", "CODER_AGENT_URL" },
	};
	struct envbox_config c;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *env[] = { BASE, cases[i].set, NULL };
		const char *msg = load(&c, env);

		CHECK(strstr(msg, cases[i].want) != NULL);
		if (!strstr(msg, cases[i].want))
			fprintf(stderr, "  %s gave \"%s\"\n", cases[i].set, msg);
	}
}

/* ENVBOX_NESTING: auto, on or off; anything else named. */
static void nesting(void)
{
	static const char *const ok[] = { "auto", "on", "off" };
	struct envbox_config c;

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char *v = xasprintf("ENVBOX_NESTING=%s", ok[i]);
		const char *env[] = { BASE, v, NULL };

		CHECK_STR(load(&c, env), "");
		CHECK_STR(c.nesting, ok[i]);
		free(v);
	}
	{
		const char *env[] = { BASE, "ENVBOX_NESTING=yes", NULL };

		CHECK_STR(load(&c, env), "ENVBOX_NESTING \"yes\": expected auto, on or off");
	}
	{
		const char *env[] = { BASE, "ENVBOX_NESTING=", NULL };

		CHECK_STR(load(&c, env), "");
		CHECK_STR(c.nesting, "auto");
	}
}

static void required(void)
{
	struct envbox_config c;
	const char *none[] = { NULL };
	const char *no_user[] = { "CODER_INNER_IMAGE=ubuntu", NULL };
	const char *empty_user[] = { "CODER_INNER_IMAGE=ubuntu", "CODER_INNER_USERNAME=", NULL };
	const char *bad_image[] = { "CODER_INNER_IMAGE=Ubuntu:Bad Tag", "CODER_INNER_USERNAME=coder", NULL };
	const char *bad_user[] = { "CODER_INNER_IMAGE=ubuntu", "CODER_INNER_USERNAME=a b", NULL };

	CHECK(strstr(load(&c, none), "CODER_INNER_IMAGE is required"));
	CHECK(strstr(load(&c, no_user), "CODER_INNER_USERNAME is required"));
	CHECK(strstr(load(&c, empty_user), "CODER_INNER_USERNAME is required"));
	CHECK(strstr(load(&c, bad_image), "CODER_INNER_IMAGE \"Ubuntu:Bad Tag\""));
	CHECK(strstr(load(&c, bad_user), "CODER_INNER_USERNAME"));
}

static void names(void)
{
	CHECK(valid_container_name("workspace_cvm"));
	CHECK(valid_container_name("a1.b-c_d"));
	CHECK(!valid_container_name("a"));
	CHECK(!valid_container_name("_a"));
	CHECK(!valid_container_name("a b"));
	CHECK(valid_hostname("workspace_cvm") == false);
	CHECK(valid_hostname("dev"));
	CHECK(valid_hostname("a.b-c.d"));
	CHECK(!valid_hostname("a..b"));
	CHECK(!valid_hostname("a-"));
	CHECK(!valid_hostname("a.-b"));
	CHECK(!valid_hostname(""));
	CHECK(!valid_hostname("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static char *joined(char **v)
{
	buf b = { 0 };

	for (; *v; v++) {
		if (b.len)
			buf_addc(&b, ' ');
		buf_adds(&b, *v);
	}
	return buf_steal(&b);
}

static void no_space_driver(void)
{
	char why[256];

	CHECK_STR(dockerd_no_space_driver(NULL, true, true, why, sizeof why), "fuse-overlayfs");
	CHECK(strstr(why, "/dev/fuse and fuse-overlayfs are here"));
	CHECK_STR(dockerd_no_space_driver("auto", true, false, why, sizeof why), "vfs");
	CHECK(strstr(why, "fuse-overlayfs is not installed"));
	CHECK_STR(dockerd_no_space_driver("", false, true, why, sizeof why), "vfs");
	CHECK(strstr(why, "/dev/fuse cannot be opened"));
	CHECK_STR(dockerd_no_space_driver("vfs", true, true, why, sizeof why), "vfs");
	CHECK(strstr(why, "as ENVBOX_NO_SPACE_DRIVER asks"));
	CHECK_STR(dockerd_no_space_driver("fuse-overlayfs", false, true, why, sizeof why), "vfs");
	CHECK(dockerd_no_space_driver("overlay2", true, true, why, sizeof why) == NULL);
}

/* dockerd_argv(o), its arguments joined by spaces, is want. */
#define CHECK_ARGV(o, want)                                \
	do {                                               \
		char **v_ = dockerd_argv(o);               \
		char *s_ = joined(v_);                     \
		CHECK_STR(s_, (want));                     \
		free(s_);                                  \
		dockerd_argv_free(v_);                     \
	} while (0)

static void dockerd_args(void)
{
	static const struct {
		const char *exe, *want;
	} prelude_paths[] = {
		{ "/usr/local/bin/envbox-bin", "/usr/local/libexec/envbox/cgroup-v2-prelude" },
		{ "/w/build/root/bin/envbox-bin", "/w/build/root/libexec/envbox/cgroup-v2-prelude" },
		{ "/envbox-bin", "/libexec/envbox/cgroup-v2-prelude" },
		{ "envbox-bin", DOCKERD_PRELUDE },
		{ NULL, DOCKERD_PRELUDE },
	};
	struct dockerd_opts o = { .bip = "172.19.0.1/30", .mtu = 1400 };

	CHECK_ARGV(&o, "dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --storage-driver=overlay2");

	o.cgroup_v2 = true;
	o.debug = true;
	CHECK_ARGV(&o, "unshare --cgroup /usr/local/libexec/envbox/cgroup-v2-prelude dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --storage-driver=overlay2 --log-level=debug");
	o.prelude = "/opt/envbox/libexec/envbox/cgroup-v2-prelude";
	CHECK_ARGV(&o, "unshare --cgroup /opt/envbox/libexec/envbox/cgroup-v2-prelude dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --storage-driver=overlay2 --log-level=debug");
	o.prelude = NULL;

	/* The prelude beside the binary: PREFIX/bin/x -> PREFIX/libexec/... */
	for (size_t i = 0; i < sizeof prelude_paths / sizeof *prelude_paths; i++) {
		char *s = prefix_path(prelude_paths[i].exe, PRELUDE_UNDER_PREFIX, DOCKERD_PRELUDE);

		CHECK_STR(s, prelude_paths[i].want);
		free(s);
	}

	o.cgroup_v2 = false;
	o.debug = false;
	o.no_space = true;
	CHECK_ARGV(&o, "dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --data-root=/var/lib/docker.bak --storage-driver=vfs");

	o.no_space_driver = "fuse-overlayfs";
	CHECK_ARGV(&o, "dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --data-root=/var/lib/docker.bak --storage-driver=fuse-overlayfs");
	o.no_space_driver = NULL;

	o.data_root = "/data/docker";
	o.no_space_data_root = "/scratch/docker";
	CHECK_ARGV(&o, "dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --data-root=/scratch/docker --storage-driver=vfs");
	o.no_space = false;
	CHECK_ARGV(&o, "dockerd --userns-remap=coder --bip=172.19.0.1/30 --mtu=1400 --data-root=/data/docker --storage-driver=overlay2");
}

/* cgroup version and MTU from fixture trees, as on a v2 host. */
static void host_probes(void)
{
	char dir[] = "/tmp/envbox-test-XXXXXX";
	char *p;
	FILE *f;
	eb_err e;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(!cgroup_is_v2(dir));
	p = xasprintf("%s/cgroup.controllers", dir);
	f = fopen(p, "w");
	fputs("cpuset cpu io memory pids\n", f);
	fclose(f);
	CHECK(cgroup_is_v2(dir));
	unlink(p);
	free(p);

	CHECK(net_mtu(dir, "eth0", &e) == 0);
	p = xasprintf("%s/class", dir);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/class/net", dir);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/class/net/eth0", dir);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/class/net/eth0/mtu", dir);
	f = fopen(p, "w");
	fputs("9001\n", f);
	fclose(f);
	CHECK(net_mtu(dir, "eth0", &e) == 9001);
	f = fopen(p, "w");
	fputs("jumbo\n", f);
	fclose(f);
	CHECK(net_mtu(dir, "eth0", &e) == -1);
	CHECK(strstr(e.msg, "not an MTU") != NULL);
	CHECK(net_mtu(dir, "../x", &e) == -1);
	unlink(p);
	free(p);
	p = xasprintf("rm -rf %s", dir);
	CHECK(system(p) == 0);
	free(p);
}

/* Issue 14: values that become lines, early refusals, secrets redacted. */
static void injections(void)
{
	struct envbox_config c;
	const char *nl[] = { BASE, "CODER_INNER_WORK_DIR=/home/coder\nimage=evil", NULL };
	const char *tab[] = { BASE, "CODER_INNER_HOSTNAME=a\tb", NULL };
	const char *dash[] = { "CODER_INNER_IMAGE=registry.example.com/ws:1",
			       "CODER_INNER_USERNAME=-h", NULL };
	const char *space[] = { BASE, "CODER_INNER_WORK_DIR=/home/my dir", NULL };
	const char *builtin[] = { BASE, "CODER_MOUNTS=/x:/var/lib/docker/", NULL };
	const char *builtin2[] = { BASE, "CODER_MOUNTS=/a:/b,/x:/var/lib/containers", NULL };
	const char *url[] = { BASE, "CODER_AGENT_URL=ftp://user:hunter2@coder.example.com", NULL };
	const char *urlnl[] = { BASE, "CODER_AGENT_URL=https://u:hunter2@h\n", NULL };
	const char *script[] = { BASE, "CODER_BOOTSTRAP_SCRIPT=echo a\necho b", NULL };

	CHECK_STR(load(&c, nl), "CODER_INNER_WORK_DIR \"/home/coder\\x0aimage=evil\": a control "
		  "character (0x0a) is not allowed");
	CHECK(strstr(load(&c, tab), "CODER_INNER_HOSTNAME") == load(&c, tab));
	CHECK(strstr(load(&c, dash), "CODER_INNER_USERNAME \"-h\": not a user name"));
	CHECK(strstr(load(&c, space), "CODER_INNER_WORK_DIR \"/home/my dir\": a path without whitespace"));
	CHECK(strstr(load(&c, builtin), "CODER_MOUNTS entry \"/x:/var/lib/docker/\": destination "
		     "/var/lib/docker is envbox's own"));
	CHECK(strstr(load(&c, builtin2), "destination /var/lib/containers is envbox's own"));
	CHECK(strstr(load(&c, url), "CODER_AGENT_URL \"ftp://***@coder.example.com\""));
	CHECK(!strstr(load(&c, url), "hunter2"));
	CHECK(strstr(load(&c, urlnl), "CODER_AGENT_URL") && !strstr(load(&c, urlnl), "hunter2"));
	CHECK_STR(load(&c, script), "");
}

/* The log reads CODER_DEBUG with config's parser: the same spellings. */
static void debug_spellings(void)
{
	const char *on[] = { "1", "t", "TRUE", "true", "True" };
	const char *off[] = { "0", "false", "tRuE", "yes", "" };

	for (size_t i = 0; i < sizeof on / sizeof *on; i++) {
		setenv("CODER_DEBUG", on[i], 1);
		CHECK(log_debug_enabled());
	}
	for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
		setenv("CODER_DEBUG", off[i], 1);
		CHECK(!log_debug_enabled());
	}
	unsetenv("CODER_DEBUG");
	CHECK(!log_debug_enabled());
}

static void redaction(void)
{
	char *r;

	CHECK_STR((r = url_redacted("https://u:pw@host:8/a@b")), "https://***@host:8/a@b");
	free(r);
	CHECK_STR((r = url_redacted("https://host/x")), "https://host/x");
	free(r);
	CHECK_STR((r = url_redacted("u:pw@host")), "***@host");
	free(r);
	CHECK_STR((r = url_redacted("http://a@b@host?q=@")), "http://***@host?q=@");
	free(r);
}

int main(void)
{
	injections();
	redaction();
	debug_spellings();
	defaults();
	everything_set();
	refusals();
	required();
	nesting();
	names();
	dockerd_args();
	no_space_driver();
	host_probes();
	return check_done("test_config");
}
