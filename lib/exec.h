/* exec: running a command in a container through the Engine API, as
 * envbox-docker exec does: create the exec, start it on a hijacked
 * connection, copy stdin in and the multiplexed output out, read its exit
 * code. https://docs.docker.com/engine/api/v1.41/#tag/Exec
 *
 * The copy loop is poll()-driven, so sending stdin and reading output
 * interleave: a command that reads little and prints a lot cannot deadlock
 * against a caller that has a lot to send. */
#ifndef ENVBOX_EXEC_H
#define ENVBOX_EXEC_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "docker.h"
#include "util.h"

/* After the first signal, how long the command has to end. */
#define EXEC_GRACE_MS 90000
/* --log: the longest build-log entry a line becomes (marker included), and
 * how much output is turned into entries before the rest is dropped. */
#define EXEC_LINE_MAX 1024
#define EXEC_LOG_MAX (1u << 20)
#define EXEC_CUT_MARKER " [truncated]"

struct exec_opts {
	const char *user;    /* NULL: the container's */
	const char *workdir; /* NULL: the container's */
	const char **envs;   /* NAME=VALUE */
	size_t nenvs;
	bool stdin;          /* attach stdin */
	char **cmd;          /* at least one */
	size_t ncmd;
};

/* Checks the options: a user without whitespace, an absolute workdir, each
 * --env NAME=VALUE, a command. */
int exec_opts_check(const struct exec_opts *o, eb_err *e);
/* The body of POST /containers/NAME/exec, appended to out. */
void exec_create_body(const struct exec_opts *o, buf *out);

/* What GET /exec/ID/json says. */
struct exec_state {
	bool running;
	bool has_exit; /* ExitCode was a number (null while running) */
	int exit_code;
	long long pid; /* host pid; 0 when not started */
};

int exec_state_parse(const char *js, size_t len, struct exec_state *st,
		     eb_err *e);

/* POST /containers/NAME/exec: *id gets the exec's id (malloc'd). */
int exec_create(docker *d, const char *container, const struct exec_opts *o,
		char **id, eb_err *e);
/* POST /exec/ID/start, hijacked. */
int exec_start(docker *d, const char *id, docker_conn *c, eb_err *e);
int exec_inspect(docker *d, const char *id, struct exec_state *st, eb_err *e);

/* --log: output bytes to lines. Each stream has its own partial line, so
 * interleaved stdout and stderr never mix within a line. A line longer than
 * EXEC_LINE_MAX is cut (on a UTF-8 boundary) and ends in EXEC_CUT_MARKER; a
 * trailing "\r" is dropped. Once EXEC_LOG_MAX bytes have come, the partial
 * lines are flushed, one note says the rest is dropped, and nothing more is
 * passed on. fn gets each line NUL-terminated, without its "\n". */
typedef void (*exec_line_fn)(const char *line, void *arg);

struct exec_lines {
	buf part[2];   /* stdout's and stderr's partial lines */
	bool cut[2];   /* the partial line is over EXEC_LINE_MAX */
	size_t total;  /* bytes taken so far */
	bool over;     /* EXEC_LOG_MAX reached */
	exec_line_fn fn;
	void *arg;
};

void exec_lines_init(struct exec_lines *l, exec_line_fn fn, void *arg);
/* stream: DOCKER_STDOUT or DOCKER_STDERR. */
void exec_lines_feed(struct exec_lines *l, int stream, const char *p, size_t n);
/* Passes on the partial lines (output that did not end in a newline). */
void exec_lines_flush(struct exec_lines *l);
void exec_lines_free(struct exec_lines *l);

/* The copy loop's ends. */
struct exec_io {
	int in_fd;                 /* copied to the command; -1: none */
	int out_fd, err_fd;        /* where its stdout and stderr go... */
	struct exec_lines *lines;  /* ...unless these are set */
	/* Set by the caller's signal handler. The loop waits in ppoll() with
	 * wait_mask, so the caller blocks its signals outside the waits and
	 * none is missed. */
	volatile sig_atomic_t *signalled;
	const sigset_t *wait_mask;
	/* Called once, at the first signal: pass it on to the command. */
	void (*on_signal)(void *arg);
	void *arg;
	long grace_ms;             /* after the signal; 0: EXEC_GRACE_MS */
	/* At most this many bytes of output (both streams together) are
	 * passed on; the rest is read and dropped, so the command runs to its
	 * end. 0: no limit. A stream cut in mid-line gets a "\n" (not with
	 * lines, which flush their own). */
	size_t max_output;
	bool output_cut;           /* out: max_output was reached */
	int write_errno;           /* out: why output was dropped; 0: it wasn't */
};

enum { EXEC_ENDED = 0, EXEC_GAVE_UP = 1 };
/* Runs until the output stream ends (EXEC_ENDED) or grace_ms after a signal
 * (EXEC_GAVE_UP); -1 with e filled on a stream error. Output to a closed
 * out_fd or err_fd (EPIPE) is dropped, so the command still runs to its end;
 * the caller should ignore SIGPIPE. */
int exec_pump(docker_conn *c, struct exec_io *io, eb_err *e);

#endif
