/* subid: the subordinate ID files, subuid(5) and subgid(5): one
 * "OWNER:START:COUNT" line per range, OWNER a user name or uid.
 * dockerd --userns-remap=USER maps the container's IDs 0.. onto the user's
 * ranges, so envbox needs USER to own exactly START:COUNT. Shifting a
 * tree's ownership is xid.h. */
#ifndef ENVBOX_SUBID_H
#define ENVBOX_SUBID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* What a subid file needs so that user (whose uid is uid) owns
 * start:count. text (len bytes) is the file, name names it in errors.
 * 0: the line is there already. 1: *add holds what to append (the line,
 * with a newline before it when the text does not end in one). -1: refused,
 * e names the conflict: another owner's range overlapping (its line), or
 * the user holding other ranges but not this one (dockerd would map the
 * container onto those). Lines that do not parse are left alone. */
int subid_plan(const char *text, size_t len, const char *name, const char *user,
	       unsigned long uid, uint32_t start, uint32_t count, buf *add, eb_err *e);

/* Replaces path's content with data safely: a temporary file in the same
 * directory, with path's mode and owner (0644 root when path is missing),
 * synced, then renamed over path. */
int xid_replace_file(const char *path, const char *data, size_t len, eb_err *e);

/* Takes PATH.lock as shadow's tools do (a file holding our pid, created
 * exclusively; one whose process is gone is stale and removed), waiting up
 * to about two seconds for a holder. xid_unlock removes it. */
int xid_lock(const char *path, eb_err *e);
void xid_unlock(const char *path);

/* What subid_ensure did, for the caller to report. */
struct subid_result {
	bool user_created;
	unsigned long uid;
	bool added[2]; /* subuid, subgid: the line was appended */
};

/* Makes sure user exists (useradd --system --user-group when it does not,
 * its messages in e on failure) and owns start:count in ROOT/etc/subuid
 * and ROOT/etc/subgid (root "" for the real files). Both files are checked
 * before either changes. */
int subid_ensure(const char *root, const char *user, uint32_t start, uint32_t count,
		 struct subid_result *r, eb_err *e);

#endif
