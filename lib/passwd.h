/* passwd: look a user up in an /etc/passwd document, as glibc's files
 * backend (what `getent passwd NAME` in the original envbox used) reads it:
 * the first line whose name matches wins, lines that do not parse are
 * skipped, and only a malformed line for the user asked about is an error.
 * Format: passwd(5), name:password:uid:gid:gecos:home:shell. */
#ifndef ENVBOX_PASSWD_H
#define ENVBOX_PASSWD_H
#include <stddef.h>

#include "util.h"

typedef struct {
	char *name, *home, *shell; /* owned; pw_user_free releases them */
	unsigned long uid, gid;    /* 0 .. 4294967294 ((uid_t)-1 is no uid) */
} pw_user;

/* 1 found (*u filled), 0 no such user (e says so), -1 the user's line is
 * malformed or name cannot be a user name (e says why). */
int passwd_lookup(const char *doc, size_t len, const char *name, pw_user *u,
		  eb_err *e);
/* The same by uid: the first well-formed line with that uid. */
int passwd_lookup_uid(const char *doc, size_t len, unsigned long uid,
		      pw_user *u, eb_err *e);
void pw_user_free(pw_user *u);

#endif
