/* Unit tests for lib/mounts: the CODER_MOUNTS grammar. */
#include <string.h>

#include "check.h"
#include "mounts.h"

static buf b;

/* The parse of value as "src dst ro|rw;" per mount, or the error. */
static const char *run(const char *value)
{
	struct mount_list l;
	eb_err e;

	buf_free(&b);
	buf_add(&b, "", 0);
	if (mounts_parse(value, &l, &e)) {
		CHECK(l.n == 0 && l.v == NULL);
		buf_adds(&b, e.msg);
		return b.p;
	}
	for (size_t i = 0; i < l.n; i++)
		buf_printf(&b, "%s %s %s;", l.v[i].src, l.v[i].dst, l.v[i].ro ? "ro" : "rw");
	mounts_free(&l);
	return b.p;
}

static void test_valid(void)
{
	CHECK_STR(run(""), "");
	CHECK_STR(run("/home/coder:/home/coder"), "/home/coder /home/coder rw;");
	CHECK_STR(run("/a:/b:ro"), "/a /b ro;");
	CHECK_STR(run("/a:/b:rw"), "/a /b rw;");
	/* The README's example, order kept. */
	CHECK_STR(run("/home/coder:/home/coder,/var/run/mysecret:/var/run/mysecret:ro"),
		  "/home/coder /home/coder rw;/var/run/mysecret /var/run/mysecret ro;");
	CHECK_STR(run("/z:/z,/a:/a:ro,/m:/m:rw"), "/z /z rw;/a /a ro;/m /m rw;");
	/* One source twice is fine; paths are not cleaned. */
	CHECK_STR(run("/src:/one,/src:/two:ro"), "/src /one rw;/src /two ro;");
	CHECK_STR(run("/a/:/b/"), "/a/ /b/ rw;");
	CHECK_STR(run("/:/host:ro"), "/ /host ro;");
	CHECK_STR(run("/données:/d\xc3\xa9"), "/données /d\xc3\xa9 rw;");
}

static void test_errors(void)
{
	/* One field, four fields. */
	CHECK_STR(run("/a"), "entry \"/a\": expected src:dst[:ro|rw]");
	CHECK_STR(run("/a:/b:ro:x"), "entry \"/a:/b:ro:x\": expected src:dst[:ro|rw]");
	CHECK_STR(run("a:b:c:d"), "entry \"a:b:c:d\": expected src:dst[:ro|rw]");
	CHECK_STR(run("/a:/b,/c"), "entry \"/c\": expected src:dst[:ro|rw]");
	CHECK_STR(run(" "), "entry \" \": expected src:dst[:ro|rw]");
	/* Empty source or destination. */
	CHECK_STR(run(":/b"), "entry \":/b\": empty source");
	CHECK_STR(run("/a:"), "entry \"/a:\": empty destination");
	CHECK_STR(run(":"), "entry \":\": empty source");
	CHECK_STR(run("/a::ro"), "entry \"/a::ro\": empty destination");
	/* Relative paths. */
	CHECK_STR(run("a:/b"), "entry \"a:/b\": source \"a\" is not an absolute path");
	CHECK_STR(run("/a:b"), "entry \"/a:b\": destination \"b\" is not an absolute path");
	CHECK_STR(run("./a:/b"), "entry \"./a:/b\": source \"./a\" is not an absolute path");
	CHECK_STR(run("~/a:/b"), "entry \"~/a:/b\": source \"~/a\" is not an absolute path");
	/* Options. */
	CHECK_STR(run("/a:/b:"), "entry \"/a:/b:\": unknown option \"\" (expected ro or rw)");
	CHECK_STR(run("/a:/b:RO"), "entry \"/a:/b:RO\": unknown option \"RO\" (expected ro or rw)");
	CHECK_STR(run("/a:/b:rx"), "entry \"/a:/b:rx\": unknown option \"rx\" (expected ro or rw)");
	CHECK_STR(run("/a:/b:ro "), "entry \"/a:/b:ro \": unknown option \"ro \" (expected ro or rw)");
	CHECK_STR(run("/a:/b:readonly"),
		  "entry \"/a:/b:readonly\": unknown option \"readonly\" (expected ro or rw)");
	/* Whitespace and control characters: not writable as spec lines. */
	CHECK_STR(run("/my dir:/b"), "entry \"/my dir:/b\": source \"/my dir\" contains whitespace");
	CHECK_STR(run(" /a:/b"), "entry \" /a:/b\": source \" /a\" is not an absolute path");
	CHECK_STR(run("/a:/b ,/c:/d"), "entry \"/a:/b \": destination \"/b \" contains whitespace");
	CHECK_STR(run("/a:/b\n"), "entry \"/a:/b\\x0a\": destination \"/b\\x0a\" contains whitespace");
	CHECK_STR(run("/a\t:/b"), "entry \"/a\\x09:/b\": source \"/a\\x09\" contains whitespace");
	CHECK_STR(run("/a\x1b:/b"),
		  "entry \"/a\\x1b:/b\": source \"/a\\x1b\" contains a control character");
	/* Empty entries: a stray comma anywhere. */
	CHECK_STR(run(","), "entry 1 of \",\" is empty (a stray ',')");
	CHECK_STR(run("/a:/b,"), "entry 2 of \"/a:/b,\" is empty (a stray ',')");
	CHECK_STR(run(",/a:/b"), "entry 1 of \",/a:/b\" is empty (a stray ',')");
	CHECK_STR(run("/a:/b,,/c:/d"), "entry 2 of \"/a:/b,,/c:/d\" is empty (a stray ',')");
	/* One destination twice, trailing slashes aside. */
	CHECK_STR(run("/a:/b,/c:/b:ro"),
		  "entry \"/c:/b:ro\": destination \"/b\" already used by entry \"/a:/b\"");
	CHECK_STR(run("/x:/x,/a:/b:rw,/c:/b/"),
		  "entry \"/c:/b/\": destination \"/b/\" already used by entry \"/a:/b:rw\"");
	/* The first bad entry is the one named. */
	CHECK_STR(run("/ok:/ok,/bad,x:/y"), "entry \"/bad\": expected src:dst[:ro|rw]");
}

static void test_many(void)
{
	buf v = { 0 };
	struct mount_list l;
	eb_err e;

	for (int i = 0; i < 200; i++)
		buf_printf(&v, "%s/src/%d:/dst/%d%s", i ? "," : "", i, i, i % 3 ? ":ro" : "");
	CHECK(mounts_parse(v.p, &l, &e) == 0);
	CHECK(l.n == 200);
	CHECK_STR(l.v[199].src, "/src/199");
	CHECK_STR(l.v[199].dst, "/dst/199");
	CHECK(l.v[199].ro);
	CHECK(!l.v[198].ro);
	CHECK(!l.v[0].ro);
	mounts_free(&l);
	CHECK(l.n == 0 && l.v == NULL);
	buf_free(&v);
}

static void test_dotdot(void)
{
	struct mount_list l = { 0 };
	eb_err e;

	CHECK(mounts_parse("/a/../b:/c", &l, &e) == -1);
	CHECK(strstr(e.msg, "source has a \"..\" component") != NULL);
	CHECK(mounts_parse("/a:/c/..", &l, &e) == -1);
	CHECK(strstr(e.msg, "destination has a \"..\" component") != NULL);
	CHECK(mounts_parse("/..:/c", &l, &e) == -1);
	CHECK(mounts_parse("/a..b/..c:/c..", &l, &e) == 0);
	mounts_free(&l);
}

int main(void)
{
	test_dotdot();
	test_valid();
	test_errors();
	test_many();
	buf_free(&b);
	return check_done("mounts");
}
