/* Unit tests of pki/err.c: the error struct every library call fills. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "pki/err.h"

static void set_returns_code_and_formats(void **state)
{
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	assert_int_equal(kt_err_set(&err, KT_E_IO, "cannot read '%s'", "x.pem"), KT_E_IO);
	assert_int_equal(err.code, KT_E_IO);
	assert_string_equal(err.msg, "cannot read 'x.pem'");
	assert_int_equal(kt_err_hint(&err, "check %d", 1), KT_E_IO);
	assert_string_equal(err.hint, "check 1");
	kt_err_clear(&err);
	assert_int_equal(err.code, KT_OK);
	assert_string_equal(err.msg, "");
}

static void set_tolerates_null(void **state)
{
	(void)state;
	assert_int_equal(kt_err_set(NULL, KT_E_PARSE, "x"), KT_E_PARSE);
}

static void openssl_error_is_drained(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	BIO *b = BIO_new_mem_buf("garbage", -1);

	(void)state;
	assert_null(PEM_read_bio_X509(b, NULL, NULL, NULL));
	assert_int_not_equal(ERR_peek_error(), 0);
	kt_err_openssl(&err, KT_E_PARSE, "cannot parse '%s'", "g.pem");
	assert_int_equal(err.code, KT_E_PARSE);
	assert_non_null(strstr(err.msg, "cannot parse 'g.pem': "));
	assert_int_equal(ERR_peek_error(), 0);
	BIO_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_returns_code_and_formats),
		cmocka_unit_test(set_tolerates_null),
		cmocka_unit_test(openssl_error_is_drained),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
