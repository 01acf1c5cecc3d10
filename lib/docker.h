/* docker: a Docker Engine API client over dockerd's unix socket (libcurl).
 * https://docs.docker.com/engine/api/v1.41/
 *
 * Paths are written unversioned ("/containers/x/json") and sent as
 * "/v1.41/containers/x/json": pinning the version keeps the JSON shapes we
 * read and write fixed whatever daemon answers (a newer one serves 1.41 as
 * 1.41; an older one refuses with a clear "client version too new"). 1.41 is
 * what Debian 12's docker.io 20.10 speaks, the dockerd envbox runs.
 * DOCKER_API_VERSION overrides it, as for the docker CLI. /_ping is sent
 * unversioned: it is how clients find out what a daemon speaks. */
#ifndef ENVBOX_DOCKER_H
#define ENVBOX_DOCKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#define DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define DOCKER_API_VERSION "1.41"
/* What is read from the daemon is bounded, each kind by its own limit; past
 * it the request fails with "METHOD PATH: ... longer than N bytes", so a
 * daemon (or whatever answers on the socket) cannot make envbox allocate
 * without end:
 *
 *   what                                   bound     where
 *   a 2xx body kept in memory              16 MiB    DOCKER_BODY_MAX (a
 *     (inspect, create, prune: JSON)                 docker_call's max
 *                                                    may set another)
 *   a 2xx body no one keeps (out NULL)     0         read and dropped
 *   a line of a streamed answer (pull      1 MiB     DOCKER_LINE_MAX
 *     progress, events)
 *   a non-2xx answer's body (the message)  64 KiB    the rest is dropped
 *   a response header kept (docker_call)   100 KiB   libcurl's own limit
 *   a hijacked answer's head               64 KiB    and its error body
 *                                                    64 KiB, whatever its
 *                                                    Content-Length says
 *   a hijacked stream (exec output)        not kept: frames are passed on
 *                                          as they come (lib/exec.h bounds
 *                                          --log and --max-output)
 *   docker_stream                          not kept: the callback's own
 */
#define DOCKER_BODY_MAX (16u << 20)
/* Longest newline-delimited JSON line docker_stream_lines accepts. */
#define DOCKER_LINE_MAX (1u << 20)

typedef struct {
	char *sock;              /* the unix socket's path */
	char *version;           /* "1.41" */
	long connect_timeout_ms; /* 0: none; docker_open sets 5000 */
	long timeout_ms;         /* whole request; 0: none (pulls take long) */
	void *curl;              /* CURL *, reused so the connection is kept */
	char curlerr[256];       /* CURL_ERROR_SIZE */
} docker;

/* host is a DOCKER_HOST value; NULL takes $DOCKER_HOST, and NULL or "" mean
 * DOCKER_DEFAULT_HOST. Only unix:// is supported. */
int docker_open(docker *d, const char *host, eb_err *e);
void docker_close(docker *d);

typedef struct {
	const char *method;         /* GET POST PUT DELETE HEAD */
	const char *path;           /* "/images/create?fromImage=x", unversioned */
	bool raw_path;              /* send path as is, without "/v1.41" */
	const char *body;           /* NULL: no body */
	size_t body_len;
	const char *content_type;   /* NULL: application/json when there is a body */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
} docker_req;

/* One request; the body of a 2xx answer is appended to out (NULL: read and
 * dropped); one longer than DOCKER_BODY_MAX fails the request.
 * *status (may be NULL) gets the HTTP status whenever one came, also on
 * failure, so callers can take 304 (already started) or 404 as they like.
 * A non-2xx answer is -1 with "METHOD PATH: <daemon's message> (HTTP n)";
 * a connection failure is -1 naming the socket and why. */
int docker_request(docker *d, const docker_req *r, long *status, buf *out,
		   eb_err *e);

/* Called with each piece of a 2xx body as it arrives. Returning -1 (with e
 * filled) stops the transfer; the request then fails with that e. */
typedef int (*docker_data_fn)(const char *p, size_t n, void *arg, eb_err *e);

/* docker_request with the body handed to fn as it arrives (raw bytes) instead
 * of kept: memory stays bounded however long the stream. */
int docker_stream(docker *d, const docker_req *r, docker_data_fn fn, void *arg,
		  eb_err *e);
/* The same, split into newline-delimited lines for pull progress and events:
 * fn gets each non-empty line without its "\n" (or "\r\n"), NUL-terminated.
 * A line longer than DOCKER_LINE_MAX is an error. */
int docker_stream_lines(docker *d, const docker_req *r, docker_data_fn fn,
			void *arg, eb_err *e);

/* Several requests at once, each on a connection of its own, for answers
 * that do not wait on one another (the probe's reads). Fill req (and header,
 * max) of each; docker_batch fills the rest. -1 (with e) only when the batch
 * could not run at all; each call's own outcome is its rc and err, as
 * docker_request's. Free each with docker_call_free. */
typedef struct {
	docker_req req;
	const char *header;  /* keep this response header's value, or NULL */
	size_t max;          /* a 2xx body longer than this fails; 0: DOCKER_BODY_MAX */
	long status;         /* the HTTP status, 0 when none came */
	buf out;             /* a 2xx answer's body */
	char *header_value;  /* NULL when the answer had no such header */
	int rc;              /* 0: a 2xx answer; -1: err says what failed */
	eb_err err;
} docker_call;

int docker_batch(docker *d, docker_call *calls, size_t n, eb_err *e);
void docker_call_free(docker_call *k);

/* GET /_ping answered "OK": 0; else -1 with why. */
int docker_ping(docker *d, eb_err *e);

/* Hijacked connection for exec/attach: the request is sent with "Upgrade:
 * tcp", and after "101 UPGRADED" the socket carries the process's stdin one
 * way and its output the other (multiplexed unless the exec has a TTY). */
typedef struct {
	void *curl;    /* CURL *, its own so d stays usable meanwhile */
	int fd;        /* for poll(); owned by curl */
	buf pending;   /* stream bytes that arrived with the response head */
	size_t off;    /* how much of pending is consumed */
} docker_conn;

int docker_hijack(docker *d, const docker_req *r, docker_conn *c, eb_err *e);
/* Blocks until some bytes or EOF: >0 bytes read, 0 EOF, -1 error. */
ssize_t docker_conn_read(docker_conn *c, void *p, size_t n, eb_err *e);
int docker_conn_write(docker_conn *c, const void *p, size_t n, eb_err *e);
/* Half-closes: the process sees EOF on its stdin; output keeps coming. */
int docker_conn_close_write(docker_conn *c, eb_err *e);
void docker_conn_close(docker_conn *c);

/* The client's pure parts: no daemon, no I/O (each unit-tested, and the
 * head parser fuzzed, on its own). */

/* DOCKER_HOST value → socket path (malloc'd), or NULL with e naming
 * DOCKER_HOST and its value (with any password in it masked). */
char *docker_host_socket(const char *host, eb_err *e);
/* Fills e with "METHOD PATH: MESSAGE (HTTP n)" from an error answer's body:
 * its JSON "message", else its first line, else the status's reason. */
void docker_api_error(eb_err *e, const char *method, const char *path,
		      long status, const char *body, size_t len);
/* Percent-encodes s for a query value (all but A-Z a-z 0-9 - . _ ~). */
char *docker_query_escape(const char *s);
/* Parses an HTTP/1.x response head ("HTTP/1.1 101 UPGRADED\r\n...\r\n\r\n"):
 * status, and Content-Length (-1 when absent). -1 when malformed. No byte
 * past len is read: head need not be NUL-terminated. */
int docker_parse_head(const char *head, size_t len, long *status,
		      long long *content_length);

/* Demultiplexes an attach/exec stream without a TTY: frames of an 8-byte
 * header {stream, 0, 0, 0, size as big-endian uint32} then size bytes of
 * payload; stream 0 stdin, 1 stdout, 2 stderr, 3 a daemon error. Feed it
 * bytes as they come, split anywhere; fn gets each piece of payload. */
enum { DOCKER_STDIN, DOCKER_STDOUT, DOCKER_STDERR, DOCKER_SYSERR };
typedef int (*docker_frame_fn)(int stream, const char *p, size_t n, void *arg,
			       eb_err *e);
typedef struct {
	unsigned char head[8];
	size_t head_len;  /* header bytes collected so far */
	uint32_t left;    /* payload bytes left in the current frame */
	int stream;
} docker_demux;

void docker_demux_init(docker_demux *m);
/* -1 with e filled on a malformed header or when fn fails. */
int docker_demux_feed(docker_demux *m, const char *p, size_t n,
		      docker_frame_fn fn, void *arg, eb_err *e);
/* True between frames: EOF here is a clean end of stream. */
bool docker_demux_idle(const docker_demux *m);

#endif
