/* log: the build log in the original envbox's JSON-lines format. */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "values.h"
#include "util.h"

static const char *const type_names[] = {
	[LOG_INFO] = "info", [LOG_ERROR] = "error", [LOG_DONE] = "done", [LOG_DEBUG] = "debug",
};

int log_type_parse(const char *s)
{
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (!strcmp(s, type_names[i]))
			return (int)i;
	return -1;
}

/* CODER_DEBUG read as config reads it (parse_bool): one set of spellings
 * for every boolean; a value it refuses is not debug. */
bool log_debug_enabled(void)
{
	const char *v = getenv("CODER_DEBUG");
	bool on = false;
	eb_err e;

	return v && parse_bool("CODER_DEBUG", v, &on, &e) == 0 && on;
}

static const char *prog = "envbox";

void log_set_prog(const char *p)
{
	prog = p;
}

enum log_format log_format(void)
{
	const char *v = getenv("ENVBOX_LOG_FORMAT");

	if (v && !strcmp(v, "json"))
		return LOG_JSON;
	if (v && !strcmp(v, "text"))
		return LOG_TEXT;
	return LOG_PLAIN;
}

void log_time(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char secs[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(secs, sizeof secs, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", secs, ts.tv_nsec);
}

static void one_line(buf *b, const char *msg)
{
	for (const char *p = msg; *p; p++)
		buf_addc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
}

void log_write(FILE *f, enum log_type t, const char *msg)
{
	char when[40];
	buf b = { 0 };

	if (t == LOG_DEBUG && !log_debug_enabled())
		return;
	if (!msg)
		msg = "";
	log_time(when, sizeof when);
	switch (log_format()) {
	case LOG_JSON: {
		json_w w;

		jw_init(&w, &b);
		jw_obj(&w);
		jw_kstr(&w, "output", msg);
		jw_kstr(&w, "time", when);
		jw_kstr(&w, "type", t == LOG_DEBUG ? "info" : type_names[t]);
		jw_obj_end(&w);
		break;
	}
	case LOG_TEXT:
		buf_printf(&b, "%s %s%s", when, type_names[t], *msg ? ": " : "");
		one_line(&b, msg);
		break;
	case LOG_PLAIN:
		if (t == LOG_DONE)
			return;
		buf_printf(&b, "%s: %s", prog, t == LOG_ERROR ? "error: " : "");
		one_line(&b, msg);
		break;
	}
	buf_addc(&b, '\n');
	/* One write per entry so concurrent writers never interleave a line. */
	fwrite(b.p, 1, b.len, f);
	fflush(f);
	buf_free(&b);
}

void log_vto(log_fn fn, void *arg, enum log_type t, const char *fmt, va_list ap)
{
	char *msg;

	if (!fn)
		return;
	msg = xvasprintf(fmt, ap);
	fn(arg, t, msg);
	free(msg);
}

void log_to(log_fn fn, void *arg, enum log_type t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vto(fn, arg, t, fmt, ap);
	va_end(ap);
}

/* log_write as a log_fn: arg is the FILE. */
static void write_to(void *f, enum log_type t, const char *msg)
{
	log_write(f, t, msg);
}

void log_msg(enum log_type t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vto(write_to, stderr, t, fmt, ap);
	va_end(ap);
}
