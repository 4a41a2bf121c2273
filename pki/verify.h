/*
 * pki/verify: the one engine for "would Kong accept this upstream chain?".
 *
 * Kong's data plane is nginx on OpenSSL. With tls_verify on, the upstream's chain
 * is verified by libssl exactly like this:
 *   - trust store: exactly the service's CA certificates (none: an empty store;
 *     no X509_V_FLAG_PARTIAL_CHAIN, so an intermediate alone is not an anchor);
 *   - untrusted: the chain as the upstream served it (libssl passes the whole
 *     peer chain, leaf included, in the order served);
 *   - purpose/trust: "ssl_server" (X509_STORE_CTX_set_default, as libssl does);
 *   - depth: SSL_set_verify_depth(tls_verify_depth) only when it is set, else
 *     OpenSSL's default X509_VERIFY_PARAM depth of 100;
 *   - no verify callback: OpenSSL stops at the FIRST error, and that is the code
 *     Kong logs. A plain nginx with `proxy_ssl_verify on` installs a callback that
 *     continues and logs the LAST error; both are reported here (spec §4.3).
 *   - after a successful verification nginx checks the name with
 *     X509_check_host(leaf, name, len, 0, NULL): DNS SANs, wildcards, subject CN
 *     only when there is no DNS SAN; an IP address is matched as a DNS name, so
 *     it never matches an IP SAN.
 */
#ifndef PKI_VERIFY_H
#define PKI_VERIFY_H

#include <time.h>

#include <openssl/x509.h>

#include "pki/err.h"

/* OpenSSL's default verify depth, what applies when Kong's tls_verify_depth is not set. */
#define PKI_DEFAULT_DEPTH 100
/* Kong's range for tls_verify_depth (services.lua: between = { 0, 64 }). */
#define PKI_MAX_DEPTH 64
#define PKI_MAX_ERRORS 16

struct pki_verdict {
	int accepted;           /* 1: Kong would complete the handshake                       */
	int error;              /* first X509_V_ERR_* (what Kong logs), 0 if the chain is good */
	int error_depth;        /* depth of that error (0 = leaf), -1 when error is 0          */
	int hostname_mismatch;  /* chain good but X509_check_host failed                       */
	char reason[256];       /* exactly Kong's log text; "" when accepted                    */
	STACK_OF(X509) *path;   /* the chain OpenSSL built, leaf first (owned); on failure the
				   part it got to, never NULL after a successful pki_judge     */
	int path_trusted;       /* the last certificate of path is a trust anchor               */
	int depth_limit;        /* effective verify depth: the one given, else 100              */
	int depth_set;          /* a depth was given                                            */
	int all_errors[PKI_MAX_ERRORS];  /* every error OpenSSL raised, in order, as a plain  */
	int all_depths[PKI_MAX_ERRORS];  /* nginx (proxy_ssl_verify on) would see them         */
	int n_errors;           /* may exceed PKI_MAX_ERRORS; the arrays keep the first ones    */
	int nginx_error;        /* the last error, what plain nginx logs; 0 if none             */
	char nginx_reason[256]; /* plain nginx's log text; "" when it accepts                   */
};

/*
 * Judge a served chain as Kong would.
 *   trusted:  0..n trust anchors (NULL = empty store); borrowed.
 *   served:   what the upstream sends, leaf first; at least one certificate; borrowed.
 *   depth:    Kong's tls_verify_depth, 0..64, or -1 when not set (OpenSSL's 100).
 *   hostname: the name nginx checks (proxy_ssl_name); NULL = no check.
 *   at:       verification time; 0 = now.
 * Returns 0 and fills *out (release it with pki_verdict_release) whatever the
 * verdict; a rejection is out->accepted == 0, not an error. Returns a negative
 * kt_status (KT_E_USAGE for an empty chain or a depth out of range,
 * KT_E_INTERNAL) with *out zeroed when it could not judge at all.
 */
int pki_judge(STACK_OF(X509) *trusted, STACK_OF(X509) *served, int depth, const char *hostname,
	      time_t at, struct pki_verdict *out, struct kt_err *err);

/* Free what a verdict owns and zero it; NULL and zeroed verdicts are fine. */
void pki_verdict_release(struct pki_verdict *v);

/* "upstream SSL certificate verify error: (20:unable to get local issuer certificate)" into buf. */
void pki_verify_error_text(int error, char *buf, size_t size);

#endif
