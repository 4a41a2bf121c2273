/*
 * ca-secret (and ca-configmap, which shares this body): publish one CA certificate as
 * the labelled Secret/ConfigMap Kong Ingress Controller turns into a Kong
 * ca_certificates entity (spec §1).
 *
 * The certificate is judged first by the one CA-object engine (pki/caobj): a bundle,
 * a non-CA or an expired certificate is refused with KIC's and Kong's words. Then:
 *   -o yaml|json, --dry-run=client   print the manifest; no cluster, nothing written
 *   otherwise                        list the labelled CA Secrets and ConfigMaps of the
 *                                    namespace (2 requests), keep the existing id for the
 *                                    same certificate, refuse a different certificate
 *                                    under the name (--force: replace it, new id) and a
 *                                    second object holding the same certificate or id,
 *                                    then one server-side apply: 3 requests in all.
 * Exit codes: 0 ok, 1 the certificate cannot be a CA object, 2 usage, 3/4/8 the file,
 * 5 API error, 6 cannot reach the API server, 7 exists (needs --force or another name).
 */
#include "cmd/kube.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "pki/caobj.h"
#include "pki/load.h"

static const struct kt_opt ca_secret_opts[] = { KT_OPTS_CA_OBJECT };

static int cmd_ca_secret(int argc, char **argv);

const struct kt_cmd kt_cmd_ca_secret = {
	.name = "ca-secret",
	.fn = cmd_ca_secret,
	.opts = ca_secret_opts,
	.usage = "ca-secret NAME --cert FILE [--id UUID] [--ingress-class CLASS] [-n NS] [-o yaml|json] [--dry-run=client|server] [--force]",
	.summary = "publish a CA certificate as the labelled Secret Kong Ingress Controller reads",
	.description =
		"Writes the Secret the guide builds with 'kubectl create secret generic', 'kubectl label' and\n"
		"'kubectl annotate': type Opaque, data.ca.crt (the PEM), data.id (a lowercase UUIDv4), label\n"
		"konghq.com/ca-cert=true, annotation kubernetes.io/ingress.class=kong. Re-running for the same\n"
		"certificate changes nothing and keeps its id. Only one certificate per object: to trust\n"
		"several CAs, create one object each and attach them all. Applied with server-side apply\n"
		"(field manager kubectl-kong-tls); -o yaml|json prints the manifest and writes nothing.",
	.examples =
		"  kubectl kong-tls ca-secret root-ca --cert ./certs/root.crt\n"
		"  kubectl kong-tls ca-secret root-ca --cert ./certs/root.crt --id bf6e0f14-78cd-45ad-9325-87ec7ef7b892\n"
		"  kubectl kong-tls ca-secret root-ca --cert ./certs/root.crt -o yaml | kubectl apply -f -\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca --depth 1",
	.args = KT_COMP_NONE,
};

int kt_load_ca_cert(const char *path, char **pem, size_t *pem_len, char digest[65])
{
	struct kt_err err = KT_ERR_INIT;
	struct pki_caobj c;
	char *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	BUF_MEM *mem;
	int rc;

	*pem = NULL;
	if (pki_read_file(path, &data, &len, &err))
		return kt_fail(&err);
	if (pki_caobj_check(data, len, 0, &c, &err)) {
		free(data);
		return kt_fail(&err);
	}
	free(data);
	if (!c.accepted) {
		char kic[300] = "", kong[300] = "";
		if (c.kic_msg[0])
			snprintf(kic, sizeof(kic), "KIC: \"invalid secret CA certificate: %s\"", c.kic_msg);
		if (c.kong_msg[0])
			snprintf(kong, sizeof(kong), "%sKong: \"%s\"", kic[0] ? "; " : "", c.kong_msg);
		errorf("'%s' cannot be a Kong CA object: %s%s", pki_load_display_name(path), kic, kong);
		if (c.hint[0])
			hintf("%s", c.hint);
		pki_caobj_release(&c);
		return KT_EXIT_REJECT;
	}
	if (c.not_yet_valid)
		warnf("'%s' is not valid yet: Kong accepts it, but handshakes fail (error 9) until its Not Before",
		      pki_load_display_name(path));
	memcpy(digest, c.digest, 65);
	/* write pure PEM: no "Bag Attributes" or comments (spec §1.6 plugin rule) */
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_X509(bio, c.cert)) {
		kt_err_openssl(&err, KT_E_INTERNAL, "cannot encode the certificate");
		rc = kt_fail(&err);
		goto out;
	}
	BIO_get_mem_ptr(bio, &mem);
	*pem = strndup(mem->data, mem->length);
	*pem_len = mem->length;
	rc = *pem ? 0 : KT_EXIT_INTERNAL;
	if (rc)
		errorf("out of memory");
out:
	BIO_free(bio);
	pki_caobj_release(&c);
	return rc;
}

/* One labelled object found in the namespace. */
struct found {
	const cJSON *obj;
	enum k8s_ca_kind kind;
};

static int list_ca_objects(struct kt_kube *k, enum k8s_ca_kind kind, cJSON **items)
{
	struct kt_err err = KT_ERR_INIT;
	char path[512];

	if (k8s_path(path, sizeof(path), "", "v1", k->ns, k8s_ca_kind_resource(kind), NULL, &err) ||
	    k8s_list(k->client, path, K8S_LABEL_CA_CERT "=true", items, &err))
		return kt_fail(&err);
	return 0;
}

/* The digest and id an existing CA object holds ("" when it holds no valid certificate). */
static void object_digest(const cJSON *obj, enum k8s_ca_kind kind, char digest[65], char **id)
{
	struct pki_caobj c;
	char *pem = NULL;
	size_t len = 0;

	digest[0] = '\0';
	k8s_ca_object_data(obj, kind, &pem, &len, id, NULL);
	if (pem && !pki_caobj_check(pem, len, 0, &c, NULL)) {
		if (c.cert)
			memcpy(digest, c.digest, 65);
		pki_caobj_release(&c);
	}
	free(pem);
}

int kt_ca_object_apply(struct kt_kube *k, const struct kt_ca_apply *a)
{
	struct kt_err err = KT_ERR_INIT;
	cJSON *lists[2] = { NULL, NULL }, *obj = NULL, *result = NULL;
	const cJSON *existing = NULL, *item;
	char *existing_id = NULL, idbuf[K8S_UUID_LEN + 1], path[512], digest[65];
	const char *id = a->id, *kindl = k8s_ca_kind_lower(a->kind), *verb;
	struct k8s_ca_object_opts o;
	unsigned flags = 0;
	int rc, i;

	if ((rc = list_ca_objects(k, a->kind, &lists[0])) ||
	    (rc = list_ca_objects(k, a->kind == K8S_CA_SECRET ? K8S_CA_CONFIGMAP : K8S_CA_SECRET, &lists[1])))
		goto out;
	cJSON_ArrayForEach(item, lists[0]) {
		const char *n = k8s_meta_name(item);
		if (n && !strcmp(n, a->name))
			existing = item;
	}
	if (existing) {
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(existing, "data");
		/* KIC reads "cert" before "ca.crt": a leftover "cert" would shadow what we write */
		if (data && cJSON_GetObjectItemCaseSensitive(data, "cert")) {
			errorf("%s '%s' has a 'cert' key, which KIC reads before 'ca.crt'", kindl, a->name);
			hintf("remove it first: kubectl patch %s %s -n %s --type json -p '[{\"op\":\"remove\",\"path\":\"/data/cert\"}]'",
			      kindl, a->name, k->ns);
			rc = KT_EXIT_EXISTS;
			goto out;
		}
		object_digest(existing, a->kind, digest, &existing_id);
		if (!strcmp(digest, a->digest)) {
			/* the same certificate: keep its id, so Kong keeps the same entity */
			if (!id && existing_id && (k8s_uuid_check(existing_id) & K8S_UUID_VALID))
				id = existing_id;
		} else if (!a->force) {
			errorf("%s '%s' already holds a different certificate", kindl, a->name);
			hintf("re-run with --force to replace it (it gets a new id: Kong caches CA certificates by id), "
			      "or choose another name");
			rc = KT_EXIT_EXISTS;
			goto out;
		} else if (id && existing_id && !strcasecmp(id, existing_id)) {
			errorf("--id %s is the id of the certificate being replaced: Kong caches CA certificates by id",
			       id);
			hintf("omit --id to get a new one");
			rc = KT_EXIT_USAGE;
			goto out;
		}
	}
	if (!id) {
		if (k8s_uuid4_new(idbuf, &err)) {
			rc = kt_fail(&err);
			goto out;
		}
		id = idbuf;
	}
	/* every labelled object becomes a Kong entity: ids and certificates must be unique */
	for (i = 0; i < 2; i++) {
		enum k8s_ca_kind kind = i ? (a->kind == K8S_CA_SECRET ? K8S_CA_CONFIGMAP : K8S_CA_SECRET) : a->kind;
		cJSON_ArrayForEach(item, lists[i]) {
			char d[65], *other_id = NULL;
			const char *n = k8s_meta_name(item);
			if (item == existing || !n)
				continue;
			object_digest(item, kind, d, &other_id);
			if (other_id && !strcasecmp(other_id, id)) {
				errorf("%s '%s' already uses id %s: KIC drops one of two CA objects with the same id",
				       k8s_ca_kind_lower(kind), n, id);
				hintf("pass another --id, or omit it to get a new one");
				free(other_id);
				rc = KT_EXIT_EXISTS;
				goto out;
			}
			free(other_id);
			if (!strcmp(d, a->digest)) {
				if (!a->force) {
					errorf("%s '%s' already holds this certificate: Kong rejects two CA objects "
					       "with the same certificate", k8s_ca_kind_lower(kind), n);
					hintf("attach '%s' instead (kubectl kong-tls attach svc/NAME --ca %s%s), or delete it",
					      n, n, kind == K8S_CA_CONFIGMAP ? " --ca-kind configmap" : "");
					rc = KT_EXIT_EXISTS;
					goto out;
				}
				warnf("%s '%s' holds the same certificate: Kong rejects duplicates; delete one of them",
				      k8s_ca_kind_lower(kind), n);
			}
		}
	}
	o = (struct k8s_ca_object_opts){ a->kind, a->name, k->ns, id, a->pem, a->pem_len, a->ingress_class };
	if (!(obj = k8s_ca_object_new(&o, &err)) ||
	    k8s_path(path, sizeof(path), "", "v1", k->ns, k8s_ca_kind_resource(a->kind), a->name, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	if (a->force)
		flags |= K8S_FORCE;
	if (a->dry_run == KT_DRY_SERVER)
		flags |= K8S_DRY_RUN;
	if (kt_apply(k, path, obj, flags, &result, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	verb = kt_apply_verb(k, existing, result);
	if (a->out != KT_OUT_NONE && result)
		rc = kt_print_object(result, a->out);
	else
		rc = printf("%s/%s %s%s\n", kindl, a->name, verb,
			    kt_dry_suffix(a->dry_run)) < 0 ? KT_EXIT_IO : 0;
out:
	free(existing_id);
	cJSON_Delete(result);
	cJSON_Delete(obj);
	cJSON_Delete(lists[0]);
	cJSON_Delete(lists[1]);
	return rc;
}

int kt_ca_object_main(const struct kt_cmd *cmd, enum k8s_ca_kind kind, int argc, char **argv)
{
	struct kt_cluster_opts co = { 0 };
	struct kt_ca_apply a = { 0 };
	struct kt_kube k = { 0 };
	enum kt_output out = KT_OUT_NONE;
	const char *arg, *cert = NULL;
	char *pem = NULL, digest[65];
	int c, rc;

	a.kind = kind;
	while ((c = kt_opt_next(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(cmd, stdout);
			return KT_EXIT_OK;
		case KT_OPT_ARG:
			if (a.name)
				return usagef(cmd, "unexpected argument '%s'", arg);
			a.name = arg;
			break;
		case KT_OPT_CA_CERT: cert = arg; break;
		case KT_OPT_CA_ID: a.id = arg; break;
		case KT_OPT_CA_INGRESS_CLASS: a.ingress_class = arg; break;
		case KT_OPT_CA_FORCE: a.force = 1; break;
		case KT_OPT_OUTPUT:
			if (kt_parse_output(cmd, arg, &out))
				return KT_EXIT_USAGE;
			break;
		case KT_OPT_CA_DRY_RUN:
			if (kt_parse_dry_run(cmd, arg, &a.dry_run))
				return KT_EXIT_USAGE;
			break;
		default:
			rc = kt_cluster_opt(cmd, c, arg, &co);
			if (rc == 1)
				break;
			return KT_EXIT_USAGE;
		}
	}
	if (!a.name)
		return usagef(cmd, "missing the %s name", k8s_ca_kind_lower(kind));
	if (kt_check_name(cmd, k8s_ca_kind_lower(kind), a.name))
		return KT_EXIT_USAGE;
	if (!cert)
		return usagef(cmd, "missing --cert FILE (the CA certificate)");
	if (a.id) {
		unsigned u = k8s_uuid_check(a.id);
		if (!(u & K8S_UUID_VALID))
			return usagef(cmd, "invalid --id '%s': Kong expects a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", a.id);
		/* Kong matches case-insensitively: keep what the user chose, but say it is unusual */
		if (!(u & K8S_UUID_LOWER_V4))
			warnf("--id '%s' is not a lowercase random (version 4) UUID; Kong accepts it, but make sure "
			      "no other CA object uses it", a.id);
	}
	if (a.ingress_class && kt_check_name(cmd, "ingress class", a.ingress_class))
		return KT_EXIT_USAGE;
	if ((rc = kt_load_ca_cert(cert, &pem, &a.pem_len, digest)))
		return rc;
	a.pem = pem;
	a.digest = digest;

	a.out = out;
	if (out != KT_OUT_NONE && a.dry_run != KT_DRY_SERVER)
		a.dry_run = KT_DRY_CLIENT;
	if (a.dry_run == KT_DRY_CLIENT) {
		/* offline: the manifest only; the namespace only when given, as kubectl create does */
		struct kt_err err = KT_ERR_INIT;
		char idbuf[K8S_UUID_LEN + 1];
		struct k8s_ca_object_opts o = { kind, a.name, co.namespace, a.id, pem, a.pem_len, a.ingress_class };
		cJSON *obj;

		if (!o.id) {
			if (k8s_uuid4_new(idbuf, &err)) {
				free(pem);
				return kt_fail(&err);
			}
			o.id = idbuf;
		}
		obj = k8s_ca_object_new(&o, &err);
		rc = obj ? kt_print_object(obj, out == KT_OUT_JSON ? KT_OUT_JSON : KT_OUT_YAML) : kt_fail(&err);
		cJSON_Delete(obj);
		free(pem);
		return rc;
	}
	if ((rc = kt_kube_open(&co, &k))) {
		free(pem);
		return rc;
	}
	rc = kt_ca_object_apply(&k, &a);
	kt_kube_close(&k);
	free(pem);
	return rc;
}

static int cmd_ca_secret(int argc, char **argv)
{
	return kt_ca_object_main(&kt_cmd_ca_secret, K8S_CA_SECRET, argc, argv);
}
