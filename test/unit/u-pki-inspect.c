/* Unit tests of pki/inspect.c: validity flags at a given time, chain order, v1 certificates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "pki/inspect.h"
#include "pki/load.h"

static char fixture_dir[4096];

static STACK_OF(X509) *load(const char *name)
{
	char path[4200];
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = NULL;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	if (pki_load_certs_file(path, &certs, &err))
		fail_msg("%s", err.msg);
	return certs;
}

static time_t utc(int y, int m, int d, int hh, int mm, int ss)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm, .tm_sec = ss };

	return timegm(&tm);
}

static void validity_at_given_times(void **state)
{
	STACK_OF(X509) *c = load("kic-example-upstream-leaf-expired.pem");  /* until 2026-11-21T14:27:55Z */
	struct kt_err err = KT_ERR_INIT;
	struct pki_cert_info info;

	(void)state;
	assert_int_equal(pki_cert_info_fill(sk_X509_value(c, 0), utc(2026, 11, 21, 14, 27, 56), &info, &err), 0);
	assert_true(info.expired);
	assert_int_equal(info.days_left, -1);  /* one second past is day -1, not day 0 */
	assert_string_equal(info.not_after_s, "2026-11-21T14:27:55Z");
	assert_string_equal(info.sans.v[0], "DNS:goecho");
	pki_cert_info_release(&info);
	assert_int_equal(pki_cert_info_fill(sk_X509_value(c, 0), utc(2026, 11, 20, 14, 27, 55), &info, &err), 0);
	assert_false(info.expired);
	assert_int_equal(info.days_left, 1);
	pki_cert_info_release(&info);
	assert_int_equal(pki_cert_info_fill(sk_X509_value(c, 0), utc(2020, 1, 1, 0, 0, 0), &info, &err), 0);
	assert_true(info.not_yet_valid);
	assert_false(info.expired);
	pki_cert_info_release(&info);
	sk_X509_pop_free(c, X509_free);
}

static void chain_order_and_ca_fields(void **state)
{
	STACK_OF(X509) *chain = load("kong-upstream-chain-example-com.pem");
	STACK_OF(X509) *rev = sk_X509_new_null();
	struct kt_err err = KT_ERR_INIT;
	struct pki_inspect in;

	(void)state;
	assert_int_equal(pki_inspect_certs(chain, 0, &in, &err), 0);
	assert_int_equal(in.n, 2);
	assert_true(in.chain_in_order);
	assert_int_equal(in.first_break, -1);
	assert_false(in.certs[0].is_ca);
	assert_true(in.certs[1].is_ca);
	assert_int_equal(in.certs[1].pathlen, 0);
	assert_string_equal(in.certs[0].eku.v[0], "serverAuth");
	assert_int_equal(in.certs[0].sans.n, 0);
	assert_string_equal(in.certs[0].key_type, "RSA");
	assert_int_equal(in.certs[0].key_bits, 2048);
	pki_inspect_release(&in);
	sk_X509_push(rev, sk_X509_value(chain, 1));
	sk_X509_push(rev, sk_X509_value(chain, 0));
	assert_int_equal(pki_inspect_certs(rev, 0, &in, &err), 0);
	assert_false(in.chain_in_order);
	assert_int_equal(in.first_break, 0);
	pki_inspect_release(&in);
	assert_int_equal(pki_inspect_certs(NULL, 0, &in, &err), 0);
	assert_int_equal(in.n, 0);
	pki_inspect_release(&in);
	pki_inspect_release(NULL);
	sk_X509_free(rev);
	sk_X509_pop_free(chain, X509_free);
}

static void v1_certificate(void **state)
{
	STACK_OF(X509) *c = load("kong-nonca-v1-ssl-example.pem");
	struct kt_err err = KT_ERR_INIT;
	struct pki_cert_info info;

	(void)state;
	assert_int_equal(pki_cert_info_fill(sk_X509_value(c, 0), 0, &info, &err), 0);
	assert_int_equal(info.version, 1);
	assert_false(info.has_bc);
	assert_false(info.is_ca);
	assert_false(info.has_ku);
	assert_false(info.has_eku);
	assert_true(info.self_signed);
	assert_int_equal(info.pathlen, -1);
	assert_non_null(strstr(info.subject, "CN=ssl-example.com"));
	pki_cert_info_release(&info);
	sk_X509_pop_free(c, X509_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validity_at_given_times),
		cmocka_unit_test(chain_order_and_ca_fields),
		cmocka_unit_test(v1_certificate),
	};
	const char *top = getenv("KT_TOP");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/test/fixtures/peer", top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
