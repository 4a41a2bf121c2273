/*
 * cmd/certout.h: what init-ca and issue share: the intermediates limit, cleaning up
 * temporary files when interrupted, and printing the summary line of a written certificate.
 */
#ifndef KT_CMD_CERTOUT_H
#define KT_CMD_CERTOUT_H

#include <stdio.h>

#include <openssl/x509.h>

#include "pki/files.h"

/* init-ca makes at most this many intermediates (inter1..inter8); issue looks for as many. */
#define KT_MAX_INTERMEDIATES 8

/*
 * Make set the one a SIGINT/SIGTERM/SIGHUP removes the temporary files of before the
 * process dies (with the signal's usual status). NULL forgets it. Handlers are
 * installed on the first call.
 */
void kt_guard_fileset(struct pki_fileset *set);

/* "until 2036-11-24" style date of cert's notAfter into buf. */
void kt_cert_until(const X509 *cert, char *buf, size_t len);

#endif
