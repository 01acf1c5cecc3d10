/* tree: a directory tree read once into an index, and paths looked up in
 * it as the kernel would, symlinks followed, without leaving it.
 *
 * The walk is bounded: directory symlinks are never followed while reading
 * (O_NOFOLLOW), recursion stops at TREE_MAX_DEPTH (should bind mounts nest
 * a tree into itself), and a lookup follows at most TREE_MAX_HOPS links.
 * An absolute link target is taken inside the tree when it starts with the
 * tree's root, or with its alias (the root's path on another machine, as a
 * link written there names it); anything else leaves the tree. gpu_libs.c
 * uses it for the driver's symlink chains in a host's library directory,
 * gpu.c for the links beside the driver's mounts. */
#ifndef ENVBOX_TREE_H
#define ENVBOX_TREE_H
#include <stdbool.h>
#include <stddef.h>

/* The kernel's limit on links followed in one lookup (MAXSYMLINKS). */
#define TREE_MAX_HOPS 40
/* Library trees are shallow; this bounds open descriptors and recursion
 * should bind mounts nest a tree into itself. */
#define TREE_MAX_DEPTH 32

/* An entry's type, as lstat would say. */
enum { TREE_DIR = 'd', TREE_LINK = 'l', TREE_FILE = 'f', TREE_OTHER = 'o' };

/* A place in the tree: entry ent of directory dir (an index in tree.d), or
 * the directory itself when ent is -1. */
struct tree_pos {
	int dir, ent;
};

struct tree_ent {
	char *name;
	char type;           /* TREE_DIR, ... */
	/* The caller's, zero after tree_open: what it found following the
	 * chain of links starting here. */
	unsigned char state;
	bool mark;
	bool via_host;
	struct tree_pos end;
	int child;           /* TREE_DIR: its index in tree.d, -1 when unread */
	char *link;          /* TREE_LINK: the target, once read (tree_link) */
};

struct tree_dir {
	char *rel; /* relative to the root: "" for the root, "a/b" */
	int parent;
	struct tree_ent *e; /* sorted by name (bytes compared) */
	size_t n;
};

/* Warnings (an unreadable directory, one too deep) come back one line each;
 * what they name is skipped. */
typedef void tree_warn_fn(void *ctx, const char *msg);
/* Formats a warning and hands it to warn; nothing when warn is NULL. */
void warn_to(tree_warn_fn *warn, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct tree {
	const char *root;  /* clean, absolute; not copied */
	const char *alias; /* the root's path elsewhere, or NULL; not copied */
	int max_depth;     /* 0: the root only */
	tree_warn_fn *warn; /* NULL: warnings dropped */
	void *warn_ctx;
	struct tree_dir *d; /* d[0] is the root; a parent before its children */
	size_t nd, cap;
};

/* Reads root and its subdirectories max_depth levels down (at most
 * TREE_MAX_DEPTH). -1 with errno when root itself cannot be opened; what
 * cannot be read below it is a warning. Free with tree_free either way. */
int tree_open(struct tree *t, const char *root, int max_depth,
	      tree_warn_fn *warn, void *warn_ctx);
void tree_free(struct tree *t);

/* The entry named by the first n bytes of name in directory dir, or -1. */
int tree_find(const struct tree *t, int dir, const char *name, size_t n);
/* The entry at p (p.ent >= 0). */
struct tree_ent *tree_at(struct tree *t, struct tree_pos p);
/* The path here of entry name in directory dir ("" for the directory
 * itself), owned. */
char *tree_path(const struct tree *t, int dir, const char *name);
/* The target of link entry k of directory dir, read once and kept; NULL
 * with errno when it cannot be read. */
const char *tree_link(struct tree *t, int dir, int k);

enum tree_res { TREE_OK, TREE_ESCAPES, TREE_DANGLING, TREE_LOOP };

/* Looks path up from directory dir as the kernel would, in the index:
 * ".." and links to directories followed, an absolute path taken inside
 * the tree when it starts with the root or its alias (re-rooted),
 * else TREE_ESCAPES; ".." above the root is TREE_ESCAPES too; a missing
 * name, or a directory not read, TREE_DANGLING; more than TREE_MAX_HOPS
 * links (*hops counts them, across calls) TREE_LOOP. The last component is
 * followed only when follow_last. *out is where it leads. *via_host (may be
 * NULL) is set when an absolute path was taken through the alias, which
 * the kernel, resolving it on this machine, would not. */
enum tree_res tree_lookup(struct tree *t, int dir, const char *path,
			  bool follow_last, int *hops, struct tree_pos *out,
			  bool *via_host);

/* The rest of path after dir when path is dir or below it ("" or "/x"),
 * else NULL. dir is clean; "/" holds everything. */
const char *path_under(const char *path, const char *dir);
/* dir + "/" + name, without "//" when dir ends in "/"; dir itself when
 * name is "". Owned. */
char *path_join(const char *dir, const char *name);

#endif
