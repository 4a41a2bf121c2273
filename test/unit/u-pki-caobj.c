/*
 * Unit tests of pki/caobj.c. Every ca-object row of test/fixtures/peer/cases.tsv
 * is judged; the expectation (accept/reject and the exact message) comes from the
 * TSV. Rows whose source is a KIC test are compared with KIC's message, the others
 * with Kong's. The check-order differences of the fixtures README are tested too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pki/caobj.h"
#include "pki/load.h"
#include "tsv.h"

static char fixture_dir[4096];

static const char *fixture(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static char *slurp(const char *name, size_t *len)
{
	struct kt_err err = KT_ERR_INIT;
	char *data = NULL;

	if (pki_read_file(fixture(name), &data, len, &err))
		fail_msg("%s", err.msg);
	return data;
}

static void check_buf(const char *buf, size_t len, time_t at, struct pki_caobj *c)
{
	struct kt_err err = KT_ERR_INIT;

	assert_int_equal(pki_caobj_check(buf, len, at, c, &err), 0);
}

static void check_file(const char *name, struct pki_caobj *c)
{
	size_t len;
	char *pem = slurp(name, &len);

	check_buf(pem, len, 0, c);
	free(pem);
}

static void every_ca_object_row(void **state)
{
	struct tsv t;
	int i, ran = 0;

	(void)state;
	assert_int_equal(tsv_load(fixture("cases.tsv"), &t), 0);
	for (i = 0; i < t.n; i++) {
		struct tsv_row *r = &t.rows[i];
		const char *file = r->field[0], *expected = r->field[2], *msg = r->field[3];
		const char *source = r->field[5];
		int kic = strstr(source, "Kong/kubernetes-ingress-controller") != NULL &&
			  strstr(source, "Kong/kubernetes-ingress-controller") - source < 16;
		struct pki_caobj c;

		if (strcmp(r->field[1], "ca-object"))
			continue;
		check_file(file, &c);
		if (c.accepted != !strcmp(expected, "accept"))
			fail_msg("row %d (%s): accepted=%d, expected %s (kong '%s', kic '%s')", i + 2, file,
				 c.accepted, expected, c.kong_msg, c.kic_msg);
		if (!strcmp(expected, "accept")) {
			assert_string_equal(c.kong_msg, "");
			assert_string_equal(c.kic_msg, "");
			assert_string_equal(c.hint, "");
			assert_true(c.is_ca);
		} else if (strcmp(kic ? c.kic_msg : c.kong_msg, msg)) {
			fail_msg("row %d (%s): %s says '%s', expected '%s'", i + 2, file, kic ? "KIC" : "Kong",
				 kic ? c.kic_msg : c.kong_msg, msg);
		} else {
			assert_true(c.hint[0]);
		}
		assert_non_null(c.cert);
		assert_int_equal(strlen(c.digest), 64);
		ran++;
		pki_caobj_release(&c);
	}
	assert_true(ran >= 9);
	tsv_free(&t);
}

/* The README's "Check order" table: what each says about the tricky fixtures. */
static void kong_and_kic_check_order(void **state)
{
	struct pki_caobj c;

	(void)state;
	check_file("kong-expired-nonca-v1-ssl-alt.pem", &c);
	assert_int_equal(c.kong_problem, PKI_CAOBJ_EXPIRED);
	assert_string_equal(c.kic_msg, "certificate is missing the 'CA' basic constraint");
	assert_true(c.expired);
	assert_false(c.is_ca);
	pki_caobj_release(&c);

	check_file("kong-bundle-two-certs.pem", &c);
	assert_int_equal(c.n_blocks, 2);
	assert_int_equal(c.n_cert_tags, 2);
	assert_string_equal(c.kong_msg, "please submit only one certificate at a time");
	assert_string_equal(c.kic_msg, "multiple PEM certificates found");
	assert_string_equal(c.hint, PKI_CAOBJ_HINT_BUNDLE);
	pki_caobj_release(&c);

	check_file("kong-nonca-v1-ssl-example.pem", &c);
	assert_string_equal(c.kong_msg,
			    "certificate does not appear to be a CA because it is missing the \"CA\" basic constraint");
	assert_string_equal(c.kic_msg, "certificate is missing the 'CA' basic constraint");
	pki_caobj_release(&c);

	check_file("kic-ca-expired-hello.pem", &c);
	assert_string_equal(c.kong_msg, "certificate expired, \"Not After\" time is in the past");
	assert_string_equal(c.kic_msg, "expired");
	assert_int_equal(c.pathlen, 0);
	pki_caobj_release(&c);
}

/* Yolo42.1 and Yolo42.2 share a key; Kong's cert_digest is over the whole certificate. */
static void digest_is_of_the_certificate(void **state)
{
	struct pki_caobj a, b;
	unsigned char *der = NULL, md[32];
	char hex[65];
	unsigned int n = 0, i;
	int len;

	(void)state;
	check_file("kong-ca-yolo42-1.pem", &a);
	check_file("kic-ca-yolo42-2.pem", &b);
	assert_true(a.accepted && b.accepted);
	assert_string_not_equal(a.digest, b.digest);
	len = i2d_X509(a.cert, &der);
	assert_true(len > 0);
	assert_true(EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL));
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(a.digest, hex);
	OPENSSL_free(der);
	pki_caobj_release(&a);
	pki_caobj_release(&b);
}

static void blocks_and_text_around(void **state)
{
	struct pki_caobj c;
	size_t len;
	char *pem = slurp("kong-ca-testing-root.pem", &len);
	char *buf = malloc(len + 512);
	const char *key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
	int n;

	(void)state;
	/* text before the block is skipped by both */
	n = sprintf(buf, "Bag Attributes\n    localKeyID: 01\n%s", pem);
	check_buf(buf, (size_t)n, 0, &c);
	assert_true(c.accepted);
	pki_caobj_release(&c);
	/* text after it: KIC's pem.Decode loop fails; Kong parses the first block and accepts */
	n = sprintf(buf, "%sjunk\n", pem);
	check_buf(buf, (size_t)n, 0, &c);
	assert_false(c.accepted);
	assert_string_equal(c.kong_msg, "");
	assert_string_equal(c.kic_msg, "invalid PEM block");
	pki_caobj_release(&c);
	/* a key next to the certificate: KIC refuses the block type, Kong looks only for certificates */
	n = sprintf(buf, "%s%s", pem, key);
	check_buf(buf, (size_t)n, 0, &c);
	assert_string_equal(c.kic_msg, "invalid PEM block type");
	assert_int_equal(c.kic_problem, PKI_CAOBJ_BLOCK_TYPE);
	assert_string_equal(c.kong_msg, "");
	pki_caobj_release(&c);
	/* header lines in the block: Go's pem.Decode skips them, OpenSSL's reader (Kong's) refuses */
	n = sprintf(buf, "-----BEGIN CERTIFICATE-----\nComment: hello\n\n%s", strchr(pem, '\n') + 1);
	check_buf(buf, (size_t)n, 0, &c);
	assert_false(c.accepted);
	assert_string_equal(c.kic_msg, "");
	assert_string_equal(c.kong_msg, "invalid certificate: not proc type");
	assert_int_equal(c.kong_problem, PKI_CAOBJ_UNPARSABLE);
	pki_caobj_release(&c);
	/* nothing at all */
	check_buf("", 0, 0, &c);
	assert_false(c.accepted);
	assert_string_equal(c.kic_msg, "invalid PEM block");
	assert_non_null(strstr(c.kong_msg, "invalid certificate: "));
	assert_null(c.cert);
	pki_caobj_release(&c);
	check_buf(NULL, 0, 0, &c);
	assert_false(c.accepted);
	pki_caobj_release(&c);
	free(buf);
	free(pem);
}

/* Not-yet-valid is checked by neither Kong nor KIC: flagged, not rejected. */
static void not_yet_valid_is_flagged_only(void **state)
{
	struct pki_caobj c;
	size_t len;
	char *pem = slurp("kong-ca-www-root-kong-com.pem", &len);
	struct tm tm = { .tm_year = 120, .tm_mon = 0, .tm_mday = 1 };  /* 2020-01-01, before 2024-07-08 */

	(void)state;
	check_buf(pem, len, timegm(&tm), &c);
	assert_true(c.accepted);
	assert_true(c.not_yet_valid);
	assert_false(c.expired);
	assert_true(c.not_before > timegm(&tm));
	pki_caobj_release(&c);
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_ca_object_row),
		cmocka_unit_test(kong_and_kic_check_order),
		cmocka_unit_test(digest_is_of_the_certificate),
		cmocka_unit_test(blocks_and_text_around),
		cmocka_unit_test(not_yet_valid_is_flagged_only),
	};
	const char *top = getenv("KT_TOP");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/test/fixtures/peer", top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
