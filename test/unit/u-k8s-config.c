/*
 * Unit tests of k8s/config.c and k8s/yaml.c: kubeconfig loading as client-go does it
 * (merge order, --kubeconfig, overrides, relative paths, errors, each auth kind).
 * Every test writes its kubeconfig files into a fresh temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "k8s/k8s.h"
#include "k8s/internal.h"
#include "k8s/objects.h"
#include "k8s/yaml.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/u-k8s-config.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name (creating subdirectories); returns the path (static buffer rotation). */
static const char *put(const char *name, const char *text)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8], *slash;
	FILE *f;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	for (slash = strchr(p + strlen(tmpdir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0700);
		*slash = '/';
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static const char *const file_a =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://a.example:6443\n"
	"    certificate-authority: certs/ca.crt\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    token: token-from-a\n"
	"contexts:\n"
	"- name: ctx-a\n"
	"  context: {cluster: c1, user: u1, namespace: team-a}\n";

static const char *const file_b =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: ctx-b\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://b.example:6443\n"
	"    insecure-skip-tls-verify: true\n"
	"- name: c2\n"
	"  cluster:\n"
	"    server: https://c2.example\n"
	"    insecure-skip-tls-verify: true\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    client-certificate: b.crt\n"
	"    client-key: b.key\n"
	"- name: u2\n"
	"  user:\n"
	"    tokenFile: tok\n"
	"contexts:\n"
	"- name: ctx-b\n"
	"  context:\n"
	"    cluster: c1\n"
	"    user: u1\n"
	"- name: ctx-c2\n"
	"  context:\n"
	"    cluster: c2\n"
	"    user: u2\n"
	"    namespace: from-ctx\n";

static int load(struct k8s_config_opts *o, struct k8s_config **cfg, struct kt_err *err)
{
	o->home = o->home ? o->home : tmpdir;  /* a HOME without .kube/config */
	return k8s_config_load(o, cfg, err);
}

static void merge_first_file_wins(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;
	char env[1100];

	(void)state;
	snprintf(env, sizeof(env), "%s:%s", put("a/config", file_a), put("b/config", file_b));
	o.kubeconfig_env = env;
	assert_int_equal(load(&o, &cfg, &err), 0);
	/* current-context from b (a sets none); cluster c1 and user u1 whole from a. */
	assert_string_equal(k8s_config_context_name(cfg), "ctx-b");
	assert_string_equal(k8s_config_server(cfg), "https://a.example:6443");
	assert_int_equal(k8s_config_insecure(cfg), 0);
	assert_string_equal(k8s_config_auth_kind(cfg), "token");
	assert_null(cfg->cert_file);
	assert_string_equal(k8s_config_namespace(cfg), "default");
	assert_non_null(strstr(k8s_config_source(cfg), "a/config"));
	assert_non_null(strstr(k8s_config_source(cfg), "b/config"));
	/* relative path resolved against a's directory */
	assert_non_null(cfg->ca_file);
	assert_int_equal(cfg->ca_file[0], '/');
	assert_non_null(strstr(cfg->ca_file, "/a/certs/ca.crt"));
	/* names in merged order, for completion */
	assert_string_equal(k8s_config_get0_name(cfg, K8S_CONFIG_CONTEXTS, 0), "ctx-a");
	assert_string_equal(k8s_config_get0_name(cfg, K8S_CONFIG_CONTEXTS, 1), "ctx-b");
	assert_string_equal(k8s_config_get0_name(cfg, K8S_CONFIG_CONTEXTS, 2), "ctx-c2");
	assert_null(k8s_config_get0_name(cfg, K8S_CONFIG_CONTEXTS, 3));
	assert_string_equal(k8s_config_get0_name(cfg, K8S_CONFIG_CLUSTERS, 1), "c2");
	k8s_config_free(cfg);
}

static void missing_files_in_list_are_skipped(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;
	char env[1100];

	(void)state;
	snprintf(env, sizeof(env), "%s/nope::%s", tmpdir, put("b/config", file_b));
	o.kubeconfig_env = env;
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_server(cfg), "https://b.example:6443");
	assert_int_equal(k8s_config_insecure(cfg), 1);
	assert_string_equal(k8s_config_auth_kind(cfg), "client-certificate");
	assert_non_null(strstr(cfg->cert_file, "/b/b.crt"));
	k8s_config_free(cfg);
}

static void explicit_kubeconfig_does_not_merge(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;
	char env[1100];
	const char *b = put("b/config", file_b);

	(void)state;
	snprintf(env, sizeof(env), "%s:%s", put("a/config", file_a), b);
	o.kubeconfig_env = env;
	o.kubeconfig_flag = b;
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_server(cfg), "https://b.example:6443");
	assert_null(k8s_config_get0_name(cfg, K8S_CONFIG_CONTEXTS, 2));  /* ctx-a is not there */
	k8s_config_free(cfg);

	/* --kubeconfig must exist */
	o.kubeconfig_flag = "/nonexistent/kubeconfig";
	assert_int_equal(load(&o, &cfg, &err), KT_E_IO);
	assert_string_equal(err.msg, "cannot read kubeconfig '/nonexistent/kubeconfig': No such file or directory");
}

static void home_default_file(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;
	char home[400];

	(void)state;
	put("home/.kube/config", file_b);
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	o.home = home;
	assert_int_equal(k8s_config_load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_context_name(cfg), "ctx-b");
	k8s_config_free(cfg);

	/* no file anywhere: a clear error with what to do */
	o.home = tmpdir;
	assert_int_equal(k8s_config_load(&o, &cfg, &err), KT_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no kubeconfig found"));
	assert_non_null(strstr(err.hint, "KUBECONFIG"));
}

static void overrides(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	o.kubeconfig_flag = put("b/config", file_b);
	o.context = "ctx-c2";
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_server(cfg), "https://c2.example");
	assert_string_equal(k8s_config_namespace(cfg), "from-ctx");
	assert_string_equal(k8s_config_user_name(cfg), "u2");
	assert_string_equal(k8s_config_auth_kind(cfg), "tokenFile");
	assert_non_null(strstr(cfg->token_file, "/b/tok"));
	k8s_config_free(cfg);

	o.namespace = "flag-ns";
	o.cluster = "c1";
	o.user = "u1";
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_namespace(cfg), "flag-ns");
	assert_string_equal(k8s_config_cluster_name(cfg), "c1");
	assert_string_equal(k8s_config_server(cfg), "https://b.example:6443");
	assert_string_equal(k8s_config_user_name(cfg), "u1");
	assert_string_equal(k8s_config_auth_kind(cfg), "client-certificate");
	k8s_config_free(cfg);

	o.context = "nope";
	assert_int_equal(load(&o, &cfg, &err), KT_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "context \"nope\" not found in kubeconfig '"));
	assert_string_equal(err.hint, "contexts in the kubeconfig: ctx-b, ctx-c2");
	o.context = NULL;
	o.cluster = "nope";
	assert_int_equal(load(&o, &cfg, &err), KT_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "cluster \"nope\" not found"));
	o.cluster = NULL;
	o.user = "nope";
	assert_int_equal(load(&o, &cfg, &err), KT_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "user \"nope\" not found"));
}

static void current_context_problems(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	o.kubeconfig_flag = put("a/config", file_a);
	assert_int_equal(load(&o, &cfg, &err), KT_E_USAGE);
	assert_non_null(strstr(err.msg, "has no current-context"));
	assert_string_equal(err.hint, "choose one with --context (ctx-a)");

	o.kubeconfig_flag = put("x/config", "current-context: gone\ncontexts:\n- name: other\n  context: {cluster: c}\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "context \"gone\" not found"));
	assert_string_equal(err.hint, "contexts in the kubeconfig: other");

	/* names_only still lists what is there (shell completion) */
	o.names_only = 1;
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_get0_name(cfg, K8S_CONFIG_CONTEXTS, 0), "other");
	k8s_config_free(cfg);
}

static void malformed_yaml_names_file_and_line(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;
	char want[700];
	const char *p = put("bad/config",
			    "apiVersion: v1\n"
			    "clusters:\n"
			    "- name: c1\n"
			    "  cluster:\n"
			    "    server: https://x\n"
			    "current-context: a\n"
			    "users\n"
			    "contexts: []\n");

	(void)state;
	o.kubeconfig_flag = p;
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	snprintf(want, sizeof(want), "kubeconfig '%s' line 7: could not find expected ':'", p);
	assert_string_equal(err.msg, want);

	/* a bad file anywhere in the KUBECONFIG list stops the load, as in kubectl */
	o.kubeconfig_flag = NULL;
	snprintf(want, sizeof(want), "%s:%s", put("b/config", file_b), p);
	o.kubeconfig_env = want;
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "bad/config' line 7: "));

	o.kubeconfig_env = NULL;
	o.kubeconfig_flag = put("t/config", "clusters:\n\t- name: x\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "t/config' line 2: "));

	o.kubeconfig_flag = put("l/config", "- just\n- a list\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "not a kubeconfig"));

	o.kubeconfig_flag = put("d/config", "clusters:\n- name: x\n  cluster: {server: a}\n- name: x\n  cluster: {server: b}\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "duplicate name \"x\" in 'clusters'"));
}

static const char *user_file(const char *user_yaml)
{
	static char text[4096];

	snprintf(text, sizeof(text),
		 "current-context: c\n"
		 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
		 "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
		 "users:\n- name: u\n  user:\n%s", user_yaml);
	return put("auth/config", text);
}

static void auth_kinds(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	/* client certificate as data: base64 decoded at load */
	o.kubeconfig_flag = user_file("    client-certificate-data: LS0tLS1CRUdJTg==\n"
				      "    client-key-data: a2V5\n");
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_auth_kind(cfg), "client-certificate");
	assert_int_equal(cfg->cert_data.len, 10);
	assert_memory_equal(cfg->cert_data.data, "-----BEGIN", 10);
	assert_string_equal((char *)cfg->key_data.data, "key");
	k8s_config_free(cfg);

	o.kubeconfig_flag = user_file("    client-certificate-data: '%%%'\n    client-key-data: a2V5\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_string_equal(err.msg, "user \"u\": client-certificate-data is not valid base64");

	o.kubeconfig_flag = user_file("    client-certificate: x.crt\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_string_equal(err.msg, "user \"u\": client-certificate without client-key");

	o.kubeconfig_flag = user_file("    exec:\n"
				      "      apiVersion: client.authentication.k8s.io/v1\n"
				      "      command: ./bin/get-token\n"
				      "      args: [--a]\n"
				      "      interactiveMode: Never\n");
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_auth_kind(cfg), "exec");
	assert_non_null(strstr(cJSON_GetObjectItem(cfg->exec, "command")->valuestring, "/auth/./bin/get-token"));
	k8s_config_free(cfg);

	/* a bare command stays a PATH lookup */
	o.kubeconfig_flag = user_file("    exec:\n"
				      "      apiVersion: client.authentication.k8s.io/v1beta1\n"
				      "      command: kubelogin\n");
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(cJSON_GetObjectItem(cfg->exec, "command")->valuestring, "kubelogin");
	k8s_config_free(cfg);

	o.kubeconfig_flag = user_file("    exec:\n"
				      "      apiVersion: client.authentication.k8s.io/v1\n"
				      "      command: x\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "interactiveMode must be specified"));

	o.kubeconfig_flag = user_file("    exec:\n"
				      "      apiVersion: client.authentication.k8s.io/v1alpha1\n"
				      "      command: x\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "invalid apiVersion \"client.authentication.k8s.io/v1alpha1\""));

	o.kubeconfig_flag = user_file("    auth-provider:\n      name: gcp\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_string_equal(err.msg, "user \"u\": auth-provider \"gcp\" is not supported");

	o.kubeconfig_flag = user_file("    username: admin\n    password: secret\n");
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_auth_kind(cfg), "basic");
	k8s_config_free(cfg);

	o.kubeconfig_flag = user_file("    token: t\n    username: admin\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "more than one authentication method"));

	/* token and tokenFile: both kept (the client prefers the file when readable) */
	o.kubeconfig_flag = user_file("    token: inline\n    tokenFile: /tmp/x\n");
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_auth_kind(cfg), "token");
	assert_string_equal(cfg->token, "inline");
	assert_string_equal(cfg->token_file, "/tmp/x");
	k8s_config_free(cfg);
}

static void cluster_tls_fields(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	o.kubeconfig_flag = put("tls/config",
				"current-context: c\n"
				"contexts: [{name: c, context: {cluster: k}}]\n"
				"clusters:\n- name: k\n  cluster:\n"
				"    server: https://10.0.0.1:6443/\n"
				"    certificate-authority-data: Q0E=\n"
				"    tls-server-name: kubernetes.default\n"
				"    proxy-url: socks5://proxy:1080\n");
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_server(cfg), "https://10.0.0.1:6443");
	assert_string_equal((char *)cfg->ca_data.data, "CA");
	assert_string_equal(cfg->tls_server_name, "kubernetes.default");
	assert_string_equal(cfg->proxy_url, "socks5://proxy:1080");
	assert_string_equal(k8s_config_auth_kind(cfg), "none");
	assert_null(k8s_config_user_name(cfg));
	k8s_config_free(cfg);

	o.kubeconfig_flag = put("tls2/config",
				"current-context: c\n"
				"contexts: [{name: c, context: {cluster: k}}]\n"
				"clusters:\n- name: k\n  cluster:\n"
				"    server: https://x\n"
				"    certificate-authority: ca.crt\n"
				"    insecure-skip-tls-verify: true\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "insecure-skip-tls-verify cannot be combined"));

	o.kubeconfig_flag = put("tls3/config",
				"current-context: c\n"
				"contexts: [{name: c, context: {cluster: k}}]\n"
				"clusters:\n- name: k\n  cluster: {certificate-authority: ca.crt}\n");
	assert_int_equal(load(&o, &cfg, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "cluster \"k\" in kubeconfig '"));
	assert_non_null(strstr(err.msg, "' has no server"));
}

static void in_cluster(void **state)
{
	struct k8s_config_opts o = { 0 };
	struct k8s_config *cfg = NULL;
	struct kt_err err = KT_ERR_INIT;
	char dir[400];

	(void)state;
	put("sa/token", "sa-token\n");
	put("sa/ca.crt", "PEM");
	put("sa/namespace", " kong \n");
	snprintf(dir, sizeof(dir), "%s/sa", tmpdir);
	o.incluster_dir = dir;
	o.incluster_host = "fd00::1";
	o.incluster_port = "443";
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_server(cfg), "https://[fd00::1]:443");
	assert_string_equal(k8s_config_namespace(cfg), "kong");
	assert_string_equal(k8s_config_auth_kind(cfg), "in-cluster");
	assert_string_equal(k8s_config_source(cfg), "in-cluster service account");
	assert_non_null(strstr(cfg->token_file, "/sa/token"));
	k8s_config_free(cfg);

	o.pod_namespace = "from-env";
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_namespace(cfg), "from-env");
	k8s_config_free(cfg);

	/* a kubeconfig, when there is one, wins over in-cluster */
	o.kubeconfig_env = put("b/config", file_b);
	assert_int_equal(load(&o, &cfg, &err), 0);
	assert_string_equal(k8s_config_server(cfg), "https://b.example:6443");
	k8s_config_free(cfg);

	/* no token file: not in a cluster */
	o.kubeconfig_env = NULL;
	o.incluster_dir = tmpdir;
	assert_int_equal(load(&o, &cfg, &err), KT_E_NOTFOUND);
}

static void yaml_details(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	cJSON *j = NULL;
	const char *y =
		"base: &b {server: s, insecure-skip-tls-verify: yes}\n"
		"copy: *b\n"
		"merged:\n  <<: *b\n  server: own\n"
		"empty:\n"
		"tilde: ~\n"
		"quoted: 'null'\n"
		"num: 10\n"
		"list: [a, 'b', \"c\"]\n"
		"---\n"
		"second: document\n";

	(void)state;
	assert_int_equal(k8s_yaml_parse(y, strlen(y), "kubeconfig", "x", &j, &err), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "copy"), "server")->valuestring, "s");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "merged"), "server")->valuestring, "own");
	assert_true(k8s_yaml_true(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "merged"),
						      "insecure-skip-tls-verify")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "empty")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "tilde")));
	assert_string_equal(cJSON_GetObjectItem(j, "quoted")->valuestring, "null");
	assert_string_equal(cJSON_GetObjectItem(j, "num")->valuestring, "10");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "list")), 3);
	assert_null(cJSON_GetObjectItem(j, "second"));
	cJSON_Delete(j);

	/* JSON is YAML */
	j = NULL;
	assert_int_equal(k8s_yaml_parse("{\"a\": [1, {\"b\": true}]}", 23, "kubeconfig", "x", &j, &err), 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "a"), 1), "b")->valuestring,
			    "true");
	cJSON_Delete(j);

	/* empty input: an empty kubeconfig */
	j = NULL;
	assert_int_equal(k8s_yaml_parse("", 0, "kubeconfig", "x", &j, &err), 0);
	assert_true(cJSON_IsObject(j));
	cJSON_Delete(j);

	assert_int_equal(k8s_yaml_parse("a: *nope\n", 9, "kubeconfig", "x", &j, &err), KT_E_PARSE);
	assert_non_null(strstr(err.msg, "kubeconfig 'x' line 1: "));
}

/* Every prefix and many one-byte mutations of a real kubeconfig: an error or a tree, never a crash. */
static void yaml_never_crashes(void **state)
{
	const char *base[] = { file_a, file_b };
	static const char bytes[] = ":-[]{}&*!|>'\"%@`#,? \t\n\x01\xff";
	size_t f, i, j;

	(void)state;
	for (f = 0; f < 2; f++) {
		size_t n = strlen(base[f]);
		char *buf = malloc(n + 1);

		assert_non_null(buf);
		for (i = 0; i <= n; i++) {
			struct kt_err err = KT_ERR_INIT;
			cJSON *j0 = NULL;
			int rc = k8s_yaml_parse(base[f], i, "kubeconfig", "p", &j0, &err);

			assert_true(rc == 0 || rc == KT_E_PARSE);
			cJSON_Delete(j0);
		}
		for (i = 0; i < n; i += 3) {
			for (j = 0; j < sizeof(bytes) - 1; j++) {
				struct kt_err err = KT_ERR_INIT;
				cJSON *j1 = NULL;
				int rc;

				memcpy(buf, base[f], n + 1);
				buf[i] = bytes[j];
				rc = k8s_yaml_parse(buf, n, "kubeconfig", "m", &j1, &err);
				assert_true(rc == 0 || rc == KT_E_PARSE);
				if (rc)
					assert_non_null(strstr(err.msg, "kubeconfig 'm' line "));
				cJSON_Delete(j1);
			}
		}
		free(buf);
	}
}

static void paths(void **state)
{
	struct kt_err err = KT_ERR_INIT;
	char b[128];

	(void)state;
	assert_int_equal(k8s_path(b, sizeof(b), "", "v1", "default", "services", "echo", &err), 0);
	assert_string_equal(b, "/api/v1/namespaces/default/services/echo");
	assert_int_equal(k8s_path(b, sizeof(b), "gateway.networking.k8s.io", "v1alpha3", "kong",
				  "backendtlspolicies", NULL, &err), 0);
	assert_string_equal(b, "/apis/gateway.networking.k8s.io/v1alpha3/namespaces/kong/backendtlspolicies");
	assert_int_equal(k8s_path(b, sizeof(b), NULL, "v1", NULL, "namespaces", "x", &err), 0);
	assert_string_equal(b, "/api/v1/namespaces/x");
	assert_int_equal(k8s_path(b, sizeof(b), "", "v1", "default", "secrets", "a/b", &err), KT_E_USAGE);
	assert_int_equal(k8s_path(b, 10, "", "v1", "default", "secrets", "ab", &err), KT_E_USAGE);
}

static void base64(void **state)
{
	struct k8s_blob b = { NULL, 0 };
	char *e;

	(void)state;
	assert_int_equal(k8s_blob_from_base64("aGVsbG8gd29ybGQ=", &b), 0);
	assert_string_equal((char *)b.data, "hello world");
	k8s_blob_free(&b);
	assert_int_equal(k8s_blob_from_base64("aGVs\nbG8", &b), 0);
	assert_string_equal((char *)b.data, "hello");
	k8s_blob_free(&b);
	assert_int_equal(k8s_blob_from_base64("a", &b), KT_E_PARSE);
	assert_int_equal(k8s_blob_from_base64("ab=c", &b), KT_E_PARSE);
	e = k8s_b64_encode((const unsigned char *)"hello", 5);
	assert_string_equal(e, "aGVsbG8=");
	free(e);
	e = k8s_b64_encode((const unsigned char *)"hi!", 3);
	assert_string_equal(e, "aGkh");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(merge_first_file_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_files_in_list_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(explicit_kubeconfig_does_not_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(home_default_file, setup, teardown),
		cmocka_unit_test_setup_teardown(overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(current_context_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_yaml_names_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(cluster_tls_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(in_cluster, setup, teardown),
		cmocka_unit_test(yaml_details),
		cmocka_unit_test(yaml_never_crashes),
		cmocka_unit_test(paths),
		cmocka_unit_test(base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
