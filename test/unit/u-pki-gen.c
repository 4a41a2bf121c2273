/*
 * Unit tests of pki/gen.c and pki/files.c: host classification, key types, serials,
 * the certificate profile on a real key, and the all-or-nothing file set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/x509v3.h>

#include "pki/pki.h"

static void host_classification_table(void **state)
{
	static const struct {
		const char *host;
		int ok;
		enum pki_host_kind kind;
	} cases[] = {
		{ "kong.example", 1, PKI_HOST_DNS },
		{ "echo", 1, PKI_HOST_DNS },
		{ "my-svc.ns.svc.cluster.local", 1, PKI_HOST_DNS },
		{ "xn--bcher-kva.example", 1, PKI_HOST_DNS },
		{ "a1.b2", 1, PKI_HOST_DNS },
		{ "*.kong.example", 1, PKI_HOST_WILDCARD },
		{ "10.0.0.7", 1, PKI_HOST_IPV4 },
		{ "2001:db8::1", 1, PKI_HOST_IPV6 },
		{ "::1", 1, PKI_HOST_IPV6 },
		{ "exa mple", 0, 0 },
		{ "", 0, 0 },
		{ "*", 0, 0 },
		{ "*.", 0, 0 },
		{ "*.com", 0, 0 },
		{ "**.kong.example", 0, 0 },
		{ "*a.kong.example", 0, 0 },
		{ "a.*.example", 0, 0 },
		{ "*.*.example", 0, 0 },
		{ "-a.example", 0, 0 },
		{ "a-.example", 0, 0 },
		{ "a..example", 0, 0 },
		{ ".example", 0, 0 },
		{ "example.", 0, 0 },
		{ "a_b.example", 0, 0 },
		{ "1.2.3", 0, 0 },
		{ "256.1.1.1", 0, 0 },
		{ "1::2::3", 0, 0 },
		{ "[::1]", 0, 0 },
		{ "kong.example/path", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_err err = KT_ERR_INIT;
		enum pki_host_kind kind = PKI_HOST_DNS;
		int rc = pki_host_classify(cases[i].host, &kind, &err);

		if (cases[i].ok) {
			if (rc != KT_OK)
				fail_msg("'%s' rejected: %s", cases[i].host, err.msg);
			assert_int_equal(kind, cases[i].kind);
			assert_int_equal(err.code, KT_OK);
		} else {
			if (rc != KT_E_USAGE)
				fail_msg("'%s' accepted", cases[i].host);
			assert_non_null(strstr(err.msg, "invalid host '"));
			assert_null(strchr(err.msg, '\n'));
		}
	}
}

static void long_names(void **state)
{
	char label[70], name[300];
	enum pki_host_kind kind;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	assert_int_equal(pki_host_classify(name, &kind, &err), KT_OK);
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	assert_int_equal(pki_host_classify(name, &kind, &err), KT_E_USAGE);
	/* 254 characters in 63-character labels */
	memset(name, 'a', 254);
	name[254] = '\0';
	name[63] = name[127] = name[191] = '.';
	assert_int_equal(pki_host_classify(name, &kind, &err), KT_E_USAGE);
	assert_non_null(strstr(err.msg, "253"));
}

static void key_types_round_trip(void **state)
{
	const char *names[] = { "ec:p256", "ec:p384", "rsa:2048", "rsa:3072", "rsa:4096", "ed25519" };
	enum pki_key_type t;
	struct kt_err err = KT_ERR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(pki_key_type_parse(names[i], &t, &err), KT_OK);
		assert_string_equal(pki_key_type_name(t), names[i]);
		assert_non_null(strstr(PKI_KEY_TYPES, names[i]));
	}
	assert_int_equal(pki_key_type_parse("rsa:1024", &t, &err), KT_E_USAGE);
	assert_non_null(strstr(err.msg, "unknown key type 'rsa:1024'"));
	assert_int_equal(pki_key_type_parse("EC:P256", &t, &err), KT_E_USAGE);
}

static void serial_is_positive_and_full_length(void **state)
{
	unsigned char all_ones[PKI_SERIAL_BYTES], zeros[PKI_SERIAL_BYTES];
	struct kt_err err = KT_ERR_INIT;
	int i;

	(void)state;
	memset(all_ones, 0xff, sizeof(all_ones));
	memset(zeros, 0, sizeof(zeros));
	pki_serial_from_bytes(all_ones);
	pki_serial_from_bytes(zeros);
	assert_int_equal(all_ones[0], 0x7f);   /* top bit clear: positive */
	assert_int_equal(zeros[0], 0x40);      /* next bit set: never shorter than 16 bytes */
	assert_int_equal(all_ones[1], 0xff);   /* the rest untouched */
	for (i = 0; i < 50; i++) {
		ASN1_INTEGER *s = pki_serial_new(&err);
		BIGNUM *bn;

		assert_non_null(s);
		bn = ASN1_INTEGER_to_BN(s, NULL);
		assert_non_null(bn);
		assert_false(BN_is_negative(bn));
		assert_int_equal(BN_num_bits(bn), 127);
		BN_free(bn);
		ASN1_INTEGER_free(s);
	}
}

static void key_description(void **state)
{
	EVP_PKEY *keys[3] = { NULL };
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	assert_int_equal(pki_keys_new(PKI_KEY_EC_P384, 3, keys, &err), KT_OK);
	assert_string_equal(pki_key_describe(keys[0]), "ec:p384");
	assert_ptr_not_equal(keys[0], keys[1]);
	assert_int_not_equal(EVP_PKEY_eq(keys[0], keys[1]), 1);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	EVP_PKEY_free(keys[2]);
	assert_int_equal(pki_keys_new(PKI_KEY_ED25519, 1, keys, &err), KT_OK);
	assert_string_equal(pki_key_describe(keys[0]), "ed25519");
	EVP_PKEY_free(keys[0]);
	assert_string_equal(pki_key_describe(NULL), "unknown");
}

static void leaf_profile_and_bad_host(void **state)
{
	EVP_PKEY *keys[2] = { NULL };
	struct kt_err err = KT_ERR_INIT;
	const char *hosts[] = { "kong.example", "10.0.0.1" };
	const char *bad[] = { "kong.example", "exa mple" };
	X509 *root, *leaf;
	BASIC_CONSTRAINTS *bc;
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(pki_keys_new(PKI_KEY_EC_P256, 2, keys, &err), KT_OK);
	{
		struct pki_cert_spec spec = { .cn = "root", .key = keys[0], .is_ca = 1, .pathlen = -1, .days = 10, .now = now };
		root = pki_cert_new(&spec, &err);
	}
	assert_non_null(root);
	{
		struct pki_cert_spec spec = { .key = keys[1], .issuer = root, .issuer_key = keys[0], .pathlen = -1,
					      .hosts = hosts, .nhosts = 2, .days = 1, .now = now };
		leaf = pki_cert_new(&spec, &err);
		assert_non_null(leaf);
		assert_int_equal(X509_verify(leaf, keys[0]), 1);
		assert_int_equal(X509_check_host(leaf, "kong.example", 0, 0, NULL), 1);
		assert_int_equal(X509_check_ip_asc(leaf, "10.0.0.1", 0), 1);
		bc = X509_get_ext_d2i(leaf, NID_basic_constraints, NULL, NULL);
		assert_non_null(bc);
		assert_false(bc->ca);
		BASIC_CONSTRAINTS_free(bc);
		assert_int_equal(X509_cmp_time(X509_get0_notBefore(leaf), &(time_t){ now - PKI_BACKDATE_SECONDS + 1 }), -1);
		X509_free(leaf);

		spec.hosts = bad;
		assert_null(pki_cert_new(&spec, &err));
		assert_int_equal(err.code, KT_E_USAGE);
		assert_non_null(strstr(err.msg, "exa mple"));
		spec.nhosts = 0;
		assert_null(pki_cert_new(&spec, &err));
	}
	X509_free(root);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

/* A scratch directory per test, removed again by rm -r. */
static char *scratch(void)
{
	char *d = strdup("/tmp/u-pki-gen.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_r(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int count_entries(const char *dir)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void fileset_commit_exists_and_abort(void **state)
{
	char *d = scratch(), out[512], path[600];
	struct kt_err err = KT_ERR_INIT;
	struct pki_fileset *set;
	EVP_PKEY *key = NULL, *back = NULL;
	struct stat st;
	int k;

	(void)state;
	snprintf(out, sizeof(out), "%s/new/dir", d);
	assert_int_equal(pki_keys_new(PKI_KEY_ED25519, 1, &key, &err), KT_OK);

	/* freed before commit: no file, no temporary, no created directory */
	set = pki_fileset_new(out, 0);
	assert_non_null(set);
	k = pki_fileset_add(set, "a.key", PKI_FILE_KEY, &err);
	assert_int_equal(k, 0);
	assert_int_equal(pki_fileset_add(set, "a.key", PKI_FILE_KEY, &err), KT_E_USAGE);
	assert_int_equal(pki_fileset_add(set, "../x", PKI_FILE_KEY, &err), KT_E_USAGE);
	assert_int_equal(pki_fileset_prepare(set, &err), KT_OK);
	assert_int_equal(count_entries(out), 1);  /* the temporary file */
	pki_fileset_free(set);
	assert_int_equal(count_entries(d), 0);

	/* commit: the file is there, 0600, and reads back */
	set = pki_fileset_new(out, 0);
	k = pki_fileset_add(set, "a.key", PKI_FILE_KEY, &err);
	assert_int_equal(pki_fileset_prepare(set, &err), KT_OK);
	assert_int_equal(pki_fileset_set_key(set, k, key, &err), KT_OK);
	assert_int_equal(pki_fileset_commit(set, &err), KT_OK);
	snprintf(path, sizeof(path), "%s/a.key", out);
	assert_string_equal(pki_fileset_path(set, k), path);
	pki_fileset_free(set);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(count_entries(out), 1);
	assert_int_equal(pki_key_load(path, &back, &err), KT_OK);
	assert_int_equal(EVP_PKEY_eq(key, back), 1);
	EVP_PKEY_free(back);

	/* exists without force */
	set = pki_fileset_new(out, 0);
	pki_fileset_add(set, "b.crt", PKI_FILE_CERT, &err);
	pki_fileset_add(set, "a.key", PKI_FILE_KEY, &err);
	assert_int_equal(pki_fileset_prepare(set, &err), KT_E_EXISTS);
	assert_non_null(strstr(err.msg, "a.key"));
	pki_fileset_free(set);
	assert_int_equal(count_entries(out), 1);

	/* loading errors */
	snprintf(path, sizeof(path), "%s/missing.key", out);
	assert_int_equal(pki_key_load(path, &back, &err), KT_E_NOTFOUND);
	assert_int_equal(pki_key_load(out, &back, &err), KT_E_IO);
	assert_null(back);

	EVP_PKEY_free(key);
	rm_r(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_classification_table),
		cmocka_unit_test(long_names),
		cmocka_unit_test(key_types_round_trip),
		cmocka_unit_test(serial_is_positive_and_full_length),
		cmocka_unit_test(key_description),
		cmocka_unit_test(leaf_profile_and_bad_host),
		cmocka_unit_test(fileset_commit_exists_and_abort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
