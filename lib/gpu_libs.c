/* gpu_libs: the library directory (the host's /usr/lib, mounted here),
 * read once into tree.h's index, and the driver's symlink chains followed
 * in it (see gpu.h). */
#include "gpu_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* ---- chains in the tree's index (tree.h) --------------------------------- */

/* The state of the chain starting at an entry (tree_ent.state). */
enum { ST_NEW, ST_VISITING, ST_TAKEN, ST_BAD };

/* ---- the library directory -------------------------------------------------- */

/* Follows the chain starting at p, one link at a time, and binds every
 * link of it and the file it ends at; a chain that leaves the tree, loops,
 * dangles or ends elsewhere than at a file is skipped whole, with one
 * warning. Links shared by chains are bound and judged once.
 *
 * The kernel follows a bind's source when it mounts it, here, where an
 * absolute target is a path of this machine. So a link is its own source
 * only while the rest of its chain resolves here as in the index; a link
 * whose chain passes an absolute target written as the host's path
 * (/usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0 in the host's /usr/lib,
 * mounted at DIR) is bound from the file the chain ends at in DIR, never
 * from a file of this machine's own /usr/lib. */
static void lib_chain(struct scan *s, struct tree *t, struct tree_pos start)
{
	struct tree_pos *chain = NULL, p = start, end = { 0, -1 };
	bool *hop_host = NULL, tail_host = false;
	size_t n = 0, cap = 0, hcap = 0;
	int hops = 0, state;
	char *why = NULL, *path;

	for (;;) {
		struct tree_ent *en = tree_at(t, p);
		const char *target;
		struct tree_pos next;
		enum tree_res r;

		if (en->state == ST_TAKEN || en->state == ST_BAD) {
			state = en->state;
			end = en->end;
			tail_host = en->via_host;
			break;
		}
		if (en->state == ST_VISITING || ++hops > TREE_MAX_HOPS) {
			path = tree_path(t, p.dir, en->name);
			why = xasprintf("%s: symlink loop", path);
			free(path);
			state = ST_BAD;
			break;
		}
		GROW(hop_host, n, hcap);
		hop_host[n] = false;
		GROW(chain, n, cap);
		chain[n++] = p;
		en->state = ST_VISITING;
		if (en->type == TREE_FILE) {
			state = ST_TAKEN;
			end = p;
			break;
		}
		if (en->type != TREE_LINK) {
			path = tree_path(t, p.dir, en->name);
			why = xasprintf("%s is not a regular file", path);
			free(path);
			state = ST_BAD;
			break;
		}
		target = tree_link(t, p.dir, p.ent);
		r = target ? tree_lookup(t, p.dir, target, false, &hops, &next,
					 &hop_host[n - 1]) : TREE_DANGLING;
		if (r != TREE_OK || next.ent < 0) {
			path = tree_path(t, p.dir, en->name);
			if (!target)
				why = xasprintf("%s: unable to read the link: %s", path,
						strerror(errno));
			else if (r == TREE_ESCAPES)
				why = xasprintf("%s -> %s leads out of %s", path, target, t->root);
			else if (r == TREE_LOOP)
				why = xasprintf("%s -> %s: symlink loop", path, target);
			else if (r == TREE_DANGLING)
				why = xasprintf("%s -> %s: dangling link", path, target);
			else
				why = xasprintf("%s -> %s leads to a directory", path, target);
			free(path);
			state = ST_BAD;
			break;
		}
		p = next;
	}
	if (state == ST_TAKEN) {
		/* Every bind of the chain must be writable, or none is made. */
		char **src = xcalloc(n, sizeof *src), **dst = xcalloc(n, sizeof *dst);
		eb_err e;

		/* From the end: whether the rest of the chain passes a host path. */
		for (size_t i = n; i-- > 0;) {
			tail_host = tail_host || hop_host[i];
			hop_host[i] = tail_host;
			tree_at(t, chain[i])->end = end;
			tree_at(t, chain[i])->via_host = tail_host;
		}
		for (size_t i = 0; i < n && state == ST_TAKEN; i++) {
			char *self = tree_path(t, chain[i].dir, tree_at(t, chain[i])->name);

			src[i] = hop_host[i] ? tree_path(t, end.dir, tree_at(t, end)->name) : self;
			dst[i] = gpu_inner_path(s, self);
			if (src[i] != self)
				free(self);
			if (spec_check_path("source", src[i], &e) ||
			    spec_check_path("destination", dst[i], &e)) {
				why = xasprintf("a link of its chain: %s", e.msg);
				state = ST_BAD;
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (state == ST_TAKEN) {
				gpu_add_version(s, tree_at(t, chain[i])->name);
				gpu_add_bind(s, src[i], dst[i], GPU_FROM_LIBRARY);
			} else {
				free(src[i]);
				free(dst[i]);
			}
		}
		free(src);
		free(dst);
	}
	for (size_t i = 0; i < n; i++)
		tree_at(t, chain[i])->state = (unsigned char)state;
	if (why) {
		/* Named from where the chain starts when the fault is further on. */
		path = tree_path(t, start.dir, tree_at(t, start)->name);
		if (str_starts(why, path) && (why[strlen(path)] == ':' || why[strlen(path)] == ' '))
			warnf(s->o, "%s; skipped", why);
		else
			warnf(s->o, "%s: %s; skipped", path, why);
		free(path);
	}
	free(why);
	free(chain);
	free(hop_host);
}

/* The host's path of the library directory, for links with absolute
 * targets as the host wrote them: the root of the mount at it when the
 * mount table has one (other than "/"), else GPU_HOST_LIB_DIR, the host's
 * /usr/lib that CODER_USR_LIB_DIR names the mount of. */
static const char *host_alias(const struct gpu_opts *o)
{
	const char *alias = NULL;

	for (size_t i = 0; o->mi && i < o->mi->n; i++) {
		const struct mountinfo_entry *m = &o->mi->v[i];

		if (!strcmp(m->target, o->usr_lib_dir))
			alias = strcmp(m->root, "/") ? m->root : NULL;
	}
	return alias ? alias : GPU_HOST_LIB_DIR;
}

int gpu_scan_lib_dir(struct scan *s, eb_err *e)
{
	struct tree t;

	if (tree_open(&t, s->o->usr_lib_dir, TREE_MAX_DEPTH, s->o->warn, s->o->warn_ctx) < 0) {
		eb_errf(e, "unable to read the library directory %s: %s",
			s->o->usr_lib_dir, strerror(errno));
		return -1;
	}
	t.alias = host_alias(s->o);
	/* Index order: every directory's entries sorted, so chains are
	 * judged, and warned about, in a stable order. */
	for (size_t d = 0; d < t.nd; d++)
		for (size_t k = 0; k < t.d[d].n; k++)
			if (t.d[d].e[k].type != TREE_DIR && gpu_library(t.d[d].e[k].name))
				lib_chain(s, &t, (struct tree_pos){ (int)d, (int)k });
	tree_free(&t);
	return 0;
}
