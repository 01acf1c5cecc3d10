/* values: parsers and checks for the values of the entrypoint's variables
 * (CIDR, CPUs, memory, booleans, env patterns, the agent subsystem).
 * Every parser takes the variable's name (var) so its error reads
 * `CODER_CPUS "1.5": expected ...`. An unset or empty variable means "not
 * given" to the original envbox; callers check that before calling these,
 * which treat "" as an error. */
#ifndef ENVBOX_VALUES_H
#define ENVBOX_VALUES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* An IPv4 CIDR a.b.c.d/n: four decimal octets without leading zeros (Go's
 * net.ParseCIDR, which the original uses, refuses "01.2.3.4" too), n 0..32
 * without leading zeros. *addr in host byte order. */
int cidr_parse(const char *var, const char *s, uint32_t *addr, int *prefix,
	       eb_err *e);

/* dockerd --bip from a CIDR: the network's first address plus one, with the
 * same prefix, as the original computes it (172.19.0.0/30 and 172.19.0.3/30
 * both give 172.19.0.1/30). A /31 or /32 leaves no address for a container
 * once the bridge has one, so it is refused. out holds CIDR_STRLEN bytes. */
#define CIDR_STRLEN sizeof "255.255.255.255/32"
int cidr_bridge(const char *var, const char *s, char *out, eb_err *e);

/* CODER_CPUS: a number of CPUs as `docker run --cpus` takes it, plain
 * decimal digits with at most three decimals ("2", "1.5", "0.25"), 0.01
 * (the kernel's smallest CFS quota, 1 ms a 100 ms period) to CPUS_MAX. The
 * Downward API's limits.cpu (divisor 1) gives a whole number, rounded up;
 * Kubernetes' "500m" is refused rather than guessed at. *out is in
 * thousandths of a CPU (1.5 -> 1500). */
#define CPUS_MAX 8192 /* the kernel's largest NR_CPUS */
#define CPUS_MIN_MILLI 10
int parse_cpus(const char *var, const char *s, unsigned *out, eb_err *e);
/* The shortest spelling parse_cpus reads back: 1500 -> "1.5", 2000 -> "2". */
#define CPUS_STRLEN sizeof "4294967.295"
void cpus_format(unsigned milli, char *out);

/* CODER_MEMORY: bytes, as the Downward API's limits.memory gives them, or
 * a whole number with a Kubernetes quantity suffix, k M G T P E (powers of
 * 1000) or Ki Mi Gi Ti Pi Ei (powers of 1024), as in a pod's resources.
 * Docker CLI spellings ("512m", "1g") are refused: "m" means milli to
 * Kubernetes. At least MEMORY_MIN (dockerd refuses less), at most
 * INT64_MAX (the Engine API's field). */
#define MEMORY_MIN 6291456ULL /* 6 MiB: dockerd's linuxMinMemory */
int parse_memory(const char *var, const char *s, unsigned long long *out,
		 eb_err *e);

/* Booleans exactly as Go's strconv.ParseBool, which the original uses:
 * 1 t T TRUE true True, 0 f F FALSE false False. */
int parse_bool(const char *var, const char *s, bool *out, eb_err *e);

/* ENVBOX_NESTING: "auto", "on" or "off" (docs/nesting.md); NULL or "" is
 * "auto". *out is the value, a static string. */
int parse_nesting(const char *var, const char *s, const char **out, eb_err *e);

/* CODER_INNER_ENVS: comma-separated variable names, or prefixes ending in
 * '*' ("KUBERNETES_*"; "*" alone passes everything). Blanks around entries
 * and empty entries are ignored, as the original does. Names may use
 * letters, digits, '_', '-' and '.', not starting with a digit (what
 * Kubernetes allows in a container's env). */
typedef struct {
	char **pat;
	size_t n;
} envs_list;

int envs_parse(const char *var, const char *s, envs_list *out, eb_err *e);
/* name may be a bare name or a "NAME=value" environment entry. */
bool envs_match(const envs_list *l, const char *name);
void envs_free(envs_list *l);

/* CODER_AGENT_SUBSYSTEM for the inner container: the existing value (may be
 * NULL) plus "envbox", entries trimmed, empty ones dropped, deduplicated,
 * sorted bytewise and joined with commas, as the original does. Owned. */
char *subsystem_merge(const char *existing);

#endif
