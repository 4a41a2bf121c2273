/*
 * pki/inspect: describe certificates as plain data (see pki/inspect.h).
 */
#include "pki/inspect.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

static int strlist_add(struct pki_strlist *l, const char *s)
{
	char **v = realloc(l->v, sizeof(*v) * (size_t)(l->n + 1));

	if (!v)
		return -1;
	l->v = v;
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -1;
	l->n++;
	return 0;
}

static void strlist_release(struct pki_strlist *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void pki_name_oneline(const X509_NAME *name, char *buf, size_t size)
{
	/* RFC 2253 escaping, in the certificate's order (as `openssl x509 -subject` shows it) */
	unsigned long flags = (XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV & ~XN_FLAG_SEP_MASK) | XN_FLAG_SEP_CPLUS_SPC;
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	if (!size)
		return;
	buf[0] = '\0';
	if (!b)
		return;
	if (name && X509_NAME_print_ex(b, name, 0, flags) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0 && p)
			snprintf(buf, size, "%.*s", (int)n, p);
	}
	BIO_free(b);
}

int pki_issued_by(X509 *x, X509 *issuer)
{
	EVP_PKEY *key = X509_get0_pubkey(issuer);
	int ok;

	ok = X509_check_issued(issuer, x) == X509_V_OK && key && X509_verify(x, key) == 1;
	ERR_clear_error();
	return ok;
}

time_t pki_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static void iso_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "?");
}

static int fill_key_usage(X509 *x, struct pki_cert_info *info)
{
	static const struct { unsigned bit; const char *name; } ku[] = {
		{ KU_DIGITAL_SIGNATURE, "digitalSignature" }, { KU_NON_REPUDIATION, "nonRepudiation" },
		{ KU_KEY_ENCIPHERMENT, "keyEncipherment" }, { KU_DATA_ENCIPHERMENT, "dataEncipherment" },
		{ KU_KEY_AGREEMENT, "keyAgreement" }, { KU_KEY_CERT_SIGN, "keyCertSign" },
		{ KU_CRL_SIGN, "cRLSign" }, { KU_ENCIPHER_ONLY, "encipherOnly" }, { KU_DECIPHER_ONLY, "decipherOnly" },
	};
	uint32_t bits;
	size_t i;
	int loc;

	info->has_ku = (X509_get_extension_flags(x) & EXFLAG_KUSAGE) != 0;
	if (!info->has_ku)
		return 0;
	loc = X509_get_ext_by_NID(x, NID_key_usage, -1);
	info->ku_critical = loc >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, loc));
	bits = X509_get_key_usage(x);
	for (i = 0; i < sizeof(ku) / sizeof(ku[0]); i++)
		if ((bits & ku[i].bit) && strlist_add(&info->key_usage, ku[i].name))
			return -1;
	return 0;
}

static int fill_eku(X509 *x, struct pki_cert_info *info)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	int i, rc = 0;

	info->has_eku = eku != NULL;
	for (i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
		ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		int nid = OBJ_obj2nid(o);
		char txt[128];

		if (nid != NID_undef)
			snprintf(txt, sizeof(txt), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(txt, sizeof(txt), o, 1) <= 0)
			snprintf(txt, sizeof(txt), "?");
		if (strlist_add(&info->eku, txt)) {
			rc = -1;
			break;
		}
	}
	EXTENDED_KEY_USAGE_free(eku);
	return rc;
}

static int fill_sans(X509 *x, struct pki_cert_info *info)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, rc = 0;

	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		char txt[600], ip[INET6_ADDRSTRLEN];
		const ASN1_STRING *s;

		switch (g->type) {
		case GEN_DNS:
		case GEN_EMAIL:
		case GEN_URI:
			s = g->d.ia5;
			snprintf(txt, sizeof(txt), "%s:%.*s",
				 g->type == GEN_DNS ? "DNS" : g->type == GEN_EMAIL ? "email" : "URI",
				 ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
			break;
		case GEN_IPADD:
			s = g->d.ip;
			if (ASN1_STRING_length(s) == 4 &&
			    inet_ntop(AF_INET, ASN1_STRING_get0_data(s), ip, sizeof(ip)))
				snprintf(txt, sizeof(txt), "IP:%s", ip);
			else if (ASN1_STRING_length(s) == 16 &&
				 inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), ip, sizeof(ip)))
				snprintf(txt, sizeof(txt), "IP:%s", ip);
			else
				snprintf(txt, sizeof(txt), "IP:<invalid>");
			break;
		case GEN_DIRNAME: {
			char dn[512];

			pki_name_oneline(g->d.dirn, dn, sizeof(dn));
			snprintf(txt, sizeof(txt), "DirName:%s", dn);
			break;
		}
		case GEN_RID:
			snprintf(txt, sizeof(txt), "RID:");
			OBJ_obj2txt(txt + 4, (int)sizeof(txt) - 4, g->d.rid, 1);
			break;
		default:
			snprintf(txt, sizeof(txt), "othername:<unsupported>");
			break;
		}
		if (strlist_add(&info->sans, txt)) {
			rc = -1;
			break;
		}
	}
	GENERAL_NAMES_free(names);
	return rc;
}

static void fill_key(X509 *x, struct pki_cert_info *info)
{
	EVP_PKEY *key = X509_get0_pubkey(x);
	const char *type = "unknown";
	size_t glen = 0;

	if (key) {
		switch (EVP_PKEY_get_base_id(key)) {
		case EVP_PKEY_RSA: type = "RSA"; break;
		case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
		case EVP_PKEY_EC: type = "EC"; break;
		case EVP_PKEY_ED25519: type = "ED25519"; break;
		case EVP_PKEY_ED448: type = "ED448"; break;
		case EVP_PKEY_DSA: type = "DSA"; break;
		default: break;
		}
		info->key_bits = EVP_PKEY_get_bits(key);
		if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
		    !EVP_PKEY_get_group_name(key, info->key_curve, sizeof(info->key_curve), &glen))
			info->key_curve[0] = '\0';
	}
	snprintf(info->key_type, sizeof(info->key_type), "%s", type);
	ERR_clear_error();
}

int pki_cert_info_fill(X509 *x, time_t at, struct pki_cert_info *info, struct kt_err *err)
{
	BASIC_CONSTRAINTS *bc;
	BIGNUM *bn;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	int crit = 0, nid;

	memset(info, 0, sizeof(*info));
	info->pathlen = -1;
	if (!at)
		at = time(NULL);
	info->version = (int)X509_get_version(x) + 1;
	pki_name_oneline(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	pki_name_oneline(X509_get_issuer_name(x), info->issuer, sizeof(info->issuer));

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	if (bn) {
		char *hex = BN_bn2hex(bn);

		if (hex)
			snprintf(info->serial, sizeof(info->serial), "%s", hex);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	nid = X509_get_signature_nid(x);
	snprintf(info->sig_alg, sizeof(info->sig_alg), "%s", nid != NID_undef ? OBJ_nid2ln(nid) : "unknown");

	info->not_before = pki_asn1_time(X509_get0_notBefore(x));
	info->not_after = pki_asn1_time(X509_get0_notAfter(x));
	iso_time(info->not_before, info->not_before_s, sizeof(info->not_before_s));
	iso_time(info->not_after, info->not_after_s, sizeof(info->not_after_s));
	info->expired = X509_cmp_time(X509_get0_notAfter(x), &at) < 0;
	info->not_yet_valid = X509_cmp_time(X509_get0_notBefore(x), &at) > 0;
	{
		long diff = (long)(info->not_after - at);

		/* floor division: one second past Not After is day -1, not day 0 */
		info->days_left = diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);
	}

	fill_key(x, info);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	if (bc) {
		info->has_bc = 1;
		info->bc_critical = crit == 1;
		info->is_ca = bc->ca != 0;
		if (bc->pathlen)
			info->pathlen = ASN1_INTEGER_get(bc->pathlen);
		BASIC_CONSTRAINTS_free(bc);
	}
	if (fill_key_usage(x, info) || fill_eku(x, info) || fill_sans(x, info))
		goto nomem;
	if (!X509_digest(x, EVP_sha256(), md, &md_len))
		goto nomem;
	for (i = 0; i < md_len && 3 * i + 3 <= sizeof(info->sha256); i++)
		snprintf(info->sha256 + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
	info->self_signed = X509_self_signed(x, 1) == 1;
	ERR_clear_error();
	return KT_OK;
nomem:
	ERR_clear_error();
	pki_cert_info_release(info);
	return kt_err_set(err, KT_E_INTERNAL, "out of memory describing a certificate");
}

void pki_cert_info_release(struct pki_cert_info *info)
{
	if (!info)
		return;
	strlist_release(&info->key_usage);
	strlist_release(&info->eku);
	strlist_release(&info->sans);
}

int pki_inspect_certs(STACK_OF(X509) *certs, time_t at, struct pki_inspect *out, struct kt_err *err)
{
	int i, n = certs ? sk_X509_num(certs) : 0;

	memset(out, 0, sizeof(*out));
	out->first_break = -1;
	if (n == 0)
		return KT_OK;
	out->certs = calloc((size_t)n, sizeof(*out->certs));
	if (!out->certs)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory describing certificates");
	for (i = 0; i < n; i++) {
		int rc = pki_cert_info_fill(sk_X509_value(certs, i), at, &out->certs[i], err);

		if (rc) {
			pki_inspect_release(out);
			return rc;
		}
		out->n = i + 1;
	}
	for (i = 0; i + 1 < n; i++) {
		out->certs[i].issued_by_next = pki_issued_by(sk_X509_value(certs, i), sk_X509_value(certs, i + 1));
		if (!out->certs[i].issued_by_next && out->first_break < 0)
			out->first_break = i;
	}
	out->chain_in_order = n > 1 && out->first_break < 0;
	return KT_OK;
}

void pki_inspect_release(struct pki_inspect *in)
{
	int i;

	if (!in)
		return;
	for (i = 0; i < in->n; i++)
		pki_cert_info_release(&in->certs[i]);
	free(in->certs);
	memset(in, 0, sizeof(*in));
	in->first_break = -1;
}
