/* credhelper: asking a docker credential helper for a registry's
 * credentials, as docker/docker-credential-helpers' client does:
 *   docker-credential-NAME get   stdin: the server, no newline
 *   exit 0, stdout {"ServerURL":S,"Username":U,"Secret":P}
 *   exit non-zero, stdout the error (AUTH_HELPER_NOT_FOUND when it has
 *   nothing for the server)
 * The helper is found on PATH and runs for a bounded time with bounded
 * output. What it answers is read by auth_helper_reply (lib/auth.h). No
 * error message carries a secret: what a helper printed is quoted only as
 * one trimmed line, and never when it looks like JSON. */
#ifndef ENVBOX_CREDHELPER_H
#define ENVBOX_CREDHELPER_H
#include "auth.h"
#include "log.h"
#include "util.h"

/* A helper may ask a cloud API; never a person. */
#define CREDHELPER_TIMEOUT_MS 60000
/* What is kept of each of its output streams; the rest is read and dropped. */
#define CREDHELPER_OUT_MAX (64u << 10)

struct credhelper_opts {
	long timeout_ms; /* 0: CREDHELPER_TIMEOUT_MS */
	/* Notes (LOG_INFO: the helper has nothing for the server) and
	 * warnings (LOG_ERROR: the server could not be written to it; its
	 * answer is still read). May be NULL. */
	log_fn log;
	void *log_arg;
};

/* Runs prog (a command name, found on PATH) with the one argument "get"
 * and server on its stdin; its stdout and stderr go to out and err (at most
 * CREDHELPER_OUT_MAX each). 0 with *status its wait status, or -1 with e
 * filled: not found, not started, not done within the timeout (then
 * killed, with SIGKILL). o may be NULL. */
int credhelper_run(const char *prog, const char *server,
		   const struct credhelper_opts *o, buf *out, buf *err, int *status,
		   eb_err *e);

/* A helper's message fit for ours: the first line, trimmed, printable,
 * at most 200 bytes; "" when it looks like JSON, which might carry a
 * secret. malloc'd. */
char *credhelper_said(const buf *b);

/* Asks c's helper (c->kind AUTH_HELPER) for c->helper_server and replaces
 * c with its answer: AUTH_NONE when it has nothing for the server (then a
 * note). -1 with e filled: an invalid helper name; a helper missing,
 * failing, killed or past the timeout; an answer that is not the
 * protocol's JSON object. o may be NULL. */
int credhelper_get(struct auth_creds *c, const struct credhelper_opts *o, eb_err *e);

#endif
