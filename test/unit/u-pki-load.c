/* Unit tests of pki/load.c: every kind of bad input gets its own precise error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pki/load.h"

static char fixture_dir[4096];

static const char *fixture(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	struct kt_err err = KT_ERR_INIT;

	assert_int_equal(pki_read_file(path, &data, len, &err), 0);
	return data;
}

static void expect_mem_error(const void *data, size_t len, int code, const char *needle)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = (STACK_OF(X509) *)1;

	assert_int_equal(pki_load_certs_mem(data, len, "in.pem", &certs, &err), code);
	assert_null(certs);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, needle))
		fail_msg("message '%s' lacks '%s'", err.msg, needle);
	assert_non_null(strstr(err.msg, "'in.pem'"));
	assert_null(strchr(err.msg, '\n'));
}

static void loads_one_and_many(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = NULL;

	(void)state;
	assert_int_equal(pki_load_certs_file(fixture("kong-ca-testing-root.pem"), &certs, &err), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	sk_X509_pop_free(certs, X509_free);
	assert_int_equal(pki_load_certs_file(fixture("kong-upstream-chain-example-com.pem"), &certs, &err), 0);
	assert_int_equal(sk_X509_num(certs), 2);
	sk_X509_pop_free(certs, X509_free);
	/* the same certificate twice is two certificates: nothing is de-duplicated */
	assert_int_equal(pki_load_certs_file(fixture("kong-bundle-two-certs.pem"), &certs, &err), 0);
	assert_int_equal(sk_X509_num(certs), 2);
	sk_X509_pop_free(certs, X509_free);
	assert_int_equal(err.code, KT_OK);
}

static void loads_from_memory_with_text_around(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = NULL;
	size_t len, n;
	char *pem = slurp(fixture("kong-ca-yolo42-1.pem"), &len);
	char *buf = malloc(len + 64);

	(void)state;
	n = (size_t)sprintf(buf, "Bag Attributes\n  friendlyName: x\n%s", pem);
	assert_int_equal(pki_load_certs_mem(buf, n, "secret ns/ca key ca.crt", &certs, &err), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	sk_X509_pop_free(certs, X509_free);
	free(buf);
	free(pem);
}

static void file_errors(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = NULL;

	(void)state;
	assert_int_equal(pki_load_certs_file("/nonexistent/x.pem", &certs, &err), KT_E_NOTFOUND);
	assert_string_equal(err.msg, "cannot read '/nonexistent/x.pem': no such file");
	assert_null(certs);
	assert_int_equal(pki_load_certs_file(fixture_dir, &certs, &err), KT_E_IO);
	assert_non_null(strstr(err.msg, "is a directory"));
	assert_null(certs);
}

static void empty_and_garbage(void **state)
{
	(void)state;
	expect_mem_error("", 0, KT_E_PARSE, "is empty");
	expect_mem_error(" \n\t\n", 4, KT_E_PARSE, "is empty");
	expect_mem_error("hello world\n", 12, KT_E_PARSE, "holds no PEM certificate");
	expect_mem_error("\x30\x03\x02\x01\x00", 5, KT_E_PARSE, "not a certificate");
}

static void der_is_detected(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *certs = NULL;
	unsigned char *der = NULL;
	int n;

	(void)state;
	assert_int_equal(pki_load_certs_file(fixture("kong-ca-testing-root.pem"), &certs, &err), 0);
	n = i2d_X509(sk_X509_value(certs, 0), &der);
	assert_true(n > 0);
	expect_mem_error(der, (size_t)n, KT_E_PARSE, "looks like DER");
	expect_mem_error(der, (size_t)n, KT_E_PARSE, "openssl x509 -inform der");
	OPENSSL_free(der);
	sk_X509_pop_free(certs, X509_free);
}

static void private_keys_are_refused(void **state)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *pem;
	long n;
	int dn;

	(void)state;
	assert_non_null(key);
	assert_true(PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL));
	n = BIO_get_mem_data(b, &pem);
	expect_mem_error(pem, (size_t)n, KT_E_PARSE, "contains a private key, not a certificate");
	/* a key in a PEM file next to a certificate is refused too, and its text never echoed */
	dn = i2d_PrivateKey(key, &der);
	assert_true(dn > 0);
	expect_mem_error(der, (size_t)dn, KT_E_PARSE, "private key");
	OPENSSL_free(der);
	BIO_free(b);
	EVP_PKEY_free(key);
}

static void truncated_and_other_blocks(void **state)
{
	size_t len;
	char *pem = slurp(fixture("kong-upstream-chain-example-com.pem"), &len);
	const char *csr = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
	char *second;

	(void)state;
	expect_mem_error(pem, 300, KT_E_PARSE, "truncated or corrupt PEM block (block 1)");
	second = strstr(pem + 10, "-----BEGIN CERTIFICATE-----");
	assert_non_null(second);
	/* cut inside the second block's body, and inside its BEGIN line */
	expect_mem_error(pem, (size_t)(second - pem) + 100, KT_E_PARSE, "(block 2)");
	expect_mem_error(pem, (size_t)(second - pem) + 15, KT_E_PARSE, "(block 2)");
	expect_mem_error(csr, strlen(csr), KT_E_PARSE, "contains a 'CERTIFICATE REQUEST' block, not a certificate");
	free(pem);
}

static void bad_base64_certificate(void **state)
{
	const char *bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

	(void)state;
	expect_mem_error(bad, strlen(bad), KT_E_PARSE, "cannot parse certificate 1 in 'in.pem'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_one_and_many),
		cmocka_unit_test(loads_from_memory_with_text_around),
		cmocka_unit_test(file_errors),
		cmocka_unit_test(empty_and_garbage),
		cmocka_unit_test(der_is_detected),
		cmocka_unit_test(private_keys_are_refused),
		cmocka_unit_test(truncated_and_other_blocks),
		cmocka_unit_test(bad_base64_certificate),
	};
	const char *top = getenv("KT_TOP");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/test/fixtures/peer", top ? top : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
