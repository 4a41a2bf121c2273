/*
 * Unit tests of pki/handshake.c against real sockets on loopback: a forked child
 * plays the upstream (a TLS server with a generated certificate, a plain HTTP
 * server, a silent server, a garbage sender), the parent runs pki_handshake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pki/handshake.h"

enum mode { SERVE_TLS, SERVE_HTTP, SERVE_SILENT, SERVE_GARBAGE, SERVE_CLOSE };

struct server {
	pid_t pid;
	char address[64];
};

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:kong.example");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

static void child_serve(int lfd, enum mode mode)
{
	int c = accept(lfd, NULL, NULL);
	char buf[512];

	if (c < 0)
		_exit(1);
	switch (mode) {
	case SERVE_HTTP:
		(void)!read(c, buf, sizeof(buf));
		(void)!write(c, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
		break;
	case SERVE_GARBAGE:
		(void)!write(c, "\x01\x02garbage\xff", 10);
		(void)!read(c, buf, sizeof(buf));
		break;
	case SERVE_SILENT:
		sleep(5);
		break;
	case SERVE_CLOSE:
		break;
	case SERVE_TLS: {
		EVP_PKEY *key = EVP_EC_gen("P-256");
		X509 *cert = self_signed(key, "kong.example");
		SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
		SSL *ssl;

		SSL_CTX_use_certificate(ctx, cert);
		SSL_CTX_use_PrivateKey(ctx, key);
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) == 1)
			SSL_shutdown(ssl);
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		X509_free(cert);
		EVP_PKEY_free(key);
		break;
	}
	}
	close(c);
	_exit(0);
}

static void start(struct server *s, enum mode mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(s->address, sizeof(s->address), "127.0.0.1:%d", ntohs(sa.sin_port));
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0)
		child_serve(lfd, mode);
	close(lfd);
}

static void stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

static void split_addresses(void **state)
{
	char h[64], p[16];
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	assert_int_equal(pki_address_split("127.0.0.1:8443", h, sizeof(h), p, sizeof(p), &err), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_string_equal(p, "8443");
	assert_int_equal(pki_address_split("[::1]:443", h, sizeof(h), p, sizeof(p), &err), 0);
	assert_string_equal(h, "::1");
	assert_int_equal(pki_address_split("echo.default.svc:443", h, sizeof(h), p, sizeof(p), &err), 0);
	assert_string_equal(h, "echo.default.svc");
	assert_int_equal(pki_address_split("noport", h, sizeof(h), p, sizeof(p), &err), KT_E_USAGE);
	assert_non_null(strstr(err.msg, "'noport'"));
	assert_int_equal(pki_address_split("::1:443", h, sizeof(h), p, sizeof(p), &err), KT_E_USAGE);
	assert_int_equal(pki_address_split("host:", h, sizeof(h), p, sizeof(p), &err), KT_E_USAGE);
	assert_int_equal(pki_address_split(":443", h, sizeof(h), p, sizeof(p), &err), KT_E_USAGE);
}

static void ip_literals(void **state)
{
	(void)state;
	assert_true(pki_is_ip_literal("10.0.0.1"));
	assert_true(pki_is_ip_literal("::1"));
	assert_true(pki_is_ip_literal("[2001:db8::1]"));
	assert_false(pki_is_ip_literal("kong.example"));
	assert_false(pki_is_ip_literal("10.0.0.1.nip.io"));
	assert_false(pki_is_ip_literal(""));
	assert_false(pki_is_ip_literal(NULL));
}

static void collects_served_chain(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;
	char cn[64];

	(void)state;
	start(&s, SERVE_TLS);
	assert_int_equal(pki_handshake(s.address, "kong.example", 5000, &hs, &err), 0);
	assert_non_null(hs);
	assert_int_equal(sk_X509_num(hs->served), 1);
	X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(hs->served, 0)), NID_commonName, cn, sizeof(cn));
	assert_string_equal(cn, "kong.example");
	assert_string_equal(hs->sni, "kong.example");
	assert_string_equal(hs->address, s.address);
	assert_non_null(strstr(hs->protocol, "TLS"));
	pki_handshake_free(hs);
	stop(&s);
}

static void no_sni_for_ip(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	start(&s, SERVE_TLS);
	assert_int_equal(pki_handshake(s.address, "127.0.0.1", 5000, &hs, &err), 0);
	assert_string_equal(hs->sni, "");
	pki_handshake_free(hs);
	stop(&s);
}

static void refused(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	start(&s, SERVE_CLOSE);  /* take a free port, then make sure nothing listens on it */
	stop(&s);
	assert_int_equal(pki_handshake(s.address, "kong.example", 2000, &hs, &err), KT_E_TLS);
	assert_null(hs);
	assert_non_null(strstr(err.msg, "connection refused"));
}

static void plain_http(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;
	char want[128];

	(void)state;
	start(&s, SERVE_HTTP);
	assert_int_equal(pki_handshake(s.address, "kong.example", 5000, &hs, &err), KT_E_TLS);
	snprintf(want, sizeof(want), "upstream %s did not answer TLS (it looks like plain HTTP)", s.address);
	assert_string_equal(err.msg, want);
	stop(&s);
}

static void garbage(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	start(&s, SERVE_GARBAGE);
	assert_int_equal(pki_handshake(s.address, "kong.example", 5000, &hs, &err), KT_E_TLS);
	assert_non_null(strstr(err.msg, "did not answer TLS (it sent '01 02 67"));
	stop(&s);
}

static void silent_times_out(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;
	struct timespec a, b;
	long ms;

	(void)state;
	start(&s, SERVE_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(pki_handshake(s.address, "kong.example", 300, &hs, &err), KT_E_TLS);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	assert_true(ms >= 290 && ms < 2000);
	assert_non_null(strstr(err.msg, "did not answer the TLS handshake within 300ms"));
	stop(&s);
}

static void closed_without_answer(void **state)
{
	struct server s;
	struct pki_handshake *hs = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	start(&s, SERVE_CLOSE);
	assert_int_equal(pki_handshake(s.address, "kong.example", 5000, &hs, &err), KT_E_TLS);
	assert_true(strstr(err.msg, "closed the connection") || strstr(err.msg, "reset the connection"));
	stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_addresses),
		cmocka_unit_test(ip_literals),
		cmocka_unit_test(collects_served_chain),
		cmocka_unit_test(no_sni_for_ip),
		cmocka_unit_test(refused),
		cmocka_unit_test(plain_http),
		cmocka_unit_test(garbage),
		cmocka_unit_test(silent_times_out),
		cmocka_unit_test(closed_without_answer),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
