/*
 * kubeconfig loading, as client-go's clientcmd does it (spec §4): pick the files,
 * merge them (first file to set a value or a name wins, entries never merged field by
 * field), resolve relative paths against the defining file, then pick the context,
 * cluster, user and namespace from the flags and the merged file. In-cluster config is
 * the fallback when no kubeconfig file exists at all.
 *
 * File contents (CA, client certificate, token files) are read by the client, except
 * base64 `*-data` fields, which are decoded here so a bad one is reported at load time.
 */
#include "k8s/config.h"
#include "k8s/internal.h"
#include "k8s/yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_INCLUSTER_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

static const char *const kinds[] = { "clusters", "users", "contexts" };
static const char *const singular[] = { "cluster", "user", "context" };

/* ---- small helpers shared with client.c (declared in internal.h) ---- */

void k8s_blob_free(struct k8s_blob *b)
{
	if (!b)
		return;
	if (b->data)
		memset(b->data, 0, b->len);  /* may be a private key */
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

int k8s_read_file(const char *path, const char *what, struct k8s_blob *out, struct kt_err *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return kt_err_set(err, KT_E_IO, "cannot read %s '%s': %s", what, path, strerror(errno));
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > 16u << 20 || !(nb = realloc(buf, cap + 1))) {
				free(buf);
				fclose(f);
				return kt_err_set(err, KT_E_IO, "cannot read %s '%s': too large", what, path);
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		return kt_err_set(err, KT_E_IO, "cannot read %s '%s': %s", what, path, strerror(e));
	}
	fclose(f);
	if (!buf && !(buf = malloc(1)))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	buf[len] = '\0';
	out->data = buf;
	out->len = len;
	return 0;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int k8s_blob_from_base64(const char *in, struct k8s_blob *out)
{
	size_t n = strlen(in), len = 0;
	unsigned char *buf = malloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0, pad = 0;

	if (!buf)
		return KT_E_INTERNAL;
	for (; *in; in++) {
		int v;

		if (*in == ' ' || *in == '\n' || *in == '\r' || *in == '\t')
			continue;
		if (*in == '=') {
			pad++;
			continue;
		}
		v = b64_value((unsigned char)*in);
		if (v < 0 || pad)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (bits >= 6 || pad > 2)
		goto bad;
	buf[len] = '\0';
	out->data = buf;
	out->len = len;
	return 0;
bad:
	free(buf);
	return KT_E_PARSE;
}

char *k8s_blob_trim(struct k8s_blob *b)
{
	char *s = (char *)b->data, *e = s + strlen(s);

	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

void k8s_logf(const struct k8s_config *cfg, int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!cfg || !cfg->log || level > cfg->verbosity)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cfg->log(cfg->log_ud, level, line);
}

/* ---- reading and merging the files ---- */

static const char *str_or_null(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Absolute form of path (not resolving symlinks, like Go's filepath.Abs). */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *out;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/* Replace obj[key] (a relative path) by dir/key. 0 or KT_E_INTERNAL. */
static int resolve_path(cJSON *obj, const char *key, const char *dir, int only_with_slash)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char *abs;
	int ok;

	if (!cJSON_IsString(v) || !v->valuestring[0] || v->valuestring[0] == '/')
		return 0;
	if (only_with_slash && !strchr(v->valuestring, '/'))
		return 0;
	if (asprintf(&abs, "%s/%s", dir, v->valuestring) < 0)
		return KT_E_INTERNAL;
	ok = cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_CreateString(abs));
	free(abs);
	return ok ? 0 : KT_E_INTERNAL;
}

static int resolve_paths(cJSON *stanza, int kind, const char *dir)
{
	int rc = 0;

	if (!cJSON_IsObject(stanza))
		return 0;
	if (kind == 0) {
		rc = resolve_path(stanza, "certificate-authority", dir, 0);
	} else if (kind == 1) {
		rc = resolve_path(stanza, "client-certificate", dir, 0);
		rc = rc ? rc : resolve_path(stanza, "client-key", dir, 0);
		rc = rc ? rc : resolve_path(stanza, "tokenFile", dir, 0);
		/* A bare command name is looked up on PATH; only paths are file-relative. */
		if (!rc && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(stanza, "exec")))
			rc = resolve_path(cJSON_GetObjectItemCaseSensitive(stanza, "exec"), "command", dir, 1);
	}
	return rc;
}

static cJSON *find_named(const cJSON *list, const char *name)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, list) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");

		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return (cJSON *)it;
	}
	return NULL;
}

/* Merge one parsed file into merged (first writer wins). */
static int merge_file(cJSON *merged, cJSON *root, const char *path, struct kt_err *err)
{
	char *abs = absolute(path), *slash;
	const char *cc;
	size_t k;
	int rc = 0;

	if (!abs)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	if (!cJSON_IsObject(root)) {
		rc = kt_err_set(err, KT_E_PARSE, "kubeconfig '%s': not a kubeconfig (expected a mapping)", path);
		goto out;
	}
	for (k = 0; k < 3; k++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, kinds[k]);
		cJSON *seen = cJSON_CreateObject();
		const cJSON *it;

		if (!seen) {
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
			goto out;
		}
		if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list)) {
			cJSON_Delete(seen);
			rc = kt_err_set(err, KT_E_PARSE, "kubeconfig '%s': '%s' is not a list", path, kinds[k]);
			goto out;
		}
		cJSON_ArrayForEach(it, list) {
			const char *name = str_or_null(it, "name");
			cJSON *entry, *stanza;

			if (!name) {
				rc = kt_err_set(err, KT_E_PARSE, "kubeconfig '%s': an entry of '%s' has no name",
						path, kinds[k]);
				break;
			}
			if (cJSON_GetObjectItemCaseSensitive(seen, name)) {
				rc = kt_err_set(err, KT_E_PARSE, "kubeconfig '%s': duplicate name \"%s\" in '%s'",
						path, name, kinds[k]);
				break;
			}
			cJSON_AddTrueToObject(seen, name);
			if (find_named(cJSON_GetObjectItemCaseSensitive(merged, kinds[k]), name))
				continue;  /* an earlier file set it: discard this one whole */
			entry = cJSON_Duplicate(it, 1);
			stanza = cJSON_GetObjectItemCaseSensitive(entry, singular[k]);
			if (!entry || resolve_paths(stanza, (int)k, abs)) {
				cJSON_Delete(entry);
				rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
				break;
			}
			cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(merged, kinds[k]), entry);
		}
		cJSON_Delete(seen);
		if (rc)
			goto out;
	}
	cc = str_or_null(root, "current-context");
	if (cc && !str_or_null(merged, "current-context"))
		cJSON_ReplaceItemInObjectCaseSensitive(merged, "current-context", cJSON_CreateString(cc));
out:
	free(abs);
	return rc;
}

/* Load path into merged. missing_ok: a file that does not exist is skipped (returns 1). */
static int load_file(cJSON *merged, const char *path, int missing_ok, struct kt_err *err)
{
	struct k8s_blob text = { NULL, 0 };
	cJSON *root = NULL;
	int rc;

	if (missing_ok && access(path, F_OK) != 0 && errno == ENOENT)
		return 1;
	if ((rc = k8s_read_file(path, "kubeconfig", &text, err)))
		return rc;
	rc = k8s_yaml_parse((const char *)text.data, text.len, "kubeconfig", path, &root, err);
	if (!rc)
		rc = merge_file(merged, root, path, err);
	cJSON_Delete(root);
	k8s_blob_free(&text);
	return rc;
}

static int append_source(char **source, const char *path)
{
	char *s;

	if (asprintf(&s, "%s%s%s", *source ? *source : "", *source ? ":" : "", path) < 0)
		return KT_E_INTERNAL;
	free(*source);
	*source = s;
	return 0;
}

static int load_files(const struct k8s_config_opts *o, struct k8s_config *cfg, struct kt_err *err)
{
	char *list = NULL, *save = NULL, *p;
	cJSON *done = NULL;
	int rc = 0, loaded = 0;

	if (o->kubeconfig_flag) {
		/* --kubeconfig: exactly this file, which must exist. */
		if ((rc = load_file(cfg->merged, o->kubeconfig_flag, 0, err)))
			return rc;
		return append_source(&cfg->source, o->kubeconfig_flag) ?
			kt_err_set(err, KT_E_INTERNAL, "out of memory") : 0;
	}
	if (o->kubeconfig_env && o->kubeconfig_env[0]) {
		if (!(list = strdup(o->kubeconfig_env)) || !(done = cJSON_CreateObject())) {
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
			goto out;
		}
		for (p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
			if (cJSON_GetObjectItemCaseSensitive(done, p))
				continue;  /* client-go de-duplicates the list */
			cJSON_AddTrueToObject(done, p);
			rc = load_file(cfg->merged, p, 1, err);
			if (rc == 1) {
				k8s_logf(cfg, 1, "kubeconfig '%s' does not exist; skipped", p);
				rc = 0;
				continue;
			}
			if (rc)
				goto out;
			loaded++;
			if (append_source(&cfg->source, p)) {
				rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
				goto out;
			}
		}
		if (!loaded)
			k8s_logf(cfg, 1, "none of the KUBECONFIG files exist: %s", o->kubeconfig_env);
		goto out;
	}
	if (o->home && o->home[0]) {
		char *def;

		if (asprintf(&def, "%s/.kube/config", o->home) < 0)
			return kt_err_set(err, KT_E_INTERNAL, "out of memory");
		rc = load_file(cfg->merged, def, 1, err);
		if (rc == 1)
			rc = 0;
		else if (!rc && append_source(&cfg->source, def))
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
		free(def);
	}
out:
	cJSON_Delete(done);
	free(list);
	return rc;
}

static int merged_is_empty(const cJSON *merged)
{
	size_t k;

	for (k = 0; k < 3; k++)
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(merged, kinds[k])) > 0)
			return 0;
	return !str_or_null(merged, "current-context");
}

/* ---- in-cluster ---- */

static int load_incluster(const struct k8s_config_opts *o, struct k8s_config *cfg, struct kt_err *err)
{
	const char *dir = o->incluster_dir ? o->incluster_dir : DEFAULT_INCLUSTER_DIR;
	struct k8s_blob ns = { NULL, 0 };
	int v6 = strchr(o->incluster_host, ':') != NULL;

	cfg->incluster = 1;
	cfg->auth_kind = "in-cluster";
	if (asprintf(&cfg->server, "https://%s%s%s:%s", v6 ? "[" : "", o->incluster_host, v6 ? "]" : "",
		     o->incluster_port) < 0 ||
	    asprintf(&cfg->token_file, "%s/token", dir) < 0 ||
	    asprintf(&cfg->ca_file, "%s/ca.crt", dir) < 0 ||
	    !(cfg->source = strdup("in-cluster service account")))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	if (o->namespace)
		cfg->namespace = strdup(o->namespace);
	else if (o->pod_namespace && o->pod_namespace[0])
		cfg->namespace = strdup(o->pod_namespace);
	else {
		char *path;

		if (asprintf(&path, "%s/namespace", dir) < 0)
			return kt_err_set(err, KT_E_INTERNAL, "out of memory");
		if (!k8s_read_file(path, "namespace file", &ns, NULL)) {
			const char *s = k8s_blob_trim(&ns);

			if (*s)
				cfg->namespace = strdup(s);
		}
		free(path);
		k8s_blob_free(&ns);
	}
	if (!cfg->namespace)
		cfg->namespace = strdup("default");
	return cfg->namespace ? 0 : kt_err_set(err, KT_E_INTERNAL, "out of memory");
}

static int incluster_possible(const struct k8s_config_opts *o)
{
	const char *dir = o->incluster_dir ? o->incluster_dir : DEFAULT_INCLUSTER_DIR;
	struct stat st;
	char *path;
	int ok;

	if (!o->incluster_host || !o->incluster_host[0] || !o->incluster_port || !o->incluster_port[0])
		return 0;
	if (asprintf(&path, "%s/token", dir) < 0)
		return 0;
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

/* ---- picking context, cluster, user ---- */

/* "a, b, c" of the names in merged[kind], for hints. */
static void name_list(const cJSON *merged, int kind, char *buf, size_t size)
{
	const cJSON *it;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(merged, kinds[kind])) {
		const char *name = str_or_null(it, "name");
		int w;

		if (!name)
			continue;
		w = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", name);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}

static int not_found(struct k8s_config *cfg, int kind, const char *name, struct kt_err *err)
{
	char names[400];

	kt_err_set(err, KT_E_NOTFOUND, "%s \"%s\" not found in kubeconfig '%s'", singular[kind], name,
		   cfg->source ? cfg->source : "");
	name_list(cfg->merged, kind, names, sizeof(names));
	if (names[0])
		return kt_err_hint(err, "%s in the kubeconfig: %s", kinds[kind], names);
	return kt_err_hint(err, "the kubeconfig defines no %s", kinds[kind]);
}

static int decode_data(const cJSON *stanza, const char *key, const char *what, const char *name,
		       struct k8s_blob *out, struct kt_err *err)
{
	const char *v = str_or_null(stanza, key);
	int rc;

	if (!v)
		return 0;
	rc = k8s_blob_from_base64(v, out);
	if (rc == KT_E_INTERNAL)
		return kt_err_set(err, rc, "out of memory");
	if (rc)
		return kt_err_set(err, KT_E_PARSE, "%s \"%s\": %s is not valid base64", what, name, key);
	return 0;
}

static int pick_cluster(struct k8s_config *cfg, const cJSON *c, struct kt_err *err)
{
	const char *name = cfg->cluster_name;
	const char *server = str_or_null(c, "server");
	int rc;

	cfg->cluster = c;
	if (!server)
		return kt_err_set(err, KT_E_PARSE, "cluster \"%s\" in kubeconfig '%s' has no server", name,
				  cfg->source);
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7)) {
		/* client-go accepts a bare host:port and assumes https. */
		if (asprintf(&cfg->server, "https://%s", server) < 0)
			cfg->server = NULL;
	} else {
		cfg->server = strdup(server);
	}
	if (!cfg->server)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	while (strlen(cfg->server) > 8 && cfg->server[strlen(cfg->server) - 1] == '/')
		cfg->server[strlen(cfg->server) - 1] = '\0';
	cfg->ca_file = xstrdup(str_or_null(c, "certificate-authority"));
	if ((rc = decode_data(c, "certificate-authority-data", "cluster", name, &cfg->ca_data, err)))
		return rc;
	cfg->insecure = k8s_yaml_true(cJSON_GetObjectItemCaseSensitive(c, "insecure-skip-tls-verify"));
	cfg->tls_server_name = xstrdup(str_or_null(c, "tls-server-name"));
	cfg->proxy_url = xstrdup(str_or_null(c, "proxy-url"));
	cfg->disable_compression = k8s_yaml_true(cJSON_GetObjectItemCaseSensitive(c, "disable-compression"));
	if (cfg->ca_file && cfg->ca_data.data)
	{
		kt_err_set(err, KT_E_PARSE, "cluster \"%s\": certificate-authority and "
			   "certificate-authority-data are both set", name);
		return kt_err_hint(err, "keep only one of them in kubeconfig '%s'", cfg->source);
	}
	if (cfg->insecure && (cfg->ca_file || cfg->ca_data.data))
	{
		kt_err_set(err, KT_E_PARSE, "cluster \"%s\": insecure-skip-tls-verify cannot be "
			   "combined with a certificate authority", name);
		return kt_err_hint(err, "remove insecure-skip-tls-verify (the CA is the safe choice)");
	}
	return 0;
}

static int pick_user(struct k8s_config *cfg, const cJSON *u, struct kt_err *err)
{
	const char *name = cfg->user_name;
	const cJSON *exec = cJSON_GetObjectItemCaseSensitive(u, "exec");
	const cJSON *ap = cJSON_GetObjectItemCaseSensitive(u, "auth-provider");
	int rc, have_cert, have_key;

	cfg->cert_file = xstrdup(str_or_null(u, "client-certificate"));
	cfg->key_file = xstrdup(str_or_null(u, "client-key"));
	if ((rc = decode_data(u, "client-certificate-data", "user", name, &cfg->cert_data, err)) ||
	    (rc = decode_data(u, "client-key-data", "user", name, &cfg->key_data, err)))
		return rc;
	cfg->token = xstrdup(str_or_null(u, "token"));
	cfg->token_file = xstrdup(str_or_null(u, "tokenFile"));
	cfg->username = xstrdup(str_or_null(u, "username"));
	cfg->password = xstrdup(str_or_null(u, "password"));
	cfg->impersonate = xstrdup(str_or_null(u, "as"));
	cfg->impersonate_groups = cJSON_GetObjectItemCaseSensitive(u, "as-groups");
	have_cert = cfg->cert_file || cfg->cert_data.data;
	have_key = cfg->key_file || cfg->key_data.data;
	if (have_cert != have_key) {
		kt_err_set(err, KT_E_PARSE, "user \"%s\": %s without %s", name,
			   have_cert ? "client-certificate" : "client-key",
			   have_cert ? "client-key" : "client-certificate");
		return kt_err_hint(err, "a client certificate needs its key (client-key or client-key-data)");
	}
	if ((cfg->token || cfg->token_file) && (cfg->username || cfg->password))
		return kt_err_set(err, KT_E_PARSE, "user \"%s\": more than one authentication method "
				  "(token and username/password)", name);
	if (cJSON_IsObject(ap) && !cJSON_IsObject(exec)) {
		kt_err_set(err, KT_E_PARSE, "user \"%s\": auth-provider \"%s\" is not supported", name,
			   str_or_null(ap, "name") ? str_or_null(ap, "name") : "?");
		return kt_err_hint(err, "use the provider's exec credential plugin instead "
				   "(e.g. gke-gcloud-auth-plugin, kubelogin)");
	}
	if (cJSON_IsObject(exec)) {
		const char *av = str_or_null(exec, "apiVersion");
		const char *im = str_or_null(exec, "interactiveMode");

		if (!str_or_null(exec, "command"))
			return kt_err_set(err, KT_E_PARSE, "user \"%s\": exec has no command", name);
		if (!av || (strcmp(av, "client.authentication.k8s.io/v1") &&
			    strcmp(av, "client.authentication.k8s.io/v1beta1")))
			return kt_err_set(err, KT_E_PARSE, "user \"%s\": exec plugin: invalid apiVersion \"%s\"",
					  name, av ? av : "");
		if (!strcmp(av, "client.authentication.k8s.io/v1") && !im)
			return kt_err_set(err, KT_E_PARSE, "user \"%s\": interactiveMode must be specified for "
					  "%s to use exec authentication plugin", name, av);
		if (im && strcmp(im, "Never") && strcmp(im, "IfAvailable") && strcmp(im, "Always"))
			return kt_err_set(err, KT_E_PARSE, "user \"%s\": exec interactiveMode \"%s\" is not "
					  "Never, IfAvailable or Always", name, im);
		if (im && !strcmp(im, "Always")) {
			kt_err_set(err, KT_E_PARSE, "user \"%s\": the exec plugin needs an interactive "
				   "terminal (interactiveMode: Always)", name);
			return kt_err_hint(err, "log in with the plugin first, or use a token");
		}
		cfg->exec = exec;
	}
	if (cfg->token || cfg->token_file)
		cfg->auth_kind = cfg->token ? "token" : "tokenFile";
	else if (have_cert)
		cfg->auth_kind = "client-certificate";
	else if (cfg->exec)
		cfg->auth_kind = "exec";
	else if (cfg->username)
		cfg->auth_kind = "basic";
	if (cfg->exec && (cfg->token || cfg->token_file))
		cfg->exec = NULL;  /* an Authorization header bypasses exec in client-go too */
	return 0;
}

static int resolve(const struct k8s_config_opts *o, struct k8s_config *cfg, struct kt_err *err)
{
	const cJSON *ctx = NULL, *cl, *us;
	const char *ctx_name = o->context ? o->context : str_or_null(cfg->merged, "current-context");
	const char *ns = NULL;
	int rc;

	if (ctx_name) {
		ctx = find_named(cJSON_GetObjectItemCaseSensitive(cfg->merged, "contexts"), ctx_name);
		if (!ctx)
			return not_found(cfg, 2, ctx_name, err);
		cfg->context_name = str_or_null(ctx, "name");
		ctx = cJSON_GetObjectItemCaseSensitive(ctx, "context");
	} else if (!o->cluster) {
		char names[400];

		kt_err_set(err, KT_E_USAGE, "kubeconfig '%s' has no current-context", cfg->source);
		name_list(cfg->merged, 2, names, sizeof(names));
		if (names[0])
			return kt_err_hint(err, "choose one with --context (%s)", names);
		return kt_err_hint(err, "the kubeconfig defines no contexts; use --cluster and --user");
	}
	cfg->cluster_name = o->cluster ? o->cluster : str_or_null(ctx, "cluster");
	if (!cfg->cluster_name)
		return kt_err_set(err, KT_E_PARSE, "context \"%s\" in kubeconfig '%s' names no cluster",
				  cfg->context_name, cfg->source);
	cl = find_named(cJSON_GetObjectItemCaseSensitive(cfg->merged, "clusters"), cfg->cluster_name);
	if (!cl)
		return not_found(cfg, 0, cfg->cluster_name, err);
	cfg->cluster_name = str_or_null(cl, "name");
	if ((rc = pick_cluster(cfg, cJSON_GetObjectItemCaseSensitive(cl, "cluster"), err)))
		return rc;
	cfg->user_name = o->user ? o->user : str_or_null(ctx, "user");
	if (cfg->user_name) {
		us = find_named(cJSON_GetObjectItemCaseSensitive(cfg->merged, "users"), cfg->user_name);
		if (!us)
			return not_found(cfg, 1, cfg->user_name, err);
		cfg->user_name = str_or_null(us, "name");
		if ((rc = pick_user(cfg, cJSON_GetObjectItemCaseSensitive(us, "user"), err)))
			return rc;
	}
	ns = o->namespace ? o->namespace : str_or_null(ctx, "namespace");
	cfg->namespace = strdup(ns ? ns : "default");
	return cfg->namespace ? 0 : kt_err_set(err, KT_E_INTERNAL, "out of memory");
}

int k8s_config_load(const struct k8s_config_opts *o, struct k8s_config **out, struct kt_err *err)
{
	struct k8s_config *cfg = calloc(1, sizeof(*cfg));
	int rc = 0;

	if (!cfg)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	cfg->auth_kind = "none";
	cfg->timeout_ms = o->timeout_ms;
	cfg->envp = o->envp;
	cfg->log = o->log;
	cfg->log_ud = o->log_ud;
	cfg->verbosity = o->verbosity;
	cfg->merged = cJSON_CreateObject();
	if (!cfg->merged || !cJSON_AddArrayToObject(cfg->merged, "clusters") ||
	    !cJSON_AddArrayToObject(cfg->merged, "users") ||
	    !cJSON_AddArrayToObject(cfg->merged, "contexts") ||
	    !cJSON_AddNullToObject(cfg->merged, "current-context")) {
		rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
		goto out;
	}
	if ((rc = load_files(o, cfg, err)))
		goto out;
	if (o->names_only)
		goto out;
	if (merged_is_empty(cfg->merged) && !o->kubeconfig_flag) {
		if (incluster_possible(o)) {
			rc = load_incluster(o, cfg, err);
			goto out;
		}
		if (o->kubeconfig_env && o->kubeconfig_env[0])
			kt_err_set(err, KT_E_NOTFOUND, "no kubeconfig found: none of the KUBECONFIG files "
				   "exist or define a cluster ('%s')", o->kubeconfig_env);
		else
			kt_err_set(err, KT_E_NOTFOUND, "no kubeconfig found: '%s/.kube/config' does not exist "
				   "and KUBECONFIG is not set", o->home ? o->home : "~");
		rc = kt_err_hint(err, "point KUBECONFIG or --kubeconfig at your cluster's kubeconfig");
		goto out;
	}
	rc = resolve(o, cfg, err);
out:
	if (rc) {
		k8s_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void k8s_config_free(struct k8s_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	cJSON_Delete(cfg->merged);
	free(cfg->namespace);
	free(cfg->server);
	free(cfg->ca_file);
	k8s_blob_free(&cfg->ca_data);
	free(cfg->tls_server_name);
	free(cfg->proxy_url);
	free(cfg->cert_file);
	free(cfg->key_file);
	k8s_blob_free(&cfg->cert_data);
	k8s_blob_free(&cfg->key_data);
	if (cfg->token)
		memset(cfg->token, 0, strlen(cfg->token));
	free(cfg->token);
	free(cfg->token_file);
	free(cfg->username);
	if (cfg->password)
		memset(cfg->password, 0, strlen(cfg->password));
	free(cfg->password);
	free(cfg->impersonate);
	free(cfg);
}

const char *k8s_config_namespace(const struct k8s_config *cfg) { return cfg ? cfg->namespace : NULL; }
const char *k8s_config_server(const struct k8s_config *cfg) { return cfg ? cfg->server : NULL; }
const char *k8s_config_context_name(const struct k8s_config *cfg) { return cfg ? cfg->context_name : NULL; }
const char *k8s_config_cluster_name(const struct k8s_config *cfg) { return cfg ? cfg->cluster_name : NULL; }
const char *k8s_config_user_name(const struct k8s_config *cfg) { return cfg ? cfg->user_name : NULL; }
const char *k8s_config_source(const struct k8s_config *cfg) { return cfg ? cfg->source : NULL; }
int k8s_config_insecure(const struct k8s_config *cfg) { return cfg ? cfg->insecure : 0; }
const char *k8s_config_auth_kind(const struct k8s_config *cfg) { return cfg ? cfg->auth_kind : "none"; }

const char *k8s_config_get0_name(const struct k8s_config *cfg, enum k8s_config_kind kind, int i)
{
	static const int map[] = { 2, 0, 1 };  /* enum order -> kinds[] order */
	const cJSON *it;

	if (!cfg || (int)kind < 0 || (int)kind > 2 || i < 0)
		return NULL;
	it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cfg->merged, kinds[map[kind]]), i);
	return it ? str_or_null(it, "name") : NULL;
}
