/* coderlog: the build log sent to Coder as the workspace agent's startup
 * logs, as coder/envbox's buildlog/coder.go does (its v1 client):
 *
 *   GET   $CODER_AGENT_URL/api/v2/buildinfo            once: is Coder there?
 *   POST  $CODER_AGENT_URL/api/v2/workspaceagents/me/log-source   once:
 *         {"id":CODERLOG_SOURCE_ID,"display_name":"envbox","icon":"/icon/docker.svg"}
 *   PATCH $CODER_AGENT_URL/api/v2/workspaceagents/me/logs
 *         Coder-Session-Token: $CODER_AGENT_TOKEN (on every request)
 *         {"log_source_id":CODERLOG_SOURCE_ID, or the nil UUID when Coder
 *          did not take it (coderlog_source_answer),
 *          "logs":[{"created_at":"RFC3339","output":"...","level":"info"}]}
 *
 * The pure part (coderlog_fmt.c) turns build-log lines into entries and
 * entries into request bodies, and assembles the CA bundle; the client
 * (coderlog.c) is a libcurl multi state machine that the caller drives
 * from its own loop (coderlog_wait), so reading the log never waits on
 * Coder. Each request is bounded (connect 2 s, all of it 5 s). The
 * registration is sent once, right after the build info and before any
 * line needs it, and never retried: whatever it meets (no answer, a
 * timeout, an error), the lines go on under the nil UUID, so it costs the
 * first PATCH at most one bounded request. The token never appears in any
 * message. */
#ifndef ENVBOX_CODERLOG_H
#define ENVBOX_CODERLOG_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Limits, and where each comes from. */
enum {
	/* Bytes of output per entry: longer outputs become several entries,
	 * as the original's cutString does (here on UTF-8 boundaries). */
	CODERLOG_OUTPUT_MAX = 1024,
	/* Entries and bytes of JSON per PATCH: Coder takes at most 1 MiB of
	 * output per request. */
	CODERLOG_BATCH_ENTRIES = 100,
	CODERLOG_BATCH_BYTES = 256 << 10,
	/* Output bytes waiting for Coder: Coder keeps at most 1 MiB of an
	 * agent's logs in all, so more than that would never be taken. */
	CODERLOG_QUEUE_BYTES = 1 << 20,
	/* A "line" longer than this is handed on in pieces of this size. */
	CODERLOG_LINE_MAX = 256 << 10,
};

/* ---- the log source ------------------------------------------------------- */

/* Coder shows an agent's startup logs grouped by log source. envbox's lines
 * go under a source of its own, "envbox", registered before the first
 * PATCH. Its ID is fixed (a random v4 UUID picked once for envbox): a log
 * source is keyed by agent and ID, so every run of every workspace
 * registers the same one, and Coder answers 201 again for one it has. */
#define CODERLOG_SOURCE_ID "e9e10f35-dd0d-44a6-baa3-fb1d15efa478"
#define CODERLOG_SOURCE_NAME "envbox"
#define CODERLOG_SOURCE_ICON "/icon/docker.svg"
/* Coder's default source: what envbox sent before, and what a Coder that
 * does not know log sources (answering 404) still gets. */
#define CODERLOG_NIL_SOURCE_ID "00000000-0000-0000-0000-000000000000"

/* The registration's body. */
void coderlog_source_body(buf *body);

/* What an answer to the registration means (status 0: none came). */
enum coderlog_source {
	CODERLOG_SOURCE_OURS,    /* registered, or there already: send under it */
	CODERLOG_SOURCE_OLD,     /* a Coder without log sources: the nil UUID, silently */
	CODERLOG_SOURCE_REFUSED, /* anything else: the nil UUID, and one notice */
};
enum coderlog_source coderlog_source_answer(long status);

/* ---- lines into entries ---------------------------------------------------- */

typedef struct {
	char created_at[40]; /* RFC 3339, the build-log entry's own time */
	bool error;          /* level "error", else "info" */
	char *output;        /* valid UTF-8, no NUL, at most CODERLOG_OUTPUT_MAX */
	size_t len;
} coderlog_entry;

typedef struct {
	coderlog_entry *v;
	size_t head, n, cap; /* live entries are v[head .. head+n) */
	size_t bytes;        /* output bytes of the live entries */
} coderlog_queue;

/* The length of the first piece of s (n bytes) of at most max bytes, ending
 * on a UTF-8 character boundary (max itself when s is not UTF-8 there). */
size_t coderlog_cut(const char *s, size_t n, size_t max);

/* Appends s to out without NUL bytes, invalid UTF-8 becoming U+FFFD: what
 * Coder's database can store. */
void coderlog_sanitize(buf *out, const char *s, size_t n);

/* Queues one build-log line (without its newline). A JSON entry
 * {"output","time","type"} gives its output, its time and level "error"
 * for type error, "info" otherwise; type done is skipped. Anything else is
 * sent as info text, stamped now (RFC 3339). Blank lines are skipped.
 * Returns the entries queued, 0 for a skipped line, -1 when the queue is
 * full (CODERLOG_QUEUE_BYTES) and the line was dropped. */
int coderlog_queue_line(coderlog_queue *q, const char *line, size_t n, const char *now);

/* Builds the PATCH body from the first entries of q, at most max_entries
 * and (past the first entry) max_bytes of JSON, under log source
 * source_id; returns how many it took. */
size_t coderlog_body(const coderlog_queue *q, const char *source_id, size_t max_entries,
		     size_t max_bytes, buf *body);

/* Removes the first k entries. */
void coderlog_queue_pop(coderlog_queue *q, size_t k);
void coderlog_queue_free(coderlog_queue *q);

/* Splits a byte stream into lines: coderlog_feed calls fn for each whole
 * line (without its '\n'; a line longer than CODERLOG_LINE_MAX in pieces of
 * that size); coderlog_feed_end hands on a last line without '\n'. */
typedef struct {
	buf part;
} coderlog_lines;

typedef void coderlog_line_fn(const char *line, size_t n, void *arg);
void coderlog_feed(coderlog_lines *l, const char *p, size_t n, coderlog_line_fn *fn, void *arg);
void coderlog_feed_end(coderlog_lines *l, coderlog_line_fn *fn, void *arg);

/* ---- TLS trust ------------------------------------------------------------- */

/* Appends every "-----BEGIN CERTIFICATE-----" block of text (n bytes) to
 * out, each ending in a newline; other blocks (keys) and text are left out.
 * Returns the number of certificates. */
int coderlog_pem_certs(const char *text, size_t n, buf *out);

/* The CA bundle for CURLOPT_CAINFO_BLOB: the certificates of system_file
 * (curl's own bundle; unreadable: none) and of extra (CODER_EXTRA_CERTS_PATH:
 * a PEM file, or a directory whose regular files, in name order, are read;
 * files without certificates are skipped). Returns the number of
 * certificates from extra, or -1 with e filled when extra cannot be read or
 * holds none (out then has the system ones). */
int coderlog_ca_bundle(const char *system_file, const char *extra, buf *out, eb_err *e);

/* ---- the URL ----------------------------------------------------------------- */

/* CODER_AGENT_URL's scheme and authority, which the API paths are put
 * after (a path in it is replaced, as Go's url.Parse(path) does): *base
 * keeps any user:password@ for the requests, *shown drops it for messages.
 * An URL that is not http(s)://HOST[...] is refused (-1, e filled). */
int coderlog_base_url(const char *url, char **base, char **shown, eb_err *e);

/* ---- the client ------------------------------------------------------------ */

struct coderlog_opts {
	const char *url;         /* CODER_AGENT_URL */
	const char *token;       /* CODER_AGENT_TOKEN */
	const char *extra_certs; /* CODER_EXTRA_CERTS_PATH, or NULL */
	long connect_ms;         /* 0: 2000 */
	long timeout_ms;         /* per request; 0: 5000 */
	long drain_ms;           /* after the end of the log; 0: 5000 */
	int retries;             /* for an unreachable or 5xx Coder; <0: none, 0: 4 */
	long backoff_ms;         /* the first retry's wait, doubling; 0: 1000 */
};

typedef struct coderlog_client coderlog_client;

/* A client that has started asking Coder for its build info. NULL with e
 * filled when the settings cannot work (a bad URL, a token with control
 * characters, libcurl failing to start). */
coderlog_client *coderlog_open(const struct coderlog_opts *o, eb_err *e);

/* Queues one build-log line (see coderlog_queue_line). */
void coderlog_add(coderlog_client *c, const char *line, size_t n);

/* Waits up to timeout_ms for fd (-1: none) to be readable or for Coder's
 * answer, then does whatever is due: sends queued entries, handles
 * answers, retries. Returns true when fd is readable (or hung up). */
bool coderlog_wait(coderlog_client *c, int fd, int timeout_ms);

/* The log has ended: what is queued gets drain_ms more, no retries. */
void coderlog_end(coderlog_client *c);

/* Nothing left to do: all sent, or given up. */
bool coderlog_idle(const coderlog_client *c);

/* True once the client has given up on Coder for good. */
bool coderlog_failed(const coderlog_client *c);

/* The log source the PATCHes carry: CODERLOG_SOURCE_ID once Coder has
 * taken it, CODERLOG_NIL_SOURCE_ID until then and when it did not. */
const char *coderlog_source_id(const coderlog_client *c);

/* A one-line notice for the local log (why Coder was given up on, that
 * lines were dropped, or that it refused the log source), once each; NULL
 * when there is none. Never holds the token. */
const char *coderlog_notice(coderlog_client *c);
bool coderlog_has_notice(const coderlog_client *c);

void coderlog_close(coderlog_client *c);

#endif
