/*
 * pki/tlspair: is this chain + key a usable TLS server pair (the upstream's
 * kubernetes.io/tls Secret)? The key must match the first certificate (the leaf), and
 * each certificate must be issued by the next one (leaf first, then intermediates, as
 * the server has to send them; the root may be last or absent).
 */
#ifndef PKI_TLSPAIR_H
#define PKI_TLSPAIR_H

#include <stddef.h>

#include <openssl/x509.h>

#include "pki/err.h"

/*
 * Parse key_pem (an unencrypted PEM private key) and check it against chain.
 * key_name and chain_name are quoted in messages. Errors:
 *   KT_E_PARSE   not a PEM private key; encrypted (we never prompt)
 *   KT_E_REJECT  the key does not match the leaf; the chain is out of order
 *                ("certificate 2 in 'chain.crt' did not issue certificate 1")
 * Returns 0 and sets *n_intermediates (certificates after the leaf, not counting a
 * self-signed root at the end): the tls-verify-depth Kong needs.
 */
int pki_tls_pair_check(STACK_OF(X509) *chain, const char *chain_name, const void *key_pem, size_t key_len,
		       const char *key_name, int *n_intermediates, struct kt_err *err);

/* Intermediates in a leaf-first chain: certificates after the first, minus a self-signed last one. */
int pki_chain_intermediates(STACK_OF(X509) *chain);

#endif
