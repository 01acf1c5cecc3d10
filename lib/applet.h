/* applet: what every applet shares — its name, fatal errors, usage errors.
 * Exit codes are a contract: 0 done, 1 failed, 2 usage error. */
#ifndef ENVBOX_APPLET_H
#define ENVBOX_APPLET_H
#include <stdbool.h>

#include "util.h"

/* 3 is envbox-docker's "failed for want of disk space" (the daemon said
 * "no space left on device"): the entrypoint then falls back to vfs on the
 * pod's ephemeral disk. */
enum { EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOSPACE = 3 };

struct applet {
	const char *name;  /* "envbox-wait" */
	int (*main)(int argc, char **argv);
	const char *usage; /* full --help text */
	const char *brief; /* one line for listings */
};

extern const struct applet applets[];
extern const struct applet *applet_self; /* the one running */

/* "envbox-APPLET: MSG" on stderr, exit 1. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* die() with another exit status. */
_Noreturn void die_code(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* die() with an eb_err's message: "envbox-APPLET: what: why". */
_Noreturn void die_err(const eb_err *e);
/* One line on stderr plus "Try 'envbox-APPLET --help'.", exit 2. */
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "envbox-APPLET: warning: MSG" on stderr; goes on. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* b's bytes on stdout, flushed; a failed write is fatal ("unable to write
 * output: ..."). */
void put_stdout(const buf *b);
/* Prints the applet's usage text on stdout, exit 0. */
_Noreturn void help(void);

/* True when argv[i] is --help or -h anywhere before a "--". */
bool wants_help(int argc, char **argv);

/* A command of an applet that has some: "envbox-xid shift ARGS" runs
 * run(argc - 1, argv + 1), argv[0] being its name. */
struct applet_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
};

/* An applet's main with commands (each such main is its table of commands
 * and one call of this: alike across the applets, nothing more to share): help() on --help before any "--"; then
 * the command argv[1] names among cmds[0..n). Without one (no argv[1], or
 * one that is no command's name): dflt(argc, argv) where given, else a
 * usage error naming the commands ("expected a command: a, b or c",
 * "unknown command 'x' (expected a, b or c)"). Returns what runs returns. */
int run_command(int argc, char **argv, const struct applet_cmd *cmds, size_t n,
		int (*dflt)(int argc, char **argv));

/* Option parsing helpers for "--name VALUE" and "--name=VALUE".
 * Returns the value and advances *i, or NULL if argv[*i] is not --name.
 * A missing value is a usage error. Each command parses its options with
 * an else-if chain of opt_value calls: the chains look alike across the
 * applets, but each names its own options and where their values go, so
 * this helper is the part they share. */
const char *opt_value(int argc, char **argv, int *i, const char *name);
/* Parses a non-negative decimal for option/argument NAME or usage_error. */
long long parse_count(const char *name, const char *s);

#endif
