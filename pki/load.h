/*
 * pki/load: read certificates from PEM files, standard input or memory.
 *
 * Every loader reads the whole input, then walks its PEM blocks in order and
 * returns all certificates as a new STACK_OF(X509), first block first. Anything
 * that is not a clean list of CERTIFICATE blocks is refused with a one-line error
 * that names the input, so the caller can print it as is:
 *
 *   missing file                      KT_E_NOTFOUND  cannot read 'x.pem': no such file
 *   permission denied, I/O error      KT_E_IO        cannot read 'x.pem': permission denied
 *   a directory                       KT_E_IO        cannot read 'dir': is a directory
 *   empty (or only white space)       KT_E_PARSE     'x.pem' is empty
 *   DER certificate                   KT_E_PARSE     'x.der' looks like DER, not PEM; convert with ...
 *   private key (PEM or DER)          KT_E_PARSE     'x.key' contains a private key, not a certificate
 *   other PEM block (CSR, PUBLIC KEY) KT_E_PARSE     'x.pem' contains a 'CERTIFICATE REQUEST' block, not a certificate
 *   truncated or corrupt PEM          KT_E_PARSE     'x.pem' has a truncated or corrupt PEM block (block 2)
 *   no PEM block at all               KT_E_PARSE     'x.pem' holds no PEM certificate
 *   CERTIFICATE that does not parse   KT_E_PARSE     cannot parse certificate 1 in 'x.pem': <openssl reason>
 *
 * Text outside the blocks (comments, "Bag Attributes") is ignored, as OpenSSL does.
 * A missing file is KT_E_NOTFOUND so that the CLI exits 8 ("does not exist"),
 * distinct from 3 (exists but cannot be read) and 4 (read but malformed).
 */
#ifndef PKI_LOAD_H
#define PKI_LOAD_H

#include <stddef.h>

#include <openssl/x509.h>

#include "pki/err.h"

/* Inputs larger than this are refused (KT_E_PARSE): no certificate file is that big. */
#define PKI_LOAD_MAX_BYTES (16u * 1024 * 1024)

/*
 * Read a whole file, or standard input when path is "-", into a new buffer
 * (NUL-terminated; *len excludes the NUL). The caller frees *data with free().
 * Errors as in the table above (missing, unreadable, directory, too large); an
 * empty file is NOT an error here. On failure *data is NULL.
 */
int pki_read_file(const char *path, char **data, size_t *len, struct kt_err *err);

/*
 * Load all certificates of the PEM file at path ("-": standard input) into a new
 * stack (*out; free with sk_X509_pop_free(*out, X509_free)). On failure *out is
 * NULL and err holds the one-line message naming path.
 */
int pki_load_certs_file(const char *path, STACK_OF(X509) **out, struct kt_err *err);

/*
 * The same for bytes already in memory (e.g. a Secret's data.ca.crt). name is
 * used in messages only ("secret default/root-ca key ca.crt"); it is quoted as is.
 */
int pki_load_certs_mem(const void *data, size_t len, const char *name, STACK_OF(X509) **out,
		       struct kt_err *err);

/* How a path is shown in messages: "standard input" for "-", else the path. */
const char *pki_load_display_name(const char *path);

#endif
