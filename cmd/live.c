/*
 * cmd/live: a request through Kong's proxy, and kubectl port-forward as a child.
 *
 * The proxy probe is libcurl with the Host header Kong routes on; a 502 with Kong's
 * body is recognised and its request_id kept, so the user can find the matching
 * error-log line. The port-forward child is killed on every path out: explicit stop,
 * or SIGINT/SIGTERM/SIGHUP while it runs (the handler kills it, then re-raises).
 */
#include "cmd/live.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fmt_ms(char *buf, size_t len, long ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%lds", ms / 1000);
	else
		snprintf(buf, len, "%ldms", ms);
}

/* ---- proxy probe ------------------------------------------------------------------ */

struct sink {
	struct kt_proxy_result *r;
	size_t n;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t len = size * nmemb, room = sizeof(s->r->body) - 1 - s->n;

	if (len < room)
		room = len;
	memcpy(s->r->body + s->n, data, room);
	s->n += room;
	s->r->body[s->n] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct kt_proxy_result *r = ud;
	size_t len = size * nmemb;
	static const char key[] = "x-kong-request-id:";

	if (len > sizeof(key) && !strncasecmp(data, key, sizeof(key) - 1)) {
		const char *v = data + sizeof(key) - 1;
		size_t vl = len - (sizeof(key) - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl < sizeof(r->request_id)) {
			memcpy(r->request_id, v, vl);
			r->request_id[vl] = '\0';
		}
	}
	return len;
}

/* Kong >= 3.5: "request_id: <id>" in text bodies, "request_id":"<id>" in JSON ones. */
static void body_request_id(struct kt_proxy_result *r)
{
	const char *p = strstr(r->body, "request_id");
	size_t n = 0;

	if (!p)
		return;
	p += strlen("request_id");
	while (*p == '"' || *p == ':' || *p == ' ')
		p++;
	while (p[n] && p[n] != '"' && p[n] != '\n' && p[n] != '\r' && n < sizeof(r->request_id) - 1)
		n++;
	if (n) {
		memcpy(r->request_id, p, n);
		r->request_id[n] = '\0';
	}
}

int kt_proxy_probe(const char *proxy_url, const char *host, const char *path, long timeout_ms,
		   struct kt_proxy_result *r, struct kt_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", hdr[512], dur[32];
	struct curl_slist *headers = NULL;
	struct sink sink = { r, 0 };
	CURL *h = NULL;
	CURLcode cc;
	int rc = 0;
	size_t ul;

	memset(r, 0, sizeof(*r));
	if (!path || !*path)
		path = "/";
	ul = strlen(proxy_url);
	if (strncmp(proxy_url, "http://", 7) && strncmp(proxy_url, "https://", 8)) {
		kt_err_set(err, KT_E_USAGE, "invalid --proxy '%s': expected http://HOST[:PORT] or https://HOST[:PORT]",
			   proxy_url);
		return kt_err_hint(err, "the address of Kong's proxy, e.g. http://127.0.0.1:8000");
	}
	snprintf(r->url, sizeof(r->url), "%.*s%s%s", (int)(ul && proxy_url[ul - 1] == '/' ? ul - 1 : ul),
		 proxy_url, path[0] == '/' ? "" : "/", path);
	h = curl_easy_init();
	if (!h)
		return kt_err_set(err, KT_E_INTERNAL, "cannot set up libcurl");
	if (host && *host) {
		snprintf(hdr, sizeof(hdr), "Host: %s", host);
		headers = curl_slist_append(NULL, hdr);
		if (!headers) {
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
			goto out;
		}
	}
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kubectl-kong_tls/" KT_VERSION);
	/* the proxy's own certificate is not what we judge here; the upstream's is */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		fmt_ms(dur, sizeof(dur), timeout_ms);
		if (cc == CURLE_COULDNT_CONNECT) {
			kt_err_set(err, KT_E_TLS, "cannot reach the proxy %s: %s", proxy_url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
			kt_err_hint(err, "is Kong's proxy running there? kubectl get svc -A | grep kong-proxy");
		} else if (cc == CURLE_OPERATION_TIMEDOUT) {
			kt_err_set(err, KT_E_TLS, "the proxy %s did not answer within %s", proxy_url, dur);
		} else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
			kt_err_set(err, KT_E_USAGE, "invalid --proxy '%s': %s", proxy_url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		} else {
			kt_err_set(err, KT_E_TLS, "request through the proxy %s failed: %s", proxy_url,
				   errbuf[0] ? errbuf : curl_easy_strerror(cc));
		}
		rc = err ? err->code : KT_E_TLS;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->kong_502 = r->status == 502 && strstr(r->body, KT_KONG_502_BODY) != NULL;
	if (!r->request_id[0])
		body_request_id(r);
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	return rc;
}

/* ---- kubectl port-forward ------------------------------------------------------------ */

static volatile sig_atomic_t pf_child;
static struct sigaction saved[3];
static int handlers_installed;
static const int caught[3] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
	int i;

	if (pf_child > 0)
		kill((pid_t)pf_child, SIGTERM);
	for (i = 0; i < 3; i++)
		if (caught[i] == sig)
			sigaction(sig, &saved[i], NULL);
	raise(sig);
}

static void read_some(int fd, char *buf, size_t size, size_t *n)
{
	ssize_t r;

	if (*n + 1 >= size)
		return;
	r = read(fd, buf + *n, size - 1 - *n);
	if (r > 0) {
		*n += (size_t)r;
		buf[*n] = '\0';
	}
}

static void first_line(const char *s, char *out, size_t size)
{
	size_t n = strcspn(s, "\r\n");

	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int kt_port_forward_start(const struct kt_cluster_opts *co, const char *ns, const char *name, int port,
			  long timeout_ms, struct kt_port_forward *pf, struct kt_err *err)
{
	const char *argv[24];
	char target[300], portarg[16], outbuf[1024] = "", errbuf[1024] = "", line[300], dur[32];
	size_t on = 0, en = 0;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, argc = 0, i, status;
	long deadline = mono_ms() + timeout_ms;
	struct sigaction sa;

	memset(pf, 0, sizeof(*pf));
	pf->out_fd = pf->err_fd = -1;
	snprintf(target, sizeof(target), "svc/%s", name);
	snprintf(portarg, sizeof(portarg), ":%d", port);
	argv[argc++] = "kubectl";
	if (co->kubeconfig) { argv[argc++] = "--kubeconfig"; argv[argc++] = co->kubeconfig; }
	if (co->context) { argv[argc++] = "--context"; argv[argc++] = co->context; }
	if (co->cluster) { argv[argc++] = "--cluster"; argv[argc++] = co->cluster; }
	if (co->user) { argv[argc++] = "--user"; argv[argc++] = co->user; }
	argv[argc++] = "port-forward";
	argv[argc++] = "-n";
	argv[argc++] = ns;
	argv[argc++] = target;
	argv[argc++] = portarg;
	argv[argc++] = "--address";
	argv[argc++] = "127.0.0.1";
	argv[argc] = NULL;

	if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		kt_err_set(err, KT_E_INTERNAL, "cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(caught[i], &sa, &saved[i]);
	handlers_installed = 1;
	fflush(NULL);
	pf->pid = fork();
	if (pf->pid < 0) {
		pf->pid = 0;
		kt_err_set(err, KT_E_INTERNAL, "cannot start kubectl: %s", strerror(errno));
		goto fail;
	}
	if (pf->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		execvp("kubectl", (char *const *)argv);
		_exit(127);
	}
	pf_child = pf->pid;
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	pf->out_fd = outp[0];
	pf->err_fd = errp[0];

	for (;;) {
		struct pollfd p[2] = { { .fd = pf->out_fd, .events = POLLIN }, { .fd = pf->err_fd, .events = POLLIN } };
		long left = deadline - mono_ms();
		const char *fw = strstr(outbuf, "Forwarding from 127.0.0.1:");

		if (fw) {
			int lport = atoi(fw + strlen("Forwarding from 127.0.0.1:"));
			if (lport > 0) {
				snprintf(pf->address, sizeof(pf->address), "127.0.0.1:%d", lport);
				return 0;
			}
		}
		if (waitpid(pf->pid, &status, WNOHANG) == pf->pid) {
			pf->pid = 0;
			pf_child = 0;
			read_some(pf->err_fd, errbuf, sizeof(errbuf), &en);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				kt_err_set(err, KT_E_NOTFOUND, "cannot run 'kubectl' for --port-forward: not found on PATH");
				kt_err_hint(err, "install kubectl, or forward yourself and pass --address 127.0.0.1:PORT");
			} else {
				first_line(errbuf[0] ? errbuf : outbuf, line, sizeof(line));
				kt_err_set(err, KT_E_TLS, "kubectl port-forward to svc/%s port %d failed: %s", name, port,
					   line[0] ? line : "it exited without a message");
			}
			goto fail;
		}
		if (left <= 0) {
			fmt_ms(dur, sizeof(dur), timeout_ms);
			first_line(errbuf, line, sizeof(line));
			kt_err_set(err, KT_E_TLS, "kubectl port-forward to svc/%s port %d did not start within %s%s%s", name,
				   port, dur, line[0] ? ": " : "", line);
			goto fail;
		}
		if (poll(p, 2, (int)(left < 100 ? left : 100)) > 0) {
			if (p[0].revents & POLLIN)
				read_some(pf->out_fd, outbuf, sizeof(outbuf), &on);
			if (p[1].revents & POLLIN)
				read_some(pf->err_fd, errbuf, sizeof(errbuf), &en);
		}
	}
fail:
	for (i = 0; i < 2; i++) {
		if (outp[i] >= 0 && outp[i] != pf->out_fd)
			close(outp[i]);
		if (errp[i] >= 0 && errp[i] != pf->err_fd)
			close(errp[i]);
	}
	kt_port_forward_stop(pf);
	return err ? err->code : KT_E_TLS;
}

void kt_port_forward_stop(struct kt_port_forward *pf)
{
	int i;

	if (pf->pid > 0) {
		kill(pf->pid, SIGTERM);
		for (i = 0; i < 50; i++) {
			if (waitpid(pf->pid, NULL, WNOHANG) == pf->pid)
				break;
			usleep(20000);
		}
		if (i == 50) {
			kill(pf->pid, SIGKILL);
			waitpid(pf->pid, NULL, 0);
		}
		pf->pid = 0;
		pf_child = 0;
	}
	if (handlers_installed) {
		for (i = 0; i < 3; i++)
			sigaction(caught[i], &saved[i], NULL);
		handlers_installed = 0;
	}
	if (pf->out_fd >= 0)
		close(pf->out_fd);
	if (pf->err_fd >= 0)
		close(pf->err_fd);
	pf->out_fd = pf->err_fd = -1;
}
