/* log: the build log, as the original envbox writes it — one JSON object a
 * line on stderr, {"output":"...","time":"RFC3339","type":"info|error|done"}
 * — or plain lines with ENVBOX_LOG_FORMAT=text. Debug lines appear only with
 * CODER_DEBUG=true (they are "info" lines in JSON, as the original has no
 * debug type). */
#ifndef ENVBOX_LOG_H
#define ENVBOX_LOG_H
#include <stdbool.h>
#include <stdio.h>

enum log_type { LOG_INFO, LOG_ERROR, LOG_DONE, LOG_DEBUG };

/* Parses "info", "error", "done", "debug"; -1 otherwise. */
int log_type_parse(const char *s);
bool log_debug_enabled(void);
bool log_json_enabled(void);

/* Writes one log entry to f. msg may be NULL (done). Newlines inside msg are
 * kept inside the one JSON string (or become spaces in text mode), so one
 * call is always one line. */
void log_write(FILE *f, enum log_type t, const char *msg);
void log_msg(enum log_type t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* RFC 3339 UTC time with nanoseconds, as Go's time.Time marshals:
 * "2026-11-28T01:48:11.123456789Z". out must hold 40 bytes. */
void log_time(char *out, size_t n);

#endif
