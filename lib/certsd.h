/* certsd: CA certificates installed for a registry where dockerd reads
 * them, DIR/<registry>/ (moby registry.ReadCertsDirectory), as envbox-auth
 * certs does. Which files and under what names and modes: lib/auth.h
 * (auth_cert_*); here the listing, the copy and the swap into place. */
#ifndef ENVBOX_CERTSD_H
#define ENVBOX_CERTSD_H
#include <stddef.h>

#include "auth.h"
#include "util.h"

/* 1 when path exists (anything, a dangling link too), 0 when it does not,
 * -1 with e filled when it cannot be told. */
int certsd_present(const char *path, eb_err *e);

/* What to install from from: a file becomes AUTH_CERT_CA; a directory's
 * files (auth_cert_files) get auth_cert_name's names and must pass
 * auth_certs_check. *out (auth_certs_free) and *n are set, even on
 * failure. -1 with e filled, naming from as "--from PATH": missing, not a
 * file or directory, unreadable, no files, unpaired or clashing names. */
int certsd_list(const char *from, struct auth_cert **out, size_t *n, eb_err *e);

enum { CERTSD_INSTALLED = 0, CERTSD_PRESENT = 1 };
/* Installs v[0..n) as dir/registry: dir is made when missing (mkdir -p);
 * the files are copied (auth_cert_mode) into a new hidden directory
 * beside the target, dir/.registry.XXXXXX, which is made 0755 and renamed
 * into place, so the set appears at once or not at all. CERTSD_INSTALLED;
 * CERTSD_PRESENT when dir/registry appeared meanwhile (left as it is); -1
 * with e filled. On anything but CERTSD_INSTALLED the new directory is
 * gone. */
int certsd_install(const char *dir, const char *registry, const struct auth_cert *v,
		   size_t n, eb_err *e);

#endif
