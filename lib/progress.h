/* progress: follow dockerd's image pull stream (POST /images/create), one
 * JSON object a line, and sum it up for a person:
 *   pulling: 3/7 layers done, 12.3 MB/45.6 MB downloaded
 * Per-layer state lives in a fixed table, so memory does not grow with the
 * stream, however long or hostile. */
#ifndef ENVBOX_PROGRESS_H
#define ENVBOX_PROGRESS_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* An image has at most 127 layers (overlay2 stacks 128 lower dirs); more
 * than this many ids in one stream are not counted. */
#define PROGRESS_MAX_LAYERS 512
#define PROGRESS_ID_MAX 72   /* "sha256:" + 64 hex; dockerd sends 12 */
#define PROGRESS_MSG_MAX 512 /* error and status text; longer is cut */

/* A layer's way through a pull, in order. */
enum {
	LAYER_WAITING,     /* "Pulling fs layer", "Waiting", "Retrying in Ns" */
	LAYER_DOWNLOADING, /* "Downloading" with current/total bytes */
	LAYER_VERIFYING,   /* "Verifying Checksum" */
	LAYER_DOWNLOADED,  /* "Download complete" */
	LAYER_EXTRACTING,  /* "Extracting" */
	LAYER_DONE,        /* "Pull complete" */
	LAYER_EXISTS,      /* "Already exists": done, nothing downloaded */
};

typedef struct {
	char id[PROGRESS_ID_MAX + 1];
	int state;                    /* LAYER_* */
	long long current, total;     /* downloaded bytes; total 0: unknown */
} progress_layer;

typedef struct {
	progress_layer layer[PROGRESS_MAX_LAYERS];
	size_t nlayer;
	bool overflow;                 /* ids seen after the table was full */
	char error[PROGRESS_MSG_MAX];  /* the stream's error message, or "" */
	char status[PROGRESS_MSG_MAX]; /* "Downloaded newer image for X", "" */
	char digest[PROGRESS_ID_MAX + 1];
	size_t lines;
} progress;

void progress_init(progress *p);
/* Feeds one line (without or with its "\r\n"). Blank lines are skipped;
 * a line that is not a JSON object, or whose known fields have the wrong
 * type, is an error (-1, e filled). An error object from dockerd is not:
 * it returns 0 and progress_error says it. Unknown statuses are ignored. */
int progress_line(progress *p, const char *line, size_t len, eb_err *e);
/* Appends "pulling: D/N layers done, X MB/Y MB downloaded". */
void progress_summary(const progress *p, buf *out);
/* dockerd's error message ({"error": ...}), NULL if none so far. */
const char *progress_error(const progress *p);
/* The final "Status: ..." text without "Status: ", NULL until it came:
 * "Downloaded newer image for alpine:3.19", "Image is up to date for ...". */
const char *progress_status(const progress *p);
/* Layers done (pulled or already there) and layers seen. */
size_t progress_done_layers(const progress *p);

#endif
