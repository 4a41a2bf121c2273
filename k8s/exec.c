/*
 * Exec credential plugins, as client-go's plugin/pkg/client/auth/exec runs them
 * (spec §4.4): environment = ours + exec.env + KUBERNETES_EXEC_INFO (an ExecCredential
 * with spec.interactive=false, and spec.cluster when provideClusterInfo is set);
 * its output must be an ExecCredential of the same apiVersion with a token or a
 * certificate+key pair. What the plugin prints holds secrets: it is never logged or quoted.
 */
#include "k8s/exec.h"
#include "k8s/objects.h"
#include "k8s/yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_OUTPUT (1u << 20)

void k8s_exec_cred_release(struct k8s_exec_cred *cred)
{
	if (!cred)
		return;
	if (cred->token)
		memset(cred->token, 0, strlen(cred->token));
	free(cred->token);
	cred->token = NULL;
	k8s_blob_free(&cred->cert);
	k8s_blob_free(&cred->key);
	cred->expiry = 0;
}

time_t k8s_parse_rfc3339(const char *s)
{
	struct tm tm;
	const char *p;
	long off = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		int h, m;

		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2)
			return 0;
		off = (h * 60L + m) * 60L * (*p == '-' ? -1 : 1);
	} else if (*p != 'Z' && *p != 'z') {
		return 0;
	}
	t = timegm(&tm);
	return t == (time_t)-1 ? 0 : t - off;
}

/* The ExecCredential the plugin gets in KUBERNETES_EXEC_INFO. */
static char *exec_info(const struct k8s_config *cfg, const char *api_version, const struct k8s_blob *ca)
{
	cJSON *root = cJSON_CreateObject(), *spec, *cl;
	const cJSON *ext;
	char *out = NULL;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "kind", "ExecCredential");
	cJSON_AddStringToObject(root, "apiVersion", api_version);
	spec = cJSON_AddObjectToObject(root, "spec");
	if (!spec)
		goto out;
	if (k8s_yaml_true(cJSON_GetObjectItemCaseSensitive(cfg->exec, "provideClusterInfo"))) {
		cl = cJSON_AddObjectToObject(spec, "cluster");
		if (!cl)
			goto out;
		cJSON_AddStringToObject(cl, "server", cfg->server);
		if (cfg->tls_server_name)
			cJSON_AddStringToObject(cl, "tls-server-name", cfg->tls_server_name);
		if (cfg->insecure)
			cJSON_AddTrueToObject(cl, "insecure-skip-tls-verify");
		if (ca && ca->data && ca->len) {
			char *b64 = k8s_b64_encode(ca->data, ca->len);

			if (!b64)
				goto out;
			cJSON_AddStringToObject(cl, "certificate-authority-data", b64);
			free(b64);
		}
		if (cfg->proxy_url)
			cJSON_AddStringToObject(cl, "proxy-url", cfg->proxy_url);
		if (cfg->disable_compression)
			cJSON_AddTrueToObject(cl, "disable-compression");
		/* The cluster extension named client.authentication.k8s.io/exec becomes spec.cluster.config. */
		cJSON_ArrayForEach(ext, cJSON_GetObjectItemCaseSensitive(cfg->cluster, "extensions")) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(ext, "name");

			if (cJSON_IsString(n) && !strcmp(n->valuestring, "client.authentication.k8s.io/exec"))
				cJSON_AddItemToObject(cl, "config",
						      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ext, "extension"), 1));
		}
	}
	cJSON_AddFalseToObject(spec, "interactive");
	out = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return out;
}

static void free_strv(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* Does env entry e ("NAME=value") set name? */
static int env_is(const char *e, const char *name, size_t nlen)
{
	return !strncmp(e, name, nlen) && e[nlen] == '=';
}

static char **build_env(const struct k8s_config *cfg, const char *info)
{
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(cfg->exec, "env"), *it;
	size_t n = 0, i, o = 0;
	char **v;

	for (i = 0; cfg->envp && cfg->envp[i]; i++)
		n++;
	v = calloc(n + (size_t)cJSON_GetArraySize(env) + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; cfg->envp && cfg->envp[i]; i++) {
		const char *e = cfg->envp[i];
		int overridden = env_is(e, "KUBERNETES_EXEC_INFO", 20);

		cJSON_ArrayForEach(it, env) {
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");

			if (cJSON_IsString(name) && env_is(e, name->valuestring, strlen(name->valuestring)))
				overridden = 1;
		}
		if (!overridden && !(v[o++] = strdup(e)))
			goto fail;
	}
	cJSON_ArrayForEach(it, env) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(it, "value");

		if (!cJSON_IsString(name))
			continue;
		if (asprintf(&v[o++], "%s=%s", name->valuestring,
			     cJSON_IsString(value) ? value->valuestring : "") < 0) {
			v[--o] = NULL;
			goto fail;
		}
	}
	if (asprintf(&v[o++], "KUBERNETES_EXEC_INFO=%s", info) < 0) {
		v[--o] = NULL;
		goto fail;
	}
	return v;
fail:
	free_strv(v);
	return NULL;
}

/* A command without '/' is looked up on our PATH (as Go's exec.LookPath does). */
static char *find_command(const struct k8s_config *cfg, const char *cmd)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	char *dirs, *save = NULL, *d, *found = NULL;
	size_t i;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? strdup(cmd) : NULL;
	for (i = 0; cfg->envp && cfg->envp[i]; i++)
		if (env_is(cfg->envp[i], "PATH", 4))
			path = cfg->envp[i] + 5;
	if (!(dirs = strdup(path)))
		return NULL;
	for (d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand;
		struct stat st;

		if (asprintf(&cand, "%s/%s", d[0] ? d : ".", cmd) < 0)
			break;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(dirs);
	return found;
}

static char **build_argv(const char *path, const cJSON *args)
{
	const cJSON *a;
	size_t o = 0;
	char **v = calloc((size_t)cJSON_GetArraySize(args) + 2, sizeof(*v));

	if (!v || !(v[o++] = strdup(path)))
		goto fail;
	cJSON_ArrayForEach(a, args)
		if (cJSON_IsString(a) && !(v[o++] = strdup(a->valuestring)))
			goto fail;
	return v;
fail:
	free_strv(v);
	return NULL;
}

/* Fork, exec, capture its output. Returns 0 (output and status set), or an errno (exec failed). */
static int run(const char *path, char **argv, char **envp, char **out, size_t *outlen, int *status)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, child_errno = 0, e;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		e = errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		goto fail;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(opipe[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, envp);
		e = errno;
		if (write(epipe[1], &e, sizeof(e)) < 0) {
			/* nothing more we can do in the child */
		}
		_exit(127);
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	while ((n = read(epipe[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(epipe[0]);
	epipe[0] = -1;
	for (;;) {
		if (cap - len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > MAX_OUTPUT || !(nb = realloc(buf, cap + 1)))
				break;
			buf = nb;
		}
		n = read(opipe[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(opipe[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (n > 0 && child_errno == 0)
		child_errno = EFBIG;  /* output too large */
	if (child_errno) {
		if (buf)
			memset(buf, 0, len);
		free(buf);
		return child_errno;
	}
	if (!buf && !(buf = malloc(1)))
		return ENOMEM;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	return e;
}

static int pem_copy(const cJSON *s, struct k8s_blob *b)
{
	size_t n = strlen(s->valuestring);

	if (!(b->data = malloc(n + 1)))
		return -1;
	memcpy(b->data, s->valuestring, n + 1);
	b->len = n;
	return 0;
}

static int parse_cred(const char *cmd, const char *api_version, const char *text, size_t len,
		      struct k8s_exec_cred *out, struct kt_err *err)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	const cJSON *av = cJSON_GetObjectItemCaseSensitive(j, "apiVersion");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(st, "token");
	const cJSON *crt = cJSON_GetObjectItemCaseSensitive(st, "clientCertificateData");
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(st, "clientKeyData");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(st, "expirationTimestamp");
	int has_tok = cJSON_IsString(tok) && tok->valuestring[0];
	int has_crt = cJSON_IsString(crt) && crt->valuestring[0];
	int has_key = cJSON_IsString(key) && key->valuestring[0];
	int rc = 0;

	if (!cJSON_IsObject(j))
		rc = kt_err_set(err, KT_E_API, "exec plugin '%s' did not print an ExecCredential (JSON)", cmd);
	else if (!cJSON_IsString(av) || strcmp(av->valuestring, api_version))
		rc = kt_err_set(err, KT_E_API, "exec plugin '%s' is configured to use API version %s, "
				"plugin returned version %s", cmd, api_version,
				cJSON_IsString(av) ? av->valuestring : "(none)");
	else if (!cJSON_IsObject(st))
		rc = kt_err_set(err, KT_E_API, "exec plugin '%s' didn't return a status field", cmd);
	else if (has_crt != has_key)
		rc = kt_err_set(err, KT_E_API, "exec plugin '%s' returned only certificate or key, not both", cmd);
	else if (!has_tok && !has_crt)
		rc = kt_err_set(err, KT_E_API, "exec plugin '%s' didn't return a token or cert/key pair", cmd);
	else if (cJSON_IsString(exp) && exp->valuestring[0] && !k8s_parse_rfc3339(exp->valuestring))
		rc = kt_err_set(err, KT_E_API, "exec plugin '%s' returned an invalid expirationTimestamp '%s'",
				cmd, exp->valuestring);
	if (!rc) {
		if ((has_tok && !(out->token = strdup(tok->valuestring))) ||
		    (has_crt && (pem_copy(crt, &out->cert) || pem_copy(key, &out->key))))
			rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
		if (cJSON_IsString(exp))
			out->expiry = k8s_parse_rfc3339(exp->valuestring);
	}
	if (rc)
		k8s_exec_cred_release(out);
	cJSON_Delete(j);
	return rc;
}

int k8s_exec_run(const struct k8s_config *cfg, const struct k8s_blob *ca, struct k8s_exec_cred *out,
		 struct kt_err *err)
{
	const cJSON *ex = cfg->exec;
	const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "command"));
	const char *av = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "apiVersion"));
	const char *hint = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "installHint"));
	char *info = NULL, *path = NULL, **argv = NULL, **envp = NULL, *text = NULL;
	size_t len = 0;
	int rc = 0, status = 0, e;

	if (!cmd || !av)
		return kt_err_set(err, KT_E_PARSE, "user \"%s\": exec has no command or apiVersion",
				  cfg->user_name ? cfg->user_name : "");
	if (!(path = find_command(cfg, cmd))) {
		kt_err_set(err, KT_E_NOTFOUND, "exec plugin '%s' for user \"%s\" not found", cmd,
			   cfg->user_name ? cfg->user_name : "");
		if (hint) {
			char one[400];
			size_t i;

			snprintf(one, sizeof(one), "%s", hint);
			for (i = 0; one[i]; i++)
				if (one[i] == '\n' || one[i] == '\r')
					one[i] = ' ';
			kt_err_hint(err, "%s", one);
		} else {
			kt_err_hint(err, "install it, or put it on PATH");
		}
		return err ? err->code : KT_E_NOTFOUND;
	}
	if (!(info = exec_info(cfg, av, ca)) || !(envp = build_env(cfg, info)) ||
	    !(argv = build_argv(path, cJSON_GetObjectItemCaseSensitive(ex, "args")))) {
		rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
		goto out;
	}
	k8s_logf(cfg, 6, "running exec credential plugin '%s'", cmd);
	e = run(path, argv, envp, &text, &len, &status);
	if (e) {
		rc = kt_err_set(err, KT_E_API, "cannot run exec plugin '%s': %s", cmd, strerror(e));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			rc = kt_err_set(err, KT_E_API, "exec plugin '%s' for user \"%s\" failed with exit status %d",
					cmd, cfg->user_name ? cfg->user_name : "", WEXITSTATUS(status));
		else
			rc = kt_err_set(err, KT_E_API, "exec plugin '%s' for user \"%s\" was killed by signal %d",
					cmd, cfg->user_name ? cfg->user_name : "", WTERMSIG(status));
		goto out;
	}
	rc = parse_cred(cmd, av, text, len, out, err);
out:
	if (text) {
		memset(text, 0, len);
		free(text);
	}
	free(info);
	free(path);
	free_strv(argv);
	free_strv(envp);
	return rc;
}
