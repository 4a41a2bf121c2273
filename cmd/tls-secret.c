/*
 * tls-secret: the upstream's kubernetes.io/tls Secret (tls.crt = chain, leaf first;
 * tls.key = the leaf's key), as `kubectl create secret tls` makes it, after checking
 * that the key matches the leaf and the chain is in order (pki/tlspair).
 *
 * The key is never printed, except inside the -o yaml|json manifest, which is the
 * point of -o. Written with server-side apply after one read: 2 requests.
 * Exit codes: 0 ok, 1 key/chain mismatch, 2 usage, 3/4/8 the files, 5 API error,
 * 6 cannot reach the API server, 7 a different Secret exists (needs --force).
 */
#include "cmd/kube.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "pki/load.h"
#include "pki/tlspair.h"

enum {
	OPT_CERT = KT_OPT_FIRST,
	OPT_KEY,
	OPT_DRY_RUN,
	OPT_FORCE
};

static const struct kt_opt tls_secret_opts[] = {
	{ "cert", 0, required_argument, OPT_CERT, "FILE", "the chain the upstream serves: leaf first, then intermediates", KT_COMP_FILE, NULL },
	{ "key", 0, required_argument, OPT_KEY, "FILE", "the leaf's private key (PEM, unencrypted)", KT_COMP_FILE, NULL },
	KT_OPTS_OUTPUT("yaml,json"),
	{ "dry-run", 0, optional_argument, OPT_DRY_RUN, "MODE", "client: print the manifest; server: send with dryRun=All; none", KT_COMP_VALUES, "none,client,server" },
	{ "force", 0, no_argument, OPT_FORCE, NULL, "replace an existing Secret with different contents", KT_COMP_NONE, NULL },
	KT_OPTS_CLUSTER,
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_tls_secret(int argc, char **argv);

const struct kt_cmd kt_cmd_tls_secret = {
	.name = "tls-secret",
	.fn = cmd_tls_secret,
	.opts = tls_secret_opts,
	.usage = "tls-secret NAME --cert FILE --key FILE [-n NS] [-o yaml|json] [--dry-run=client|server] [--force]",
	.summary = "create the upstream's kubernetes.io/tls Secret after checking key and chain",
	.description =
		"The Secret the guide makes with 'kubectl create secret tls': tls.crt holds the chain the\n"
		"upstream serves (leaf first, then the intermediates) and tls.key the leaf's key. Refuses a\n"
		"key that does not match the leaf and a chain out of order, which Kong would reject at the\n"
		"handshake. The key is never printed, except in the -o yaml|json manifest.",
	.examples =
		"  kubectl kong-tls tls-secret goecho-tls --cert ./certs/chain.crt --key ./certs/leaf.key\n"
		"  kubectl kong-tls tls-secret goecho-tls --cert ./certs/chain.crt --key ./certs/leaf.key -o yaml | kubectl apply -f -\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca --tls-secret goecho-tls",
	.reads_private_keys = 1,
};

static int same_data(const cJSON *obj, const char *key, const char *value, size_t len)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data");
	const cJSON *v = data ? cJSON_GetObjectItemCaseSensitive(data, key) : NULL;
	unsigned char *dec;
	size_t dlen = 0;
	int eq;

	if (!cJSON_IsString(v) || !(dec = k8s_b64_decode(v->valuestring, &dlen)))
		return 0;
	eq = dlen == len && !memcmp(dec, value, len);
	free(dec);
	return eq;
}

int kt_tls_secret_apply(struct kt_kube *k, const char *name, const char *chain, size_t chain_len,
			const char *key, size_t key_len, int force, int check_existing, enum kt_dry_run dry_run)
{
	struct kt_err err = KT_ERR_INIT;
	cJSON *obj = NULL, *existing = NULL, *result = NULL;
	const cJSON *type;
	char path[512];
	const char *verb;
	unsigned flags = 0;
	int rc;

	if (k8s_path(path, sizeof(path), "", "v1", k->ns, "secrets", name, &err))
		return kt_fail(&err);
	rc = check_existing ? k8s_get(k->client, path, &existing, &err) : 0;
	if (rc && rc != KT_E_NOTFOUND)
		return kt_fail(&err);
	if (existing) {
		type = cJSON_GetObjectItemCaseSensitive(existing, "type");
		if (!cJSON_IsString(type) || strcmp(type->valuestring, "kubernetes.io/tls")) {
			errorf("secret '%s' exists with type '%s', not kubernetes.io/tls (the type cannot change)", name,
			       cJSON_IsString(type) ? type->valuestring : "");
			hintf("choose another name, or delete the secret first");
			rc = KT_EXIT_EXISTS;
			goto out;
		}
		if (!force && !(same_data(existing, "tls.crt", chain, chain_len) &&
				same_data(existing, "tls.key", key, key_len))) {
			errorf("secret '%s' already holds a different certificate or key", name);
			hintf("re-run with --force to replace it");
			rc = KT_EXIT_EXISTS;
			goto out;
		}
	}
	if (!(obj = k8s_tls_secret_new(name, k->ns, chain, chain_len, key, key_len, &err))) {
		rc = kt_fail(&err);
		goto out;
	}
	if (force)
		flags |= K8S_FORCE;
	if (dry_run == KT_DRY_SERVER)
		flags |= K8S_DRY_RUN;
	if (kt_apply(k, path, obj, flags, &result, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	verb = kt_apply_verb(k, existing, result);
	rc = printf("secret/%s %s%s\n", name, verb, kt_dry_suffix(dry_run)) < 0
		     ? KT_EXIT_IO : 0;
out:
	cJSON_Delete(result);
	cJSON_Delete(existing);
	cJSON_Delete(obj);
	return rc;
}

static int cmd_tls_secret(int argc, char **argv)
{
	struct kt_cluster_opts co = { 0 };
	struct kt_err err = KT_ERR_INIT;
	struct kt_kube k = { 0 };
	enum kt_output out = KT_OUT_NONE;
	enum kt_dry_run dry = KT_DRY_NONE;
	const char *arg, *name = NULL, *cert = NULL, *keyfile = NULL;
	STACK_OF(X509) *chain = NULL;
	char *chain_pem = NULL, *key_pem = NULL;
	size_t chain_len = 0, key_len = 0;
	int c, rc, force = 0, inter = 0;

	while ((c = kt_opt_next(&kt_cmd_tls_secret, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(&kt_cmd_tls_secret, stdout);
			return KT_EXIT_OK;
		case KT_OPT_ARG:
			if (name)
				return usagef(&kt_cmd_tls_secret, "unexpected argument '%s'", arg);
			name = arg;
			break;
		case OPT_CERT: cert = arg; break;
		case OPT_KEY: keyfile = arg; break;
		case OPT_FORCE: force = 1; break;
		case KT_OPT_OUTPUT:
			if (kt_parse_output(&kt_cmd_tls_secret, arg, &out))
				return KT_EXIT_USAGE;
			break;
		case OPT_DRY_RUN:
			if (kt_parse_dry_run(&kt_cmd_tls_secret, arg, &dry))
				return KT_EXIT_USAGE;
			break;
		default:
			if (kt_cluster_opt(&kt_cmd_tls_secret, c, arg, &co) == 1)
				break;
			return KT_EXIT_USAGE;
		}
	}
	if (!name)
		return usagef(&kt_cmd_tls_secret, "missing the secret name");
	if (kt_check_name(&kt_cmd_tls_secret, "secret", name))
		return KT_EXIT_USAGE;
	if (!cert || !keyfile)
		return usagef(&kt_cmd_tls_secret, "missing %s", !cert ? "--cert FILE (the chain)" : "--key FILE");

	/* read once: --cert - is standard input, which cannot be read a second time */
	if (pki_read_file(cert, &chain_pem, &chain_len, &err) ||
	    pki_load_certs_mem(chain_pem, chain_len, pki_load_display_name(cert), &chain, &err) ||
	    pki_read_file(keyfile, &key_pem, &key_len, &err) ||
	    pki_tls_pair_check(chain, pki_load_display_name(cert), key_pem, key_len, pki_load_display_name(keyfile),
			       &inter, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	if (X509_check_ca(sk_X509_value(chain, 0)) == 1)
		warnf("the first certificate in '%s' is a CA certificate; servers normally present a leaf",
		      pki_load_display_name(cert));

	if (out != KT_OUT_NONE && dry != KT_DRY_SERVER)
		dry = KT_DRY_CLIENT;
	if (dry == KT_DRY_CLIENT) {
		cJSON *obj = k8s_tls_secret_new(name, co.namespace, chain_pem, chain_len, key_pem, key_len, &err);
		rc = obj ? kt_print_object(obj, out == KT_OUT_JSON ? KT_OUT_JSON : KT_OUT_YAML) : kt_fail(&err);
		cJSON_Delete(obj);
		goto out;
	}
	if ((rc = kt_kube_open(&co, &k)))
		goto out;
	rc = kt_tls_secret_apply(&k, name, chain_pem, chain_len, key_pem, key_len, force, 1, dry);
	kt_kube_close(&k);
out:
	sk_X509_pop_free(chain, X509_free);
	free(chain_pem);
	if (key_pem)
		OPENSSL_cleanse(key_pem, key_len);
	free(key_pem);
	return rc;
}
