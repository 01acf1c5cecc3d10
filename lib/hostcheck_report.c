/* hostcheck_report: a judged report (hostcheck.h) as envbox-check prints
 * it: the verdict and its reasons, text lines or one JSON object. */
#include "hostcheck.h"

#include <stdlib.h>

#include "json.h"

const char *hc_status_name(enum hc_status s)
{
	switch (s) {
	case HC_OK:
		return "ok";
	case HC_INFO:
		return "info";
	case HC_DEGRADED:
		return "degraded";
	case HC_FATAL:
		return "fatal";
	}
	return "?";
}

void hostcheck_report_free(struct hc_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].message);
		free(r->v[i].reason);
	}
	free(r->v);
	*r = (struct hc_report){ 0 };
}

const char *hostcheck_verdict(const struct hc_report *r)
{
	return r->worst == HC_FATAL ? "cannot start" : r->worst == HC_DEGRADED ? "degraded"
									       : "ready";
}

/* The reasons the verdict gives: the fatal ones when it cannot start (what
 * to fix first), else the degraded ones. */
static bool in_verdict(const struct hc_report *r, const struct hc_result *x)
{
	return x->reason && x->status == r->worst;
}

void hostcheck_text(const struct hc_report *r, bool verdict_only, buf *out)
{
	const char *sep = ": ";

	if (!verdict_only)
		for (size_t i = 0; i < r->n; i++)
			buf_printf(out, "%s %s: %s\n", r->v[i].name,
				   hc_status_name(r->v[i].status), r->v[i].message);
	buf_printf(out, "verdict %s", hostcheck_verdict(r));
	for (size_t i = 0; i < r->n; i++)
		if (in_verdict(r, &r->v[i])) {
			buf_printf(out, "%s%s", sep, r->v[i].reason);
			sep = "; ";
		}
	buf_addc(out, '\n');
}

void hostcheck_json(const struct hc_report *r, buf *out)
{
	json_w w;

	jw_init(&w, out);
	jw_obj(&w);
	jw_kstr(&w, "verdict", hostcheck_verdict(r));
	jw_key(&w, "reasons");
	jw_arr(&w);
	for (size_t i = 0; i < r->n; i++)
		if (in_verdict(r, &r->v[i]))
			jw_str(&w, r->v[i].reason);
	jw_arr_end(&w);
	jw_key(&w, "checks");
	jw_arr(&w);
	for (size_t i = 0; i < r->n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "name", r->v[i].name);
		jw_kstr(&w, "status", hc_status_name(r->v[i].status));
		jw_kstr(&w, "message", r->v[i].message);
		if (r->v[i].reason)
			jw_kstr(&w, "reason", r->v[i].reason);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	buf_addc(out, '\n');
}
