/* progress: dockerd's pull stream as a state machine (progress.h). */
#include "progress.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Per-layer statuses dockerd sends (distribution/xfer and
 * distribution/pull_v2.go), and the state each one means. */
static const struct {
	const char *status;
	int state;
	bool prefix; /* "Retrying in 5 seconds" */
} layer_status[] = {
	{"Pulling fs layer", LAYER_WAITING, false},
	{"Waiting", LAYER_WAITING, false},
	{"Retrying in ", LAYER_WAITING, true},
	{"Downloading", LAYER_DOWNLOADING, false},
	{"Verifying Checksum", LAYER_VERIFYING, false},
	{"Download complete", LAYER_DOWNLOADED, false},
	{"Extracting", LAYER_EXTRACTING, false},
	{"Pull complete", LAYER_DONE, false},
	{"Already exists", LAYER_EXISTS, false},
};

void progress_init(progress *p)
{
	memset(p, 0, sizeof *p);
}

/* Copies a JSON string into a fixed field, cut to fit. */
static void copy_str(char *dst, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (l >= n)
		l = n - 1;
	memcpy(dst, s, l);
	dst[l] = 0;
}

static progress_layer *layer(progress *p, const char *id)
{
	char key[PROGRESS_ID_MAX + 1];
	progress_layer *l;

	copy_str(key, sizeof key, id);
	for (size_t i = 0; i < p->nlayer; i++)
		if (strcmp(p->layer[i].id, key) == 0)
			return &p->layer[i];
	if (p->nlayer == PROGRESS_MAX_LAYERS) {
		p->overflow = true;
		return NULL;
	}
	l = &p->layer[p->nlayer++];
	memset(l, 0, sizeof *l);
	memcpy(l->id, key, sizeof key);
	return l;
}

/* A member that must be a string when present: 0 and *out (owned, NULL
 * when absent), or -1 when it has another type. */
static int opt_str(const json_doc *d, int obj, const char *key, char **out)
{
	int t = json_obj_get(d, obj, key);

	*out = NULL;
	if (t < 0 || json_is_null(d, t))
		return 0;
	*out = json_strdup(d, t);
	return *out ? 0 : -1;
}

/* progressDetail's current and total, when it has them. */
static int detail(const json_doc *d, long long *cur, long long *tot)
{
	int pd = json_obj_get(d, 0, "progressDetail"), t;

	*cur = *tot = -1;
	if (pd < 0 || json_is_null(d, pd))
		return 0;
	if (json_type(d, pd) != JSMN_OBJECT)
		return -1;
	if ((t = json_obj_get(d, pd, "current")) >= 0 && json_int(d, t, cur) < 0)
		return -1;
	if ((t = json_obj_get(d, pd, "total")) >= 0 && json_int(d, t, tot) < 0)
		return -1;
	return 0;
}

static void layer_event(progress *p, const char *id, int state, long long cur,
			long long tot)
{
	progress_layer *l = layer(p, id);

	if (!l)
		return;
	/* A finished layer stays finished whatever a late line says. */
	if (l->state == LAYER_DONE || l->state == LAYER_EXISTS)
		return;
	l->state = state;
	switch (state) {
	case LAYER_DOWNLOADING:
		if (tot > 0)
			l->total = tot;
		if (cur >= 0)
			l->current = cur;
		break;
	case LAYER_EXTRACTING:
		/* Extraction runs over the compressed bytes just fetched:
		 * its total is the download's size when that was unknown. */
		if (l->total == 0 && tot > 0)
			l->total = tot;
		/* fall through */
	case LAYER_VERIFYING:
	case LAYER_DOWNLOADED:
	case LAYER_DONE:
		l->current = l->total;
		break;
	case LAYER_EXISTS:
		l->current = l->total = 0;
		break;
	}
}

static void status_event(progress *p, const char *status, const char *id,
			 long long cur, long long tot)
{
	if (str_starts(status, "Status: ")) {
		copy_str(p->status, sizeof p->status, status + 8);
		return;
	}
	if (str_starts(status, "Digest: ")) {
		copy_str(p->digest, sizeof p->digest, status + 8);
		return;
	}
	/* "Pulling from library/alpine" carries the tag as its id: not a
	 * layer, so only the statuses in the table make one. */
	if (!id || !*id)
		return;
	for (size_t i = 0; i < sizeof layer_status / sizeof *layer_status; i++) {
		bool hit = layer_status[i].prefix
				   ? str_starts(status, layer_status[i].status)
				   : strcmp(status, layer_status[i].status) == 0;

		if (hit) {
			layer_event(p, id, layer_status[i].state, cur, tot);
			return;
		}
	}
}

int progress_line(progress *p, const char *line, size_t len, eb_err *e)
{
	char *status = NULL, *id = NULL, *err = NULL, *msg = NULL;
	long long cur, tot;
	json_doc d;
	eb_err je;
	int ed, rc = -1;
	size_t i;

	for (i = 0; i < len && line[i] && strchr(" \t\r\n", line[i]); i++)
		;
	if (i == len)
		return 0;
	p->lines++;
	if (json_parse(&d, line, len, &je) < 0) {
		eb_errf(e, "pull progress line %zu: %s", p->lines, je.msg);
		return -1;
	}
	if (json_type(&d, 0) != JSMN_OBJECT) {
		eb_errf(e, "pull progress line %zu: not a JSON object", p->lines);
		goto out;
	}
	ed = json_obj_get(&d, 0, "errorDetail");
	if (ed >= 0 && json_is_null(&d, ed))
		ed = -1;
	if (opt_str(&d, 0, "status", &status) < 0 ||
	    opt_str(&d, 0, "id", &id) < 0 ||
	    opt_str(&d, 0, "error", &err) < 0 ||
	    detail(&d, &cur, &tot) < 0 ||
	    (ed >= 0 && json_type(&d, ed) != JSMN_OBJECT) ||
	    (ed >= 0 && opt_str(&d, ed, "message", &msg) < 0)) {
		eb_errf(e, "pull progress line %zu: a field has the wrong type",
			p->lines);
		goto out;
	}
	/* errorDetail.message is the full text; "error" repeats it. */
	if (msg || err)
		copy_str(p->error, sizeof p->error, msg && *msg ? msg : err ? err : "");
	if (status)
		status_event(p, status, id, cur, tot);
	rc = 0;
out:
	free(status);
	free(id);
	free(err);
	free(msg);
	json_free(&d);
	return rc;
}

/* Decimal units, as docker's own progress bars print sizes. */
static void human(buf *out, long long n)
{
	static const char *const unit[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)n;
	int u = -1;

	if (n < 1000) {
		buf_printf(out, "%lld B", n);
		return;
	}
	while (v >= 999.95 && u < 5) {
		v /= 1000;
		u++;
	}
	buf_printf(out, "%.1f %s", v, unit[u]);
}

size_t progress_done_layers(const progress *p)
{
	size_t done = 0;

	for (size_t i = 0; i < p->nlayer; i++)
		if (p->layer[i].state == LAYER_DONE || p->layer[i].state == LAYER_EXISTS)
			done++;
	return done;
}

/* Sums saturate at 10^18 (1 EB): a hostile stream's sizes must not
 * overflow. Both operands are >= 0. */
static long long sat_add(long long a, long long b)
{
	const long long cap = 1000000000000000000LL;

	return b > cap - a ? cap : a + b;
}

void progress_summary(const progress *p, buf *out)
{
	long long cur = 0, tot = 0;

	for (size_t i = 0; i < p->nlayer; i++) {
		cur = sat_add(cur, p->layer[i].current);
		tot = sat_add(tot, p->layer[i].total);
	}
	buf_printf(out, "pulling: %zu/%zu%s layers done, ", progress_done_layers(p),
		   p->nlayer, p->overflow ? "+" : "");
	human(out, cur);
	buf_addc(out, '/');
	human(out, tot);
	buf_adds(out, " downloaded");
}

const char *progress_error(const progress *p)
{
	return p->error[0] ? p->error : NULL;
}

const char *progress_status(const progress *p)
{
	return p->status[0] ? p->status : NULL;
}
