/*
 * attach: make Kong verify an upstream Service's certificate against CA objects.
 *
 * Annotation mode (default, the Ingress path, spec §2): one merge PATCH of the Service
 * carrying its resourceVersion, setting konghq.com/protocol (https, or tls), tls-verify,
 * tls-verify-depth when known, and the CA names merged into ca-certificates-secrets or
 * -configmaps; every other annotation and label is left alone. On 409 Conflict the
 * Service is read again and the change recomputed (bounded). Requests: read the Service,
 * list the labelled CA objects, one write: 3.
 *
 * Policy mode (--policy, the Gateway API path, spec §3): a BackendTLSPolicy in the version
 * KIC reads (v1alpha3) written with server-side apply, after discovery says it is served
 * and no other policy targets the Service (KIC would mark both Conflicted).
 *
 * Before writing, everything Kong or KIC would reject is refused with the reason: a CA
 * object missing, unlabelled, without a valid id, or holding a bundle, a non-CA or an
 * expired certificate; a depth outside 0..64; a protocol other than https/tls.
 * Exit codes: 0 ok, 1 refused (reason printed), 2 usage, 5 API error, 6 cannot reach the
 * API server, 7 another policy targets the Service, 8 Service or CA object not found,
 * 9 the Service kept changing.
 */
#include "cmd/kube.h"

#include <stdlib.h>
#include <string.h>

#include "pki/caobj.h"
#include "pki/load.h"
#include "pki/tlspair.h"
#include "pki/verify.h"

enum {
	OPT_CA = KT_OPT_FIRST,
	OPT_CA_KIND,
	OPT_DEPTH,
	OPT_CHAIN,
	OPT_TLS_SECRET,
	OPT_POLICY,
	OPT_POLICY_NAME,
	OPT_POLICY_VERSION,
	OPT_HOSTNAME,
	OPT_PROTOCOL,
	OPT_FORCE,
	OPT_DRY_RUN
};

static const struct kt_opt attach_opts[] = {
	{ "ca", 0, required_argument, OPT_CA, "NAME[,NAME...]", "CA Secret(s)/ConfigMap(s) to trust, in the Service's namespace (repeatable)", KT_COMP_CA, NULL },
	{ "ca-kind", 0, required_argument, OPT_CA_KIND, "KIND", "secret (default) or configmap", KT_COMP_VALUES, "secret,configmap" },
	{ "depth", 0, required_argument, OPT_DEPTH, "N", "tls-verify-depth: intermediates allowed between leaf and CA (0..64)", KT_COMP_NONE, NULL },
	{ "chain", 0, required_argument, OPT_CHAIN, "FILE", "the chain the upstream serves: derive the depth from it", KT_COMP_FILE, NULL },
	{ "tls-secret", 0, required_argument, OPT_TLS_SECRET, "NAME", "the upstream's kubernetes.io/tls Secret: derive the depth from it", KT_COMP_NONE, NULL },
	{ "policy", 0, no_argument, OPT_POLICY, NULL, "write a BackendTLSPolicy (Gateway API) instead of annotations", KT_COMP_NONE, NULL },
	{ "policy-name", 0, required_argument, OPT_POLICY_NAME, "NAME", "BackendTLSPolicy name (default: the Service's)", KT_COMP_NONE, NULL },
	{ "policy-version", 0, required_argument, OPT_POLICY_VERSION, "V", "BackendTLSPolicy version (default v1alpha3, the only one KIC reads)", KT_COMP_VALUES, "v1alpha3,v1,v1alpha2" },
	{ "hostname", 0, required_argument, OPT_HOSTNAME, "HOST", "name Kong verifies (policy: validation.hostname; annotations: konghq.com/host-header)", KT_COMP_NONE, NULL },
	{ "protocol", 0, required_argument, OPT_PROTOCOL, "P", "https (default) or tls (TCP/TLS stream)", KT_COMP_VALUES, "https,tls" },
	{ "force", 0, no_argument, OPT_FORCE, NULL, "replace an existing non-TLS konghq.com/protocol; allow a depth below the chain's", KT_COMP_NONE, NULL },
	{ "dry-run", 0, optional_argument, OPT_DRY_RUN, "MODE", "client: show the change, write nothing; server: send with dryRun=All", KT_COMP_VALUES, "none,client,server" },
	KT_OPTS_OUTPUT("yaml,json"),
	KT_OPTS_CLUSTER,
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_attach(int argc, char **argv);

const struct kt_cmd kt_cmd_attach = {
	.name = "attach",
	.fn = cmd_attach,
	.opts = attach_opts,
	.usage = "attach svc/NAME --ca NAME[,NAME...] [--ca-kind secret|configmap] [--depth N | --chain FILE | --tls-secret NAME] "
		 "[--policy [--policy-name N] [--policy-version V]] [--hostname H] [--protocol https|tls] [--force] "
		 "[--dry-run=client|server] [-o yaml|json]",
	.summary = "annotate a Service (or write a BackendTLSPolicy) so Kong verifies it",
	.description =
		"Annotation mode does what the guide's 'kubectl annotate service echo ...' commands do, in one\n"
		"checked write: konghq.com/protocol=https, konghq.com/tls-verify=true,\n"
		"konghq.com/tls-verify-depth=N, and the CA names merged into konghq.com/ca-certificates-secrets\n"
		"(or -configmaps). Other annotations are kept. Without a depth Kong sets no limit (OpenSSL's\n"
		"default of 100); give --depth, or --chain/--tls-secret to count the intermediates.\n"
		"--policy writes the guide's BackendTLSPolicy (gateway.networking.k8s.io/v1alpha3) instead;\n"
		"it needs --hostname, KIC's GatewayAlpha feature gate and an HTTPRoute to the Service.\n"
		"-o yaml|json prints the resulting object and writes nothing (unless --dry-run=server).",
	.examples =
		"  kubectl kong-tls attach svc/echo --ca root-ca --depth 1\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca --ca-kind configmap --chain ./certs/chain.crt\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca --tls-secret goecho-tls\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca --policy --policy-name goecho-tls-policy --hostname kong.example --depth 1\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca,other-ca --dry-run=client",
	.args = KT_COMP_SERVICE,
};

struct attach {
	const char *service;
	const char **names;
	size_t n_names;
	enum k8s_ca_kind kind;
	int depth;              /* -1: unknown */
	const char *chain;
	const char *tls_secret;
	int policy;
	const char *policy_name;
	const char *policy_version;
	const char *hostname;
	const char *protocol;
	int force;
	enum kt_dry_run dry_run;
	enum kt_output out;
};

static int add_names(struct attach *a, char *list)
{
	char *save = NULL, *tok;
	const char **v;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		if (kt_check_name(&kt_cmd_attach, "CA object", tok))
			return -1;
		for (i = 0; i < a->n_names; i++)
			if (!strcmp(a->names[i], tok))
				break;
		if (i < a->n_names)
			continue;
		v = realloc(a->names, (a->n_names + 1) * sizeof(*v));
		if (!v)
			return -1;
		a->names = v;
		a->names[a->n_names++] = tok;
	}
	return 0;
}

/* Count the intermediates of the chain in --chain, or in the data of --tls-secret. */
static int derive_depth(struct kt_kube *k, const struct attach *a, int *depth)
{
	struct kt_err err = KT_ERR_INIT;
	STACK_OF(X509) *chain = NULL;
	cJSON *secret = NULL;
	char path[512], what[300];
	const cJSON *data, *crt;
	unsigned char *pem = NULL;
	size_t len = 0;
	int rc = 0;

	if (a->chain) {
		if (pki_load_certs_file(a->chain, &chain, &err))
			return kt_fail(&err);
	} else {
		if (k8s_path(path, sizeof(path), "", "v1", k->ns, "secrets", a->tls_secret, &err) ||
		    k8s_get(k->client, path, &secret, &err))
			return kt_fail(&err);
		data = cJSON_GetObjectItemCaseSensitive(secret, "data");
		crt = data ? cJSON_GetObjectItemCaseSensitive(data, "tls.crt") : NULL;
		snprintf(what, sizeof(what), "secret %s/%s key tls.crt", k->ns, a->tls_secret);
		if (!cJSON_IsString(crt) || !(pem = k8s_b64_decode(crt->valuestring, &len))) {
			errorf("secret '%s' has no tls.crt: it is not the upstream's TLS Secret", a->tls_secret);
			rc = KT_EXIT_NOTFOUND;
			goto out;
		}
		if (pki_load_certs_mem(pem, len, what, &chain, &err)) {
			rc = kt_fail(&err);
			goto out;
		}
	}
	*depth = pki_chain_intermediates(chain);
out:
	sk_X509_pop_free(chain, X509_free);
	free(pem);
	cJSON_Delete(secret);
	return rc;
}

/*
 * Read the CA objects with one list of the labelled ones; a name missing from it is read
 * on its own, only to say whether it is missing or merely unlabelled. Each object is
 * judged as KIC and Kong would. Returns 0 or an exit code (printed).
 */
static int check_ca_objects(struct kt_kube *k, const struct attach *a)
{
	struct kt_err err = KT_ERR_INIT;
	const char *kindl = k8s_ca_kind_lower(a->kind), *res = k8s_ca_kind_resource(a->kind);
	cJSON *items = NULL, *one = NULL;
	char path[512];
	size_t i;
	int rc = 0;

	if (k8s_path(path, sizeof(path), "", "v1", k->ns, res, NULL, &err) ||
	    k8s_list(k->client, path, K8S_LABEL_CA_CERT "=true", &items, &err))
		return kt_fail(&err);
	for (i = 0; i < a->n_names && !rc; i++) {
		const cJSON *obj = NULL, *it;
		struct pki_caobj c;
		char *pem = NULL, *id = NULL;
		size_t len = 0;

		cJSON_ArrayForEach(it, items)
			if (k8s_meta_name(it) && !strcmp(k8s_meta_name(it), a->names[i]))
				obj = it;
		if (!obj) {
			if (k8s_path(path, sizeof(path), "", "v1", k->ns, res, a->names[i], &err)) {
				rc = kt_fail(&err);
				break;
			}
			rc = k8s_get(k->client, path, &one, &err);
			if (rc == KT_E_NOTFOUND) {
				errorf("%s '%s' not found in namespace '%s': KIC looks CA objects up in the Service's namespace",
				       kindl, a->names[i], k->ns);
				hintf("create it with 'kubectl kong-tls ca-%s %s --cert FILE -n %s'", kindl, a->names[i], k->ns);
				rc = KT_EXIT_NOTFOUND;
			} else if (rc) {
				rc = kt_fail(&err);
			} else {
				errorf("%s '%s' has no label %s=true: KIC does not turn it into a Kong CA certificate",
				       kindl, a->names[i], K8S_LABEL_CA_CERT);
				hintf("kubectl label %s %s %s=true -n %s", kindl, a->names[i], K8S_LABEL_CA_CERT, k->ns);
				rc = KT_EXIT_REJECT;
			}
			break;
		}
		k8s_ca_object_data(obj, a->kind, &pem, &len, &id, NULL);
		if (!id || !(k8s_uuid_check(id) & K8S_UUID_VALID)) {
			errorf("%s '%s' has %s data.id: Kong needs a UUID (\"expected a valid UUID\")", kindl, a->names[i],
			       id ? "an invalid" : "no");
			hintf("re-create it with 'kubectl kong-tls ca-%s %s --cert FILE --force'", kindl, a->names[i]);
			rc = KT_EXIT_REJECT;
		} else if (!pem) {
			errorf("%s '%s' has neither a 'cert' nor a 'ca.crt' key", kindl, a->names[i]);
			rc = KT_EXIT_REJECT;
		} else if (pki_caobj_check(pem, len, 0, &c, &err)) {
			rc = kt_fail(&err);
		} else {
			if (!c.accepted) {
				errorf("%s '%s' cannot be a Kong CA certificate: %s%s%s", kindl, a->names[i],
				       c.kic_msg[0] ? c.kic_msg : c.kong_msg, c.kic_msg[0] && c.kong_msg[0] ? "; Kong: " : "",
				       c.kic_msg[0] && c.kong_msg[0] ? c.kong_msg : "");
				if (c.hint[0])
					hintf("%s", c.hint);
				rc = KT_EXIT_REJECT;
			} else if (c.not_yet_valid) {
				warnf("%s '%s' is not valid yet: handshakes fail (error 9) until its Not Before", kindl,
				      a->names[i]);
			}
			pki_caobj_release(&c);
		}
		free(pem);
		free(id);
	}
	cJSON_Delete(one);
	cJSON_Delete(items);
	return rc;
}

/* Which name Kong verifies (spec §2.1): with KIC's default preserve_host, the client's Host. */
static void hostname_note(const cJSON *svc, const struct attach *a)
{
	if (a->hostname)
		printf("  note: Kong verifies '%s' only where the Ingress/HTTPRoute sets konghq.com/preserve-host: \"false\"; "
		       "otherwise it verifies the client's Host\n", a->hostname);
	else if (!k8s_annotation(svc, K8S_ANNO_HOST_HEADER))
		printf("  note: Kong verifies the Host the client sends (KIC preserves it): it must match a SAN of the "
		       "upstream certificate; --hostname pins it\n");
}

static void depth_note(int depth)
{
	if (depth < 0)
		printf("  note: no %s: Kong sets no depth limit (OpenSSL's default of 100), so a chain of any length "
		       "passes; pass --depth N, --chain FILE or --tls-secret NAME to set it\n", K8S_ANNO_TLS_DEPTH);
}

/* Annotation mode: read, plan, one PATCH with the resourceVersion; on 409 read again. */
static int attach_annotations(struct kt_kube *k, const struct attach *a, cJSON *svc)
{
	struct k8s_attach_opts o = { a->kind, a->names, a->n_names, a->protocol, a->depth, a->hostname, a->force };
	struct kt_err err = KT_ERR_INIT;
	struct k8s_anno_plan plan = { 0 };
	cJSON *patch = NULL, *result = NULL;
	char path[512], what[300];
	int attempt, rc = 0;

	snprintf(what, sizeof(what), "service/%s", a->service);
	if (k8s_path(path, sizeof(path), "", "v1", k->ns, "services", a->service, &err))
		return kt_fail(&err);
	for (attempt = 1;; attempt++) {
		if (k8s_attach_plan(svc, &o, &plan, &err)) {
			rc = kt_fail(&err);
			break;
		}
		if (a->out != KT_OUT_NONE && a->dry_run != KT_DRY_SERVER) {
			cJSON *after = k8s_anno_apply_copy(svc, &plan);
			rc = after ? kt_print_object(after, a->out) : KT_EXIT_INTERNAL;
			cJSON_Delete(after);
			break;
		}
		if (!plan.n || a->dry_run == KT_DRY_CLIENT) {
			/* nothing to change is not sent, so a server dry run is not named */
			kt_print_anno_plan(what, &plan, a->dry_run == KT_DRY_CLIENT ? KT_DRY_CLIENT : KT_DRY_NONE);
			depth_note(plan.depth_after);
			if (plan.n)
				hostname_note(svc, a);
			break;
		}
		patch = k8s_anno_patch_new(&plan, k8s_meta_resource_version(svc));
		if (!patch) {
			rc = KT_EXIT_INTERNAL;
			break;
		}
		rc = k8s_merge_patch(k->client, path, patch, a->dry_run == KT_DRY_SERVER ? K8S_DRY_RUN : 0, &result,
				     &err);
		cJSON_Delete(patch);
		patch = NULL;
		if (rc == KT_E_CONFLICT && attempt < 5 &&
		    !strcmp(k8s_client_get0_status(k->client)->reason, "Conflict")) {
			/* someone changed the Service meanwhile: start again from what it is now */
			cJSON_Delete(svc);
			svc = NULL;
			k8s_anno_plan_release(&plan);
			if (k8s_get(k->client, path, &svc, &err)) {
				rc = kt_fail(&err);
				break;
			}
			continue;
		}
		if (rc) {
			if (rc == KT_E_CONFLICT)
				kt_err_hint(&err, "the Service kept changing; run the command again");
			rc = kt_fail(&err);
			break;
		}
		if (a->out != KT_OUT_NONE && result)
			rc = kt_print_object(result, a->out);
		else {
			kt_print_anno_plan(what, &plan, a->dry_run);
			depth_note(plan.depth_after);
			hostname_note(svc, a);
		}
		if (plan.protocol_flipped)
			warnf("replaced the Service's non-TLS protocol: the upstream must now serve TLS on its port");
		break;
	}
	cJSON_Delete(result);
	cJSON_Delete(svc);
	k8s_anno_plan_release(&plan);
	return rc;
}

static int version_served(const cJSON *versions, const char *v)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, versions)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, v))
			return 1;
	return 0;
}

/* Policy mode: discovery, conflict check, server-side apply. */
static int attach_policy(struct kt_kube *k, const struct attach *a)
{
	struct kt_err err = KT_ERR_INIT;
	const char *version = a->policy_version ? a->policy_version : K8S_POLICY_VERSION_KIC;
	const char *name = a->policy_name ? a->policy_name : a->service;
	cJSON *versions = NULL, *policies = NULL, *obj = NULL, *result = NULL;
	const cJSON *it, *existing = NULL;
	char path[512], served[200] = "";
	int rc = 0;

	if (k8s_served_versions(k->client, K8S_GATEWAY_GROUP, "backendtlspolicies", &versions, &err))
		return kt_fail(&err);
	if (!version_served(versions, version)) {
		cJSON_ArrayForEach(it, versions)
			if (cJSON_IsString(it) && strlen(served) + strlen(it->valuestring) + 3 < sizeof(served))
				snprintf(served + strlen(served), sizeof(served) - strlen(served), "%s%s", served[0] ? ", " : "",
					 it->valuestring);
		if (!served[0])
			errorf("this cluster serves no BackendTLSPolicy (no %s CRD for backendtlspolicies)", K8S_GATEWAY_GROUP);
		else
			errorf("this cluster serves BackendTLSPolicy %s, not %s/%s", served, K8S_GATEWAY_GROUP, version);
		if (!a->policy_version)
			hintf("KIC reads only v1alpha3 (Gateway API v1.1-v1.3, or the v1.4+ experimental channel); "
			      "install those CRDs, use annotations (drop --policy), or pass --policy-version for another controller");
		cJSON_Delete(versions);
		return KT_EXIT_REJECT;
	}
	cJSON_Delete(versions);
	if (k8s_path(path, sizeof(path), K8S_GATEWAY_GROUP, version, k->ns, "backendtlspolicies", NULL, &err) ||
	    k8s_list(k->client, path, NULL, &policies, &err))
		return kt_fail(&err);
	cJSON_ArrayForEach(it, policies) {
		const char *n = k8s_meta_name(it);
		if (n && !strcmp(n, name))
			existing = it;
		else if (n && k8s_policy_targets(it, a->service)) {
			errorf("backendtlspolicy '%s' already targets service '%s': KIC marks both policies Conflicted "
			       "and applies neither", n, a->service);
			hintf("update that policy instead (--policy-name %s), or delete it first", n);
			rc = KT_EXIT_EXISTS;
			goto out;
		}
	}
	if (existing && !k8s_policy_targets(existing, a->service) && !a->force) {
		errorf("backendtlspolicy '%s' exists and targets another Service", name);
		hintf("choose another --policy-name, or re-run with --force to retarget it");
		rc = KT_EXIT_EXISTS;
		goto out;
	}
	{
		struct k8s_policy_opts po = { version, name, k->ns, a->service, a->kind, a->names, a->n_names,
					      a->hostname, a->depth };
		if (!(obj = k8s_policy_new(&po, &err))) {
			rc = kt_fail(&err);
			goto out;
		}
	}
	if (a->out != KT_OUT_NONE && a->dry_run != KT_DRY_SERVER) {
		rc = kt_print_object(obj, a->out);
		goto out;
	}
	if (a->dry_run == KT_DRY_CLIENT) {
		printf("backendtlspolicy.%s/%s %s (dry run)\n", K8S_GATEWAY_GROUP, name, existing ? "configured" : "created");
		goto out;
	}
	if (k8s_path(path, sizeof(path), K8S_GATEWAY_GROUP, version, k->ns, "backendtlspolicies", name, &err) ||
	    kt_apply(k, path, obj, (a->force ? K8S_FORCE : 0) | (a->dry_run == KT_DRY_SERVER ? K8S_DRY_RUN : 0),
		     &result, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	if (a->out != KT_OUT_NONE && result) {
		rc = kt_print_object(result, a->out);
		goto out;
	}
	printf("backendtlspolicy.%s/%s %s%s\n", K8S_GATEWAY_GROUP, name,
	       kt_apply_verb(k, existing, result),
	       kt_dry_suffix(a->dry_run));
	if (a->depth < 0)
		printf("  note: no options.tls-verify-depth: Kong sets no depth limit (OpenSSL's default of 100)\n");
out:
	cJSON_Delete(result);
	cJSON_Delete(obj);
	cJSON_Delete(policies);
	return rc;
}

static int cmd_attach(int argc, char **argv)
{
	struct kt_cluster_opts co = { 0 };
	struct kt_err err = KT_ERR_INIT;
	struct attach a = { 0 };
	struct kt_kube k = { 0 };
	const char *arg;
	char **lists = NULL;
	size_t n_lists = 0, i;
	cJSON *svc = NULL;
	char path[512];
	long v;
	int c, rc = KT_EXIT_USAGE, derived = -1;

	a.depth = -1;
	while ((c = kt_opt_next(&kt_cmd_attach, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(&kt_cmd_attach, stdout);
			rc = KT_EXIT_OK;
			goto out;
		case KT_OPT_ARG:
			if (a.service) {
				usagef(&kt_cmd_attach, "unexpected argument '%s'", arg);
				goto out;
			}
			if (!(a.service = kt_service_arg(&kt_cmd_attach, arg)))
				goto out;
			break;
		case OPT_CA: {
			char **l = realloc(lists, (n_lists + 1) * sizeof(*l));
			if (!l || !(l[n_lists] = strdup(arg))) {
				lists = l ? l : lists;
				rc = KT_EXIT_INTERNAL;
				goto out;
			}
			lists = l;
			if (add_names(&a, lists[n_lists++]))
				goto out;
			break;
		}
		case OPT_CA_KIND:
			if (!strcmp(arg, "secret") || !strcmp(arg, "secrets"))
				a.kind = K8S_CA_SECRET;
			else if (!strcmp(arg, "configmap") || !strcmp(arg, "configmaps"))
				a.kind = K8S_CA_CONFIGMAP;
			else {
				usagef(&kt_cmd_attach, "invalid --ca-kind '%s': expected secret or configmap", arg);
				goto out;
			}
			break;
		case OPT_DEPTH:
			if (kt_opt_int(&kt_cmd_attach, "depth", arg, 0, PKI_MAX_DEPTH, &v))
				goto out;
			a.depth = (int)v;
			break;
		case OPT_CHAIN: a.chain = arg; break;
		case OPT_TLS_SECRET: a.tls_secret = arg; break;
		case OPT_POLICY: a.policy = 1; break;
		case OPT_POLICY_NAME: a.policy_name = arg; break;
		case OPT_POLICY_VERSION:
			if (strcmp(arg, "v1alpha3") && strcmp(arg, "v1") && strcmp(arg, "v1alpha2")) {
				usagef(&kt_cmd_attach, "invalid --policy-version '%s': expected v1alpha3, v1 or v1alpha2", arg);
				goto out;
			}
			a.policy_version = arg;
			break;
		case OPT_HOSTNAME: a.hostname = arg; break;
		case OPT_PROTOCOL:
			if (strcmp(arg, "https") && strcmp(arg, "tls")) {
				usagef(&kt_cmd_attach, "invalid --protocol '%s': Kong verifies upstream TLS only with https or tls", arg);
				goto out;
			}
			a.protocol = arg;
			break;
		case OPT_FORCE: a.force = 1; break;
		case OPT_DRY_RUN:
			if (kt_parse_dry_run(&kt_cmd_attach, arg, &a.dry_run))
				goto out;
			break;
		case KT_OPT_OUTPUT:
			if (kt_parse_output(&kt_cmd_attach, arg, &a.out))
				goto out;
			break;
		default:
			if (kt_cluster_opt(&kt_cmd_attach, c, arg, &co) == 1)
				break;
			goto out;
		}
	}
	if (!a.service) {
		usagef(&kt_cmd_attach, "missing the Service (svc/NAME)");
		goto out;
	}
	if (!a.n_names) {
		usagef(&kt_cmd_attach, "missing --ca NAME (the CA Secret or ConfigMap to trust)");
		goto out;
	}
	if (a.chain && a.tls_secret) {
		usagef(&kt_cmd_attach, "--chain and --tls-secret both give the chain; pass one");
		goto out;
	}
	if (a.policy_name && kt_check_name(&kt_cmd_attach, "policy", a.policy_name))
		goto out;
	if ((a.policy_name || a.policy_version) && !a.policy) {
		usagef(&kt_cmd_attach, "--policy-name and --policy-version need --policy");
		goto out;
	}
	if (a.policy && !a.hostname) {
		usagef(&kt_cmd_attach, "--policy needs --hostname: BackendTLSPolicy requires validation.hostname, "
				       "the name Kong sends as SNI and verifies");
		goto out;
	}
	if (a.policy && a.protocol && strcmp(a.protocol, "https"))
		warnf("KIC sets konghq.com/protocol=https for a BackendTLSPolicy; --protocol %s is ignored", a.protocol);

	if ((rc = kt_kube_open(&co, &k)))
		goto out;
	if (a.chain || a.tls_secret) {
		if ((rc = derive_depth(&k, &a, &derived)))
			goto out;
		if (a.depth < 0)
			a.depth = derived;
		else if (a.depth < derived && !a.force) {
			errorf("--depth %d is below the chain's %d intermediate(s): Kong would fail the handshake with "
			       "\"(22:certificate chain too long)\"", a.depth, derived);
			hintf("use --depth %d, or --force to set it anyway", derived);
			rc = KT_EXIT_REJECT;
			goto out;
		}
	}
	if (k8s_path(path, sizeof(path), "", "v1", k.ns, "services", a.service, &err) ||
	    k8s_get(k.client, path, &svc, &err)) {
		if (err.code == KT_E_NOTFOUND)
			kt_err_hint(&err, "check the name and the namespace (-n); the CA objects must be in the same namespace");
		rc = kt_fail(&err);
		goto out;
	}
	if ((rc = check_ca_objects(&k, &a)))
		goto out;
	if (a.policy)
		rc = attach_policy(&k, &a);
	else {
		rc = attach_annotations(&k, &a, svc);
		svc = NULL;  /* attach_annotations owns it */
	}
out:
	cJSON_Delete(svc);
	kt_kube_close(&k);
	for (i = 0; i < n_lists; i++)
		free(lists[i]);
	free(lists);
	free(a.names);
	return rc;
}
