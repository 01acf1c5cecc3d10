/* log: the build log, as the original envbox writes it. ENVBOX_LOG_FORMAT
 * picks the form (the entrypoint sets json unless told otherwise):
 *   json   one object a line: {"output":"...","time":"RFC3339","type":"info"}
 *          with type info, error or done
 *   text   "TIME TYPE: message"
 *   unset  "PROG: message" — an applet run by hand
 * Debug entries appear only with CODER_DEBUG=true (as "info" in JSON: the
 * original has no debug type). */
#ifndef ENVBOX_LOG_H
#define ENVBOX_LOG_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum log_type { LOG_INFO, LOG_ERROR, LOG_DONE, LOG_DEBUG };
enum log_format { LOG_PLAIN, LOG_TEXT, LOG_JSON };

/* The name plain entries start with ("envbox-docker"). */
void log_set_prog(const char *prog);
enum log_format log_format(void);

/* Parses "info", "error", "done", "debug"; -1 otherwise. */
int log_type_parse(const char *s);
bool log_debug_enabled(void);

/* Writes one log entry to f. msg may be NULL (done). Newlines inside msg are
 * kept inside the one JSON string (or become spaces in text mode), so one
 * call is always one line. */
void log_write(FILE *f, enum log_type t, const char *msg);
void log_msg(enum log_type t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where lib code's progress, retries and warnings go: the applet writes
 * them to the build log (lib code never prints). */
typedef void (*log_fn)(void *arg, enum log_type t, const char *msg);
/* fn(arg, t, the message fmt makes), the message freed after; nothing
 * (not even the formatting) when fn is NULL. */
void log_to(log_fn fn, void *arg, enum log_type t, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void log_vto(log_fn fn, void *arg, enum log_type t, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* RFC 3339 UTC time with nanoseconds, as Go's time.Time marshals:
 * "2026-11-28T01:48:11.123456789Z". out must hold 40 bytes. */
void log_time(char *out, size_t n);

#endif
