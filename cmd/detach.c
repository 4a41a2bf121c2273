/*
 * detach: undo attach. Annotation mode removes one CA name from the Service's
 * konghq.com/ca-certificates-* lists (--ca NAME), or all of attach's annotations
 * (tls-verify, tls-verify-depth, both CA lists); when no CA is left, tls-verify and the
 * depth go too, since verifying against no CA fails every handshake. konghq.com/protocol
 * and host-header stay: the upstream still speaks TLS. One merge PATCH with the
 * resourceVersion, re-read and retried on 409. Policy mode (--policy) deletes the
 * BackendTLSPolicy attach wrote, after checking it targets this Service.
 * Exit codes: 0 ok, 2 usage, 5 API error, 6 cannot reach the API server, 7 the policy
 * targets another Service, 8 not found, 9 the Service kept changing.
 */
#include "cmd/kube.h"

#include <stdlib.h>
#include <string.h>

enum {
	OPT_CA = KT_OPT_FIRST,
	OPT_POLICY,
	OPT_POLICY_NAME,
	OPT_POLICY_VERSION,
	OPT_FORCE,
	OPT_DRY_RUN
};

static const struct kt_opt detach_opts[] = {
	{ "ca", 0, required_argument, OPT_CA, "NAME", "remove only this CA object from the Service's lists", KT_COMP_CA, NULL },
	{ "policy", 0, no_argument, OPT_POLICY, NULL, "delete the BackendTLSPolicy attach --policy wrote", KT_COMP_NONE, NULL },
	{ "policy-name", 0, required_argument, OPT_POLICY_NAME, "NAME", "BackendTLSPolicy name (default: the Service's)", KT_COMP_NONE, NULL },
	{ "policy-version", 0, required_argument, OPT_POLICY_VERSION, "V", "BackendTLSPolicy version (default: v1alpha3 when served)", KT_COMP_VALUES, "v1alpha3,v1,v1alpha2" },
	{ "force", 0, no_argument, OPT_FORCE, NULL, "delete the policy even if it targets another Service", KT_COMP_NONE, NULL },
	{ "dry-run", 0, optional_argument, OPT_DRY_RUN, "MODE", "client: show the change, write nothing; server: send with dryRun=All", KT_COMP_VALUES, "none,client,server" },
	KT_OPTS_OUTPUT("yaml,json"),
	KT_OPTS_CLUSTER,
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_detach(int argc, char **argv);

const struct kt_cmd kt_cmd_detach = {
	.name = "detach",
	.fn = cmd_detach,
	.opts = detach_opts,
	.usage = "detach svc/NAME [--ca NAME] [--policy [--policy-name N]] [--dry-run=client|server] [-o yaml|json]",
	.summary = "remove what attach added to a Service (or its BackendTLSPolicy)",
	.description =
		"Without --ca, removes konghq.com/tls-verify, tls-verify-depth, ca-certificates-secrets and\n"
		"ca-certificates-configmaps; with --ca NAME, removes that name from the list holding it (and\n"
		"tls-verify with the depth when it was the last CA). konghq.com/protocol and every other\n"
		"annotation stay. --policy deletes the BackendTLSPolicy instead.",
	.examples =
		"  kubectl kong-tls detach svc/echo --ca root-ca\n"
		"  kubectl kong-tls detach svc/echo\n"
		"  kubectl kong-tls detach svc/echo --policy --policy-name goecho-tls-policy",
	.args = KT_COMP_SERVICE,
};

struct detach {
	const char *service;
	const char *ca;
	int policy;
	const char *policy_name;
	const char *policy_version;
	int force;
	enum kt_dry_run dry_run;
	enum kt_output out;
};

static int detach_annotations(struct kt_kube *k, const struct detach *d)
{
	struct kt_err err = KT_ERR_INIT;
	struct k8s_anno_plan plan = { 0 };
	cJSON *svc = NULL, *patch = NULL, *result = NULL;
	char path[512], what[300];
	int attempt, rc = 0;

	if (k8s_path(path, sizeof(path), "", "v1", k->ns, "services", d->service, &err))
		return kt_fail(&err);
	snprintf(what, sizeof(what), "service/%s", d->service);
	for (attempt = 1;; attempt++) {
		if (k8s_get(k->client, path, &svc, &err) || k8s_detach_plan(svc, d->ca, &plan, &err)) {
			rc = kt_fail(&err);
			break;
		}
		if (d->out != KT_OUT_NONE && d->dry_run != KT_DRY_SERVER) {
			cJSON *after = k8s_anno_apply_copy(svc, &plan);
			rc = after ? kt_print_object(after, d->out) : KT_EXIT_INTERNAL;
			cJSON_Delete(after);
			break;
		}
		if (plan.n && d->dry_run != KT_DRY_CLIENT) {
			if (!(patch = k8s_anno_patch_new(&plan, k8s_meta_resource_version(svc)))) {
				rc = KT_EXIT_INTERNAL;
				break;
			}
			rc = k8s_merge_patch(k->client, path, patch, d->dry_run == KT_DRY_SERVER ? K8S_DRY_RUN : 0,
					     &result, &err);
			cJSON_Delete(patch);
			patch = NULL;
			if (rc == KT_E_CONFLICT && attempt < 5 &&
			    !strcmp(k8s_client_get0_status(k->client)->reason, "Conflict")) {
				cJSON_Delete(svc);
				svc = NULL;
				k8s_anno_plan_release(&plan);
				continue;
			}
			if (rc) {
				rc = kt_fail(&err);
				break;
			}
			if (d->out != KT_OUT_NONE && result) {
				rc = kt_print_object(result, d->out);
				break;
			}
		}
		kt_print_anno_plan(what, &plan, d->dry_run);
		break;
	}
	cJSON_Delete(result);
	cJSON_Delete(svc);
	k8s_anno_plan_release(&plan);
	return rc;
}

static int detach_policy(struct kt_kube *k, const struct detach *d)
{
	struct kt_err err = KT_ERR_INIT;
	const char *name = d->policy_name ? d->policy_name : d->service, *version = d->policy_version;
	cJSON *versions = NULL, *policy = NULL;
	const cJSON *it;
	char path[512];
	int rc = 0;

	if (!version) {
		if (k8s_served_versions(k->client, K8S_GATEWAY_GROUP, "backendtlspolicies", &versions, &err))
			return kt_fail(&err);
		cJSON_ArrayForEach(it, versions)
			if (cJSON_IsString(it) && (!version || !strcmp(it->valuestring, K8S_POLICY_VERSION_KIC)))
				version = it->valuestring;
		if (!version) {
			errorf("this cluster serves no BackendTLSPolicy: there is no policy to delete");
			cJSON_Delete(versions);
			return KT_EXIT_NOTFOUND;
		}
	}
	if (k8s_path(path, sizeof(path), K8S_GATEWAY_GROUP, version, k->ns, "backendtlspolicies", name, &err) ||
	    k8s_get(k->client, path, &policy, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	if (!k8s_policy_targets(policy, d->service) && !d->force) {
		errorf("backendtlspolicy '%s' does not target service '%s'", name, d->service);
		hintf("check --policy-name, or re-run with --force to delete it anyway");
		rc = KT_EXIT_EXISTS;
		goto out;
	}
	if (d->dry_run != KT_DRY_CLIENT &&
	    k8s_delete(k->client, path, d->dry_run == KT_DRY_SERVER ? K8S_DRY_RUN : 0, &err)) {
		rc = kt_fail(&err);
		goto out;
	}
	printf("backendtlspolicy.%s/%s deleted%s\n", K8S_GATEWAY_GROUP, name, kt_dry_suffix(d->dry_run));
out:
	cJSON_Delete(policy);
	cJSON_Delete(versions);
	return rc;
}

static int cmd_detach(int argc, char **argv)
{
	struct kt_cluster_opts co = { 0 };
	struct detach d = { 0 };
	struct kt_kube k = { 0 };
	const char *arg;
	int c, rc;

	while ((c = kt_opt_next(&kt_cmd_detach, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(&kt_cmd_detach, stdout);
			return KT_EXIT_OK;
		case KT_OPT_ARG:
			if (d.service)
				return usagef(&kt_cmd_detach, "unexpected argument '%s'", arg);
			if (!(d.service = kt_service_arg(&kt_cmd_detach, arg)))
				return KT_EXIT_USAGE;
			break;
		case OPT_CA:
			if (kt_check_name(&kt_cmd_detach, "CA object", arg))
				return KT_EXIT_USAGE;
			d.ca = arg;
			break;
		case OPT_POLICY: d.policy = 1; break;
		case OPT_POLICY_NAME: d.policy_name = arg; break;
		case OPT_POLICY_VERSION:
			if (strcmp(arg, "v1alpha3") && strcmp(arg, "v1") && strcmp(arg, "v1alpha2"))
				return usagef(&kt_cmd_detach, "invalid --policy-version '%s': expected v1alpha3, v1 or v1alpha2", arg);
			d.policy_version = arg;
			break;
		case OPT_FORCE: d.force = 1; break;
		case OPT_DRY_RUN:
			if (kt_parse_dry_run(&kt_cmd_detach, arg, &d.dry_run))
				return KT_EXIT_USAGE;
			break;
		case KT_OPT_OUTPUT:
			if (kt_parse_output(&kt_cmd_detach, arg, &d.out))
				return KT_EXIT_USAGE;
			break;
		default:
			if (kt_cluster_opt(&kt_cmd_detach, c, arg, &co) == 1)
				break;
			return KT_EXIT_USAGE;
		}
	}
	if (!d.service)
		return usagef(&kt_cmd_detach, "missing the Service (svc/NAME)");
	if ((d.policy_name || d.policy_version) && !d.policy)
		return usagef(&kt_cmd_detach, "--policy-name and --policy-version need --policy");
	if (d.policy && d.ca)
		return usagef(&kt_cmd_detach, "--policy deletes the whole policy; to keep some CAs, re-run "
					      "'attach --policy' with only those");
	if (d.policy_name && kt_check_name(&kt_cmd_detach, "policy", d.policy_name))
		return KT_EXIT_USAGE;
	if ((rc = kt_kube_open(&co, &k)))
		return rc;
	rc = d.policy ? detach_policy(&k, &d) : detach_annotations(&k, &d);
	kt_kube_close(&k);
	return rc;
}
