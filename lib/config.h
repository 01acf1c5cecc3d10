/* config: the CODER_* variables of `envbox docker`, validated before anything
 * is touched. Each bad value is reported as one line naming the variable and
 * the value (secrets excepted: the agent token and pull secret are never
 * echoed). */
#ifndef ENVBOX_CONFIG_H
#define ENVBOX_CONFIG_H
#include <stdbool.h>

#include "values.h"
#include "util.h"

struct envbox_config {
	const char *container;  /* CODER_CVM_CONTAINER_NAME, default workspace_cvm */
	const char *image;      /* CODER_INNER_IMAGE (required) */
	const char *username;   /* CODER_INNER_USERNAME (required) */
	const char *hostname;   /* CODER_INNER_HOSTNAME, default: container */
	const char *workdir;    /* CODER_INNER_WORK_DIR or NULL */
	char bip[CIDR_STRLEN];  /* from CODER_DOCKER_BRIDGE_CIDR */
	unsigned cpus;          /* thousandths of a CPU; 0: unlimited */
	unsigned long long memory; /* 0: unlimited */
	bool add_tun, add_fuse, add_gpu, disable_idmapped_mount, debug;
	/* ENVBOX_NESTING: "auto" (the default: Docker and systemd inside the
	 * workspace wherever the host allows, docs/nesting.md), "on" (fail
	 * where it does not), "off" */
	const char *nesting;
};

/* Reads variables through get (getenv, or a fake in tests). -1 with e
 * naming the first bad variable. */
int config_load(struct envbox_config *c, const char *(*get)(const char *name),
		eb_err *e);

/* Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool valid_container_name(const char *s);
/* RFC 1123 host name: dot-separated labels of letters, digits and '-',
 * neither starting nor ending with '-', each 1..63, 64 at most in all
 * (the kernel's limit). */
bool valid_hostname(const char *s);

#endif
