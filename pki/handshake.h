/*
 * pki/handshake: fetch the certificate chain an upstream serves, the way Kong's
 * nginx meets it.
 *
 * Connects to HOST:PORT within a deadline (non-blocking connect + poll), runs a
 * TLS handshake with SNI set to the name Kong will send (spec §2.1: the upstream
 * host; no SNI for an IP literal, as nginx does per RFC 6066) and does NOT verify
 * during the handshake: the served chain is judged afterwards by pki_judge, so the
 * verdict comes from the one engine that answers "would Kong accept this chain".
 * Never prints; every failure is one KT_E_TLS (or KT_E_USAGE) line in err.
 */
#ifndef PKI_HANDSHAKE_H
#define PKI_HANDSHAKE_H

#include <openssl/x509.h>

#include "pki/err.h"

struct pki_handshake {
	STACK_OF(X509) *served;  /* owned: the chain exactly as served, leaf first */
	char address[80];        /* the numeric address that answered, "127.0.0.1:8443" */
	char protocol[16];       /* "TLSv1.3" */
	char cipher[64];         /* "TLS_AES_256_GCM_SHA384" */
	char sni[256];           /* the SNI sent, "" when none (IP literal or no name) */
};

/*
 * Split "HOST:PORT", "[v6]:PORT" into host and port (copied into the buffers).
 * Returns 0, or KT_E_USAGE with a message naming the address.
 */
int pki_address_split(const char *address, char *host, size_t hostlen, char *port, size_t portlen,
		      struct kt_err *err);

/* 1 when name is an IPv4 or IPv6 literal (with or without brackets): nginx sends no SNI for those. */
int pki_is_ip_literal(const char *name);

/*
 * Connect to address ("HOST:PORT"), handshake with SNI = sni (NULL, "" or an IP
 * literal: none), give up after timeout_ms (<= 0: 10 s) for connect + handshake.
 * On success *out is a new struct the caller frees with pki_handshake_free().
 * Errors (KT_E_TLS): connection refused, timeout, no TLS (plain HTTP or other
 * bytes), an alert from the server, the connection closed mid-handshake.
 */
int pki_handshake(const char *address, const char *sni, long timeout_ms, struct pki_handshake **out,
		  struct kt_err *err);

void pki_handshake_free(struct pki_handshake *hs);

#endif
