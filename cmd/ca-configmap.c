/*
 * ca-configmap: publish a CA certificate as the labelled ConfigMap KIC reads (spec §1.8).
 * The body is shared with ca-secret (cmd/ca-secret.c): same checks, same exit codes;
 * the ConfigMap holds the PEM as text and carries konghq.com/configmap=true as well.
 */
#include "cmd/kube.h"

static const struct kt_opt ca_configmap_opts[] = { KT_OPTS_CA_OBJECT };

static int cmd_ca_configmap(int argc, char **argv);

const struct kt_cmd kt_cmd_ca_configmap = {
	.name = "ca-configmap",
	.fn = cmd_ca_configmap,
	.opts = ca_configmap_opts,
	.usage = "ca-configmap NAME --cert FILE [--id UUID] [--ingress-class CLASS] [-n NS] [-o yaml|json] [--dry-run=client|server] [--force]",
	.summary = "publish a CA certificate as the labelled ConfigMap Kong Ingress Controller reads",
	.description =
		"Writes the ConfigMap the guide builds with 'kubectl create configmap', 'kubectl label' and\n"
		"'kubectl annotate': data.ca.crt (the PEM, as text), data.id (a lowercase UUIDv4), labels\n"
		"konghq.com/ca-cert=true and konghq.com/configmap=true, annotation kubernetes.io/ingress.class=kong.\n"
		"Re-running for the same certificate changes nothing and keeps its id. One certificate per\n"
		"object. Needs KIC 3.4 or later. -o yaml|json prints the manifest and writes nothing.",
	.examples =
		"  kubectl kong-tls ca-configmap root-ca --cert ./certs/root.crt\n"
		"  kubectl kong-tls ca-configmap root-ca --cert ./certs/root.crt --id bf6e0f14-78cd-45ad-9325-87ec7ef7b891\n"
		"  kubectl kong-tls ca-configmap root-ca --cert ./certs/root.crt -o yaml | kubectl apply -f -\n"
		"  kubectl kong-tls attach svc/echo --ca root-ca --ca-kind configmap --depth 1",
};

static int cmd_ca_configmap(int argc, char **argv)
{
	return kt_ca_object_main(&kt_cmd_ca_configmap, K8S_CA_CONFIGMAP, argc, argv);
}
