/* test_osrelease: real os-release files, quoting rules, errors, and the
 * library directory table with its ID_LIKE fallback. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "osrelease.h"

static int parse(const char *doc, os_release *o, eb_err *e)
{
	return osrelease_parse(doc, strlen(doc), o, e);
}

static void test_real(void)
{
	os_release o;
	eb_err e;

	CHECK(parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
		    "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
		    "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\n"
		    "ID=debian\nHOME_URL=\"https://www.debian.org/\"\n", &o, &e) == 0);
	CHECK_STR(o.id, "debian");
	CHECK_STR(o.id_like, NULL);
	CHECK_STR(o.version_id, "12");
	os_release_free(&o);

	CHECK(parse("NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\n"
		    "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"
		    "VERSION_ID=\"9.3\"\nPLATFORM_ID=\"platform:el9\"\n", &o, &e) == 0);
	CHECK_STR(o.id, "rocky");
	CHECK_STR(o.id_like, "rhel centos fedora");
	CHECK_STR(o.version_id, "9.3");
	os_release_free(&o);

	CHECK(parse("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n"
		    "PRETTY_NAME=\"Alpine Linux v3.19\"\n", &o, &e) == 0);
	CHECK_STR(o.id, "alpine");
	CHECK_STR(o.version_id, "3.19.1");
	os_release_free(&o);

	/* No ID: the spec's default. */
	CHECK(parse("NAME=busybox\n", &o, &e) == 0);
	CHECK_STR(o.id, "linux");
	os_release_free(&o);
	CHECK(parse("ID=\"\"\n", &o, &e) == 0);
	CHECK_STR(o.id, "linux");
	os_release_free(&o);
	CHECK(osrelease_parse("", 0, &o, &e) == 0);
	CHECK_STR(o.id, "linux");
	os_release_free(&o);
}

static void test_syntax(void)
{
	os_release o;
	eb_err e;
	char *v;

	CHECK(parse("# comment\n\n   \n  ID=ubuntu  # trailing\r\n"
		    "ID_LIKE='debian  x'\nVERSION_ID=\"a\\\"b\\\\c\\$d\\`e\\nf\"\n", &o, &e) == 0);
	CHECK_STR(o.id, "ubuntu");
	CHECK_STR(o.id_like, "debian  x");
	/* \n is not an escape inside double quotes: the backslash stays. */
	CHECK_STR(o.version_id, "a\"b\\c$d`e\\nf");
	os_release_free(&o);

	/* Single quotes take everything literally; unquoted backslashes quote. */
	CHECK(parse("ID='a\\b\"c'\nVERSION_ID=x\\ y\n", &o, &e) == 0);
	CHECK_STR(o.id, "a\\b\"c");
	CHECK_STR(o.version_id, "x y");
	os_release_free(&o);

	/* The last assignment wins. */
	CHECK(parse("ID=one\nID=two\n", &o, &e) == 0);
	CHECK_STR(o.id, "two");
	os_release_free(&o);

	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{"ID=\"debian\n", "os-release line 1: unterminated quote"},
		{"X=1\nID='x\n", "os-release line 2: unterminated quote"},
		{"ID=debian linux\n", "os-release line 1: text after the value (quote values with spaces)"},
		{"ID=\"a\"b\n", "os-release line 1: text after the value (quote values with spaces)"},
		{"ID=a\"b\"\n", "os-release line 1: quote inside an unquoted value"},
		{"just words\n", "os-release line 1: no '=' after the key"},
		{"=value\n", "os-release line 1: not KEY=value"},
		{"1D=x\n", "os-release line 1: not KEY=value"},
		{"ID-X=x\n", "os-release line 1: no '=' after the key"},
		{"ID=x\\\n", "os-release line 1: backslash at the end of the line"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK(parse(bad[i].doc, &o, &e) == -1);
		CHECK_STR(e.msg, bad[i].msg);
		CHECK(o.id == NULL);
	}
	CHECK(osrelease_parse("ID=a\0b\n", 7, &o, &e) == -1);
	CHECK_STR(e.msg, "os-release line 1: has a NUL byte");

	CHECK(osrelease_get("A=1\nVARIANT_ID=\"x y\"\n", 20, "VARIANT_ID", &v, &e) == 1);
	CHECK_STR(v, "x y");
	free(v);
	CHECK(osrelease_get("A=1\n", 4, "B", &v, &e) == 0);
	CHECK(v == NULL);
	CHECK(osrelease_get("A=\"1\n", 5, "A", &v, &e) == -1);
	CHECK(v == NULL);
}

static void test_libdir(void)
{
#if defined(__x86_64__)
	const char *multi = "/usr/lib/x86_64-linux-gnu";
#elif defined(__aarch64__)
	const char *multi = "/usr/lib/aarch64-linux-gnu";
#else
	const char *multi = NULL;
#endif

	if (multi) {
		CHECK_STR(osrelease_libdir("debian", NULL), multi);
		CHECK_STR(osrelease_libdir("ubuntu", "debian"), multi);
		CHECK_STR(osrelease_libdir("linuxmint", "ubuntu debian"), multi);
		CHECK_STR(osrelease_libdir("pop", "  ubuntu\tdebian"), multi);
	}
	CHECK_STR(osrelease_libdir("fedora", NULL), "/usr/lib64");
	CHECK_STR(osrelease_libdir("rhel", "fedora"), "/usr/lib64");
	CHECK_STR(osrelease_libdir("centos", "rhel fedora"), "/usr/lib64");
	CHECK_STR(osrelease_libdir("rocky", NULL), "/usr/lib64");
	CHECK_STR(osrelease_libdir("almalinux", NULL), "/usr/lib64");
	CHECK_STR(osrelease_libdir("amzn", NULL), "/usr/lib64");
	CHECK_STR(osrelease_libdir("opensuse-leap", "suse opensuse"), "/usr/lib64");
	CHECK_STR(osrelease_libdir("sles", "suse"), "/usr/lib64");
	CHECK_STR(osrelease_libdir("eurolinux", "rhel fedora centos"), "/usr/lib64");
	CHECK_STR(osrelease_libdir("alpine", NULL), "/usr/lib");
	CHECK_STR(osrelease_libdir("arch", NULL), "/usr/lib");
	CHECK_STR(osrelease_libdir("linux", NULL), "/usr/lib");
	CHECK_STR(osrelease_libdir("nixos", ""), "/usr/lib");
	CHECK_STR(osrelease_libdir(NULL, NULL), "/usr/lib");
	/* IDs are lower case by the spec; a near miss is not a match. */
	CHECK_STR(osrelease_libdir("Debian", NULL), "/usr/lib");
	CHECK_STR(osrelease_libdir("debianx", "fedoraish"), "/usr/lib");
}

int main(void)
{
	test_real();
	test_syntax();
	test_libdir();
	return check_done("test_osrelease");
}
