/* test_values: the entrypoint's input checks, accepted and refused values
 * with their messages. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "values.h"

static void test_cidr(void)
{
	static const struct {
		const char *in, *bip; /* bip NULL: refused */
	} cases[] = {
		{"172.19.0.1/30", "172.19.0.1/30"}, /* the original's default */
		{"172.19.0.0/30", "172.19.0.1/30"},
		{"172.19.0.3/30", "172.19.0.1/30"},
		{"10.0.0.0/8", "10.0.0.1/8"},
		{"192.168.5.77/24", "192.168.5.1/24"},
		{"0.0.0.0/0", "0.0.0.1/0"},
		{"255.255.255.252/30", "255.255.255.253/30"},
		{"172.19.0.0/31", NULL},            /* no room for a container */
		{"172.19.0.1/32", NULL},
		{"01.2.3.4/8", NULL},               /* leading zero: octal? */
		{"1.2.3.04/8", NULL},
		{"1.2.3.4/08", NULL},
		{"256.1.1.1/8", NULL},
		{"1.2.3/8", NULL},
		{"1.2.3.4.5/8", NULL},
		{"1.2.3.4", NULL},
		{"1.2.3.4/", NULL},
		{"1.2.3.4/33", NULL},
		{"1.2.3.4/8 ", NULL},
		{" 1.2.3.4/8", NULL},
		{"1.2.3.4/-1", NULL},
		{"+1.2.3.4/8", NULL},
		{"1..3.4/8", NULL},
		{"::1/128", NULL},
		{"", NULL},
	};
	char bip[CIDR_STRLEN];
	eb_err e;
	uint32_t a;
	int n;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = cidr_bridge("CODER_DOCKER_BRIDGE_CIDR", cases[i].in, bip, &e);

		if (cases[i].bip) {
			CHECK(rc == 0);
			CHECK_STR(bip, cases[i].bip);
		} else {
			CHECK(rc == -1);
			CHECK(str_starts(e.msg, "CODER_DOCKER_BRIDGE_CIDR \""));
		}
	}
	CHECK(cidr_parse("V", "10.1.2.3/31", &a, &n, &e) == 0);
	CHECK(a == 0x0a010203 && n == 31);
	CHECK(cidr_parse("V", "01.2.3.4/8", &a, &n, &e) == -1);
	CHECK_STR(e.msg, "V \"01.2.3.4/8\": expected an IPv4 CIDR like 172.19.0.1/30");
	CHECK(cidr_bridge("V", "10.0.0.0/31", bip, &e) == -1);
	CHECK_STR(e.msg, "V \"10.0.0.0/31\": a /31 network has no address for "
		  "containers besides the bridge's; use /30 or wider");
	CHECK(strlen("255.255.255.255/32") + 1 == CIDR_STRLEN);
}

static void test_cpus(void)
{
	unsigned v;
	char out[CPUS_STRLEN];
	eb_err e;

	/* Thousandths of a CPU: whole numbers and up to three decimals, as
	 * docker run --cpus takes them. */
	CHECK(parse_cpus("CODER_CPUS", "1", &v, &e) == 0 && v == 1000);
	CHECK(parse_cpus("CODER_CPUS", "16", &v, &e) == 0 && v == 16000);
	CHECK(parse_cpus("CODER_CPUS", "08", &v, &e) == 0 && v == 8000);
	CHECK(parse_cpus("CODER_CPUS", "8192", &v, &e) == 0 && v == 8192000);
	CHECK(parse_cpus("CODER_CPUS", "1.5", &v, &e) == 0 && v == 1500);
	CHECK(parse_cpus("CODER_CPUS", "2.0", &v, &e) == 0 && v == 2000);
	CHECK(parse_cpus("CODER_CPUS", "0.25", &v, &e) == 0 && v == 250);
	CHECK(parse_cpus("CODER_CPUS", "0.01", &v, &e) == 0 && v == 10);
	CHECK(parse_cpus("CODER_CPUS", "3.125", &v, &e) == 0 && v == 3125);
	CHECK(parse_cpus("CODER_CPUS", "8192.000", &v, &e) == 0 && v == 8192000);
	static const char *bad[] = {"0", "", "0.0", "0.009", "1.2345", "1.", ".5",
				    "1..5", "1,5", "500m", "-1", "+2", " 2", "2 ",
				    "8193", "8192.001", "99999999999999999999",
				    "1.99999999999999999999", "0x10", "two", "1e3"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(parse_cpus("CODER_CPUS", bad[i], &v, &e) == -1);
	CHECK(parse_cpus("CODER_CPUS", "500m", &v, &e) == -1);
	CHECK_STR(e.msg, "CODER_CPUS \"500m\": expected a number of CPUs, 0.01 to "
		  "8192, with at most three decimals");

	/* What config prints, read back the same. */
	cpus_format(1500, out);
	CHECK_STR(out, "1.5");
	cpus_format(2000, out);
	CHECK_STR(out, "2");
	cpus_format(10, out);
	CHECK_STR(out, "0.01");
	cpus_format(3125, out);
	CHECK_STR(out, "3.125");
	cpus_format(8192000, out);
	CHECK_STR(out, "8192");
}

static void test_memory(void)
{
	static const struct {
		const char *in;
		unsigned long long want; /* 0: refused */
	} cases[] = {
		{"1073741824", 1073741824ULL},
		{"6291456", 6291456ULL},
		{"2Gi", 2ULL << 30},
		{"512Mi", 512ULL << 20},
		{"6144Ki", 6291456ULL},
		{"1Ti", 1ULL << 40},
		{"1G", 1000000000ULL},
		{"7M", 7000000ULL},
		{"8000k", 8000000ULL},
		{"7Ei", 7ULL << 60},
		{"9223372036854775807", 9223372036854775807ULL},
		{"9223372036854775808", 0},
		{"8Ei", 0},                 /* 2^63: past INT64_MAX */
		{"10E", 0},
		{"99999999999999999999999", 0},
		{"6291455", 0},             /* under dockerd's minimum */
		{"0", 0},
		{"", 0},
		{"1g", 0},                  /* Docker CLI spelling */
		{"512m", 0},                /* milli-bytes to Kubernetes */
		{"1K", 0},
		{"1GB", 0},
		{"1.5Gi", 0},
		{"-1", 0},
		{"+1024", 0},
		{"1 Gi", 0},
		{"Gi", 0},
		{"1e9", 0},
	};
	unsigned long long v;
	eb_err e;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = parse_memory("CODER_MEMORY", cases[i].in, &v, &e);

		if (cases[i].want) {
			CHECK(rc == 0);
			CHECK(rc == 0 && v == cases[i].want);
		} else {
			CHECK(rc == -1);
		}
	}
	CHECK(parse_memory("CODER_MEMORY", "1g", &v, &e) == -1);
	CHECK_STR(e.msg, "CODER_MEMORY \"1g\": expected bytes, or a whole number "
		  "with a suffix k M G T Ki Mi Gi Ti (e.g. 2Gi)");
	CHECK(parse_memory("CODER_MEMORY", "1000", &v, &e) == -1);
	CHECK_STR(e.msg, "CODER_MEMORY \"1000\": less than dockerd's minimum of "
		  "6291456 bytes (6Mi)");
	CHECK(parse_memory("CODER_MEMORY", "8Ei", &v, &e) == -1);
	CHECK_STR(e.msg, "CODER_MEMORY \"8Ei\": too large");
}

static void test_bool(void)
{
	static const char *yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *no[] = {"0", "f", "F", "FALSE", "false", "False"};
	static const char *bad[] = {"", "yes", "no", "on", "tRUE", "truE", "2",
				    " true", "true ", "FaLsE", "y"};
	bool v;
	eb_err e;

	for (size_t i = 0; i < 6; i++) {
		v = false;
		CHECK(parse_bool("CODER_ADD_TUN", yes[i], &v, &e) == 0 && v);
		v = true;
		CHECK(parse_bool("CODER_ADD_TUN", no[i], &v, &e) == 0 && !v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(parse_bool("CODER_ADD_TUN", bad[i], &v, &e) == -1);
	CHECK(parse_bool("CODER_ADD_FUSE", "yes", &v, &e) == -1);
	CHECK_STR(e.msg, "CODER_ADD_FUSE \"yes\": expected true or false (or 1, "
		  "0, t, f, TRUE, FALSE, True, False)");
}

static void test_nesting(void)
{
	static const char *bad[] = { "yes", "true", "AUTO", "On", " off", "off ", "1" };
	const char *v = NULL;
	eb_err e;

	CHECK(parse_nesting("ENVBOX_NESTING", NULL, &v, &e) == 0);
	CHECK_STR(v, "auto");
	CHECK(parse_nesting("ENVBOX_NESTING", "", &v, &e) == 0);
	CHECK_STR(v, "auto");
	CHECK(parse_nesting("ENVBOX_NESTING", "on", &v, &e) == 0);
	CHECK_STR(v, "on");
	CHECK(parse_nesting("ENVBOX_NESTING", "off", &v, &e) == 0);
	CHECK_STR(v, "off");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(parse_nesting("ENVBOX_NESTING", bad[i], &v, &e) == -1);
	CHECK(parse_nesting("ENVBOX_NESTING", "maybe", &v, &e) == -1);
	CHECK_STR(e.msg, "ENVBOX_NESTING \"maybe\": expected auto, on or off");
}

static void test_envs(void)
{
	envs_list l;
	eb_err e;

	CHECK(envs_parse("CODER_INNER_ENVS", " KUBERNETES_* , MY_ENV,,MY.OTHER-ENV ,", &l, &e) == 0);
	CHECK(l.n == 3);
	CHECK_STR(l.pat[0], "KUBERNETES_*");
	CHECK_STR(l.pat[2], "MY.OTHER-ENV");
	CHECK(envs_match(&l, "KUBERNETES_SERVICE_HOST"));
	CHECK(envs_match(&l, "KUBERNETES_"));
	CHECK(envs_match(&l, "KUBERNETES_PORT=tcp://10.0.0.1:443"));
	CHECK(!envs_match(&l, "KUBERNETES"));
	CHECK(envs_match(&l, "MY_ENV"));
	CHECK(envs_match(&l, "MY_ENV=x"));
	CHECK(!envs_match(&l, "MY_ENV2"));
	CHECK(!envs_match(&l, "MY_EN"));
	CHECK(!envs_match(&l, "my_env"));
	CHECK(envs_match(&l, "MY.OTHER-ENV"));
	CHECK(!envs_match(&l, ""));
	CHECK(!envs_match(&l, "=MY_ENV"));
	envs_free(&l);

	CHECK(envs_parse("CODER_INNER_ENVS", "*", &l, &e) == 0);
	CHECK(envs_match(&l, "ANYTHING") && envs_match(&l, "a=b"));
	envs_free(&l);

	CHECK(envs_parse("CODER_INNER_ENVS", "", &l, &e) == 0 && l.n == 0);
	CHECK(!envs_match(&l, "A"));
	envs_free(&l);
	CHECK(envs_parse("CODER_INNER_ENVS", " , ,", &l, &e) == 0 && l.n == 0);
	envs_free(&l);

	static const char *bad[] = {"A B", "A=B", "A*B", "**", "1ABC", "A,B C", "$HOME", "A;B"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK(envs_parse("CODER_INNER_ENVS", bad[i], &l, &e) == -1);
		CHECK(l.n == 0 && l.pat == NULL);
	}
	CHECK(envs_parse("CODER_INNER_ENVS", "OK,A B", &l, &e) == -1);
	CHECK_STR(e.msg, "CODER_INNER_ENVS entry \"A B\": expected a variable name or a NAME* prefix");
}

static void test_subsystem(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{NULL, "envbox"},
		{"", "envbox"},
		{"envbox", "envbox"},
		{"exectrace", "envbox,exectrace"},
		{" zeta , alpha,,alpha, envbox ", "alpha,envbox,zeta"},
		{"Envbox", "Envbox,envbox"},        /* bytewise, as Go's sort */
		{",,,", "envbox"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = subsystem_merge(cases[i].in);

		CHECK_STR(got, cases[i].want);
		free(got);
	}
}

int main(void)
{
	test_cidr();
	test_cpus();
	test_memory();
	test_bool();
	test_nesting();
	test_envs();
	test_subsystem();
	return check_done("test_values");
}
