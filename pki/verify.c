/*
 * pki/verify: judge a served chain the way Kong's nginx/libssl does (see
 * pki/verify.h for the model). The chain is verified twice with the same inputs:
 * once with OpenSSL's default verify callback, which stops at the first error
 * (Kong), and once with a callback that records every error and continues (a
 * plain nginx with proxy_ssl_verify on). Verifying twice, rather than deriving
 * Kong's answer from the recorded list, keeps Kong's result exactly what
 * X509_verify_cert() returns, including the partial path it built.
 */
#include "pki/verify.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/*
 * libssl sets the verify auth level to the SSL security level; OpenSSL's built-in
 * default is 1 and Kong does not raise it for upstream connections. Level 1
 * refuses keys under 80 bits of security and SHA-1/MD5 signatures in the chain.
 */
#define KONG_AUTH_LEVEL 1

struct recorder {
	int errors[PKI_MAX_ERRORS];
	int depths[PKI_MAX_ERRORS];
	int n;
	int last;
};

static int record_and_continue(int ok, X509_STORE_CTX *ctx)
{
	struct recorder *r;

	if (ok)
		return ok;
	r = X509_STORE_CTX_get_app_data(ctx);
	if (r) {
		int e = X509_STORE_CTX_get_error(ctx);

		if (r->n < PKI_MAX_ERRORS) {
			r->errors[r->n] = e;
			r->depths[r->n] = X509_STORE_CTX_get_error_depth(ctx);
		}
		r->n++;
		r->last = e;
	}
	return 1;  /* what nginx's ngx_ssl_verify_callback does: log and go on */
}

void pki_verify_error_text(int error, char *buf, size_t size)
{
	snprintf(buf, size, "upstream SSL certificate verify error: (%d:%s)", error,
		 X509_verify_cert_error_string(error));
}

/* One X509_verify_cert() run with libssl's settings; rec NULL = stop at the first error. */
static int verify_once(X509_STORE *store, STACK_OF(X509) *served, int depth, time_t at,
		       struct recorder *rec, int *error, int *error_depth, STACK_OF(X509) **chain,
		       struct kt_err *err)
{
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	int rc = KT_OK;

	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, store, sk_X509_value(served, 0), served)) {
		rc = kt_err_openssl(err, KT_E_INTERNAL, "cannot set up certificate verification");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_auth_level(param, KONG_AUTH_LEVEL);
	if (!X509_STORE_CTX_set_default(ctx, "ssl_server")) {
		rc = kt_err_openssl(err, KT_E_INTERNAL, "cannot set up certificate verification");
		goto out;
	}
	if (depth >= 0)
		X509_VERIFY_PARAM_set_depth(param, depth);
	if (at)
		X509_VERIFY_PARAM_set_time(param, at);
	if (rec) {
		/* app data (ex_data slot 0) is free outside libssl: no global ex_data index needed */
		X509_STORE_CTX_set_app_data(ctx, rec);
		X509_STORE_CTX_set_verify_cb(ctx, record_and_continue);
	}
	if (X509_verify_cert(ctx) < 0) {
		rc = kt_err_openssl(err, KT_E_INTERNAL, "certificate verification could not run");
		goto out;
	}
	*error = X509_STORE_CTX_get_error(ctx);
	*error_depth = *error ? X509_STORE_CTX_get_error_depth(ctx) : -1;
	if (chain) {
		*chain = X509_STORE_CTX_get1_chain(ctx);
		if (!*chain)
			*chain = sk_X509_new_null();
		if (!*chain)
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
	}
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

static int is_anchor(STACK_OF(X509) *trusted, X509 *x)
{
	int i;

	for (i = 0; trusted && i < sk_X509_num(trusted); i++)
		if (!X509_cmp(sk_X509_value(trusted, i), x))
			return 1;
	return 0;
}

int pki_judge(STACK_OF(X509) *trusted, STACK_OF(X509) *served, int depth, const char *hostname,
	      time_t at, struct pki_verdict *out, struct kt_err *err)
{
	X509_STORE *store = NULL;
	struct recorder rec;
	int i, rc = KT_OK, nginx_depth = -1;

	memset(out, 0, sizeof(*out));
	memset(&rec, 0, sizeof(rec));
	if (!served || sk_X509_num(served) < 1)
		return kt_err_set(err, KT_E_USAGE, "no certificate to verify: the served chain is empty");
	if (depth < -1 || depth > PKI_MAX_DEPTH)
		return kt_err_set(err, KT_E_USAGE, "verify depth %d is out of Kong's range 0..%d", depth, PKI_MAX_DEPTH);
	ERR_clear_error();
	store = X509_STORE_new();
	if (!store) {
		rc = kt_err_openssl(err, KT_E_INTERNAL, "cannot create a certificate store");
		goto out;
	}
	for (i = 0; trusted && i < sk_X509_num(trusted); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(trusted, i))) {
			/* the same anchor twice is fine (OpenSSL 3 ignores duplicates) */
			ERR_clear_error();
		}
	}

	out->depth_set = depth >= 0;
	out->depth_limit = depth >= 0 ? depth : PKI_DEFAULT_DEPTH;
	rc = verify_once(store, served, depth, at, NULL, &out->error, &out->error_depth, &out->path, err);
	if (rc)
		goto out;
	/* a chain that verified raised no error at all: recording them would find none */
	if (out->error)
		rc = verify_once(store, served, depth, at, &rec, &out->nginx_error, &nginx_depth, NULL, err);
	if (rc)
		goto out;
	out->n_errors = rec.n;
	memcpy(out->all_errors, rec.errors, sizeof(rec.errors));
	memcpy(out->all_depths, rec.depths, sizeof(rec.depths));
	out->nginx_error = rec.n ? rec.last : 0;

	if (sk_X509_num(out->path) > 0)
		out->path_trusted = !out->error ||
			is_anchor(trusted, sk_X509_value(out->path, sk_X509_num(out->path) - 1));

	if (out->error) {
		pki_verify_error_text(out->error, out->reason, sizeof(out->reason));
	} else if (hostname && X509_check_host(sk_X509_value(served, 0), hostname, strlen(hostname), 0, NULL) != 1) {
		/* nginx: ngx_ssl_check_host(), called only after a successful verification */
		out->hostname_mismatch = 1;
		snprintf(out->reason, sizeof(out->reason), "upstream SSL certificate does not match \"%s\"", hostname);
	}
	out->accepted = !out->error && !out->hostname_mismatch;

	if (out->nginx_error)
		pki_verify_error_text(out->nginx_error, out->nginx_reason, sizeof(out->nginx_reason));
	else if (out->hostname_mismatch)
		snprintf(out->nginx_reason, sizeof(out->nginx_reason), "%s", out->reason);
out:
	X509_STORE_free(store);
	ERR_clear_error();
	if (rc)
		pki_verdict_release(out);
	return rc;
}

void pki_verdict_release(struct pki_verdict *v)
{
	if (!v)
		return;
	sk_X509_pop_free(v->path, X509_free);
	memset(v, 0, sizeof(*v));
}
