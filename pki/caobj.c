/*
 * pki/caobj: judge a CA object's certificate by Kong's and KIC's rules, in each
 * one's own order and words (see pki/caobj.h).
 */
#include "pki/caobj.h"
#include "pki/inspect.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define CERT_TAG "-----BEGIN CERTIFICATE-----"

static int count_tag(const char *p, size_t len, const char *tag)
{
	const char *end = p + len, *q;
	size_t tl = strlen(tag);
	int n = 0;

	while ((q = memmem(p, (size_t)(end - p), tag, tl)) != NULL) {
		n++;
		p = q + tl;
	}
	return n;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Go's pem.Decode loop fails on anything but white space after the last END line. */
static int trailing_text(const char *p, size_t len)
{
	const char *last = NULL, *q = p, *end = p + len;

	while ((q = memmem(q, (size_t)(end - q), "-----END ", 9)) != NULL) {
		last = q;
		q += 9;
	}
	if (!last)
		return 0;
	q = memchr(last, '\n', (size_t)(end - last));
	if (!q)
		return 0;
	for (q++; q < end; q++)
		if (!is_space(*q))
			return 1;
	return 0;
}

/*
 * Walk the PEM blocks as KIC does: stop at the first non-CERTIFICATE block or the
 * first corrupt block; the first certificate's DER goes to *first. Go's pem.Decode
 * skips header lines ("Proc-Type: ...", "Comment: ..."); *first_headers says the
 * first block had some, which OpenSSL's PEM reader (Kong's) does not skip.
 */
static void walk_blocks(const void *pem, size_t len, struct pki_caobj *out, int *bad_type, int *corrupt,
			X509 **first, int *first_headers)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len;

	*bad_type = *corrupt = *first_headers = 0;
	*first = NULL;
	while (bio && PEM_read_bio(bio, &name, &header, &der, &der_len)) {
		out->n_blocks++;
		if (out->n_blocks == 1)
			*first_headers = header[0] != '\0';
		if (strcmp(name, "CERTIFICATE"))
			*bad_type = 1;
		else if (out->n_blocks == 1) {
			const unsigned char *q = der;

			*first = d2i_X509(NULL, &q, der_len);
			if (*first && q != der + der_len) {
				X509_free(*first);
				*first = NULL;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		name = header = NULL;
		der = NULL;
		if (*bad_type)
			break;
	}
	if (!*bad_type) {
		unsigned long e = ERR_peek_last_error();

		if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
			*corrupt = 1;
	}
	ERR_clear_error();
	BIO_free(bio);
}

/* What both judges ask of a certificate. */
struct ca_facts {
	int is_ca;     /* basicConstraints present with CA:TRUE (Go's IsCA, Kong's get_basic_constraints("ca")) */
	long pathlen;  /* -1 when absent */
	int expired;   /* Not After < at */
};

static void ca_facts_of(X509 *x, time_t at, struct ca_facts *f)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);

	f->is_ca = bc && bc->ca;
	f->pathlen = bc && bc->pathlen ? ASN1_INTEGER_get(bc->pathlen) : -1;
	f->expired = X509_cmp_time(X509_get0_notAfter(x), &at) < 0;
	BASIC_CONSTRAINTS_free(bc);
}

/* KIC judges the certificate it decoded itself (first, with its facts), which may not be the one Kong reads */
static void kic_verdict(struct pki_caobj *out, int bad_type, int corrupt, int trailing, X509 *first,
			const struct ca_facts *f)
{
	const char *msg = NULL;

	if (bad_type) {
		out->kic_problem = PKI_CAOBJ_BLOCK_TYPE;
		msg = "invalid PEM block type";
	} else if (corrupt || trailing || out->n_blocks == 0) {
		out->kic_problem = PKI_CAOBJ_NO_CERT;
		msg = "invalid PEM block";
	} else if (out->n_blocks > 1) {
		out->kic_problem = PKI_CAOBJ_MULTIPLE;
		msg = "multiple PEM certificates found";
	} else if (!first) {
		out->kic_problem = PKI_CAOBJ_UNPARSABLE;
		msg = "failed to parse certificate";
	} else if (!f->is_ca) {
		out->kic_problem = PKI_CAOBJ_NOT_CA;
		msg = "certificate is missing the 'CA' basic constraint";
	} else if (f->expired) {
		out->kic_problem = PKI_CAOBJ_EXPIRED;
		msg = "expired";
	}
	if (msg)
		snprintf(out->kic_msg, sizeof(out->kic_msg), "%s", msg);
}

static void kong_verdict(struct pki_caobj *out, const char *parse_error)
{
	const char *msg = NULL;

	if (!out->cert) {
		/* typedefs.certificate, a field check, runs before the entity check */
		out->kong_problem = out->n_cert_tags ? PKI_CAOBJ_UNPARSABLE : PKI_CAOBJ_NO_CERT;
		snprintf(out->kong_msg, sizeof(out->kong_msg), "invalid certificate: %s", parse_error);
		return;
	}
	if (out->n_cert_tags > 1) {
		out->kong_problem = PKI_CAOBJ_MULTIPLE;
		msg = "please submit only one certificate at a time";
	} else if (out->expired) {
		out->kong_problem = PKI_CAOBJ_EXPIRED;
		msg = "certificate expired, \"Not After\" time is in the past";
	} else if (!out->is_ca) {
		out->kong_problem = PKI_CAOBJ_NOT_CA;
		msg = "certificate does not appear to be a CA because it is missing the \"CA\" basic constraint";
	}
	if (msg)
		snprintf(out->kong_msg, sizeof(out->kong_msg), "%s", msg);
}

static const char *hint_for(enum pki_caobj_problem p)
{
	switch (p) {
	case PKI_CAOBJ_MULTIPLE:
		return PKI_CAOBJ_HINT_BUNDLE;
	case PKI_CAOBJ_BLOCK_TYPE:
		return "keep only the CERTIFICATE block in the CA object (no keys, requests or other blocks)";
	case PKI_CAOBJ_NO_CERT:
	case PKI_CAOBJ_UNPARSABLE:
		return "the CA object must hold exactly one PEM certificate ('-----BEGIN CERTIFICATE-----')";
	case PKI_CAOBJ_NOT_CA:
		return "put the CA (trust anchor, normally the root) certificate in the CA object, not a server certificate";
	case PKI_CAOBJ_EXPIRED:
		return "renew the CA certificate and store it under a new id";
	default:
		return "";
	}
}

int pki_caobj_check(const void *pem, size_t len, time_t at, struct pki_caobj *out, struct kt_err *err)
{
	struct ca_facts kong = { 0, -1, 0 }, kic = { 0, -1, 0 };
	X509 *kic_first = NULL;
	BIO *bio = NULL;
	char parse_error[200] = "no certificate found";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	int bad_type, corrupt, first_headers;

	memset(out, 0, sizeof(*out));
	out->pathlen = -1;
	if (!at)
		at = time(NULL);
	if (!pem || !len) {
		pem = "";  /* memmem() and friends want a real pointer */
		len = 0;
	}
	if (len > (size_t)1 << 30)
		return kt_err_set(err, KT_E_PARSE, "CA certificate data is too large");

	ERR_clear_error();
	out->n_cert_tags = count_tag(pem, len, CERT_TAG);
	walk_blocks(pem, len, out, &bad_type, &corrupt, &kic_first, &first_headers);

	/*
	 * Kong's x509.new(): the first CERTIFICATE block, skipping other blocks. When that
	 * is KIC's first block, without header lines and parsed whole, it is the same
	 * certificate: decoding one costs OpenSSL 3.0 about a million instructions, so it
	 * is not decoded twice. (Header lines make OpenSSL's reader fail or decrypt.)
	 */
	if (kic_first && !first_headers && X509_up_ref(kic_first)) {
		out->cert = kic_first;
	} else {
		bio = len ? BIO_new_mem_buf(pem, (int)len) : NULL;
		if (bio)
			out->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (!out->cert) {
		unsigned long e = ERR_peek_error();

		if (e && ERR_reason_error_string(e))
			snprintf(parse_error, sizeof(parse_error), "%s", ERR_reason_error_string(e));
	}
	ERR_clear_error();

	if (out->cert) {
		X509 *x = out->cert;

		ca_facts_of(x, at, &kong);
		out->is_ca = kong.is_ca;
		out->pathlen = kong.pathlen;
		out->expired = kong.expired;
		out->not_yet_valid = X509_cmp_time(X509_get0_notBefore(x), &at) > 0;
		out->not_before = pki_asn1_time(X509_get0_notBefore(x));
		out->not_after = pki_asn1_time(X509_get0_notAfter(x));
		if (!X509_digest(x, EVP_sha256(), md, &md_len)) {
			X509_free(kic_first);
			pki_caobj_release(out);
			return kt_err_openssl(err, KT_E_INTERNAL, "cannot compute a certificate digest");
		}
		for (i = 0; i < md_len && i < 32; i++)
			snprintf(out->digest + 2 * i, 3, "%02x", md[i]);
	}
	kong_verdict(out, parse_error);
	if (kic_first == out->cert)
		kic = kong;
	else if (kic_first)
		ca_facts_of(kic_first, at, &kic);
	kic_verdict(out, bad_type, corrupt, trailing_text(pem, len), kic_first, &kic);
	out->accepted = !out->kong_msg[0] && !out->kic_msg[0];
	if (!out->accepted)
		snprintf(out->hint, sizeof(out->hint), "%s",
			 hint_for(out->kong_problem ? out->kong_problem : out->kic_problem));
	X509_free(kic_first);
	ERR_clear_error();
	return KT_OK;
}

void pki_caobj_release(struct pki_caobj *c)
{
	if (!c)
		return;
	X509_free(c->cert);
	memset(c, 0, sizeof(*c));
	c->pathlen = -1;
}
