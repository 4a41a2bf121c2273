/*
 * The REST client against the project's API server emulator (test/emulator), for real:
 * TLS with the emulator's CA, token / client-certificate / tokenFile / exec-plugin auth,
 * Status errors (401/403/404/409/422), retries (503, 429 + Retry-After, dropped
 * connections), --request-timeout, keep-alive, discovery, apply, and that no token
 * reaches the log at -v 9.
 *
 * The group setup starts `python3 test/emulator/kube_emulator.py --dir TMP` and waits for
 * its "ready URL" line; every test skips with a message when python3 or the emulator is
 * missing. EMU_SCRIPT overrides the emulator's path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "k8s/k8s.h"

extern char **environ;

static char dir[256];      /* scratch dir; the emulator's files are in dir/emu */
static char emu[300];      /* EMU_DIR */
static char url[256];
static pid_t emu_pid;
static const char *skip_reason;

/* ---- emulator lifecycle ---- */

static const char *emulator_script(void)
{
	static char path[512];
	const char *env = getenv("EMU_SCRIPT");
	const char *here = __FILE__;  /* test/unit/u-k8s-client.c, relative to the top */
	const char *cut = strstr(here, "test/unit/");

	if (env && env[0])
		return env;
	snprintf(path, sizeof(path), "%.*stest/emulator/kube_emulator.py", cut ? (int)(cut - here) : 0, here);
	return path;
}

static int start_emulator(void **state)
{
	const char *script = emulator_script();
	int pfd[2];
	FILE *out;
	char line[240];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/u-k8s-client.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(emu, sizeof(emu), "%s/emu", dir);
	mkdir(emu, 0700);
	if (access(script, R_OK) != 0) {
		skip_reason = "the API emulator (test/emulator/kube_emulator.py) is not there";
		return 0;
	}
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		skip_reason = "python3 is missing: cannot run the API emulator";
		return 0;
	}
	if (pipe(pfd))
		return -1;
	emu_pid = fork();
	if (emu_pid == 0) {
		char errlog[400];
		int fd;

		snprintf(errlog, sizeof(errlog), "%s/emulator.stderr", dir);
		fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		dup2(pfd[1], 1);
		close(pfd[0]);
		execlp("python3", "python3", script, "--dir", emu, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	out = fdopen(pfd[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		if (!strncmp(line, "ready ", 6)) {
			snprintf(url, sizeof(url), "%s", line + 6);
			url[strcspn(url, "\r\n")] = '\0';
			break;
		}
	}
	if (out)
		fclose(out);  /* the emulator's later output goes nowhere; it does not block on it */
	if (!url[0]) {
		skip_reason = "the API emulator did not start";
		return 0;
	}
	return 0;
}

static int stop_emulator(void **state)
{
	char cmd[400];

	(void)state;
	if (emu_pid > 0) {
		kill(emu_pid, SIGTERM);
		waitpid(emu_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#define NEED_EMULATOR() do { if (skip_reason) { print_message("skip: %s\n", skip_reason); skip(); } } while (0)

/* ---- helpers ---- */

struct logbuf {
	char text[1 << 16];
	size_t len;
};

static void collect(void *ud, int level, const char *line)
{
	struct logbuf *l = ud;
	int n;

	(void)level;
	n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[8][8192];
	static int next;
	char *b = buf[next++ % 8];
	size_t n;

	if (!f)
		return NULL;
	n = fread(b, 1, 8191, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

static const char *emu_file(const char *name)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, 512, "%s/%s", emu, name);
	return p;
}

static const char *put(const char *name, const char *text, int mode)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];
	FILE *f;

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, (mode_t)mode);
	return p;
}

static char *token(const char *name)
{
	char *t = slurp(emu_file(name));

	assert_non_null(t);
	t[strcspn(t, "\r\n")] = '\0';
	return t;
}

/* A kubeconfig for the emulator with the given cluster and user stanzas (YAML, indented 4). */
static const char *kubeconfig(const char *name, const char *cluster, const char *user)
{
	static char text[8192];

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
		 "contexts: [{name: c, context: {cluster: emu, user: u, namespace: default}}]\n"
		 "clusters:\n- name: emu\n  cluster:\n    server: %s\n%s"
		 "users:\n- name: u\n  user:\n%s", url, cluster, user);
	return put(name, text, 0600);
}

static struct k8s_config *load(const char *path, long timeout_ms, struct logbuf *log, int verbosity)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;

	o.kubeconfig_flag = path;
	o.timeout_ms = timeout_ms;
	o.envp = environ;
	o.log = log ? collect : NULL;
	o.log_ud = log;
	o.verbosity = verbosity;
	if (k8s_config_load(&o, &cfg, &err))
		fail_msg("k8s_config_load: %s", err.msg);
	return cfg;
}

struct conn {
	struct k8s_config *cfg;
	struct k8s_client *c;
};

static struct conn connect_to(const char *kubeconfig_path, long timeout_ms, struct logbuf *log, int v)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;

	x.cfg = load(kubeconfig_path, timeout_ms, log, v);
	if (k8s_client_new(x.cfg, &x.c, &err))
		fail_msg("k8s_client_new: %s", err.msg);
	return x;
}

static void disconnect(struct conn *x)
{
	k8s_client_free(x->c);
	k8s_config_free(x->cfg);
}

/* POST fault rules to the emulator's control endpoint (admin token). */
static void fault(const char *rules)
{
	struct conn a = connect_to(emu_file("kubeconfig"), 0, NULL, 0);
	struct kt_err err = KT_ERR_INIT;
	cJSON *out = NULL;

	if (k8s_request(a.c, "POST", "/__emulator/faults", "application/json", rules, 0, &out, NULL, &err))
		fail_msg("fault: %s", err.msg);
	cJSON_Delete(out);
	disconnect(&a);
}

/* The emulator's request log as "METHOD PATH?QUERY STATUS" lines, then cleared. */
static char *requests(char *buf, size_t size)
{
	struct conn a = connect_to(emu_file("kubeconfig"), 0, NULL, 0);
	struct kt_err err = KT_ERR_INIT;
	cJSON *log = NULL, *it;
	size_t n = 0;

	if (k8s_request(a.c, "GET", "/__emulator/requests", NULL, NULL, 0, &log, NULL, &err))
		fail_msg("requests: %s", err.msg);
	buf[0] = '\0';
	cJSON_ArrayForEach(it, log) {
		const char *q = cJSON_GetObjectItem(it, "query")->valuestring;
		int w = snprintf(buf + n, size - n, "%s %s%s%s %d\n", cJSON_GetObjectItem(it, "method")->valuestring,
				 cJSON_GetObjectItem(it, "path")->valuestring, q[0] ? "?" : "", q,
				 cJSON_GetObjectItem(it, "status")->valueint);
		if (w > 0 && (size_t)w < size - n)
			n += (size_t)w;
	}
	cJSON_Delete(log);
	cJSON_Delete(NULL);
	if (k8s_request(a.c, "DELETE", "/__emulator/requests", NULL, NULL, 0, NULL, NULL, &err))
		fail_msg("reset log: %s", err.msg);
	disconnect(&a);
	return buf;
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *ca_stanza(void)
{
	static char s[600];

	snprintf(s, sizeof(s), "    certificate-authority: %s\n", emu_file("ca.crt"));
	return s;
}

/* ---- tests ---- */

static void token_auth_keepalive_and_user_agent(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	char log[8192];
	int i;

	(void)state;
	NEED_EMULATOR();
	requests(log, sizeof(log));
	x = connect_to(emu_file("kubeconfig"), 0, NULL, 0);
	assert_string_equal(k8s_config_namespace(x.cfg), "default");
	for (i = 0; i < 5; i++) {
		assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default/services/kubernetes", &obj, &err), 0);
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "name")->valuestring,
				    "kubernetes");
		cJSON_Delete(obj);
		obj = NULL;
	}
	assert_int_equal(k8s_client_get0_status(x.c)->http, 200);
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 1);
	/* five requests, one TCP+TLS connection */
	assert_int_equal(k8s_client_connects(x.c), 1);
	disconnect(&x);
	requests(log, sizeof(log));
	assert_int_equal(count_lines(log, "GET /api/v1/namespaces/default/services/kubernetes 200"), 5);
}

static void client_certificate_auth(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	char user[1200];

	(void)state;
	NEED_EMULATOR();
	/* the emulator's own kubeconfig-cert (data fields) */
	x = connect_to(emu_file("kubeconfig-cert"), 0, NULL, 0);
	assert_string_equal(k8s_config_auth_kind(x.cfg), "client-certificate");
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	disconnect(&x);

	/* certificate and key as files */
	snprintf(user, sizeof(user), "    client-certificate: %s\n    client-key: %s\n", emu_file("client.crt"),
		 emu_file("client.key"));
	x = connect_to(kubeconfig("cert-files", ca_stanza(), user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	disconnect(&x);
}

static void token_file_relative_to_kubeconfig(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	char user[200];

	(void)state;
	NEED_EMULATOR();
	put("tok", token("admin-token"), 0600);
	snprintf(user, sizeof(user), "    tokenFile: tok\n    token: wrong-inline-token\n");
	x = connect_to(kubeconfig("tokfile", ca_stanza(), user), 0, NULL, 0);
	/* the file wins over the inline token whenever it can be read */
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	disconnect(&x);
}

static void exec_plugin(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	struct logbuf *log = calloc(1, sizeof(*log));
	cJSON *obj = NULL, *info;
	char user[1500], script[3000], path[600];
	const char *runs;
	const char *admin;

	(void)state;
	NEED_EMULATOR();
	admin = token("admin-token");
	/*
	 * The plugin records KUBERNETES_EXEC_INFO and a run counter; on its first run it
	 * hands out a wrong token (so the client must re-run it after the 401), then the
	 * admin token, already expired, so every request runs it again.
	 */
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "d=$(dirname \"$0\")\n"
		 "printf '%%s' \"$KUBERNETES_EXEC_INFO\" >\"$d/exec-info\"\n"
		 "echo \"$1 $EXTRA\" >>\"$d/exec-runs\"\n"
		 "echo 'plugin stderr passes through' >&2\n"
		 "n=$(wc -l <\"$d/exec-runs\")\n"
		 "tok=%s; [ \"$n\" -eq 1 ] && tok=wrong-first-token\n"
		 "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
		 "\"status\":{\"token\":\"%%s\",\"expirationTimestamp\":\"2001-01-01T00:00:00Z\"}}' \"$tok\"\n",
		 admin);
	put("plugin.sh", script, 0700);
	snprintf(user, sizeof(user),
		 "    exec:\n"
		 "      apiVersion: client.authentication.k8s.io/v1\n"
		 "      command: ./plugin.sh\n"
		 "      args: [arg1]\n"
		 "      env: [{name: EXTRA, value: extra-value}]\n"
		 "      interactiveMode: Never\n"
		 "      provideClusterInfo: true\n");
	x = connect_to(kubeconfig("exec", ca_stanza(), user), 0, log, 9);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 2);  /* 401, re-run plugin, 200 */
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	snprintf(path, sizeof(path), "%s/exec-runs", dir);
	runs = slurp(path);
	assert_non_null(runs);
	{
		char cmd[700];
		FILE *p;
		int n = 0;

		snprintf(cmd, sizeof(cmd), "wc -l <'%s'", path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_int_equal(fscanf(p, "%d", &n), 1);
		pclose(p);
		assert_int_equal(n, 3);  /* first, after the 401, and again because it expired */
	}
	assert_memory_equal(runs, "arg1 extra-value\n", 17);
	snprintf(path, sizeof(path), "%s/exec-info", dir);
	info = cJSON_Parse(slurp(path));
	assert_non_null(info);
	assert_string_equal(cJSON_GetObjectItem(info, "kind")->valuestring, "ExecCredential");
	assert_string_equal(cJSON_GetObjectItem(info, "apiVersion")->valuestring, "client.authentication.k8s.io/v1");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "spec"), "interactive")));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "spec"), "cluster"),
						"server")->valuestring, url);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "spec"), "cluster"),
					    "certificate-authority-data"));
	cJSON_Delete(info);
	/* no token at -v 9, neither the plugin's nor the wrong one */
	assert_null(strstr(log->text, admin));
	assert_null(strstr(log->text, "wrong-first-token"));
	assert_non_null(strstr(log->text, "Authorization: Bearer <masked>"));
	disconnect(&x);
	free(log);

	/* a plugin that fails, and one that is missing */
	put("fail.sh", "#!/bin/sh\nexit 3\n", 0700);
	snprintf(user, sizeof(user), "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		 "      command: ./fail.sh\n");
	x = connect_to(kubeconfig("exec-fail", ca_stanza(), user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_API);
	assert_non_null(strstr(err.msg, "/fail.sh' for user \"u\" failed with exit status 3"));
	disconnect(&x);
	snprintf(user, sizeof(user), "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		 "      command: no-such-plugin-xyz\n      installHint: install it with 'apt install xyz'\n");
	x = connect_to(kubeconfig("exec-missing", ca_stanza(), user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_NOTFOUND);
	assert_string_equal(err.msg, "exec plugin 'no-such-plugin-xyz' for user \"u\" not found");
	assert_string_equal(err.hint, "install it with 'apt install xyz'");
	disconnect(&x);
}

static void exec_plugin_client_certificate(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	char user[1500], script[2000];

	(void)state;
	NEED_EMULATOR();
	/* clientCertificateData / clientKeyData are plain PEM strings (JSON-escaped newlines) */
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "pem() { awk '{printf \"%%s\\\\n\", $0}' \"$1\"; }\n"
		 "echo \"$KUBERNETES_EXEC_INFO\" | grep -q '\"interactive\":false' || exit 9\n"
		 "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
		 "\"status\":{\"clientCertificateData\":\"%%s\",\"clientKeyData\":\"%%s\"}}' "
		 "\"$(pem %s)\" \"$(pem %s)\"\n", emu_file("client.crt"), emu_file("client.key"));
	put("certplugin.sh", script, 0700);
	snprintf(user, sizeof(user), "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		 "      command: %s/certplugin.sh\n", dir);
	x = connect_to(kubeconfig("exec-cert", ca_stanza(), user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	disconnect(&x);
}

static void tls_verification(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	char cluster[700], user[300], want[400];
	const char *wrong_ca = __FILE__;  /* placeholder, replaced below */

	(void)state;
	NEED_EMULATOR();
	/* a CA that did not sign the emulator's certificate: the client's own certificate */
	wrong_ca = emu_file("client.crt");
	snprintf(cluster, sizeof(cluster), "    certificate-authority: %s\n", wrong_ca);
	snprintf(user, sizeof(user), "    token: %s\n", token("admin-token"));
	x = connect_to(kubeconfig("wrong-ca", cluster, user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_TLS);
	snprintf(want, sizeof(want), "cannot reach the API server at '%s': ", url);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "certificate"));
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 1);  /* a TLS failure is not retried */
	assert_null(strstr(err.msg, token("admin-token")));
	disconnect(&x);

	/* no CA at all: system roots, which do not know the emulator's CA either */
	x = connect_to(kubeconfig("no-ca", "", user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_TLS);
	disconnect(&x);

	/* only when the kubeconfig says so is verification skipped */
	x = connect_to(kubeconfig("insecure", "    insecure-skip-tls-verify: true\n", user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	disconnect(&x);

	/* tls-server-name: connect to 127.0.0.1, verify the certificate as "kubernetes" */
	snprintf(cluster, sizeof(cluster), "%s    tls-server-name: kubernetes\n", ca_stanza());
	x = connect_to(kubeconfig("sni", cluster, user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	disconnect(&x);
	snprintf(cluster, sizeof(cluster), "%s    tls-server-name: not-in-the-certificate.example\n", ca_stanza());
	x = connect_to(kubeconfig("sni-bad", cluster, user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_TLS);
	disconnect(&x);
}

static void in_cluster_and_proxy(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct k8s_client *c = NULL;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	char sa[400], host[64], port[16], cluster[700], user[300];
	const char *hp;

	(void)state;
	NEED_EMULATOR();
	/* a service-account directory made of the emulator's CA and admin token */
	snprintf(sa, sizeof(sa), "%s/sa", dir);
	mkdir(sa, 0700);
	put("sa/token", token("admin-token"), 0600);
	put("sa/ca.crt", slurp(emu_file("ca.crt")), 0600);
	put("sa/namespace", "kube-system\n", 0600);
	hp = url + strlen("https://");
	snprintf(host, sizeof(host), "%.*s", (int)(strrchr(hp, ':') - hp), hp);
	snprintf(port, sizeof(port), "%s", strrchr(hp, ':') + 1);
	o.home = dir;  /* no ~/.kube/config there */
	o.incluster_host = host;
	o.incluster_port = port;
	o.incluster_dir = sa;
	assert_int_equal(k8s_config_load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_namespace(cfg), "kube-system");
	assert_int_equal(k8s_client_new(cfg, &c, &err), 0);
	assert_int_equal(k8s_get(c, "/api/v1/namespaces/kube-system", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	k8s_client_free(c);
	k8s_config_free(cfg);

	/* proxy-url is used: a proxy that is not listening is what fails */
	snprintf(cluster, sizeof(cluster), "%s    proxy-url: http://127.0.0.1:9\n", ca_stanza());
	snprintf(user, sizeof(user), "    token: %s\n", token("admin-token"));
	{
		struct conn x = connect_to(kubeconfig("proxy", cluster, user), 0, NULL, 0);

		assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_TLS);
		assert_non_null(strstr(err.msg, "port 9"));
		disconnect(&x);
	}
}

static void api_errors(void **state)
{
	struct conn x, ro;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL, *cm, *out = NULL;
	char user[300];
	const char *rv;

	(void)state;
	NEED_EMULATOR();
	x = connect_to(emu_file("kubeconfig"), 0, NULL, 0);

	/* 404 */
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default/secrets/nope", &obj, &err), KT_E_NOTFOUND);
	assert_string_equal(err.msg, "secrets \"nope\" not found");
	assert_string_equal(k8s_client_get0_status(x.c)->reason, "NotFound");
	assert_int_equal(k8s_client_get0_status(x.c)->http, 404);
	/* a path the server does not route: text/plain "404 page not found" */
	assert_int_equal(k8s_get(x.c, "/apis/nonexistent.example/v1/things", &obj, &err), KT_E_NOTFOUND);
	assert_string_equal(err.msg, "the API server answered 404 Not Found to GET /apis/nonexistent.example/v1/things: "
			    "404 page not found");

	/* 409 AlreadyExists vs 409 Conflict */
	cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u-errs\"},"
			 "\"data\":{\"a\":\"1\"}}");
	k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-errs", 0, &err);
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/configmaps", cm, 0, &out, &err), 0);
	assert_int_equal(k8s_client_get0_status(x.c)->http, 201);
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/configmaps", cm, 0, NULL, &err), KT_E_CONFLICT);
	assert_string_equal(k8s_client_get0_status(x.c)->reason, "AlreadyExists");
	assert_string_equal(err.msg, "configmaps \"u-errs\" already exists");
	rv = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "metadata"), "resourceVersion")->valuestring;
	cJSON_AddStringToObject(cJSON_GetObjectItem(cm, "metadata"), "resourceVersion", rv);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cm, "data"), "a", cJSON_CreateString("2"));
	assert_int_equal(k8s_replace(x.c, "/api/v1/namespaces/default/configmaps/u-errs", cm, 0, NULL, &err), 0);
	/* the same resourceVersion again is stale now */
	assert_int_equal(k8s_replace(x.c, "/api/v1/namespaces/default/configmaps/u-errs", cm, 0, NULL, &err),
			 KT_E_CONFLICT);
	assert_string_equal(k8s_client_get0_status(x.c)->reason, "Conflict");
	assert_non_null(strstr(err.msg, "the object has been modified"));
	cJSON_Delete(out);
	cJSON_Delete(cm);

	/* 422 with the server's message whole */
	cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Bad_Name\"}}");
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/configmaps", cm, 0, NULL, &err), KT_E_API);
	assert_int_equal(k8s_client_get0_status(x.c)->http, 422);
	assert_string_equal(k8s_client_get0_status(x.c)->reason, "Invalid");
	assert_non_null(strstr(err.msg, "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""));

	/* 403: the read-only user, nothing changed */
	ro = connect_to(emu_file("kubeconfig-readonly"), 0, NULL, 0);
	assert_int_equal(k8s_create(ro.c, "/api/v1/namespaces/default/configmaps", cm, 0, NULL, &err), KT_E_API);
	assert_int_equal(k8s_client_get0_status(ro.c)->http, 403);
	assert_string_equal(k8s_client_get0_status(ro.c)->reason, "Forbidden");
	assert_non_null(strstr(err.msg, "configmaps is forbidden: User \"readonly\" cannot create resource "
			       "\"configmaps\""));
	assert_int_equal(k8s_delete(ro.c, "/api/v1/namespaces/default/configmaps/u-errs", 0, &err), KT_E_API);
	assert_non_null(strstr(err.msg, "configmaps \"u-errs\" is forbidden: User \"readonly\" cannot delete"));
	disconnect(&ro);
	cJSON_Delete(cm);
	assert_int_equal(k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-errs", 0, &err), 0);
	disconnect(&x);

	/* 401: a token the server does not know */
	snprintf(user, sizeof(user), "    token: not-a-valid-token\n");
	x = connect_to(kubeconfig("bad-token", ca_stanza(), user), 0, NULL, 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_API);
	assert_int_equal(k8s_client_get0_status(x.c)->http, 401);
	assert_non_null(strstr(err.msg, "unauthorized: the API server at '"));
	assert_null(strstr(err.msg, "not-a-valid-token"));
	disconnect(&x);
}

static void retries(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL, *cm;
	char log[8192];
	long t0, elapsed;

	(void)state;
	NEED_EMULATOR();
	x = connect_to(emu_file("kubeconfig"), 0, NULL, 0);
	requests(log, sizeof(log));

	/* two 503s, then success */
	fault("[{\"method\":\"GET\",\"path\":\"/namespaces/default$\",\"action\":\"status\",\"status\":503,\"count\":2}]");
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 3);
	assert_int_equal(count_lines(requests(log, sizeof(log)), "GET /api/v1/namespaces/default 503"), 2);

	/* 429 with Retry-After: 1 is honoured */
	fault("[{\"method\":\"GET\",\"path\":\"/namespaces/default$\",\"status\":429,\"retry_after\":1,\"count\":1}]");
	t0 = now_ms();
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	elapsed = now_ms() - t0;
	cJSON_Delete(obj);
	obj = NULL;
	print_message("429 + Retry-After: 1 -> success after %ld ms\n", elapsed);
	assert_true(elapsed >= 1000);
	assert_true(elapsed < 3000);
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 2);

	/*
	 * A dropped connection on a GET is retried. On a reused connection libcurl itself
	 * retries once (the server may have closed an idle connection); on a fresh one it
	 * is our retry.
	 */
	fault("[{\"method\":\"GET\",\"path\":\"/namespaces/default$\",\"action\":\"drop\",\"count\":1}]");
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	{
		struct conn fresh = connect_to(emu_file("kubeconfig"), 0, NULL, 0);

		fault("[{\"method\":\"GET\",\"path\":\"/namespaces/default$\",\"action\":\"drop\",\"count\":1}]");
		assert_int_equal(k8s_get(fresh.c, "/api/v1/namespaces/default", &obj, &err), 0);
		cJSON_Delete(obj);
		obj = NULL;
		assert_int_equal(k8s_client_get0_status(fresh.c)->attempts, 2);
		disconnect(&fresh);
	}
	assert_int_equal(count_lines(requests(log, sizeof(log)), "GET /api/v1/namespaces/default 0"), 2);

	/* persistent 503: gives up after K8S_MAX_ATTEMPTS with the server's message */
	fault("[{\"method\":\"GET\",\"path\":\"/namespaces/default$\",\"status\":503,\"retry_after\":0,\"count\":10}]");
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), KT_E_API);
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, K8S_MAX_ATTEMPTS);
	assert_int_equal(k8s_client_get0_status(x.c)->http, 503);
	{
		struct conn a = connect_to(emu_file("kubeconfig"), 0, NULL, 0);

		k8s_request(a.c, "DELETE", "/__emulator/faults", NULL, NULL, 0, NULL, NULL, &err);
		disconnect(&a);
	}

	/* a create that got a 503 was not processed: retried */
	cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u-retry\"}}");
	k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-retry", 0, &err);
	requests(log, sizeof(log));
	fault("[{\"method\":\"POST\",\"path\":\"/configmaps$\",\"status\":503,\"count\":1}]");
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/configmaps", cm, 0, NULL, &err), 0);
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 2);
	assert_int_equal(k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-retry", 0, &err), 0);
	/* a create whose connection dropped may have succeeded: not repeated */
	fault("[{\"method\":\"POST\",\"path\":\"/configmaps$\",\"action\":\"drop\",\"count\":1}]");
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/configmaps", cm, 0, NULL, &err), KT_E_TLS);
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 1);
	requests(log, sizeof(log));
	assert_int_equal(count_lines(log, "POST /api/v1/namespaces/default/configmaps"), 3);
	cJSON_Delete(cm);
	disconnect(&x);
}

static void request_timeout(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL;
	long t0, elapsed;

	(void)state;
	NEED_EMULATOR();
	x = connect_to(emu_file("kubeconfig"), 500, NULL, 0);
	fault("[{\"method\":\"GET\",\"path\":\"/namespaces/kube-system$\",\"action\":\"delay\",\"seconds\":2,\"count\":1}]");
	t0 = now_ms();
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/kube-system", &obj, &err), KT_E_TLS);
	elapsed = now_ms() - t0;
	print_message("--request-timeout 500ms against a 2 s delay: failed after %ld ms\n", elapsed);
	assert_true(elapsed >= 450 && elapsed < 1500);
	assert_non_null(strstr(err.msg, "no answer within the request timeout (500 ms)"));
	assert_int_equal(k8s_client_get0_status(x.c)->attempts, 1);
	/* the next request works (a new connection) */
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	disconnect(&x);
}

static void writes_list_apply_discovery(void **state)
{
	struct conn x, y;
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL, *items = NULL, *patch, *versions = NULL;
	char log[8192], path[128];
	int i;

	(void)state;
	NEED_EMULATOR();
	x = connect_to(emu_file("kubeconfig"), 0, NULL, 0);
	/* three labelled ConfigMaps, listed one per page */
	for (i = 0; i < 3; i++) {
		char body[256];

		snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps/u-list-%d", i);
		k8s_delete(x.c, path, 0, &err);
		snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			 "\"u-list-%d\",\"labels\":{\"u-test\":\"list\"}}}", i);
		obj = cJSON_Parse(body);
		assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/configmaps", obj, 0, NULL, &err), 0);
		cJSON_Delete(obj);
	}
	obj = NULL;
	requests(log, sizeof(log));
	assert_int_equal(k8s_list(x.c, "/api/v1/namespaces/default/configmaps?limit=1", "u-test=list", &items, &err), 0);
	assert_int_equal(cJSON_GetArraySize(items), 3);
	cJSON_Delete(items);
	items = NULL;
	requests(log, sizeof(log));
	assert_int_equal(count_lines(log, "GET /api/v1/namespaces/default/configmaps?limit=1&labelSelector=u-test%3Dlist"), 3);

	/* merge patch, dry run first: nothing changes */
	patch = cJSON_Parse("{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}");
	assert_int_equal(k8s_merge_patch(x.c, "/api/v1/namespaces/default/configmaps/u-list-0", patch, K8S_DRY_RUN,
					 &obj, &err), 0);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "annotations"), "a"));
	cJSON_Delete(obj);
	obj = NULL;
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default/configmaps/u-list-0", &obj, &err), 0);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "annotations"));
	cJSON_Delete(obj);
	obj = NULL;
	assert_int_equal(k8s_merge_patch(x.c, "/api/v1/namespaces/default/configmaps/u-list-0", patch, 0, NULL, &err), 0);
	cJSON_Delete(patch);
	patch = cJSON_Parse("[{\"op\":\"add\",\"path\":\"/data\",\"value\":{\"k\":\"v\"}}]");
	assert_int_equal(k8s_json_patch(x.c, "/api/v1/namespaces/default/configmaps/u-list-0", patch, 0, &obj, &err), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "data"), "k")->valuestring, "v");
	cJSON_Delete(obj);
	obj = NULL;
	cJSON_Delete(patch);

	/* server-side apply: create, then a conflicting manager, then force */
	patch = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u-apply\","
			    "\"namespace\":\"default\"},\"data\":{\"x\":\"1\"}}");
	k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-apply", 0, &err);
	assert_int_equal(k8s_apply(x.c, "/api/v1/namespaces/default/configmaps/u-apply", patch, NULL, 0, NULL, &err), 0);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(patch, "data"), "x", cJSON_CreateString("2"));
	assert_int_equal(k8s_apply(x.c, "/api/v1/namespaces/default/configmaps/u-apply", patch, "someone-else", 0, NULL,
				   &err), KT_E_CONFLICT);
	assert_string_equal(k8s_client_get0_status(x.c)->reason, "Conflict");
	assert_string_equal(k8s_client_get0_status(x.c)->cause, "FieldManagerConflict");
	assert_int_equal(k8s_apply(x.c, "/api/v1/namespaces/default/configmaps/u-apply", patch, "someone-else",
				   K8S_FORCE, &obj, &err), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "data"), "x")->valuestring, "2");
	cJSON_Delete(obj);
	obj = NULL;
	cJSON_Delete(patch);
	requests(log, sizeof(log));
	assert_non_null(strstr(log, "PATCH /api/v1/namespaces/default/configmaps/u-apply?fieldManager=kubectl-kong-tls 201"));
	assert_non_null(strstr(log, "?fieldManager=someone-else&force=true 200"));

	/* delete, dry run and for real */
	assert_int_equal(k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-apply", K8S_DRY_RUN, &err), 0);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default/configmaps/u-apply", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	assert_int_equal(k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-apply", 0, &err), 0);
	assert_int_equal(k8s_delete(x.c, "/api/v1/namespaces/default/configmaps/u-apply", 0, &err), KT_E_NOTFOUND);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps/u-list-%d", i);
		assert_int_equal(k8s_delete(x.c, path, 0, &err), 0);
	}

	/* Warning headers reach the caller */
	obj = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"u-warn\"},"
			  "\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"bm90IHBlbQ==\",\"tls.key\":\"eA==\"}}");
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/secrets", obj, K8S_DRY_RUN, NULL, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	assert_non_null(k8s_client_get0_warning(x.c, 0));
	assert_string_equal(k8s_client_get0_warning(x.c, 0), "tls: failed to find any PEM data in certificate input");
	assert_null(k8s_client_get0_warning(x.c, 1));
	disconnect(&x);

	/* discovery: one request per client, whatever is asked */
	y = connect_to(emu_file("kubeconfig"), 0, NULL, 0);
	requests(log, sizeof(log));
	assert_int_equal(k8s_served_versions(y.c, "gateway.networking.k8s.io", "backendtlspolicies", &versions, &err), 0);
	assert_true(cJSON_GetArraySize(versions) >= 1);
	print_message("backendtlspolicies served as: %s\n", cJSON_GetArrayItem(versions, 0)->valuestring);
	cJSON_Delete(versions);
	assert_int_equal(k8s_served_versions(y.c, "gateway.networking.k8s.io", "httproutes", &versions, &err), 0);
	assert_true(cJSON_GetArraySize(versions) >= 1);
	cJSON_Delete(versions);
	assert_int_equal(k8s_served_versions(y.c, "nothing.example", "things", &versions, &err), 0);
	assert_int_equal(cJSON_GetArraySize(versions), 0);
	cJSON_Delete(versions);
	requests(log, sizeof(log));
	assert_int_equal(count_lines(log, "GET "), 1);
	disconnect(&y);
}

static void verbose_log_never_shows_the_token(void **state)
{
	struct conn x;
	struct kt_err err = KT_ERR_INIT;
	struct logbuf *log = calloc(1, sizeof(*log));
	cJSON *obj = NULL;
	char want[400];
	const char *admin;

	(void)state;
	NEED_EMULATOR();
	admin = token("admin-token");
	x = connect_to(emu_file("kubeconfig"), 0, log, 9);
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default", &obj, &err), 0);
	cJSON_Delete(obj);
	obj = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"u-secret\"},"
			  "\"stringData\":{\"password\":\"do-not-log-me\"}}");
	assert_int_equal(k8s_create(x.c, "/api/v1/namespaces/default/secrets", obj, K8S_DRY_RUN, NULL, &err), 0);
	cJSON_Delete(obj);
	obj = NULL;
	assert_int_equal(k8s_get(x.c, "/api/v1/namespaces/default/secrets/nope", &obj, &err), KT_E_NOTFOUND);
	disconnect(&x);
	snprintf(want, sizeof(want), "GET %s/api/v1/namespaces/default 200 OK in ", url);
	assert_non_null(strstr(log->text, want));
	assert_non_null(strstr(log->text, "> Authorization: Bearer <masked>"));
	assert_non_null(strstr(log->text, "> User-Agent: kubectl-kong_tls/" KT_VERSION " (linux/"));
	assert_non_null(strstr(log->text, "< HTTP/1.1 404"));
	assert_null(strstr(log->text, admin));
	assert_null(strstr(log->text, "do-not-log-me"));
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_auth_keepalive_and_user_agent),
		cmocka_unit_test(client_certificate_auth),
		cmocka_unit_test(token_file_relative_to_kubeconfig),
		cmocka_unit_test(exec_plugin),
		cmocka_unit_test(exec_plugin_client_certificate),
		cmocka_unit_test(tls_verification),
		cmocka_unit_test(in_cluster_and_proxy),
		cmocka_unit_test(api_errors),
		cmocka_unit_test(retries),
		cmocka_unit_test(request_timeout),
		cmocka_unit_test(writes_list_apply_discovery),
		cmocka_unit_test(verbose_log_never_shows_the_token),
	};
	return cmocka_run_group_tests(tests, start_emulator, stop_emulator);
}
