/*
 * pki/gen.h: key generation and certificate building for init-ca and issue.
 *
 * Everything here is pure OpenSSL work: no files, no printing. Keys come from
 * pki_keys_new() (several at once, in parallel threads, because the keys of a
 * chain are independent and RSA generation dominates the run time), certificates
 * from pki_cert_new() with the project's one X.509 profile (see pki_cert_new()).
 */
#ifndef KT_PKI_GEN_H
#define KT_PKI_GEN_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/err.h"

enum pki_key_type {
	PKI_KEY_EC_P256 = 0,   /* the default */
	PKI_KEY_EC_P384,
	PKI_KEY_RSA_2048,
	PKI_KEY_RSA_3072,
	PKI_KEY_RSA_4096,
	PKI_KEY_ED25519
};

/* The accepted --key-type spellings, comma-separated (for help and completion). */
#define PKI_KEY_TYPES "ec:p256,ec:p384,rsa:2048,rsa:3072,rsa:4096,ed25519"

/* Parse "ec:p256", "rsa:2048", ... into *type. Returns 0, or KT_E_USAGE (err filled). */
int pki_key_type_parse(const char *s, enum pki_key_type *type, struct kt_err *err);
/* The canonical spelling of type ("ec:p256"); never NULL. */
const char *pki_key_type_name(enum pki_key_type type);
/* The key type of an existing key, for messages ("rsa:2048", "ec:p384", "ed25519", or "unknown"). */
const char *pki_key_describe(const EVP_PKEY *key);

/*
 * Generate n independent keys of one type into keys[0..n-1], one thread per key
 * (n <= PKI_MAX_KEYS). On success every keys[i] is a new key the caller frees with
 * EVP_PKEY_free(). On failure keys[] is all NULL and err says why (KT_E_INTERNAL).
 */
#define PKI_MAX_KEYS 16
int pki_keys_new(enum pki_key_type type, size_t n, EVP_PKEY **keys, struct kt_err *err);

/* What a --host value is, decided by its syntax. */
enum pki_host_kind {
	PKI_HOST_DNS = 0,      /* kong.example, echo, my-svc.ns.svc.cluster.local */
	PKI_HOST_WILDCARD,     /* *.kong.example: the whole left-most label only */
	PKI_HOST_IPV4,         /* 192.0.2.10 */
	PKI_HOST_IPV6          /* 2001:db8::1 */
};

/*
 * Classify and validate a host name for a certificate's SAN. DNS names: labels of
 * letters, digits and '-', 1..63 characters, not starting or ending with '-', at most
 * 253 characters, the last label not all digits; a wildcard is "*." and a DNS name of
 * at least two labels. Returns 0 (kind set), or KT_E_USAGE with a one-line reason.
 */
int pki_host_classify(const char *host, enum pki_host_kind *kind, struct kt_err *err);

/*
 * Serial numbers: 16 random bytes turned into a positive 126..127-bit integer whose
 * DER encoding is always 16 bytes long (top bit clear so it is positive, next bit set
 * so it never shrinks). pki_serial_from_bytes() is the pure part, for tests.
 */
#define PKI_SERIAL_BYTES 16
void pki_serial_from_bytes(unsigned char buf[PKI_SERIAL_BYTES]);
/* A new random serial; the caller frees it with ASN1_INTEGER_free(). NULL on failure (err set). */
ASN1_INTEGER *pki_serial_new(struct kt_err *err);

/* notBefore is set this many seconds before "now", for peers whose clock is a little behind. */
#define PKI_BACKDATE_SECONDS 300

struct pki_cert_spec {
	const char *cn;            /* subject CN; for a leaf, NULL means the first host */
	EVP_PKEY *key;             /* the subject's key (public part is certified) */
	X509 *issuer;              /* issuing CA certificate, NULL for a self-signed root */
	EVP_PKEY *issuer_key;      /* signs the certificate; the subject key when issuer is NULL */
	int is_ca;                 /* 1: CA (root or intermediate), 0: leaf (server certificate) */
	int pathlen;               /* CA only: basicConstraints pathlen, or -1 for none */
	const char *const *hosts;  /* leaf only: SAN entries (validated with pki_host_classify) */
	size_t nhosts;
	long days;                 /* validity from now, in days (>= 1) */
	time_t now;                /* the time to count from; 0 means time(NULL) */
};

/*
 * Build and sign one certificate with the project's profile: X.509 v3, random
 * 16-byte positive serial, subject CN only, notBefore = now - PKI_BACKDATE_SECONDS,
 * notAfter = now + days; SKI always, AKI (keyid) when issued by another CA;
 * CA: basicConstraints=critical,CA:TRUE[,pathlen], keyUsage=critical,keyCertSign,cRLSign;
 * leaf: basicConstraints=critical,CA:FALSE, keyUsage=critical,digitalSignature
 * (+keyEncipherment for an RSA key), extendedKeyUsage=serverAuth, SAN = hosts.
 * The digest follows the signing key: SHA-384 for P-384, none for Ed25519, else SHA-256.
 * Returns a new certificate (X509_free()), or NULL with err set (KT_E_USAGE for a bad
 * host or spec, KT_E_INTERNAL for an OpenSSL failure).
 */
X509 *pki_cert_new(const struct pki_cert_spec *spec, struct kt_err *err);

#endif
