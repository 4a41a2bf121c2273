/*
 * Unit tests of pki/verify.c, the "would Kong accept this chain?" engine.
 * The trust-anchor and upstream-chain rows of test/fixtures/peer/cases.tsv are run
 * through pki_judge(); each row's today_facts holds the `openssl verify` command
 * that was run and its result, which is the expectation (read from the TSV, not
 * copied here). Then Kong's first error vs plain nginx's last (spec §4.3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/x509_vfy.h>

#include "pki/load.h"
#include "pki/verify.h"
#include "tsv.h"

static char fixture_dir[4096];

static const char *fixture(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static STACK_OF(X509) *load(const char *name)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = NULL;

	if (pki_load_certs_file(fixture(name), &certs, &err))
		fail_msg("%s", err.msg);
	return certs;
}

/* served = the given certificates of the example.com chain (1-based), in that order */
static STACK_OF(X509) *pick(STACK_OF(X509) *all, int a, int b)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	sk_X509_push(s, sk_X509_value(all, a - 1));
	if (b)
		sk_X509_push(s, sk_X509_value(all, b - 1));
	return s;
}

static void judge(STACK_OF(X509) *trusted, STACK_OF(X509) *served, int depth, const char *host,
		  struct pki_verdict *v)
{
	struct kt_err err = KT_ERR_INIT;

	if (pki_judge(trusted, served, depth, host, 0, v, &err))
		fail_msg("pki_judge failed: %s", err.msg);
}

/*
 * From "... openssl verify -verify_depth 1 -verify_hostname example.com -CAfile X.pem
 * -untrusted <cert 2> <cert 1>: OK ..." take depth, hostname, CA file and the result.
 */
struct openssl_fact {
	int depth;
	char host[128];
	char cafile[128];
	int ok;
	int error, error_depth;
};

static int parse_fact(const char *facts, struct openssl_fact *f)
{
	const char *p = strstr(facts, "openssl verify"), *end, *q;

	memset(f, 0, sizeof(*f));
	f->depth = -1;
	if (!p)
		return -1;
	end = strstr(p, ": ");
	if (!end)
		return -1;
	if ((q = strstr(p, "-verify_depth ")) && q < end)
		f->depth = atoi(q + 14);
	if ((q = strstr(p, "-verify_hostname ")) && q < end)
		sscanf(q + 17, "%127[^ :]", f->host);
	if ((q = strstr(p, "-CAfile ")) && q < end)
		sscanf(q + 8, "%127[^ :]", f->cafile);
	end += 2;
	if (!strncmp(end, "OK", 2)) {
		f->ok = 1;
		return 0;
	}
	if (sscanf(end, "error %d at depth %d", &f->error, &f->error_depth) == 2)
		return 0;
	return -1;
}

static void peer_rows(void **state)
{
	struct tsv t;
	int i, ran = 0;

	(void)state;
	assert_int_equal(tsv_load(fixture("cases.tsv"), &t), 0);
	for (i = 0; i < t.n; i++) {
		struct tsv_row *r = &t.rows[i];
		const char *file = r->field[0], *kind = r->field[1], *expected = r->field[2];
		STACK_OF(X509) *anchor, *served;
		struct openssl_fact f;
		struct pki_verdict v;

		if (strcmp(kind, "trust-anchor") && strcmp(kind, "upstream-chain"))
			continue;
		if (parse_fact(r->field[4], &f))
			fail_msg("row %d (%s): no openssl verify fact", i + 2, file);
		if (!strcmp(kind, "trust-anchor")) {
			anchor = load(file);
			served = load("kong-upstream-chain-example-com.pem");
		} else {
			anchor = load(f.cafile[0] ? f.cafile : "kong-ca-testing-root.pem");
			served = load(file);
		}
		judge(anchor, served, f.depth, f.host[0] ? f.host : NULL, &v);
		if (v.accepted != !strcmp(expected, "accept") || v.accepted != f.ok)
			fail_msg("row %d (%s, %s): accepted=%d, expected %s; %s", i + 2, file, kind, v.accepted,
				 expected, v.reason);
		if (!f.ok && (v.error != f.error || v.error_depth != f.error_depth))
			fail_msg("row %d (%s): error %d at depth %d, openssl said %d at %d", i + 2, file,
				 v.error, v.error_depth, f.error, f.error_depth);
		if (f.ok) {
			assert_string_equal(v.reason, "");
			assert_true(v.path_trusted);
		}
		ran++;
		pki_verdict_release(&v);
		sk_X509_pop_free(anchor, X509_free);
		sk_X509_pop_free(served, X509_free);
	}
	assert_true(ran >= 5);
	tsv_free(&t);
}

static void kong_first_error_vs_nginx_last(void **state)
{
	STACK_OF(X509) *root = load("kong-ca-testing-root.pem");
	STACK_OF(X509) *chain = load("kong-upstream-chain-example-com.pem");
	STACK_OF(X509) *other = load("kong-anchor-clustering-ca.pem");
	STACK_OF(X509) *kic_leaf = load("kic-example-upstream-leaf-expired.pem");
	STACK_OF(X509) *leaf_only = pick(chain, 1, 0), *inter_only = pick(chain, 2, 0);
	struct pki_verdict v;

	(void)state;
	/* depth 0 over root -> inter -> leaf: Kong 22 (the guide's line), plain nginx 20 */
	judge(root, chain, 0, NULL, &v);
	assert_false(v.accepted);
	assert_int_equal(v.error, X509_V_ERR_CERT_CHAIN_TOO_LONG);
	assert_string_equal(v.reason, "upstream SSL certificate verify error: (22:certificate chain too long)");
	assert_int_equal(v.nginx_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	assert_int_equal(v.all_errors[0], 22);
	assert_int_equal(v.all_errors[v.n_errors - 1], 20);
	assert_int_equal(v.depth_limit, 0);
	assert_true(v.depth_set);
	pki_verdict_release(&v);

	/* the server sends only its leaf: Kong 20, plain nginx 21 */
	judge(root, leaf_only, -1, NULL, &v);
	assert_int_equal(v.error, 20);
	assert_int_equal(v.nginx_error, 21);
	assert_int_equal(v.depth_limit, PKI_DEFAULT_DEPTH);
	assert_false(v.depth_set);
	pki_verdict_release(&v);

	/* only the intermediate trusted: no partial chains, 2 for both */
	judge(inter_only, chain, -1, NULL, &v);
	assert_int_equal(v.error, 2);
	assert_int_equal(v.nginx_error, 2);
	pki_verdict_release(&v);

	/* expired leaf under an unknown root: Kong 20, plain nginx 10 */
	judge(root, kic_leaf, -1, NULL, &v);
	assert_int_equal(v.error, 20);
	assert_int_equal(v.nginx_error, 10);
	pki_verdict_release(&v);

	/* no CA at all (tls-verify on, no CA objects): an empty store, 20 */
	judge(NULL, chain, -1, NULL, &v);
	assert_int_equal(v.error, 20);
	assert_int_equal(v.error_depth, 1);
	assert_string_equal(v.reason, "upstream SSL certificate verify error: (20:unable to get local issuer certificate)");
	pki_verdict_release(&v);
	judge(other, chain, -1, NULL, &v);
	assert_int_equal(v.error, 20);
	pki_verdict_release(&v);

	sk_X509_free(leaf_only);
	sk_X509_free(inter_only);
	sk_X509_pop_free(root, X509_free);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(other, X509_free);
	sk_X509_pop_free(kic_leaf, X509_free);
}

static void hostname_after_chain(void **state)
{
	STACK_OF(X509) *root = load("kong-ca-testing-root.pem");
	STACK_OF(X509) *chain = load("kong-upstream-chain-example-com.pem");
	STACK_OF(X509) *myorg = load("kic-example-ca-myorg-root.pem");
	STACK_OF(X509) *kic_leaf = load("kic-example-upstream-leaf-expired.pem");
	struct kt_err err = KT_ERR_INIT;
	struct pki_verdict v;
	struct tm tm = { .tm_year = 125, .tm_mon = 5, .tm_mday = 1, .tm_hour = 12 };

	(void)state;
	/* no SAN: nginx's X509_check_host falls back to the subject CN */
	judge(root, chain, 1, "example.com", &v);
	assert_true(v.accepted);
	assert_int_equal(sk_X509_num(v.path), 3);
	assert_true(v.path_trusted);
	pki_verdict_release(&v);
	judge(root, chain, 1, "kong.example", &v);
	assert_false(v.accepted);
	assert_true(v.hostname_mismatch);
	assert_int_equal(v.error, 0);
	assert_string_equal(v.reason, "upstream SSL certificate does not match \"kong.example\"");
	assert_string_equal(v.nginx_reason, v.reason);
	pki_verdict_release(&v);
	/* a chain error wins: the name is checked only after a good chain */
	judge(root, chain, 0, "kong.example", &v);
	assert_false(v.hostname_mismatch);
	assert_int_equal(v.error, 22);
	pki_verdict_release(&v);

	/* the KIC example leaf was valid on 2025-06-01 and names goecho */
	assert_int_equal(pki_judge(myorg, kic_leaf, -1, "goecho", timegm(&tm), &v, &err), 0);
	assert_true(v.accepted);
	pki_verdict_release(&v);
	judge(myorg, kic_leaf, -1, "goecho", &v);
	assert_int_equal(v.error, X509_V_ERR_CERT_HAS_EXPIRED);
	assert_int_equal(v.error_depth, 0);
	pki_verdict_release(&v);

	sk_X509_pop_free(root, X509_free);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(myorg, X509_free);
	sk_X509_pop_free(kic_leaf, X509_free);
}

static void bad_arguments(void **state)
{
	STACK_OF(X509) *chain = load("kong-upstream-chain-example-com.pem");
	STACK_OF(X509) *empty = sk_X509_new_null();
	struct kt_err err = KT_ERR_INIT;
	struct pki_verdict v;

	(void)state;
	assert_int_equal(pki_judge(NULL, empty, -1, NULL, 0, &v, &err), KT_E_USAGE);
	assert_null(v.path);
	assert_int_equal(pki_judge(NULL, NULL, -1, NULL, 0, &v, &err), KT_E_USAGE);
	assert_int_equal(pki_judge(NULL, chain, 65, NULL, 0, &v, &err), KT_E_USAGE);
	assert_int_equal(pki_judge(NULL, chain, -2, NULL, 0, &v, &err), KT_E_USAGE);
	pki_verdict_release(&v);
	pki_verdict_release(NULL);
	sk_X509_free(empty);
	sk_X509_pop_free(chain, X509_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peer_rows),
		cmocka_unit_test(kong_first_error_vs_nginx_last),
		cmocka_unit_test(hostname_after_chain),
		cmocka_unit_test(bad_arguments),
	};
	const char *top = getenv("KT_TOP");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/test/fixtures/peer", top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
