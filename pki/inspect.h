/*
 * pki/inspect: what a certificate says, as plain data for cmd/ to print.
 *
 * pki_inspect_certs() describes every certificate of a stack (subject, issuer,
 * SANs, validity, key, basicConstraints, key usages, EKU, serial, fingerprint)
 * and whether the stack is a chain in order: each certificate issued (name
 * match and a verifying signature) by the next one. Nothing here prints.
 */
#ifndef PKI_INSPECT_H
#define PKI_INSPECT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "pki/err.h"

struct pki_strlist {
	char **v;
	int n;
};

struct pki_cert_info {
	int version;               /* 1, 2 or 3 */
	char subject[512];         /* "C=US, O=Kong, CN=example.com": certificate order, RFC 2253 escaping */
	char issuer[512];
	char serial[128];          /* hex, upper case, no separators */
	char sig_alg[64];          /* "sha256WithRSAEncryption" */
	time_t not_before, not_after;
	char not_before_s[32];     /* "2029-04-28T19:55:21Z" */
	char not_after_s[32];
	long days_left;            /* whole days until Not After (negative when expired) */
	int expired, not_yet_valid;
	char key_type[16];         /* "RSA", "EC", "ED25519", "ED448", "DSA", "unknown" */
	int key_bits;
	char key_curve[32];        /* EC only: "prime256v1" (P-256) */
	int has_bc, bc_critical, is_ca;
	long pathlen;              /* -1 when absent */
	int has_ku, ku_critical;
	struct pki_strlist key_usage;   /* "digitalSignature", "keyCertSign", ... */
	int has_eku;
	struct pki_strlist eku;         /* "serverAuth", "clientAuth", or dotted OIDs */
	struct pki_strlist sans;        /* "DNS:example.com", "IP:10.0.0.1", "email:...", "URI:..." */
	char sha256[96];           /* "AB:CD:..." fingerprint of the DER */
	int self_signed;           /* self-issued and its signature verifies with its own key */
	int issued_by_next;        /* stack order: the next certificate issued this one (0 for the last) */
};

struct pki_inspect {
	struct pki_cert_info *certs;
	int n;
	int chain_in_order;        /* n > 1 and every certificate is issued by the next one */
	int first_break;           /* index i where cert i is not issued by cert i+1; -1 if none */
};

/*
 * Describe every certificate in certs (borrowed) as of time at (0 = now).
 * Returns 0, or KT_E_INTERNAL (out of memory) with *out zeroed.
 */
int pki_inspect_certs(STACK_OF(X509) *certs, time_t at, struct pki_inspect *out, struct kt_err *err);
void pki_inspect_release(struct pki_inspect *in);

/* One certificate's description into *info (release with pki_cert_info_release). */
/* An X.509 time as time_t (UTC); 0 when t is NULL or unreadable. */
time_t pki_asn1_time(const ASN1_TIME *t);

int pki_cert_info_fill(X509 *x, time_t at, struct pki_cert_info *info, struct kt_err *err);
void pki_cert_info_release(struct pki_cert_info *info);

/* A name on one line, in certificate order: "C=US, CN=example.com". Always NUL-terminates buf. */
void pki_name_oneline(const X509_NAME *name, char *buf, size_t size);

/* 1 when issuer issued x: names match and x's signature verifies with issuer's key. */
int pki_issued_by(X509 *x, X509 *issuer);

#endif
