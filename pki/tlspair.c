/*
 * pki/tlspair: key/leaf match and chain order for the upstream's TLS Secret.
 */
#include "pki/tlspair.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Never prompt for a passphrase: an encrypted key is an error we report. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)u = 1;
	return -1;
}

static int self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

int pki_chain_intermediates(STACK_OF(X509) *chain)
{
	int n = sk_X509_num(chain);

	if (n <= 1)
		return 0;
	return self_signed(sk_X509_value(chain, n - 1)) ? n - 2 : n - 1;
}

int pki_tls_pair_check(STACK_OF(X509) *chain, const char *chain_name, const void *key_pem, size_t key_len,
		       const char *key_name, int *n_intermediates, struct kt_err *err)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	int asked = 0, i, n = sk_X509_num(chain), rc = KT_OK;

	ERR_clear_error();
	if (n < 1)
		return kt_err_set(err, KT_E_PARSE, "'%s' holds no certificate", chain_name);
	if (key_len > (1u << 24) || !(bio = BIO_new_mem_buf(key_pem, (int)key_len)))
		return kt_err_set(err, KT_E_PARSE, "'%s' is too large to be a private key", key_name);
	key = PEM_read_bio_PrivateKey(bio, NULL, no_password, &asked);
	BIO_free(bio);
	if (!key) {
		ERR_clear_error();
		if (asked)
			return kt_err_set(err, KT_E_PARSE, "'%s' is an encrypted private key: Kubernetes TLS Secrets "
					  "need it unencrypted", key_name);
		return kt_err_set(err, KT_E_PARSE, "'%s' holds no PEM private key", key_name);
	}
	if (X509_check_private_key(sk_X509_value(chain, 0), key) != 1) {
		ERR_clear_error();
		rc = kt_err_set(err, KT_E_REJECT, "the key in '%s' does not match the first certificate in '%s'",
				key_name, chain_name);
		kt_err_hint(err, "'%s' must start with the server (leaf) certificate of that key", chain_name);
		goto out;
	}
	for (i = 0; i + 1 < n; i++) {
		if (X509_check_issued(sk_X509_value(chain, i + 1), sk_X509_value(chain, i)) != X509_V_OK) {
			rc = kt_err_set(err, KT_E_REJECT, "'%s' is not in order: certificate %d did not issue "
					"certificate %d", chain_name, i + 2, i + 1);
			kt_err_hint(err, "put the leaf first, then each intermediate, each followed by its issuer");
			goto out;
		}
	}
	*n_intermediates = pki_chain_intermediates(chain);
out:
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}
