/* docker_err: what a failed request says. The daemon's error answer
 * (docker_api_error) and a connection that could not be made
 * (docker_connect_error), for the requests of docker.c and the hijacked
 * connections of docker_conn.c alike. */
#include "docker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docker_int.h"
#include "json.h"

static const char *reason(long status)
{
	/* What a status means when the daemon sent no message with it. */
	static const struct { long status; const char *text; } tab[] = {
		{ 304, "not modified (already in that state)" },
		{ 400, "bad request" },
		{ 401, "unauthorized" },
		{ 403, "forbidden" },
		{ 404, "not found" },
		{ 405, "method not allowed" },
		{ 409, "conflict" },
		{ 500, "daemon error" },
		{ 503, "daemon unavailable" },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].status == status)
			return tab[i].text;
	return "no message";
}

/* The "message" member of a JSON object in body[0..len), or NULL. */
static char *json_message(const char *body, size_t len)
{
	json_doc d = { 0 };
	eb_err ignored;
	char *msg;

	if (json_parse(&d, body, len, &ignored) < 0)
		return NULL;
	msg = json_strdup(&d, json_obj_get(&d, 0, "message"));
	json_free(&d);
	return msg;
}

void docker_api_error(eb_err *e, const char *method, const char *path,
		      long status, const char *body, size_t len)
{
	char *msg = json_message(body, len);
	const char *open, *close;

	/* A chunked answer read raw still holds the object whole. */
	if (!msg && (open = memchr(body, '{', len)) &&
	    (close = memrchr(body, '}', len)) && close > open)
		msg = json_message(open, (size_t)(close + 1 - open));
	if (!msg) {
		/* Not JSON: its first non-blank line is the best we have. */
		size_t n = 0;

		while (len && (*body == ' ' || *body == '\t' || *body == '\r' ||
			       *body == '\n'))
			body++, len--;
		while (n < len && body[n] != '\r' && body[n] != '\n')
			n++;
		msg = xstrndup(body, n);
	}
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	if (strlen(msg) > 400)
		strcpy(msg + 397, "...");
	eb_errf(e, "%s %s: %s (HTTP %ld)", method, path,
		*msg ? msg : reason(status), status);
	free(msg);
}

void docker_connect_error(CURL *c, const char *sock, const char *curlerr,
			  const char *method, const char *path, CURLcode rc,
			  eb_err *e)
{
	struct stat st;
	long oserr = 0;

	if (rc != CURLE_COULDNT_CONNECT) {
		eb_errf(e, "%s %s: %s: %s", method, path, sock,
			*curlerr ? curlerr : curl_easy_strerror(rc));
		return;
	}
	if (stat(sock, &st) < 0) {
		eb_errf(e, "%s %s: cannot connect to %s: %s", method, path,
			sock, strerror(errno));
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		eb_errf(e, "%s %s: cannot connect to %s: not a socket", method,
			path, sock);
		return;
	}
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	eb_errf(e, "%s %s: cannot connect to %s: %s", method, path, sock,
		oserr ? strerror((int)oserr) : curl_easy_strerror(rc));
}
