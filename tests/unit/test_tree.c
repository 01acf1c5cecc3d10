/* test_tree: path helpers; a tree made here read into the index (sorted
 * entries, depth limits, warnings) and paths looked up in it: links
 * followed or not, directory links, "..", absolute targets through the
 * root and its alias, and what leaves the tree, dangles or loops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tree.h"
#include "util.h"

static char tmp[] = "/tmp/envbox-tree-XXXXXX";

static void mkfile(const char *rel)
{
	char *p = path_join(tmp, rel);
	FILE *f = fopen(p, "w");

	CHECK(f != NULL);
	if (f)
		fclose(f);
	free(p);
}

static void mkd(const char *rel)
{
	char *p = path_join(tmp, rel);

	CHECK(mkdir(p, 0755) == 0);
	free(p);
}

static void ln(const char *target, const char *rel)
{
	char *p = path_join(tmp, rel);

	CHECK(symlink(target, p) == 0);
	free(p);
}

static void test_paths(void)
{
	char *p;

	CHECK_STR(path_under("/usr/lib/x", "/usr/lib"), "/x");
	CHECK_STR(path_under("/usr/lib", "/usr/lib"), "");
	CHECK(path_under("/usr/lib64/x", "/usr/lib") == NULL);
	CHECK(path_under("/usr", "/usr/lib") == NULL);
	CHECK_STR(path_under("/a/b", "/"), "/a/b");
	CHECK_STR(path_under("/", "/"), "");
	CHECK(path_under("rel", "/") == NULL);
	p = path_join("/", "x");
	CHECK_STR(p, "/x");
	free(p);
	p = path_join("/a/", "b/c");
	CHECK_STR(p, "/a/b/c");
	free(p);
	p = path_join("/a", "");
	CHECK_STR(p, "/a");
	free(p);
}

static void on_warn(void *ctx, const char *msg)
{
	buf *b = ctx;

	buf_printf(b, "%s\n", msg);
}

/* Where path leads from the root, as "a/lib.so.1", "a/" for a directory,
 * or the failure's name. */
static char *lookup(struct tree *t, const char *path, bool follow_last, bool *via_host)
{
	struct tree_pos p;
	int hops = 0;

	switch (tree_lookup(t, 0, path, follow_last, &hops, &p, via_host)) {
	case TREE_OK:
		break;
	case TREE_ESCAPES:
		return xstrdup("escapes");
	case TREE_DANGLING:
		return xstrdup("dangling");
	case TREE_LOOP:
		return xstrdup("loop");
	}
	if (p.ent < 0)
		return xasprintf("%s/", t->d[p.dir].rel);
	return *t->d[p.dir].rel ? xasprintf("%s/%s", t->d[p.dir].rel, tree_at(t, p)->name) :
				  xstrdup(tree_at(t, p)->name);
}

#define LOOKS(t, path, follow, want)                      \
	do {                                              \
		char *got_ = lookup((t), (path), (follow), NULL); \
		CHECK_STR(got_, (want));                  \
		free(got_);                               \
	} while (0)

static void test_tree(void)
{
	struct tree t;
	buf w = { 0 };
	char *abs, *deep;
	bool via = false;
	int k;

	CHECK(mkdtemp(tmp) != NULL);
	mkd("a");
	mkd("a/b");
	mkd("a/b/c");
	mkfile("a/b/c/f");
	mkfile("a/lib.so.1");
	ln("lib.so.1", "a/lib.so");
	abs = xasprintf("%s/a/lib.so.1", tmp);
	ln(abs, "a/abs");
	ln("/host/lib/a/lib.so.1", "a/host");
	ln("/etc/passwd", "a/out");
	ln("../../x", "a/up");
	ln("nope", "a/dang");
	ln("loop2", "a/loop1");
	ln("loop1", "a/loop2");
	ln("a", "d");
	ln("d/lib.so", "chain");

	CHECK(tree_open(&t, tmp, TREE_MAX_DEPTH, on_warn, &w) == 0);
	t.alias = "/host/lib";
	CHECK(w.p == NULL);
	/* The root first, entries sorted; directory links not read as
	 * directories. */
	CHECK_STR(t.d[0].rel, "");
	CHECK(t.d[0].n == 3);
	CHECK_STR(t.d[0].e[0].name, "a");
	CHECK(t.d[0].e[0].type == TREE_DIR && t.d[0].e[0].child > 0);
	CHECK_STR(t.d[0].e[1].name, "chain");
	CHECK(t.d[0].e[2].type == TREE_LINK && t.d[0].e[2].child == -1);
	/* By the first n bytes of a name. */
	k = tree_find(&t, t.d[0].e[0].child, "lib.so.1", 6);
	CHECK(k >= 0 && !strcmp(t.d[t.d[0].e[0].child].e[k].name, "lib.so"));
	CHECK(tree_find(&t, 0, "zz", 2) == -1);
	CHECK_STR(tree_link(&t, 0, 2), "a");

	LOOKS(&t, "a/lib.so", true, "a/lib.so.1");
	LOOKS(&t, "a/lib.so", false, "a/lib.so");
	LOOKS(&t, "a/b/c/f", false, "a/b/c/f");
	LOOKS(&t, "a/b/./c/../c/f", false, "a/b/c/f");
	LOOKS(&t, "a/b", false, "a/b");
	LOOKS(&t, "a/b/", false, "a/b");
	LOOKS(&t, "a/b/..", false, "a/");
	LOOKS(&t, "..", false, "escapes");
	/* A directory link in the middle is always followed. */
	LOOKS(&t, "d/lib.so", false, "a/lib.so");
	LOOKS(&t, "chain", true, "a/lib.so.1");
	LOOKS(&t, "a/abs", true, "a/lib.so.1");
	LOOKS(&t, abs, false, "a/lib.so.1");
	LOOKS(&t, "a/out", true, "escapes");
	LOOKS(&t, "a/out", false, "a/out");
	LOOKS(&t, "a/up", true, "escapes");
	LOOKS(&t, "a/dang", true, "dangling");
	LOOKS(&t, "a/missing/x", false, "dangling");
	LOOKS(&t, "a/lib.so.1/x", false, "dangling");
	LOOKS(&t, "a/loop1", true, "loop");
	/* Through the alias: found, and said so. */
	{
		char *got = lookup(&t, "a/host", true, &via);

		CHECK_STR(got, "a/lib.so.1");
		CHECK(via);
		free(got);
		via = false;
		got = lookup(&t, "a/abs", true, &via);
		CHECK(!via);
		free(got);
	}
	{
		char *p = tree_path(&t, t.d[0].e[0].child, "lib.so");
		char *want = xasprintf("%s/a/lib.so", tmp);

		CHECK_STR(p, want);
		free(p);
		free(want);
		p = tree_path(&t, 0, "");
		CHECK_STR(p, tmp);
		free(p);
	}
	tree_free(&t);

	/* max_depth: 0 reads the root only; what is below is not there. */
	CHECK(tree_open(&t, tmp, 0, on_warn, &w) == 0);
	CHECK(t.nd == 1 && t.d[0].e[0].child == -1);
	LOOKS(&t, "a/lib.so", false, "dangling");
	tree_free(&t);
	CHECK(tree_open(&t, tmp, 2, on_warn, &w) == 0);
	LOOKS(&t, "a/b", false, "a/b");
	LOOKS(&t, "a/b/c/f", false, "dangling");
	tree_free(&t);
	CHECK(w.p == NULL);

	/* Deeper than TREE_MAX_DEPTH: skipped with a warning naming it. */
	deep = xstrdup("a/b/c");
	for (int i = 0; i < TREE_MAX_DEPTH; i++) {
		char *next = xasprintf("%s/d", deep);

		mkd(next);
		free(deep);
		deep = next;
	}
	CHECK(tree_open(&t, tmp, TREE_MAX_DEPTH, on_warn, &w) == 0);
	CHECK(w.p && strstr(w.p, "directories deep; skipped"));
	CHECK(w.p && !strchr(w.p, '\n')[1]);
	tree_free(&t);
	free(deep);

	/* A root that is not there. */
	{
		char *gone = xasprintf("%s/nothing", tmp);

		CHECK(tree_open(&t, gone, 0, NULL, NULL) < 0);
		tree_free(&t);
		free(gone);
	}

	free(abs);
	buf_free(&w);
	{
		char *cmd = xasprintf("rm -rf '%s'", tmp);

		CHECK(system(cmd) == 0);
		free(cmd);
	}
}

int main(void)
{
	test_paths();
	test_tree();
	return check_done("test_tree");
}
