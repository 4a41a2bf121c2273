/* Unit tests of k8s/objects.c and k8s/output.c: builders, annotation merge, YAML/JSON output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "k8s/objects.h"
#include "k8s/output.h"

static char *compact(const cJSON *j)
{
	return cJSON_PrintUnformatted(j);
}

static void assert_json(const cJSON *j, const char *expected)
{
	char *s = compact(j);

	assert_non_null(s);
	assert_string_equal(s, expected);
	cJSON_free(s);
}

static void uuid_new_is_lowercase_v4(void **state)
{
	char a[K8S_UUID_LEN + 1], b[K8S_UUID_LEN + 1];
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	assert_int_equal(k8s_uuid4_new(a, &err), 0);
	assert_int_equal(k8s_uuid4_new(b, &err), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(k8s_uuid_check(a), K8S_UUID_VALID | K8S_UUID_LOWER_V4);
	assert_string_not_equal(a, b);
}

static void uuid_check_table(void **state)
{
	static const struct { const char *in; unsigned want; } t[] = {
		{ "bf6e0f14-78cd-45ad-9325-87ec7ef7b892", K8S_UUID_VALID | K8S_UUID_LOWER_V4 },
		{ "30E144FD-582A-40F7-956C-1FA34308FA9C", K8S_UUID_VALID },   /* KIC example: Kong accepts any case */
		{ "bf6e0f14-78cd-15ad-9325-87ec7ef7b892", K8S_UUID_VALID },   /* version 1 */
		{ "bf6e0f14-78cd-45ad-9325-87ec7ef7b892\n", 0 },              /* trailing newline: Kong's length check */
		{ "bf6e0f1478cd45ad932587ec7ef7b892", 0 },
		{ "gf6e0f14-78cd-45ad-9325-87ec7ef7b892", 0 },
		{ "", 0 },
		{ NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(k8s_uuid_check(t[i].in), t[i].want);
}

static void base64_round_trip(void **state)
{
	const char *in[] = { "", "a", "ab", "abc", "abcd", "-----BEGIN CERTIFICATE-----\nxyz\n" };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *e = k8s_b64_encode((const unsigned char *)in[i], strlen(in[i]));
		unsigned char *d = k8s_b64_decode(e, &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
		free(e);
		free(d);
	}
	assert_null(k8s_b64_decode("abc", &n));
	assert_null(k8s_b64_decode("ab!=", &n));
}

static void ca_secret_as_kic_reads_it(void **state)
{
	const char pem[] = "PEM\n";
	struct k8s_ca_object_opts o = { K8S_CA_SECRET, "root-ca", NULL, "bf6e0f14-78cd-45ad-9325-87ec7ef7b892",
					pem, sizeof(pem) - 1, NULL };
	struct kt_err err = KT_ERR_INIT;
	cJSON *j = k8s_ca_object_new(&o, &err);
	char *got_pem, *got_id;
	size_t len;

	(void)state;
	assert_non_null(j);
	assert_json(j, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"root-ca\","
		       "\"labels\":{\"konghq.com/ca-cert\":\"true\"},"
		       "\"annotations\":{\"kubernetes.io/ingress.class\":\"kong\"}},\"type\":\"Opaque\","
		       "\"data\":{\"ca.crt\":\"UEVNCg==\",\"id\":\"YmY2ZTBmMTQtNzhjZC00NWFkLTkzMjUtODdlYzdlZjdiODky\"}}");
	assert_true(k8s_has_ca_label(j));
	assert_int_equal(k8s_ca_object_data(j, K8S_CA_SECRET, &got_pem, &len, &got_id, &err), 0);
	assert_string_equal(got_pem, pem);
	assert_string_equal(got_id, o.id);
	free(got_pem);
	free(got_id);
	cJSON_Delete(j);
}

static void ca_configmap_has_both_labels_and_text(void **state)
{
	const char pem[] = "PEM\n";
	struct k8s_ca_object_opts o = { K8S_CA_CONFIGMAP, "root-ca", "kong", "x", pem, sizeof(pem) - 1, "custom" };
	struct kt_err err = KT_ERR_INIT;
	cJSON *j = k8s_ca_object_new(&o, &err);

	(void)state;
	assert_json(j, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"root-ca\","
		       "\"namespace\":\"kong\",\"labels\":{\"konghq.com/ca-cert\":\"true\",\"konghq.com/configmap\":\"true\"},"
		       "\"annotations\":{\"kubernetes.io/ingress.class\":\"custom\"}},"
		       "\"data\":{\"ca.crt\":\"PEM\\n\",\"id\":\"x\"}}");
	cJSON_Delete(j);
}

static void ca_data_prefers_cert_key(void **state)
{
	cJSON *j = cJSON_Parse("{\"data\":{\"ca.crt\":\"B\",\"cert\":\"A\"}}");
	char *pem, *id;
	size_t len;

	(void)state;
	assert_int_equal(k8s_ca_object_data(j, K8S_CA_CONFIGMAP, &pem, &len, &id, NULL), 0);
	assert_string_equal(pem, "A");
	assert_null(id);
	free(pem);
	cJSON_Delete(j);
}

static void tls_secret_shape(void **state)
{
	cJSON *j = k8s_tls_secret_new("goecho-tls", NULL, "C", 1, "K", 1, NULL);

	(void)state;
	assert_json(j, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"goecho-tls\"},"
		       "\"type\":\"kubernetes.io/tls\",\"data\":{\"tls.crt\":\"Qw==\",\"tls.key\":\"Sw==\"}}");
	cJSON_Delete(j);
}

static void list_merge_table(void **state)
{
	static const struct { const char *existing; const char *add[3]; const char *want; } t[] = {
		{ NULL, { "root-ca", NULL }, "root-ca" },
		{ "", { "root-ca", NULL }, "root-ca" },
		{ "a,b", { "root-ca", NULL }, "a,b,root-ca" },
		{ " a , b ,, ", { "b", "c", NULL }, "a,b,c" },
		{ "a,root-ca,b", { "root-ca", NULL }, "a,root-ca,b" },
		{ "a,a", { "c", "c", NULL }, "a,c" },
		{ "a", { NULL }, "a" },
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got;
		for (n = 0; t[i].add[n]; n++)
			;
		got = k8s_list_merge(t[i].existing, t[i].add, n);
		assert_string_equal(got, t[i].want);
		free(got);
	}
}

static void list_remove_and_has(void **state)
{
	char *got;

	(void)state;
	got = k8s_list_remove("a, root-ca ,b", "root-ca");
	assert_string_equal(got, "a,b");
	free(got);
	got = k8s_list_remove("root-ca", "root-ca");
	assert_string_equal(got, "");
	free(got);
	assert_true(k8s_list_has("a, root-ca", "root-ca"));
	assert_false(k8s_list_has("a,root-ca2", "root-ca"));
	assert_false(k8s_list_has(NULL, "root-ca"));
}

static cJSON *service(const char *annos)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"echo\","
		 "\"resourceVersion\":\"42\",\"labels\":{\"app\":\"echo\"},\"annotations\":%s}}", annos);
	return cJSON_Parse(text);
}

static void attach_merges_and_keeps_others(void **state)
{
	cJSON *svc = service("{\"konghq.com/protocol\":\"https\",\"konghq.com/ca-certificates-secrets\":\"old-ca\","
			     "\"team\":\"blue\"}");
	const char *names[] = { "root-ca" };
	struct k8s_attach_opts o = { K8S_CA_SECRET, names, 1, NULL, 1, NULL, 0 };
	struct k8s_anno_plan plan;
	struct kt_err err = KT_ERR_INIT;
	cJSON *patch, *after;

	(void)state;
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), 0);
	assert_int_equal(plan.n, 3);
	assert_int_equal(plan.depth_after, 1);
	patch = k8s_anno_patch_new(&plan, k8s_meta_resource_version(svc));
	assert_json(patch, "{\"metadata\":{\"resourceVersion\":\"42\",\"annotations\":{"
			   "\"konghq.com/tls-verify\":\"true\","
			   "\"konghq.com/ca-certificates-secrets\":\"old-ca,root-ca\","
			   "\"konghq.com/tls-verify-depth\":\"1\"}}}");
	after = k8s_anno_apply_copy(svc, &plan);
	assert_string_equal(k8s_annotation(after, "team"), "blue");
	assert_string_equal(k8s_annotation(after, K8S_ANNO_CA_SECRETS), "old-ca,root-ca");
	assert_string_equal(k8s_annotation(after, K8S_ANNO_PROTOCOL), "https");
	cJSON_Delete(after);
	cJSON_Delete(patch);
	k8s_anno_plan_release(&plan);

	/* a second run changes nothing */
	cJSON_Delete(svc);
	svc = service("{\"konghq.com/protocol\":\"https\",\"konghq.com/ca-certificates-secrets\":\"old-ca,root-ca\","
		      "\"konghq.com/tls-verify\":\"true\",\"konghq.com/tls-verify-depth\":\"1\"}");
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), 0);
	assert_int_equal(plan.n, 0);
	k8s_anno_plan_release(&plan);
	cJSON_Delete(svc);
}

static void attach_protocol_rules(void **state)
{
	cJSON *svc = service("{\"konghq.com/protocol\":\"http\"}");
	const char *names[] = { "root-ca" };
	struct k8s_attach_opts o = { K8S_CA_CONFIGMAP, names, 1, NULL, -1, NULL, 0 };
	struct k8s_anno_plan plan;
	struct kt_err err = KT_ERR_INIT;

	(void)state;
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), KT_E_REJECT);
	assert_non_null(strstr(err.msg, "konghq.com/protocol=http"));
	o.force = 1;
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), 0);
	assert_true(plan.protocol_flipped);
	assert_int_equal(plan.depth_after, -1);
	assert_string_equal(plan.changes[0].key, K8S_ANNO_PROTOCOL);
	assert_string_equal(plan.changes[0].before, "http");
	assert_string_equal(plan.changes[0].after, "https");
	assert_string_equal(plan.changes[2].key, K8S_ANNO_CA_CONFIGMAPS);
	k8s_anno_plan_release(&plan);
	cJSON_Delete(svc);

	/* an existing tls is kept; grpcs would be refused by Kong */
	svc = service("{\"konghq.com/protocol\":\"tls\"}");
	o.force = 0;
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), 0);
	assert_string_equal(plan.changes[0].key, K8S_ANNO_TLS_VERIFY);
	k8s_anno_plan_release(&plan);
	o.protocol = "grpcs";
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), KT_E_REJECT);
	o.protocol = NULL;
	o.depth = 65;
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), KT_E_REJECT);
	cJSON_Delete(svc);

	/* no annotations at all */
	svc = cJSON_Parse("{\"metadata\":{\"name\":\"echo\"}}");
	o.depth = 0;
	assert_int_equal(k8s_attach_plan(svc, &o, &plan, &err), 0);
	assert_int_equal(plan.n, 4);
	assert_null(plan.changes[0].before);
	k8s_anno_plan_release(&plan);
	cJSON_Delete(svc);
}

static void detach_one_and_all(void **state)
{
	cJSON *svc = service("{\"konghq.com/protocol\":\"https\",\"konghq.com/tls-verify\":\"true\","
			     "\"konghq.com/tls-verify-depth\":\"1\",\"konghq.com/ca-certificates-secrets\":\"a,root-ca\","
			     "\"x\":\"y\"}");
	struct k8s_anno_plan plan;
	struct kt_err err = KT_ERR_INIT;
	cJSON *patch;

	(void)state;
	assert_int_equal(k8s_detach_plan(svc, "root-ca", &plan, &err), 0);
	patch = k8s_anno_patch_new(&plan, NULL);
	assert_json(patch, "{\"metadata\":{\"annotations\":{\"konghq.com/ca-certificates-secrets\":\"a\"}}}");
	cJSON_Delete(patch);
	k8s_anno_plan_release(&plan);

	assert_int_equal(k8s_detach_plan(svc, "nope", &plan, &err), KT_E_NOTFOUND);

	assert_int_equal(k8s_detach_plan(svc, NULL, &plan, &err), 0);
	patch = k8s_anno_patch_new(&plan, "42");
	assert_json(patch, "{\"metadata\":{\"resourceVersion\":\"42\",\"annotations\":{"
			   "\"konghq.com/ca-certificates-secrets\":null,\"konghq.com/tls-verify\":null,"
			   "\"konghq.com/tls-verify-depth\":null}}}");
	cJSON_Delete(patch);
	k8s_anno_plan_release(&plan);
	cJSON_Delete(svc);

	/* removing the last CA also removes tls-verify: verifying against no CA fails every handshake */
	svc = service("{\"konghq.com/tls-verify\":\"true\",\"konghq.com/ca-certificates-configmaps\":\"root-ca\"}");
	assert_int_equal(k8s_detach_plan(svc, "root-ca", &plan, &err), 0);
	assert_int_equal(plan.n, 2);
	k8s_anno_plan_release(&plan);
	cJSON_Delete(svc);
}

static void policy_versions(void **state)
{
	const char *names[] = { "root-ca", "other-ca" };
	struct k8s_policy_opts o = { "v1alpha3", "echo", NULL, "echo", K8S_CA_SECRET, names, 2, "kong.example", 1 };
	struct kt_err err = KT_ERR_INIT;
	cJSON *j;

	(void)state;
	j = k8s_policy_new(&o, &err);
	assert_json(j, "{\"apiVersion\":\"gateway.networking.k8s.io/v1alpha3\",\"kind\":\"BackendTLSPolicy\","
		       "\"metadata\":{\"name\":\"echo\"},\"spec\":{\"options\":{\"tls-verify-depth\":\"1\"},"
		       "\"targetRefs\":[{\"group\":\"\",\"kind\":\"Service\",\"name\":\"echo\"}],"
		       "\"validation\":{\"caCertificateRefs\":[{\"group\":\"\",\"kind\":\"Secret\",\"name\":\"root-ca\"},"
		       "{\"group\":\"\",\"kind\":\"Secret\",\"name\":\"other-ca\"}],\"hostname\":\"kong.example\"}}}");
	assert_true(k8s_policy_targets(j, "echo"));
	assert_false(k8s_policy_targets(j, "other"));
	cJSON_Delete(j);

	o.version = "v1alpha2";
	o.depth = -1;
	o.n_names = 1;
	o.kind = K8S_CA_CONFIGMAP;
	j = k8s_policy_new(&o, &err);
	assert_json(j, "{\"apiVersion\":\"gateway.networking.k8s.io/v1alpha2\",\"kind\":\"BackendTLSPolicy\","
		       "\"metadata\":{\"name\":\"echo\"},\"spec\":{\"targetRef\":{\"group\":\"\",\"kind\":\"Service\","
		       "\"name\":\"echo\"},\"tls\":{\"caCertRefs\":[{\"group\":\"\",\"kind\":\"ConfigMap\","
		       "\"name\":\"root-ca\"}],\"hostname\":\"kong.example\"}}}");
	assert_true(k8s_policy_targets(j, "echo"));
	cJSON_Delete(j);

	o.depth = 1;
	assert_null(k8s_policy_new(&o, &err));
	assert_int_equal(err.code, KT_E_USAGE);
	o.version = "v1";
	o.hostname = NULL;
	assert_null(k8s_policy_new(&o, &err));
	o.version = "v2";
	o.hostname = "h";
	assert_null(k8s_policy_new(&o, &err));

	/* the guide's policy uses group "core" */
	j = cJSON_Parse("{\"spec\":{\"targetRefs\":[{\"group\":\"core\",\"kind\":\"Service\",\"name\":\"echo\"}]}}");
	assert_true(k8s_policy_targets(j, "echo"));
	cJSON_Delete(j);
}

static void yaml_quotes_what_would_change_type(void **state)
{
	static const char *const quoted[] = { "true", "True", "yes", "on", "OFF", "n", "null", "~", "", "1", "0x1f",
					      "1e3", "-1", ".inf", "2024-01-01", "+1", "=", NULL };
	static const char *const plain[] = { "kong", "root-ca", "konghq.com/ca-cert", "Opaque", "truex", "v1", NULL };
	size_t i;

	(void)state;
	for (i = 0; quoted[i]; i++)
		assert_true(k8s_yaml_needs_quotes(quoted[i]));
	for (i = 0; plain[i]; i++)
		assert_false(k8s_yaml_needs_quotes(plain[i]));
}

static void yaml_emit_exact(void **state)
{
	cJSON *j = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"root-ca\","
			       "\"labels\":{\"konghq.com/ca-cert\":\"true\"},\"annotations\":{}},"
			       "\"data\":{\"ca.crt\":\"-----BEGIN X-----\\nabc\\n\",\"id\":\"1234\",\"n\":3,\"b\":true,"
			       "\"z\":null,\"colon\":\"a: b\",\"list\":[{\"group\":\"\",\"kind\":\"Service\"}],\"e\":[]}}");
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(k8s_yaml_emit(j, &out, &len, NULL), 0);
	assert_string_equal(out,
			    "apiVersion: v1\n"
			    "kind: ConfigMap\n"
			    "metadata:\n"
			    "  name: root-ca\n"
			    "  labels:\n"
			    "    konghq.com/ca-cert: \"true\"\n"
			    "  annotations: {}\n"
			    "data:\n"
			    "  ca.crt: |\n"
			    "    -----BEGIN X-----\n"
			    "    abc\n"
			    "  id: \"1234\"\n"
			    "  \"n\": 3\n"  /* a key "n" is a YAML 1.1 boolean too */
			    "  b: true\n"
			    "  z: null\n"
			    "  colon: 'a: b'\n"
			    "  list:\n"
			    "  - group: \"\"\n"
			    "    kind: Service\n"
			    "  e: []\n");
	assert_int_equal(len, strlen(out));
	free(out);
	cJSON_Delete(j);
}

static void json_pretty_like_kubectl(void **state)
{
	cJSON *j = cJSON_Parse("{\"a\":{\"b\":\"x\\\"y\",\"c\":[1,{}]},\"d\":[]}");
	char *out = NULL;
	size_t len;

	(void)state;
	assert_int_equal(k8s_json_pretty(j, &out, &len, NULL), 0);
	assert_string_equal(out, "{\n    \"a\": {\n        \"b\": \"x\\\"y\",\n        \"c\": [\n            1,\n"
				 "            {}\n        ]\n    },\n    \"d\": []\n}\n");
	free(out);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uuid_new_is_lowercase_v4),
		cmocka_unit_test(uuid_check_table),
		cmocka_unit_test(base64_round_trip),
		cmocka_unit_test(ca_secret_as_kic_reads_it),
		cmocka_unit_test(ca_configmap_has_both_labels_and_text),
		cmocka_unit_test(ca_data_prefers_cert_key),
		cmocka_unit_test(tls_secret_shape),
		cmocka_unit_test(list_merge_table),
		cmocka_unit_test(list_remove_and_has),
		cmocka_unit_test(attach_merges_and_keeps_others),
		cmocka_unit_test(attach_protocol_rules),
		cmocka_unit_test(detach_one_and_all),
		cmocka_unit_test(policy_versions),
		cmocka_unit_test(yaml_quotes_what_would_change_type),
		cmocka_unit_test(yaml_emit_exact),
		cmocka_unit_test(json_pretty_like_kubectl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
