/*
 * pki/gen.c: keys (generated in parallel), host validation, serials, and the one
 * X.509 profile every certificate we create follows. See pki/gen.h for contracts.
 */
#include "pki/gen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static const struct {
	const char *name;
	enum pki_key_type type;
} key_types[] = {
	{ "ec:p256", PKI_KEY_EC_P256 },
	{ "ec:p384", PKI_KEY_EC_P384 },
	{ "rsa:2048", PKI_KEY_RSA_2048 },
	{ "rsa:3072", PKI_KEY_RSA_3072 },
	{ "rsa:4096", PKI_KEY_RSA_4096 },
	{ "ed25519", PKI_KEY_ED25519 },
};

#define N_KEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

int pki_key_type_parse(const char *s, enum pki_key_type *type, struct kt_err *err)
{
	size_t i;

	for (i = 0; i < N_KEY_TYPES; i++) {
		if (!strcmp(s, key_types[i].name)) {
			*type = key_types[i].type;
			return KT_OK;
		}
	}
	return kt_err_set(err, KT_E_USAGE, "unknown key type '%s': expected one of %s",
			  s, PKI_KEY_TYPES);
}

const char *pki_key_type_name(enum pki_key_type type)
{
	size_t i;

	for (i = 0; i < N_KEY_TYPES; i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return "unknown";
}

const char *pki_key_describe(const EVP_PKEY *key)
{
	char group[64];

	if (!key)
		return "unknown";
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return "ed25519";
	case EVP_PKEY_RSA:
		switch (EVP_PKEY_get_bits(key)) {
		case 2048: return "rsa:2048";
		case 3072: return "rsa:3072";
		case 4096: return "rsa:4096";
		default: return "rsa";
		}
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), NULL))
			return "ec";
		if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
			return "ec:p256";
		if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
			return "ec:p384";
		return "ec";
	default:
		return "unknown";
	}
}

static EVP_PKEY *key_new(enum pki_key_type type)
{
	switch (type) {
	case PKI_KEY_EC_P256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case PKI_KEY_EC_P384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case PKI_KEY_RSA_2048: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	case PKI_KEY_RSA_3072: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	case PKI_KEY_RSA_4096: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
	case PKI_KEY_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	}
	return NULL;
}

struct keygen_job {
	enum pki_key_type type;
	EVP_PKEY *key;
	unsigned long ossl_err;  /* first OpenSSL error of this thread (queues are per thread) */
};

static void *keygen_thread(void *arg)
{
	struct keygen_job *job = arg;

	job->key = key_new(job->type);
	if (!job->key)
		job->ossl_err = ERR_peek_error();
	/* Each thread has its own error queue and DRBG state: release them before exiting. */
	ERR_clear_error();
	OPENSSL_thread_stop();
	return NULL;
}

int pki_keys_new(enum pki_key_type type, size_t n, EVP_PKEY **keys, struct kt_err *err)
{
	struct keygen_job jobs[PKI_MAX_KEYS];
	pthread_t threads[PKI_MAX_KEYS];
	int started[PKI_MAX_KEYS];
	unsigned long first_err = 0;
	sigset_t all, old;
	size_t i;
	int ok = 1;

	if (n > PKI_MAX_KEYS)
		return kt_err_set(err, KT_E_INTERNAL, "too many keys requested (%zu, at most %d)", n, PKI_MAX_KEYS);
	/*
	 * Workers start with every signal blocked, so a SIGINT/SIGTERM handler always runs
	 * on the calling thread and never alongside it.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < n; i++) {
		keys[i] = NULL;
		jobs[i].type = type;
		jobs[i].key = NULL;
		jobs[i].ossl_err = 0;
		/* The calling thread does the last key itself: one thread fewer to start. */
		started[i] = i + 1 < n && pthread_create(&threads[i], NULL, keygen_thread, &jobs[i]) == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < n; i++)
		if (!started[i])
			jobs[i].key = key_new(type), jobs[i].ossl_err = jobs[i].key ? 0 : ERR_peek_error();
	for (i = 0; i < n; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	for (i = 0; i < n; i++) {
		if (!jobs[i].key) {
			ok = 0;
			if (!first_err)
				first_err = jobs[i].ossl_err;
		}
	}
	if (!ok) {
		char reason[256] = "unknown OpenSSL error";

		for (i = 0; i < n; i++)
			EVP_PKEY_free(jobs[i].key);
		if (first_err)
			ERR_error_string_n(first_err, reason, sizeof(reason));
		ERR_clear_error();
		return kt_err_set(err, KT_E_INTERNAL, "cannot generate a %s key: %s",
				  pki_key_type_name(type), reason);
	}
	for (i = 0; i < n; i++)
		keys[i] = jobs[i].key;
	return KT_OK;
}

static int all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Validate a DNS name (no wildcard); returns NULL or the reason it is not one. */
static const char *dns_name_problem(const char *name, size_t *labels)
{
	const char *p = name, *label = name;
	size_t len = strlen(name);

	*labels = 0;
	if (len == 0)
		return "empty name";
	if (len > 253)
		return "longer than 253 characters";
	for (;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t l = (size_t)(p - label);

			if (l == 0)
				return "empty label";
			if (l > 63)
				return "label longer than 63 characters";
			if (label[0] == '-' || label[l - 1] == '-')
				return "label starts or ends with '-'";
			(*labels)++;
			if (*p == '\0') {
				if (all_digits(label, l))
					return "last label is all digits (not an IP address either)";
				return NULL;
			}
			label = p + 1;
			continue;
		}
		if (*p == '*')
			return "'*' is only allowed as the whole left-most label";
		if (!isalnum((unsigned char)*p) && *p != '-')
			return isspace((unsigned char)*p) ? "contains a space" : "contains a character not allowed in a DNS name";
	}
}

int pki_host_classify(const char *host, enum pki_host_kind *kind, struct kt_err *err)
{
	unsigned char addr[16];
	const char *problem;
	size_t labels;

	if (!host || !*host)
		return kt_err_set(err, KT_E_USAGE, "invalid host '': empty name");
	if (inet_pton(AF_INET, host, addr) == 1) {
		*kind = PKI_HOST_IPV4;
		return KT_OK;
	}
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, addr) == 1) {
			*kind = PKI_HOST_IPV6;
			return KT_OK;
		}
		return kt_err_set(err, KT_E_USAGE, "invalid host '%s': not an IPv6 address", host);
	}
	if (host[0] == '*') {
		if (host[1] != '.')
			return kt_err_set(err, KT_E_USAGE, "invalid host '%s': a wildcard must start with '*.'", host);
		problem = dns_name_problem(host + 2, &labels);
		if (!problem && labels < 2)
			problem = "a wildcard needs at least two labels after '*.'";
		if (problem)
			return kt_err_set(err, KT_E_USAGE, "invalid host '%s': %s", host, problem);
		*kind = PKI_HOST_WILDCARD;
		return KT_OK;
	}
	problem = dns_name_problem(host, &labels);
	if (problem)
		return kt_err_set(err, KT_E_USAGE, "invalid host '%s': %s", host, problem);
	*kind = PKI_HOST_DNS;
	return KT_OK;
}

void pki_serial_from_bytes(unsigned char buf[PKI_SERIAL_BYTES])
{
	buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40);
}

ASN1_INTEGER *pki_serial_new(struct kt_err *err)
{
	unsigned char buf[PKI_SERIAL_BYTES];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;

	if (RAND_bytes(buf, sizeof(buf)) != 1) {
		kt_err_openssl(err, KT_E_INTERNAL, "cannot draw a random serial number");
		return NULL;
	}
	pki_serial_from_bytes(buf);
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	if (bn)
		serial = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (!serial)
		kt_err_openssl(err, KT_E_INTERNAL, "cannot build a serial number");
	return serial;
}

/* Add one extension given in openssl.cnf syntax; ctx knows issuer and subject. */
static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int add_san(X509 *cert, const char *const *hosts, size_t n, struct kt_err *err)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	size_t i;
	int ok = 0;

	if (!names)
		return kt_err_openssl(err, KT_E_INTERNAL, "cannot build the subjectAltName");
	for (i = 0; i < n; i++) {
		enum pki_host_kind kind;
		GENERAL_NAME *gn = NULL;

		if (pki_host_classify(hosts[i], &kind, err))
			goto out;
		if (kind == PKI_HOST_IPV4 || kind == PKI_HOST_IPV6) {
			ASN1_OCTET_STRING *ip = a2i_IPADDRESS(hosts[i]);

			if (ip && (gn = GENERAL_NAME_new()))
				GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
			else
				ASN1_OCTET_STRING_free(ip);
		} else {
			ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

			if (dns && ASN1_STRING_set(dns, hosts[i], -1) && (gn = GENERAL_NAME_new()))
				GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
			else
				ASN1_IA5STRING_free(dns);
		}
		if (!gn || !sk_GENERAL_NAME_push(names, gn)) {
			GENERAL_NAME_free(gn);
			kt_err_openssl(err, KT_E_INTERNAL, "cannot add '%s' to the subjectAltName", hosts[i]);
			goto out;
		}
	}
	if (!X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT)) {
		kt_err_openssl(err, KT_E_INTERNAL, "cannot add the subjectAltName");
		goto out;
	}
	ok = 1;
out:
	GENERAL_NAMES_free(names);
	return ok ? KT_OK : (err ? err->code : KT_E_INTERNAL);
}

static const EVP_MD *digest_for(const EVP_PKEY *signing_key)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(signing_key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;  /* pure EdDSA: the algorithm has its own hash */
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(signing_key, "group", group, sizeof(group), NULL) &&
		    (!strcmp(group, "secp384r1") || !strcmp(group, "P-384")))
			return EVP_sha384();
		return EVP_sha256();
	default:
		return EVP_sha256();
	}
}

/*
 * Put key's SubjectPublicKeyInfo into cert without OpenSSL 3.0's encoder round trip:
 * X509_set_pubkey() encodes the key through OSSL_ENCODER and decodes it back, which
 * costs more than generating and signing an EC chain (callgrind: ~10 M of ~42 M
 * instructions for init-ca). EC and Ed25519 SPKIs are simple enough to assemble from
 * the key's parameters. Returns 1 when done, 0 to fall back to X509_set_pubkey().
 */
static int set_pubkey_direct(X509 *cert, EVP_PKEY *key)
{
	unsigned char buf[160];
	size_t len = 0;
	unsigned char *bits;
	ASN1_OBJECT *alg, *curve = NULL;
	char group[64];
	int ptype = V_ASN1_UNDEF;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
		    !(curve = OBJ_txt2obj(group, 0)) ||
		    !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf), &len)) {
			ASN1_OBJECT_free(curve);
			ERR_clear_error();
			return 0;
		}
		alg = OBJ_nid2obj(NID_X9_62_id_ecPublicKey);
		ptype = V_ASN1_OBJECT;
		break;
	case EVP_PKEY_ED25519:
		len = sizeof(buf);
		if (!EVP_PKEY_get_raw_public_key(key, buf, &len)) {
			ERR_clear_error();
			return 0;
		}
		alg = OBJ_nid2obj(NID_ED25519);
		break;
	default:
		return 0;
	}
	bits = OPENSSL_memdup(buf, len);
	if (!bits || !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), alg, ptype, curve, bits, (int)len)) {
		OPENSSL_free(bits);
		ASN1_OBJECT_free(curve);
		ERR_clear_error();
		return 0;
	}
	return 1;
}

X509 *pki_cert_new(const struct pki_cert_spec *spec, struct kt_err *err)
{
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	X509V3_CTX ctx;
	EVP_PKEY *signer = spec->issuer ? spec->issuer_key : spec->key;
	const char *cn = spec->cn;
	time_t now = spec->now ? spec->now : time(NULL);
	char bc[64];
	int ok = 0;

	if (!spec->key || !signer || spec->days < 1 || (!spec->is_ca && spec->nhosts == 0)) {
		kt_err_set(err, KT_E_USAGE, "incomplete certificate request (key, issuer key, days or hosts missing)");
		return NULL;
	}
	if (!cn)
		cn = spec->is_ca ? "ca" : spec->hosts[0];
	if (!*cn || strlen(cn) > 64) {
		kt_err_set(err, KT_E_USAGE, "invalid common name '%s': 1 to 64 characters", cn);
		return NULL;
	}
	ERR_clear_error();
	if (!(serial = pki_serial_new(err)))
		goto out;
	if (!(cert = X509_new()))
		goto fail;
	if (!X509_set_version(cert, X509_VERSION_3) || !X509_set_serialNumber(cert, serial))
		goto fail;
	if (!X509_time_adj_ex(X509_getm_notBefore(cert), 0, -PKI_BACKDATE_SECONDS, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), (int)spec->days, 0, &now))
		goto fail;
	if (!(name = X509_NAME_new()) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, spec->issuer ? X509_get_subject_name(spec->issuer) : name) ||
	    !(set_pubkey_direct(cert, spec->key) || X509_set_pubkey(cert, spec->key)))
		goto fail;

	X509V3_set_ctx(&ctx, spec->issuer ? spec->issuer : cert, cert, NULL, NULL, 0);
	if (spec->is_ca) {
		if (spec->pathlen >= 0)
			snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", spec->pathlen);
		else
			snprintf(bc, sizeof(bc), "critical,CA:TRUE");
		if (!add_ext(cert, &ctx, NID_basic_constraints, bc) ||
		    !add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"))
			goto fail;
	} else {
		int rsa = EVP_PKEY_get_base_id(spec->key) == EVP_PKEY_RSA;

		if (!add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
		    !add_ext(cert, &ctx, NID_key_usage,
			     rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") ||
		    !add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth"))
			goto fail;
	}
	if (!add_ext(cert, &ctx, NID_subject_key_identifier, "hash"))
		goto fail;
	/* A root is its own issuer: an AKI there adds nothing and the profile leaves it out. */
	if (spec->issuer && !add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	if (!spec->is_ca && add_san(cert, spec->hosts, spec->nhosts, err))
		goto out;
	if (!X509_sign(cert, signer, digest_for(signer)))
		goto fail;
	ok = 1;
	goto out;
fail:
	kt_err_openssl(err, KT_E_INTERNAL, "cannot build the certificate for '%s'", cn);
out:
	X509_NAME_free(name);
	ASN1_INTEGER_free(serial);
	if (!ok) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}
