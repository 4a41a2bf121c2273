/*
 * pki/load: read certificates from PEM files, standard input or memory, with an
 * error that says precisely what is wrong with the input (see pki/load.h).
 */
#include "pki/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* strerror() text in our message style: lowercase first letter ("input/output error") */
static const char *reason_of(int e, char *buf, size_t size)
{
	snprintf(buf, size, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

const char *pki_load_display_name(const char *path)
{
	return strcmp(path, "-") ? path : "standard input";
}

static int read_fd(int fd, const char *name, char **data, size_t *len, struct kt_err *err)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nbuf;

			if (cap > PKI_LOAD_MAX_BYTES) {
				free(buf);
				return kt_err_set(err, KT_E_PARSE, "'%s' is larger than %u MiB: not a certificate file",
						  name, PKI_LOAD_MAX_BYTES >> 20);
			}
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				free(buf);
				return kt_err_set(err, KT_E_INTERNAL, "out of memory reading '%s'", name);
			}
			buf = nbuf;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			char why[128];

			free(buf);
			if (e == EISDIR)
				return kt_err_set(err, KT_E_IO, "cannot read '%s': is a directory", name);
			return kt_err_set(err, KT_E_IO, "cannot read '%s': %s", name, reason_of(e, why, sizeof(why)));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > PKI_LOAD_MAX_BYTES) {
		free(buf);
		return kt_err_set(err, KT_E_PARSE, "'%s' is larger than %u MiB: not a certificate file",
				  name, PKI_LOAD_MAX_BYTES >> 20);
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return KT_OK;
}

int pki_read_file(const char *path, char **data, size_t *len, struct kt_err *err)
{
	const char *name = pki_load_display_name(path);
	struct stat st;
	char why[128];
	int fd, rc;

	*data = NULL;
	*len = 0;
	if (!strcmp(path, "-"))
		return read_fd(STDIN_FILENO, name, data, len, err);
	if (!*path)
		return kt_err_set(err, KT_E_USAGE, "empty file name");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return kt_err_set(err, KT_E_NOTFOUND, "cannot read '%s': no such file", name);
		if (errno == EACCES)
			return kt_err_set(err, KT_E_IO, "cannot read '%s': permission denied", name);
		return kt_err_set(err, KT_E_IO, "cannot read '%s': %s", name, reason_of(errno, why, sizeof(why)));
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return kt_err_set(err, KT_E_IO, "cannot read '%s': is a directory", name);
	}
	rc = read_fd(fd, name, data, len, err);
	close(fd);
	return rc;
}

static int only_space(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n\f\v", p[i]) || !p[i])
			return 0;
	return 1;
}

static int count_begin_lines(const char *p, size_t len)
{
	const char *end = p + len, *q;
	int n = 0;

	while ((q = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		n++;
		p = q + 11;
	}
	return n;
}

static int is_key_block(const char *pem_name)
{
	size_t n = strlen(pem_name);

	return n >= 11 && !strcmp(pem_name + n - 11, "PRIVATE KEY");
}

/* No PEM block at all: say what the bytes look like instead. */
static int explain_not_pem(const unsigned char *p, size_t len, const char *name, struct kt_err *err)
{
	const unsigned char *q = p;
	X509 *x;
	EVP_PKEY *k;

	x = d2i_X509(NULL, &q, (long)len);
	if (x) {
		X509_free(x);
		ERR_clear_error();
		kt_err_set(err, KT_E_PARSE, "'%s' looks like DER, not PEM; convert with openssl x509 -inform der -in '%s' -out cert.pem",
			   name, name);
		return kt_err_hint(err, "a certificate file must hold '-----BEGIN CERTIFICATE-----' blocks");
	}
	q = p;
	k = d2i_AutoPrivateKey(NULL, &q, (long)len);
	ERR_clear_error();
	if (k) {
		EVP_PKEY_free(k);
		return kt_err_set(err, KT_E_PARSE, "'%s' contains a private key (DER), not a certificate", name);
	}
	if (len && p[0] == 0x30)
		return kt_err_set(err, KT_E_PARSE, "'%s' looks like binary DER data but is not a certificate", name);
	return kt_err_set(err, KT_E_PARSE, "'%s' holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line)", name);
}

int pki_load_certs_mem(const void *data, size_t len, const char *name, STACK_OF(X509) **out,
		       struct kt_err *err)
{
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	char *pem_name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	int rc = KT_OK, blocks = 0;

	*out = NULL;
	if (len > PKI_LOAD_MAX_BYTES)
		return kt_err_set(err, KT_E_PARSE, "'%s' is larger than %u MiB: not a certificate file",
				  name, PKI_LOAD_MAX_BYTES >> 20);
	if (!data || len == 0 || only_space(data, len))
		return kt_err_set(err, KT_E_PARSE, "'%s' is empty", name);
	if (!memmem(data, len, "-----BEGIN ", 11))
		return explain_not_pem(data, len, name, err);

	ERR_clear_error();
	certs = sk_X509_new_null();
	bio = BIO_new_mem_buf(data, (int)len);
	if (!certs || !bio) {
		rc = kt_err_set(err, KT_E_INTERNAL, "out of memory reading '%s'", name);
		goto out;
	}
	for (;;) {
		const unsigned char *q;
		X509 *x;

		if (!PEM_read_bio(bio, &pem_name, &header, &der, &der_len)) {
			unsigned long e = ERR_peek_last_error();

			ERR_clear_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;  /* end of input: no further block */
			rc = kt_err_set(err, KT_E_PARSE, "'%s' has a truncated or corrupt PEM block (block %d)",
					name, blocks + 1);
			kt_err_hint(err, "check that every '-----BEGIN' line has its '-----END' line and the base64 is intact");
			goto out;
		}
		blocks++;
		if (is_key_block(pem_name)) {
			rc = kt_err_set(err, KT_E_PARSE, "'%s' contains a private key, not a certificate", name);
			kt_err_hint(err, "pass the certificate file (.crt), not the key (.key)");
			goto out;
		}
		if (strcmp(pem_name, "CERTIFICATE") && strcmp(pem_name, "X509 CERTIFICATE")) {
			rc = kt_err_set(err, KT_E_PARSE, "'%s' contains a '%s' block, not a certificate (block %d)",
					name, pem_name, blocks);
			goto out;
		}
		q = der;
		x = d2i_X509(NULL, &q, der_len);
		if (!x || q != der + der_len) {
			X509_free(x);
			rc = kt_err_openssl(err, KT_E_PARSE, "cannot parse certificate %d in '%s'", blocks, name);
			goto out;
		}
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory reading '%s'", name);
			goto out;
		}
		OPENSSL_free(pem_name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		pem_name = header = NULL;
		der = NULL;
	}
	if (blocks != count_begin_lines(data, len)) {
		/* a "-----BEGIN " line that no block could be framed from, e.g. cut in its header */
		rc = kt_err_set(err, KT_E_PARSE, "'%s' has a truncated or corrupt PEM block (block %d)",
				name, blocks + 1);
		goto out;
	}
	*out = certs;
	certs = NULL;
out:
	OPENSSL_free(pem_name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return rc;
}

int pki_load_certs_file(const char *path, STACK_OF(X509) **out, struct kt_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = pki_read_file(path, &data, &len, err);
	if (rc)
		return rc;
	rc = pki_load_certs_mem(data, len, pki_load_display_name(path), out, err);
	free(data);
	return rc;
}
