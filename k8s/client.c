/*
 * The REST client: one libcurl easy handle (so one keep-alive connection) per client,
 * credentials, retries, Status errors, warnings, discovery. See k8s/client.h for the
 * contract; k8s/exec.c runs exec credential plugins.
 *
 * Secrets never leave this file in text form: the Authorization header is masked in
 * the -v 8 header log, bodies are never logged, and error lines hold only the server's
 * Status message, curl's reason and the URL.
 */
#include "k8s/client.h"
#include "k8s/exec.h"
#include "k8s/internal.h"
#include "k8s/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>

#include <curl/curl.h>

#define BACKOFF_START_MS 200
#define BACKOFF_CAP_MS 3200
#define RETRY_AFTER_CAP_S 30
#define PAGE_LIMIT 500

struct k8s_client {
	const struct k8s_config *cfg;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char *base;              /* URL prefix requests go to (host replaced by tls-server-name) */
	char *host_header;       /* "Host: <server's host>" when tls-server-name is set */
	struct curl_slist *connect_to;
	char user_agent[160];

	struct k8s_blob ca;      /* PEM of certificate-authority(-data), or empty: system roots */
	struct k8s_blob cert, key;  /* client certificate and key PEM (kubeconfig or exec) */
	char *token;             /* bearer token (kubeconfig, tokenFile, in-cluster or exec) */
	struct k8s_exec_cred exec_cred;
	int have_exec_cred;

	struct k8s_status status;
	char **warnings;
	int nwarnings;
	long connects;
	cJSON *discovery;        /* path -> answer */

	/* the attempt in flight */
	struct k8s_strbuf body;  /* the answer being received; at most 64 MiB */
	long retry_after;        /* seconds, -1: none */
};

static const struct k8s_status no_status;

static int k8s_request_accept(struct k8s_client *c, const char *method, const char *path,
			      const char *accept, const char *content_type, const char *body,
			      unsigned flags, cJSON **out_json, long *out_status, struct kt_err *err);

/* ---- small helpers ---- */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static const char *reason_phrase(long code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* ---- curl callbacks ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct k8s_client *c = ud;

	k8s_strbuf_add(&c->body, p, size * n);
	return c->body.oom ? 0 : size * n;
}

static void add_warning(struct k8s_client *c, const char *text, size_t len)
{
	char **nw;
	char *w;
	int i;

	if (!(w = strndup(text, len)))
		return;
	for (i = 0; i < c->nwarnings; i++)
		if (!strcmp(c->warnings[i], w)) {
			free(w);
			return;
		}
	if (c->nwarnings >= 64 || !(nw = realloc(c->warnings, (c->nwarnings + 1) * sizeof(*nw)))) {
		free(w);
		return;
	}
	c->warnings = nw;
	c->warnings[c->nwarnings++] = w;
}

/* `Warning: 299 - "text"` (RFC 7234 warn-text): keep the unescaped text. */
static void parse_warning(struct k8s_client *c, const char *v, size_t n)
{
	char text[1024];
	size_t i = 0, o = 0;

	while (i < n && v[i] != '"')
		i++;
	if (i == n) {
		add_warning(c, v, n);
		return;
	}
	for (i++; i < n && v[i] != '"' && o < sizeof(text) - 1; i++) {
		if (v[i] == '\\' && i + 1 < n)
			i++;
		text[o++] = v[i];
	}
	add_warning(c, text, o);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct k8s_client *c = ud;
	size_t len = size * n, vlen;
	const char *v;

	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		c->retry_after = -1;  /* a new response (after a 100 or a proxy CONNECT) */
		return len;
	}
	v = memchr(p, ':', len);
	if (!v)
		return len;
	v++;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	vlen = (size_t)(p + len - v);
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (!strncasecmp(p, "Retry-After:", 12)) {
		char num[16];
		char *end;
		long s;

		/* Integer seconds only, as client-go; an HTTP date does not count. */
		if (vlen && vlen < sizeof(num)) {
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			s = strtol(num, &end, 10);
			if (!*end && s >= 0)
				c->retry_after = s > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : s;
		}
	} else if (!strncasecmp(p, "Warning:", 8)) {
		parse_warning(c, v, vlen);
	}
	return len;
}

/* -v 8: header lines in both directions, Authorization masked. -v 9: curl's notes too. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
	struct k8s_client *c = ud;
	const char *dir;
	char *p = data, *end = data + size;

	(void)h;
	if (type == CURLINFO_HEADER_OUT)
		dir = "> ";
	else if (type == CURLINFO_HEADER_IN)
		dir = "< ";
	else if (type == CURLINFO_TEXT && c->cfg->verbosity >= 9)
		dir = "* ";
	else
		return 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (n) {
			if (n > 14 && !strncasecmp(p, "Authorization:", 14)) {
				/* Keep the scheme ("Bearer", "Basic"), never the credential. */
				const char *s = p + 14;
				size_t w;

				while (s < p + n && *s == ' ')
					s++;
				w = strcspn(s, " \r\n");
				if (w > 16 || s + w > p + n)
					w = 0;
				k8s_logf(c->cfg, 8, "%sAuthorization: %.*s%s<masked>", dir, (int)w, s, w ? " " : "");
			} else if (n > 20 && !strncasecmp(p, "Proxy-Authorization:", 20))
				k8s_logf(c->cfg, 8, "%sProxy-Authorization: <masked>", dir);
			else
				k8s_logf(c->cfg, type == CURLINFO_TEXT ? 9 : 8, "%s%.*s", dir, (int)n, p);
		}
		p += n;
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
	}
	return 0;
}

/* ---- setup ---- */

static void set_user_agent(struct k8s_client *c)
{
	struct utsname u;
	const char *os = "unknown", *arch = "unknown";
	char osbuf[sizeof(((struct utsname *)0)->sysname)];
	size_t i;

	if (uname(&u) == 0) {
		snprintf(osbuf, sizeof(osbuf), "%s", u.sysname);
		for (i = 0; osbuf[i]; i++)
			if (osbuf[i] >= 'A' && osbuf[i] <= 'Z')
				osbuf[i] = (char)(osbuf[i] - 'A' + 'a');
		os = osbuf;
		/* Go's GOARCH names, which kubectl users see in every User-Agent. */
		if (!strcmp(u.machine, "x86_64"))
			arch = "amd64";
		else if (!strcmp(u.machine, "aarch64") || !strcmp(u.machine, "arm64"))
			arch = "arm64";
		else if (!strncmp(u.machine, "armv", 4))
			arch = "arm";
		else if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386"))
			arch = "386";
		else
			arch = u.machine;
	}
	snprintf(c->user_agent, sizeof(c->user_agent), "kubectl-kong_tls/%s (%s/%s)", KT_VERSION, os, arch);
}

/*
 * tls-server-name: connect to the server's address but verify (and send SNI for) the
 * other name. libcurl checks the certificate against the URL host, so the URL carries
 * tls-server-name and CURLOPT_CONNECT_TO routes it to the real host; the Host header
 * keeps the server's name as kubectl sends it.
 */
static int setup_server_name(struct k8s_client *c, struct kt_err *err)
{
	const struct k8s_config *cfg = c->cfg;
	const char *rest, *hostport, *path;
	char host[256], port[16], *entry = NULL;
	size_t hl;

	if (!cfg->tls_server_name || strncmp(cfg->server, "https://", 8)) {
		c->base = strdup(cfg->server);
		return c->base ? 0 : kt_err_set(err, KT_E_INTERNAL, "out of memory");
	}
	hostport = cfg->server + 8;
	path = strchr(hostport, '/');
	if (!path)
		path = hostport + strlen(hostport);
	hl = (size_t)(path - hostport);
	if (hl >= sizeof(host))
		return kt_err_set(err, KT_E_PARSE, "server URL '%s' is too long", cfg->server);
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	rest = host[0] == '[' ? strchr(host, ']') : host;
	rest = rest ? strrchr(rest, ':') : NULL;
	if (rest) {
		snprintf(port, sizeof(port), "%s", rest + 1);
		host[rest - host] = '\0';
	} else {
		snprintf(port, sizeof(port), "443");
	}
	if (asprintf(&c->base, "https://%s:%s%s", cfg->tls_server_name, port, path) < 0 ||
	    asprintf(&c->host_header, "Host: %.*s", (int)hl, hostport) < 0 ||
	    asprintf(&entry, "%s:%s:%s:%s", cfg->tls_server_name, port, host, port) < 0) {
		free(entry);
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	}
	c->connect_to = curl_slist_append(NULL, entry);
	free(entry);
	if (!c->connect_to)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	curl_easy_setopt(c->curl, CURLOPT_CONNECT_TO, c->connect_to);
	return 0;
}

static int set_client_cert(struct k8s_client *c, const struct k8s_blob *cert, const struct k8s_blob *key)
{
	struct curl_blob cb = { cert->data, cert->len, CURL_BLOB_COPY };
	struct curl_blob kb = { key->data, key->len, CURL_BLOB_COPY };

	if (curl_easy_setopt(c->curl, CURLOPT_SSLCERT_BLOB, &cb) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_SSLKEY_BLOB, &kb) != CURLE_OK)
		return -1;
	curl_easy_setopt(c->curl, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(c->curl, CURLOPT_SSLKEYTYPE, "PEM");
	return 0;
}

static int blob_copy(struct k8s_blob *to, const struct k8s_blob *from, struct kt_err *err)
{
	if (!(to->data = malloc(from->len + 1)))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	memcpy(to->data, from->data, from->len);
	to->data[from->len] = '\0';
	to->len = from->len;
	return 0;
}

static int load_token_file(struct k8s_client *c, struct kt_err *err)
{
	const struct k8s_config *cfg = c->cfg;
	struct k8s_blob t = { NULL, 0 };
	char *s;
	int rc;

	/* The file's token is preferred whenever it can be read; token is the fallback. */
	rc = k8s_read_file(cfg->token_file, "token file", &t, cfg->token ? NULL : err);
	if (rc)
		return cfg->token ? 0 : rc;
	s = k8s_blob_trim(&t);
	if (*s) {
		free(c->token);
		c->token = strdup(s);
	}
	k8s_blob_free(&t);
	if (!c->token && !cfg->token)
		return kt_err_set(err, KT_E_PARSE, "token file '%s' is empty", cfg->token_file);
	return 0;
}

int k8s_client_new(const struct k8s_config *cfg, struct k8s_client **out, struct kt_err *err)
{
	struct k8s_client *c = NULL;
	int rc = 0;

	if (!cfg || !cfg->server)
		return kt_err_set(err, KT_E_USAGE, "no cluster configured");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return kt_err_set(err, KT_E_INTERNAL, "cannot initialise libcurl");
	c = calloc(1, sizeof(*c));
	if (!c || !(c->curl = curl_easy_init()) || !(c->discovery = cJSON_CreateObject())) {
		rc = kt_err_set(err, KT_E_INTERNAL, "cannot initialise libcurl");
		goto out;
	}
	c->cfg = cfg;
	c->retry_after = -1;
	c->body.max = (size_t)64 << 20;
	set_user_agent(c);
	if ((rc = setup_server_name(c, err)))
		goto out;

	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
	if (!cfg->disable_compression)
		curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 cfg->timeout_ms > 0 && cfg->timeout_ms < 30000 ? cfg->timeout_ms : 30000L);
	if (cfg->timeout_ms > 0)
		curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	if (cfg->verbosity >= 8) {
		curl_easy_setopt(c->curl, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c->curl, CURLOPT_DEBUGDATA, c);
		curl_easy_setopt(c->curl, CURLOPT_VERBOSE, 1L);
	}
	if (cfg->proxy_url) {
		/* Go's SOCKS5 dialer sends the host name to the proxy: curl calls that socks5h. */
		if (!strncmp(cfg->proxy_url, "socks5://", 9)) {
			char *p;

			if (asprintf(&p, "socks5h://%s", cfg->proxy_url + 9) < 0) {
				rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
				goto out;
			}
			curl_easy_setopt(c->curl, CURLOPT_PROXY, p);
			free(p);
		} else {
			curl_easy_setopt(c->curl, CURLOPT_PROXY, cfg->proxy_url);
		}
	}

	/* TLS: verify always, unless the kubeconfig itself says insecure-skip-tls-verify. */
	if (cfg->insecure) {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (cfg->ca_file)
		rc = k8s_read_file(cfg->ca_file, "certificate authority", &c->ca, err);
	else if (cfg->ca_data.data)
		rc = blob_copy(&c->ca, &cfg->ca_data, err);
	if (rc)
		goto out;
	if (c->ca.data) {
		/* Only this CA: a kubeconfig CA replaces the system roots, as in client-go. */
		struct curl_blob b = { c->ca.data, c->ca.len, CURL_BLOB_COPY };

		curl_easy_setopt(c->curl, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c->curl, CURLOPT_CAPATH, NULL);
		if (curl_easy_setopt(c->curl, CURLOPT_CAINFO_BLOB, &b) != CURLE_OK) {
			rc = kt_err_set(err, KT_E_INTERNAL, "this libcurl cannot take a CA from memory");
			goto out;
		}
	}

	/* Client certificate from files or data. */
	if (cfg->cert_file)
		rc = k8s_read_file(cfg->cert_file, "client certificate", &c->cert, err);
	else if (cfg->cert_data.data)
		rc = blob_copy(&c->cert, &cfg->cert_data, err);
	if (!rc && cfg->key_file)
		rc = k8s_read_file(cfg->key_file, "client key", &c->key, err);
	else if (!rc && cfg->key_data.data)
		rc = blob_copy(&c->key, &cfg->key_data, err);
	if (rc)
		goto out;
	if (c->cert.data && c->key.data && set_client_cert(c, &c->cert, &c->key)) {
		rc = kt_err_set(err, KT_E_INTERNAL, "this libcurl cannot take a client certificate from memory");
		goto out;
	}

	/* Bearer token / basic auth. */
	if (cfg->token && !(c->token = strdup(cfg->token))) {
		rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
		goto out;
	}
	if (cfg->token_file && (rc = load_token_file(c, err)))
		goto out;
	if (cfg->username && !strncmp(c->base, "https://", 8)) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
out:
	if (rc) {
		k8s_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void k8s_client_free(struct k8s_client *c)
{
	int i;

	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->connect_to);
	free(c->base);
	free(c->host_header);
	k8s_blob_free(&c->ca);
	k8s_blob_free(&c->cert);
	k8s_blob_free(&c->key);
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	k8s_exec_cred_release(&c->exec_cred);
	for (i = 0; i < c->nwarnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	cJSON_Delete(c->discovery);
	free(c->body.s);
	free(c);
}

const struct k8s_status *k8s_client_get0_status(const struct k8s_client *c)
{
	return c ? &c->status : &no_status;
}

const char *k8s_client_get0_warning(const struct k8s_client *c, int i)
{
	return c && i >= 0 && i < c->nwarnings ? c->warnings[i] : NULL;
}

long k8s_client_connects(const struct k8s_client *c)
{
	return c ? c->connects : 0;
}

/* ---- credentials from exec plugins ---- */

/* Run the plugin when there is no credential yet, it expired, or force (after a 401). */
static int refresh_exec(struct k8s_client *c, int force, struct kt_err *err)
{
	const struct k8s_config *cfg = c->cfg;
	struct k8s_exec_cred cred = K8S_EXEC_CRED_INIT;
	int rc;

	if (!cfg->exec)
		return 0;
	if (c->have_exec_cred && !force &&
	    (!c->exec_cred.expiry || c->exec_cred.expiry > time(NULL) + 10))
		return 0;
	if ((rc = k8s_exec_run(cfg, &c->ca, &cred, err)))
		return rc;
	k8s_exec_cred_release(&c->exec_cred);
	c->exec_cred = cred;
	c->have_exec_cred = 1;
	free(c->token);
	c->token = NULL;
	if (cred.token && !(c->token = strdup(cred.token)))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	if (cred.cert.data) {
		if (set_client_cert(c, &cred.cert, &cred.key))
			return kt_err_set(err, KT_E_INTERNAL, "this libcurl cannot take a client certificate "
					  "from memory");
	}
	return 0;
}

/* ---- one request ---- */

static int is_method(const char *m, const char *want)
{
	return !strcmp(m, want);
}

static int append_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *n = curl_slist_append(*h, line);

	if (!n)
		return -1;
	*h = n;
	return 0;
}

static struct curl_slist *build_headers(struct k8s_client *c, const char *accept, const char *content_type,
					int has_body)
{
	const struct k8s_config *cfg = c->cfg;
	struct curl_slist *h = NULL;
	char line[1024];
	int bad = 0;
	const cJSON *g;

	snprintf(line, sizeof(line), "Accept: %s", accept ? accept : "application/json");
	bad |= append_header(&h, line);
	if (has_body) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type ? content_type : "application/json");
		bad |= append_header(&h, line);
		bad |= append_header(&h, "Expect:");
	}
	if (c->host_header)
		bad |= append_header(&h, c->host_header);
	/* Credentials go only over TLS (client-go: "only try to read the auth information if we are secure"). */
	if (c->token && !strncmp(c->base, "https://", 8)) {
		char *auth;

		if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0)
			bad = 1;
		else {
			bad |= append_header(&h, auth);
			memset(auth, 0, strlen(auth));
			free(auth);
		}
	}
	if (cfg->impersonate) {
		snprintf(line, sizeof(line), "Impersonate-User: %s", cfg->impersonate);
		bad |= append_header(&h, line);
		cJSON_ArrayForEach(g, cfg->impersonate_groups)
			if (cJSON_IsString(g)) {
				snprintf(line, sizeof(line), "Impersonate-Group: %s", g->valuestring);
				bad |= append_header(&h, line);
			}
	}
	if (bad) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

/* Status body -> one line in err, and reason/cause into c->status. */
static int api_error(struct k8s_client *c, const char *method, const char *path, struct kt_err *err)
{
	long code = c->status.http;
	enum kt_status kc = code == 404 ? KT_E_NOTFOUND : code == 409 ? KT_E_CONFLICT : KT_E_API;
	cJSON *st = c->body.len ? cJSON_ParseWithLength(c->body.s, c->body.len) : NULL;

	/* "404 page not found" parses as the number 404: only an object can be a Status. */
	if (st && !cJSON_IsObject(st)) {
		cJSON_Delete(st);
		st = NULL;
	}
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(st, "kind");
	const char *msg = NULL;

	if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "Status")) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "reason");
		const cJSON *causes = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(st, "details"), "causes");
		const cJSON *cr = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(causes, 0), "reason");

		if (cJSON_IsString(m) && m->valuestring[0])
			msg = m->valuestring;
		if (cJSON_IsString(r))
			snprintf(c->status.reason, sizeof(c->status.reason), "%s", r->valuestring);
		if (cJSON_IsString(cr))
			snprintf(c->status.cause, sizeof(c->status.cause), "%s", cr->valuestring);
	}
	if (code == 401) {
		kt_err_set(err, KT_E_API, "unauthorized: the API server at '%s' rejected the credentials%s%s%s",
			   c->cfg->server, c->cfg->user_name ? " of user \"" : "",
			   c->cfg->user_name ? c->cfg->user_name : "", c->cfg->user_name ? "\"" : "");
		kt_err_hint(err, "the token or client certificate is wrong or expired; check the kubeconfig");
	} else if (msg) {
		kt_err_set(err, kc, "%s", msg);
		if (code == 403)
			kt_err_hint(err, "ask a cluster admin for this permission, or use another --context/--user");
	} else {
		/* Not a Status: e.g. the text/plain "404 page not found" of an unrouted path. */
		char line[256] = "";
		size_t n = 0;

		if (c->body.s && !st) {
			n = strcspn(c->body.s, "\r\n");
			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			memcpy(line, c->body.s, n);
			line[n] = '\0';
		}
		kt_err_set(err, kc, "the API server answered %ld %s to %s %s%s%s", code, reason_phrase(code),
			   method, path, line[0] ? ": " : "", line);
	}
	cJSON_Delete(st);
	return err ? err->code : kc;
}

static long backoff_ms(int attempt)
{
	long ms = BACKOFF_START_MS;

	while (--attempt > 0 && ms < BACKOFF_CAP_MS)
		ms *= 2;
	return ms > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : ms;
}

int k8s_request(struct k8s_client *c, const char *method, const char *path,
		const char *content_type, const char *body, unsigned flags,
		cJSON **out_json, long *out_status, struct kt_err *err)
{
	return k8s_request_accept(c, method, path, NULL, content_type, body, flags, out_json, out_status, err);
}

static int k8s_request_accept(struct k8s_client *c, const char *method, const char *path,
			      const char *accept, const char *content_type, const char *body,
			      unsigned flags, cJSON **out_json, long *out_status, struct kt_err *err)
{
	int safe = (flags & K8S_REQ_RETRY_SAFE) || is_method(method, "GET") || is_method(method, "HEAD") ||
		   is_method(method, "DELETE");
	int exec_refetched = 0, attempt, rc = 0;
	char *url = NULL;
	CURLcode cc = CURLE_OK;

	if (out_status)
		*out_status = 0;
	memset(&c->status, 0, sizeof(c->status));
	if (!path || path[0] != '/')
		return kt_err_set(err, KT_E_USAGE, "API path '%s' does not start with '/'", path ? path : "");
	if (asprintf(&url, "%s%s", c->base, path) < 0)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");

	/* Before the first attempt only: one request never runs the plugin twice unasked. */
	if ((rc = refresh_exec(c, 0, err)))
		goto out;
	for (attempt = 1;; attempt++) {
		struct curl_slist *headers;
		long t0, code = 0, conns = 0, wait = -1;

		headers = build_headers(c, accept, content_type, body != NULL);
		if (!headers) {
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
			goto out;
		}
		c->body.len = 0;
		c->body.oom = 0;
		if (c->body.s)
			c->body.s[0] = '\0';
		c->retry_after = -1;
		c->errbuf[0] = '\0';
		curl_easy_setopt(c->curl, CURLOPT_URL, url);
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
		if (body) {
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, is_method(method, "POST") ? NULL : method);
		} else {
			curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, is_method(method, "GET") ? NULL : method);
		}
		/*
		 * libcurl silently re-sends a request whose reused connection died before any
		 * answer byte; harmless for a repeatable request, wrong for a POST the server
		 * may have processed. So a non-repeatable write gets a connection of its own.
		 */
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, (long)(!safe && body != NULL));
		t0 = now_ms();
		cc = curl_easy_perform(c->curl);
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
		curl_slist_free_all(headers);
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &conns);
		c->connects += conns;
		c->status.http = cc == CURLE_OK ? code : 0;
		c->status.attempts = attempt;
		if (cc == CURLE_OK)
			k8s_logf(c->cfg, 6, "%s %s %ld %s in %ld ms", method, url, code, reason_phrase(code),
				 now_ms() - t0);
		else
			k8s_logf(c->cfg, 6, "%s %s failed in %ld ms: %s", method, url, now_ms() - t0,
				 c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));

		if (attempt >= K8S_MAX_ATTEMPTS + exec_refetched)
			break;
		if (cc != CURLE_OK) {
			/* Refused: nothing was sent, any request may go again. Dropped: only safe ones. */
			if (cc == CURLE_COULDNT_CONNECT ||
			    (safe && (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
				      cc == CURLE_PARTIAL_FILE || cc == CURLE_HTTP2 || cc == CURLE_HTTP2_STREAM)))
				wait = backoff_ms(attempt);
		} else if (code == 401 && c->cfg->exec && !exec_refetched) {
			/* Rejected before anything happened: new credentials, same request. */
			k8s_logf(c->cfg, 6, "401 with exec credentials: running the plugin again");
			exec_refetched = 1;
			if ((rc = refresh_exec(c, 1, err)))
				goto out;
			wait = 0;
		} else if (code == 429 || code == 503 || (safe && code >= 500)) {
			wait = c->retry_after >= 0 ? c->retry_after * 1000 : backoff_ms(attempt);
		}
		if (wait < 0)
			break;
		k8s_logf(c->cfg, 6, "retrying %s %s in %ld ms (attempt %d of %d)", method, path, wait,
			 attempt + 1, K8S_MAX_ATTEMPTS);
		if (wait)
			sleep_ms(wait);
	}

	if (cc != CURLE_OK) {
		const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);

		if (cc == CURLE_OPERATION_TIMEDOUT && c->cfg->timeout_ms > 0) {
			kt_err_set(err, KT_E_TLS, "%s %s%s: no answer within the request timeout (%ld ms)", method,
				   c->cfg->server, path, c->cfg->timeout_ms);
			rc = kt_err_hint(err, "raise --request-timeout, or check that the API server is healthy");
		} else {
			kt_err_set(err, KT_E_TLS, "cannot reach the API server at '%s': %s", c->cfg->server, why);
			if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE)
				kt_err_hint(err, "the server's certificate does not match the kubeconfig's "
					    "certificate-authority; check the cluster entry");
			rc = err ? err->code : KT_E_TLS;
		}
		goto out;
	}
	if (out_status)
		*out_status = c->status.http;
	if (c->status.http < 200 || c->status.http > 299) {
		rc = api_error(c, method, path, err);
		goto out;
	}
	if (out_json) {
		cJSON *j = NULL;

		if (c->body.len) {
			j = cJSON_ParseWithLength(c->body.s, c->body.len);
			if (!j) {
				rc = kt_err_set(err, KT_E_API, "the API server's answer to %s %s is not JSON",
						method, path);
				goto out;
			}
		}
		*out_json = j;
	}
out:
	free(url);
	return rc;
}

/* ---- helpers over k8s_request ---- */

/* path + "?"/"&" + the parameters given as NULL-terminated name, value pairs (values escaped). */
static char *with_query(struct k8s_client *c, const char *path, ...)
{
	struct k8s_strbuf b = K8S_STRBUF_INIT;
	char sep = strchr(path, '?') ? '&' : '?';
	const char *name;
	va_list ap;
	int bad = 0;

	k8s_strbuf_str(&b, path);

	va_start(ap, path);
	while ((name = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);
		char *esc;

		if (!value)
			continue;
		esc = curl_easy_escape(c->curl, value, 0);
		bad |= !esc;
		if (esc) {
			k8s_strbuf_add(&b, &sep, 1);
			k8s_strbuf_str(&b, name);
			k8s_strbuf_add(&b, "=", 1);
			k8s_strbuf_str(&b, esc);
		}
		curl_free(esc);
		sep = '&';
	}
	va_end(ap);
	if (bad) {
		free(k8s_strbuf_detach(&b, NULL));
		return NULL;
	}
	return k8s_strbuf_detach(&b, NULL);
}

/* A write: obj printed once, sent with ?dryRun=All when asked. */
static int write_obj(struct k8s_client *c, const char *method, const char *path, const char *ctype,
		     const cJSON *obj, unsigned flags, const char *field_manager, int force,
		     cJSON **out, struct kt_err *err)
{
	char *body = cJSON_PrintUnformatted(obj);
	char *p = with_query(c, path, "fieldManager", field_manager, "force", force ? "true" : NULL,
			     "dryRun", (flags & K8S_DRY_RUN) ? "All" : NULL, (const char *)NULL);
	int rc;

	if (!body || !p)
		rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
	else
		rc = k8s_request(c, method, p, ctype, body, flags, out, NULL, err);
	cJSON_free(body);
	free(p);
	return rc;
}

int k8s_get(struct k8s_client *c, const char *path, cJSON **out, struct kt_err *err)
{
	return k8s_request(c, "GET", path, NULL, NULL, K8S_REQ_RETRY_SAFE, out, NULL, err);
}

int k8s_list(struct k8s_client *c, const char *path, const char *label_selector,
	     cJSON **items, struct kt_err *err)
{
	cJSON *all = cJSON_CreateArray();
	char *cont = NULL;
	char limit[16];
	int rc = 0;

	if (!all)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	snprintf(limit, sizeof(limit), "%d", PAGE_LIMIT);
	do {
		/* A caller's own limit= (a smaller page) is kept. */
		char *p = with_query(c, path, "labelSelector", label_selector,
				     "limit", strstr(path, "limit=") ? NULL : limit,
				     "continue", cont, (const char *)NULL);
		cJSON *page = NULL, *list, *it;
		const cJSON *next;

		if (!p) {
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
			break;
		}
		rc = k8s_get(c, p, &page, err);
		free(p);
		if (rc)
			break;
		list = cJSON_GetObjectItemCaseSensitive(page, "items");
		while (cJSON_IsArray(list) && (it = cJSON_DetachItemFromArray(list, 0)))
			cJSON_AddItemToArray(all, it);
		next = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(page, "metadata"),
							"continue");
		free(cont);
		cont = cJSON_IsString(next) && next->valuestring[0] ? strdup(next->valuestring) : NULL;
		cJSON_Delete(page);
	} while (cont);
	free(cont);
	if (rc) {
		cJSON_Delete(all);
		return rc;
	}
	*items = all;
	return 0;
}

int k8s_create(struct k8s_client *c, const char *collection_path, const cJSON *obj,
	       unsigned flags, cJSON **out, struct kt_err *err)
{
	return write_obj(c, "POST", collection_path, "application/json", obj, flags, NULL, 0, out, err);
}

static int has_resource_version(const cJSON *obj)
{
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
							   "resourceVersion");

	return cJSON_IsString(rv) && rv->valuestring[0];
}

int k8s_replace(struct k8s_client *c, const char *path, const cJSON *obj,
		unsigned flags, cJSON **out, struct kt_err *err)
{
	if (has_resource_version(obj))
		flags |= K8S_REQ_RETRY_SAFE;
	return write_obj(c, "PUT", path, "application/json", obj, flags, NULL, 0, out, err);
}

int k8s_merge_patch(struct k8s_client *c, const char *path, const cJSON *patch,
		    unsigned flags, cJSON **out, struct kt_err *err)
{
	/* Applying the same merge patch twice gives the same object: always safe to repeat. */
	return write_obj(c, "PATCH", path, "application/merge-patch+json", patch,
			 flags | K8S_REQ_RETRY_SAFE, NULL, 0, out, err);
}

int k8s_json_patch(struct k8s_client *c, const char *path, const cJSON *ops,
		   unsigned flags, cJSON **out, struct kt_err *err)
{
	return write_obj(c, "PATCH", path, "application/json-patch+json", ops, flags, NULL, 0, out, err);
}

int k8s_apply(struct k8s_client *c, const char *path, const cJSON *obj, const char *field_manager,
	      unsigned flags, cJSON **out, struct kt_err *err)
{
	/* JSON is YAML, so the apply body is the object printed as JSON. */
	return write_obj(c, "PATCH", path, "application/apply-patch+yaml", obj, flags | K8S_REQ_RETRY_SAFE,
			 field_manager ? field_manager : K8S_FIELD_MANAGER, (flags & K8S_FORCE) != 0, out, err);
}

int k8s_delete(struct k8s_client *c, const char *path, unsigned flags, struct kt_err *err)
{
	char *p = with_query(c, path, "dryRun", (flags & K8S_DRY_RUN) ? "All" : NULL, (const char *)NULL);
	int rc;

	if (!p)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	rc = k8s_request(c, "DELETE", p, NULL, NULL, flags | K8S_REQ_RETRY_SAFE, NULL, NULL, err);
	free(p);
	return rc;
}

/* ---- discovery ---- */

#define AGGREGATED_ACCEPT \
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

/* GET path once per client; the answer stays in the cache (borrowed). NULL answer: 404. */
static int discover(struct k8s_client *c, const char *path, const char *accept, const cJSON **out,
		    struct kt_err *err)
{
	cJSON *j = NULL;
	const cJSON *hit = cJSON_GetObjectItemCaseSensitive(c->discovery, path);
	int rc;

	if (hit) {
		*out = cJSON_IsNull(hit) ? NULL : hit;
		return 0;
	}
	rc = k8s_request_accept(c, "GET", path, accept, NULL, NULL, K8S_REQ_RETRY_SAFE, &j, NULL, err);
	if (rc == KT_E_NOTFOUND) {
		kt_err_clear(err);
		j = cJSON_CreateNull();
		rc = 0;
	}
	if (rc)
		return rc;
	if (!j)
		j = cJSON_CreateObject();
	if (!j)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	cJSON_AddItemToObject(c->discovery, path, j);
	*out = cJSON_IsNull(j) ? NULL : j;
	return 0;
}

static int add_version(cJSON *versions, const char *v)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, versions)
		if (!strcmp(it->valuestring, v))
			return 0;
	return cJSON_AddItemToArray(versions, cJSON_CreateString(v)) ? 0 : -1;
}

static int resource_listed(const cJSON *resources, const char *key, const char *resource)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, resources) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, key);

		if (cJSON_IsString(n) && !strcmp(n->valuestring, resource))
			return 1;
	}
	return 0;
}

int k8s_served_versions(struct k8s_client *c, const char *group, const char *resource,
			cJSON **versions, struct kt_err *err)
{
	const cJSON *apis = NULL, *kind, *g, *v;
	cJSON *out = cJSON_CreateArray();
	int rc;

	if (!out)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	/* One request: the aggregated discovery document (Kubernetes 1.30+) has every resource. */
	if ((rc = discover(c, "/apis", AGGREGATED_ACCEPT, &apis, err)))
		goto fail;
	kind = cJSON_GetObjectItemCaseSensitive(apis, "kind");
	if (cJSON_IsString(kind) && !strcmp(kind->valuestring, "APIGroupDiscoveryList")) {
		cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(apis, "items")) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(g, "metadata"), "name");

			if (!cJSON_IsString(name) || strcmp(name->valuestring, group))
				continue;
			cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(g, "versions")) {
				const cJSON *ver = cJSON_GetObjectItemCaseSensitive(v, "version");

				if (cJSON_IsString(ver) &&
				    resource_listed(cJSON_GetObjectItemCaseSensitive(v, "resources"), "resource",
						    resource) &&
				    add_version(out, ver->valuestring)) {
					rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
					goto fail;
				}
			}
		}
		*versions = out;
		return 0;
	}
	/* Classic discovery: the group's versions, then each version's resource list. */
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(apis, "groups")) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
		const cJSON *pref = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(g, "preferredVersion"), "version");
		cJSON *order;

		if (!cJSON_IsString(name) || strcmp(name->valuestring, group))
			continue;
		if (!(order = cJSON_CreateArray())) {
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
			goto fail;
		}
		if (cJSON_IsString(pref))
			add_version(order, pref->valuestring);
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(g, "versions")) {
			const cJSON *ver = cJSON_GetObjectItemCaseSensitive(v, "version");

			if (cJSON_IsString(ver))
				add_version(order, ver->valuestring);
		}
		cJSON_ArrayForEach(v, order) {
			const cJSON *list = NULL;
			char path[512];

			snprintf(path, sizeof(path), "/apis/%s/%s", group, v->valuestring);
			if ((rc = discover(c, path, NULL, &list, err))) {
				cJSON_Delete(order);
				goto fail;
			}
			if (resource_listed(cJSON_GetObjectItemCaseSensitive(list, "resources"), "name", resource))
				add_version(out, v->valuestring);
		}
		cJSON_Delete(order);
	}
	*versions = out;
	return 0;
fail:
	cJSON_Delete(out);
	return rc;
}

int k8s_path(char *buf, size_t size, const char *group, const char *version,
	     const char *namespace, const char *resource, const char *name, struct kt_err *err)
{
	const char *parts[] = { version, namespace, resource, name };
	size_t i;
	int n;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && (!parts[i][0] || strpbrk(parts[i], "/?#%")))
			return kt_err_set(err, KT_E_USAGE, "invalid name '%s' in an API path", parts[i]);
	if (!version || !resource)
		return kt_err_set(err, KT_E_USAGE, "an API path needs a version and a resource");
	if (group && group[0])
		n = snprintf(buf, size, "/apis/%s/%s", group, version);
	else
		n = snprintf(buf, size, "/api/%s", version);
	if (n > 0 && (size_t)n < size && namespace)
		n += snprintf(buf + n, size - (size_t)n, "/namespaces/%s", namespace);
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, "/%s", resource);
	if (n > 0 && (size_t)n < size && name)
		n += snprintf(buf + n, size - (size_t)n, "/%s", name);
	if (n < 0 || (size_t)n >= size)
		return kt_err_set(err, KT_E_USAGE, "API path for '%s' too long", name ? name : resource);
	return 0;
}
