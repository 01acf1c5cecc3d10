/* Unit tests for lib/util: buffers and lexical path cleaning. */
#include <stdlib.h>

#include "check.h"
#include "util.h"

static void clean(const char *in, const char *want)
{
	char *got = path_clean(in);

	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	buf b = { 0 };
	char *s;

	clean("/", "/");
	clean("", "/");
	clean("//usr///lib/", "/usr/lib");
	clean("/usr/./lib/.", "/usr/lib");
	clean("/a/b/../c/..", "/a");
	clean("/../../x", "/x");
	clean("a/b", "/a/b");
	clean("/a/..b/c..", "/a/..b/c..");
	clean("/a/b/../../..", "/");

	buf_printf(&b, "%s-%d", "x", 42);
	buf_addc(&b, '!');
	CHECK_STR(b.p, "x-42!");
	CHECK(b.len == 5);
	s = buf_steal(&b);
	CHECK(b.p == NULL && b.len == 0);
	CHECK_STR(s, "x-42!");
	free(s);
	s = buf_steal(&b);
	CHECK_STR(s, "");
	free(s);
	CHECK(str_starts("envbox-docker", "envbox-") && !str_starts("env", "envbox"));
	CHECK(str_ends("a.crt", ".crt") && !str_ends("t", ".crt"));
	return check_done("test_util");
}
