/*
 * pki/handshake: connect, handshake without verifying, keep the served chain.
 *
 * Why no verification here: Kong's verdict (first OpenSSL error, depth, trusted
 * store, then nginx's host check) is computed by pki_judge on the chain we bring
 * back, the same code path as the offline `verify --chain`. The handshake only has
 * to present itself as Kong's nginx does (SNI = upstream host) and report clearly
 * when the other end is not a TLS server at all.
 */
#include "pki/handshake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define DEFAULT_TIMEOUT_MS 10000

/* The first bytes the server sent, captured under the TLS layer to recognise non-TLS answers. */
struct peek {
	unsigned char buf[16];
	size_t n;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fmt_duration(char *buf, size_t len, long ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%lds", ms / 1000);
	else
		snprintf(buf, len, "%ldms", ms);
}

int pki_is_ip_literal(const char *name)
{
	unsigned char tmp[sizeof(struct in6_addr)];
	char v6[INET6_ADDRSTRLEN + 2];
	size_t n;

	if (!name || !*name)
		return 0;
	if (inet_pton(AF_INET, name, tmp) == 1 || inet_pton(AF_INET6, name, tmp) == 1)
		return 1;
	n = strlen(name);
	if (name[0] == '[' && n > 2 && name[n - 1] == ']' && n - 2 < sizeof(v6)) {
		memcpy(v6, name + 1, n - 2);
		v6[n - 2] = '\0';
		return inet_pton(AF_INET6, v6, tmp) == 1;
	}
	return 0;
}

int pki_address_split(const char *address, char *host, size_t hostlen, char *port, size_t portlen,
		      struct kt_err *err)
{
	const char *colon, *h = address;
	size_t hl;

	if (!address || !*address)
		return kt_err_set(err, KT_E_USAGE, "empty upstream address: expected HOST:PORT");
	if (address[0] == '[') {
		const char *close = strchr(address, ']');
		if (!close || close[1] != ':')
			goto bad;
		h = address + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon || strchr(address, ':') != colon)
			goto bad;
		hl = (size_t)(colon - address);
	}
	if (hl == 0 || hl >= hostlen || !colon[1] || strlen(colon + 1) >= portlen)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
bad:
	kt_err_set(err, KT_E_USAGE, "invalid upstream address '%s': expected HOST:PORT or [IPv6]:PORT", address);
	return kt_err_hint(err, "for example 127.0.0.1:8443, echo.default.svc:443 or [::1]:8443");
}

static void numeric_address(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char h[INET6_ADDRSTRLEN], p[16];

	if (getnameinfo(sa, len, h, sizeof(h), p, sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", h, p);
}

/* Wait for fd to become ready for events until deadline; 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short events, long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Returns a connected non-blocking socket, or -1 with err filled. */
static int connect_any(const char *address, const char *host, const char *port, long timeout_ms,
		       long deadline, char *numeric, size_t numlen, struct kt_err *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char dur[32];
	int fd = -1, last_errno = 0, timed_out = 0, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		kt_err_set(err, KT_E_TLS, "cannot resolve upstream '%s': %s", address, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
				goto connected;
			if (rc == 0)
				timed_out = 1;
			last_errno = rc == 1 ? soerr : errno;
		} else {
			last_errno = errno;
		}
		close(fd);
		fd = -1;
		if (timed_out)
			break;
	}
	freeaddrinfo(res);
	fmt_duration(dur, sizeof(dur), timeout_ms);
	if (timed_out) {
		kt_err_set(err, KT_E_TLS, "upstream %s did not accept a connection within %s", address, dur);
		kt_err_hint(err, "check the address and port, and that nothing drops the traffic; raise --timeout if it is slow");
	} else if (last_errno == ECONNREFUSED) {
		kt_err_set(err, KT_E_TLS, "cannot connect to upstream %s: connection refused", address);
		kt_err_hint(err, "nothing listens there: check the address and the TLS port of the Service");
	} else {
		kt_err_set(err, KT_E_TLS, "cannot connect to upstream %s: %s", address,
			   last_errno ? strerror(last_errno) : "no usable address");
	}
	return -1;
connected:
	numeric_address(ai->ai_addr, ai->ai_addrlen, numeric, numlen);
	freeaddrinfo(res);
	return fd;
}

/* BIO callback: remember the first bytes read from the socket, below the TLS record layer. */
static long peek_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
		    size_t *processed)
{
	struct peek *pk = (struct peek *)BIO_get_callback_arg(b);

	(void)len; (void)argi; (void)argl;
	if (oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed && pk && pk->n < sizeof(pk->buf)) {
		size_t take = *processed;
		if (take > sizeof(pk->buf) - pk->n)
			take = sizeof(pk->buf) - pk->n;
		memcpy(pk->buf + pk->n, argp, take);
		pk->n += take;
	}
	return ret;
}

static int looks_like_http(const struct peek *pk)
{
	return pk->n >= 5 && !memcmp(pk->buf, "HTTP/", 5);
}

/* A readable rendering of what a non-TLS server sent: text when printable, else hex. */
static void render_peek(const struct peek *pk, char *out, size_t outlen)
{
	size_t i, printable = 1, o = 0;

	for (i = 0; i < pk->n; i++)
		if (pk->buf[i] < 0x20 || pk->buf[i] > 0x7e)
			printable = 0;
	for (i = 0; i < pk->n && o + 4 < outlen; i++) {
		if (printable)
			out[o++] = (char)pk->buf[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "%s%02x", i ? " " : "", pk->buf[i]);
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

static int handshake_failed(const char *address, const struct peek *pk, int sslerr, int saved_errno,
			    struct kt_err *err)
{
	char what[64];
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (looks_like_http(pk)) {
		ERR_clear_error();
		kt_err_set(err, KT_E_TLS, "upstream %s did not answer TLS (it looks like plain HTTP)", address);
		return kt_err_hint(err, "use the Service's TLS port, or konghq.com/protocol: http for a plain upstream");
	}
	if (pk->n > 0 && pk->buf[0] == 0x15) {
		/* a TLS alert record: the server refused our ClientHello */
		kt_err_set(err, KT_E_TLS, "upstream %s refused the TLS handshake: %s", address,
			   reason ? reason : "alert");
		ERR_clear_error();
		return kt_err_hint(err, "the server may need a client certificate, another TLS version or another SNI");
	}
	if (pk->n > 0 && (pk->buf[0] < 0x14 || pk->buf[0] > 0x18)) {
		render_peek(pk, what, sizeof(what));
		ERR_clear_error();
		return kt_err_set(err, KT_E_TLS, "upstream %s did not answer TLS (it sent '%s')", address, what);
	}
	if (pk->n == 0) {
		ERR_clear_error();
		if (saved_errno == ECONNRESET)
			return kt_err_set(err, KT_E_TLS, "upstream %s reset the connection during the TLS handshake", address);
		kt_err_set(err, KT_E_TLS, "upstream %s closed the connection without answering the TLS handshake", address);
		return kt_err_hint(err, "is it a TLS port? check konghq.com/protocol and the port");
	}
	if (sslerr == SSL_ERROR_SYSCALL && saved_errno) {
		ERR_clear_error();
		return kt_err_set(err, KT_E_TLS, "TLS handshake with upstream %s failed: %s", address, strerror(saved_errno));
	}
	return kt_err_openssl(err, KT_E_TLS, "TLS handshake with upstream %s failed", address);
}

int pki_handshake(const char *address, const char *sni, long timeout_ms, struct pki_handshake **out,
		  struct kt_err *err)
{
	char host[256], port[32], dur[32];
	struct pki_handshake *hs = NULL;
	struct peek pk = { .n = 0 };
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	BIO *bio = NULL;
	STACK_OF(X509) *chain;
	long deadline;
	int fd = -1, rc;

	*out = NULL;
	if (timeout_ms <= 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	deadline = now_ms() + timeout_ms;
	rc = pki_address_split(address, host, sizeof(host), port, sizeof(port), err);
	if (rc)
		return rc;
	hs = OPENSSL_zalloc(sizeof(*hs));
	if (!hs)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	fd = connect_any(address, host, port, timeout_ms, deadline, hs->address, sizeof(hs->address), err);
	if (fd < 0) {
		rc = err ? err->code : KT_E_TLS;
		goto out;
	}

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !(ssl = SSL_new(ctx)) || !(bio = BIO_new_socket(fd, BIO_NOCLOSE))) {
		rc = kt_err_openssl(err, KT_E_INTERNAL, "cannot set up TLS");
		goto out;
	}
	/* judged afterwards by pki_judge: accept whatever is served */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	BIO_set_callback_ex(bio, peek_cb);
	BIO_set_callback_arg(bio, (char *)&pk);
	SSL_set_bio(ssl, bio, bio);
	bio = NULL;
	if (sni && *sni && !pki_is_ip_literal(sni)) {
		if (!SSL_set_tlsext_host_name(ssl, sni)) {
			rc = kt_err_openssl(err, KT_E_USAGE, "cannot send '%s' as SNI", sni);
			goto out;
		}
		snprintf(hs->sni, sizeof(hs->sni), "%s", sni);
	}

	for (;;) {
		int r, e, w;

		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
			if (w == 1)
				continue;
			ERR_clear_error();
			fmt_duration(dur, sizeof(dur), timeout_ms);
			if (w == 0 && pk.n == 0) {
				kt_err_set(err, KT_E_TLS, "upstream %s accepted the connection but did not answer the TLS handshake within %s", address, dur);
				kt_err_hint(err, "is it a TLS port? a plain-HTTP or TCP server waits silently for a request");
			} else if (w == 0) {
				kt_err_set(err, KT_E_TLS, "TLS handshake with upstream %s did not finish within %s", address, dur);
			} else {
				kt_err_set(err, KT_E_TLS, "TLS handshake with upstream %s failed: %s", address, strerror(errno));
			}
			rc = KT_E_TLS;
			goto out;
		}
		rc = handshake_failed(address, &pk, e, errno, err);
		goto out;
	}

	chain = SSL_get_peer_cert_chain(ssl);
	if (!chain || sk_X509_num(chain) == 0) {
		rc = kt_err_set(err, KT_E_TLS, "upstream %s completed the handshake without a certificate", address);
		goto out;
	}
	hs->served = X509_chain_up_ref(chain);
	if (!hs->served) {
		rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
		goto out;
	}
	snprintf(hs->protocol, sizeof(hs->protocol), "%s", SSL_get_version(ssl));
	snprintf(hs->cipher, sizeof(hs->cipher), "%s", SSL_get_cipher_name(ssl));
	(void)SSL_shutdown(ssl);  /* best effort close_notify; never wait for the reply */
	*out = hs;
	hs = NULL;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	pki_handshake_free(hs);
	return rc;
}

void pki_handshake_free(struct pki_handshake *hs)
{
	if (!hs)
		return;
	sk_X509_pop_free(hs->served, X509_free);
	OPENSSL_free(hs);
}
