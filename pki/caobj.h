/*
 * pki/caobj: the one engine for "is this a valid Kong CA object certificate?".
 *
 * A CA object (Kong `ca_certificates` entity, or a KIC CA Secret/ConfigMap with
 * label konghq.com/ca-cert: "true") must hold exactly one PEM CERTIFICATE that
 * parses, has basicConstraints CA:TRUE, and is not expired. Kong and KIC apply
 * these rules in different orders with different words (spec §1.6, §4.1; peer
 * fixtures README "Check order"), so both messages are returned:
 *
 *   Kong (kong/db/schema/entities/ca_certificates.lua): parse (field check), then
 *     literal "-----BEGIN CERTIFICATE-----" twice, expired, not a CA.
 *   KIC main / >= 3.4.10 / >= 3.5.3 (translate_cacerts.go toKongCACertificate):
 *     every block CERTIFICATE, no trailing text, one block, parses, CA, expired.
 *
 * Blocks are counted before anything is de-duplicated: the same certificate twice
 * is a bundle. A v1 certificate without extensions is not a CA. Not-yet-valid is
 * checked by neither, but OpenSSL then fails the handshake with error 9: it is
 * reported as a warning (not_yet_valid), not as a rejection.
 */
#ifndef PKI_CAOBJ_H
#define PKI_CAOBJ_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "pki/err.h"

enum pki_caobj_problem {
	PKI_CAOBJ_OK = 0,
	PKI_CAOBJ_NO_CERT,       /* no PEM block at all / not PEM */
	PKI_CAOBJ_BLOCK_TYPE,    /* a block that is not CERTIFICATE */
	PKI_CAOBJ_MULTIPLE,      /* more than one block */
	PKI_CAOBJ_UNPARSABLE,    /* the certificate does not parse */
	PKI_CAOBJ_NOT_CA,        /* no basicConstraints CA:TRUE */
	PKI_CAOBJ_EXPIRED        /* Not After in the past */
};

struct pki_caobj {
	int accepted;            /* both Kong and KIC accept it                               */
	enum pki_caobj_problem kong_problem, kic_problem;
	char kong_msg[256];      /* Kong's entity-check message, "" when Kong accepts          */
	char kic_msg[256];       /* KIC's toKongCACertificate error, "" when KIC accepts        */
	char hint[256];          /* what to do, "" when accepted                               */
	int n_blocks;            /* PEM blocks of any type, counted before de-duplication      */
	int n_cert_tags;         /* literal "-----BEGIN CERTIFICATE-----" lines (Kong's count) */
	X509 *cert;              /* the first certificate, when it parses (owned), else NULL   */
	int is_ca;               /* basicConstraints present with CA:TRUE                      */
	long pathlen;            /* basicConstraints pathlen, -1 when absent                   */
	int expired;             /* Not After < at                                             */
	int not_yet_valid;       /* Not Before > at: neither Kong nor KIC checks; TLS error 9  */
	time_t not_before, not_after;
	char digest[65];         /* SHA-256 of the DER, lowercase hex: Kong's cert_digest     */
};

/*
 * Judge pem (len bytes; need not be NUL-terminated) at time at (0 = now).
 * Returns 0 and fills *out whatever the verdict (a violation is out->accepted == 0,
 * not an error); release it with pki_caobj_release(). Returns a negative
 * kt_status only when it could not judge (out of memory).
 */
int pki_caobj_check(const void *pem, size_t len, time_t at, struct pki_caobj *out, struct kt_err *err);

void pki_caobj_release(struct pki_caobj *c);

/* The hint shown for a bundle: "create one CA object per certificate". */
#define PKI_CAOBJ_HINT_BUNDLE "create one CA object per certificate and list them all on the Service"

#endif
