#!/usr/bin/env bats
# attach: the Service annotations (merged, others kept, one PATCH with a resourceVersion,
# retried on 409), every refusal, API errors and faults, and BackendTLSPolicy per served version.
bats_require_minimum_version 1.5.0
load helper
load certs
load emulator

setup_file() {
	make_certs "$BATS_FILE_TMPDIR/certs"
}

setup() {
	kt_setup
	C=$BATS_FILE_TMPDIR/certs
}

teardown() {
	emulator_stop
}

# An emulator with the guide's Service (protocol https, another annotation, a label) and root-ca.
start_with_echo() {
	emulator_start "$@"
	make_service echo '{"konghq.com/protocol":"https","team":"blue","konghq.com/ca-certificates-secrets":"old-ca"}'
	"$KT" ca-secret root-ca --cert "$C/root.crt" >/dev/null
	"$KT" ca-secret old-ca --cert "$C/root2.crt" >/dev/null
	emulator_reset_log
}

@test "attach merges the CA into the list, keeps everything else, in 3 requests" {
	start_with_echo
	run "$KT" attach svc/echo --ca root-ca --depth 1
	assert_exit 0
	assert_contains "service/echo configured"
	assert_contains "konghq.com/ca-certificates-secrets: old-ca -> old-ca,root-ca"
	assert_contains "konghq.com/tls-verify: (none) -> true"
	[ "$(requests)" = "GET /api/v1/namespaces/default/services/echo 200
GET /api/v1/namespaces/default/secrets 200
PATCH /api/v1/namespaces/default/services/echo 200" ]
	[ "$(annotations echo)" = '{"konghq.com/ca-certificates-secrets": "old-ca,root-ca", "konghq.com/protocol": "https", "konghq.com/tls-verify": "true", "konghq.com/tls-verify-depth": "1", "team": "blue"}' ]
	[ "$(emulator_kubectl get svc echo -o jsonpath='{.metadata.labels.app}')" = echo ]
}

@test "the annotations equal what the guide's kubectl annotate commands produce" {
	emulator_start
	make_service echo '{"konghq.com/protocol":"https"}'
	make_service echo2 '{"konghq.com/protocol":"https"}'
	"$KT" ca-secret root-ca --cert "$C/root.crt" >/dev/null
	emulator_kubectl annotate service echo2 konghq.com/tls-verify=true >/dev/null
	emulator_kubectl annotate service echo2 konghq.com/ca-certificates-secrets='root-ca' >/dev/null
	emulator_kubectl annotate service echo2 konghq.com/tls-verify-depth=1 >/dev/null
	"$KT" attach svc/echo --ca root-ca --chain "$C/chain.crt" >/dev/null
	[ "$(annotations echo)" = "$(annotations echo2)" ]
}

@test "a rerun is unchanged and does not write; the depth note appears without a depth" {
	start_with_echo
	"$KT" attach svc/echo --ca root-ca >/dev/null
	emulator_reset_log
	run "$KT" attach svc/echo --ca root-ca
	assert_exit 0
	assert_contains "service/echo unchanged"
	assert_contains "no depth limit"
	[ "$(requests | grep -c PATCH)" -eq 0 ]
}

@test "the depth comes from --chain or from the upstream's TLS Secret" {
	start_with_echo
	"$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf.key" >/dev/null
	run "$KT" attach svc/echo --ca root-ca --tls-secret goecho-tls
	assert_exit 0
	assert_contains "konghq.com/tls-verify-depth: (none) -> 1"
	run "$KT" attach svc/echo --ca root-ca --depth 0 --chain "$C/chain.crt"
	assert_exit 1
	assert_contains "chain too long"
	run "$KT" attach svc/echo --ca root-ca --depth 0 --chain "$C/chain.crt" --force
	assert_exit 0
}

@test "configmaps go to ca-certificates-configmaps" {
	start_with_echo
	"$KT" ca-configmap cm-ca --cert "$C/int.crt" >/dev/null
	run "$KT" attach service/echo --ca cm-ca --ca-kind configmap
	assert_exit 0
	[ "$(emulator_kubectl get svc echo -o jsonpath='{.metadata.annotations.konghq\.com/ca-certificates-configmaps}')" = cm-ca ]
}

@test "refusals: missing, unlabelled, no valid id, bundle, non-CA; nothing is written" {
	start_with_echo
	rv=$(resource_version svc echo)
	run "$KT" attach svc/echo --ca nope
	assert_exit 8
	assert_error_line
	assert_contains "secret 'nope' not found"
	kube_post /api/v1/namespaces/default/secrets '{"metadata":{"name":"unlabelled"},"data":{"id":"eA=="}}'
	run "$KT" attach svc/echo --ca unlabelled
	assert_exit 1
	assert_contains "has no label konghq.com/ca-cert=true"
	kube_post /api/v1/namespaces/default/secrets "{\"metadata\":{\"name\":\"badid\",\"labels\":{\"konghq.com/ca-cert\":\"true\"}},\"data\":{\"id\":\"$(printf 'abc\n' | base64 -w0)\",\"ca.crt\":\"$(base64 -w0 <"$C/root.crt")\"}}"
	run "$KT" attach svc/echo --ca badid
	assert_exit 1
	assert_contains "expected a valid UUID"
	kube_post /api/v1/namespaces/default/secrets "{\"metadata\":{\"name\":\"bundle\",\"labels\":{\"konghq.com/ca-cert\":\"true\"}},\"data\":{\"id\":\"$(printf 8a1fbc4e-9a34-4c0d-9d7e-0f1a2b3c4d5e | base64 -w0)\",\"ca.crt\":\"$(base64 -w0 <"$C/bundle.crt")\"}}"
	run "$KT" attach svc/echo --ca bundle
	assert_exit 1
	assert_contains "multiple PEM certificates found"
	assert_contains "hint: create one CA object per certificate"
	kube_post /api/v1/namespaces/default/secrets "{\"metadata\":{\"name\":\"leaf\",\"labels\":{\"konghq.com/ca-cert\":\"true\"}},\"data\":{\"id\":\"$(printf 8a1fbc4e-9a34-4c0d-9d7e-0f1a2b3c4d5f | base64 -w0)\",\"ca.crt\":\"$(base64 -w0 <"$C/leaf.crt")\"}}"
	run "$KT" attach svc/echo --ca root-ca,leaf
	assert_exit 1
	assert_contains "missing the 'CA' basic constraint"
	[ "$(resource_version svc echo)" = "$rv" ]
	[ "$(requests | grep -c PATCH)" -eq 0 ]
}

@test "refusals: non-TLS protocol without --force, bad depth, bad protocol, missing flags" {
	emulator_start
	make_service plain '{"konghq.com/protocol":"http"}'
	"$KT" ca-secret root-ca --cert "$C/root.crt" >/dev/null
	run "$KT" attach svc/plain --ca root-ca
	assert_exit 1
	assert_contains "konghq.com/protocol=http"
	assert_contains "--force"
	run "$KT" attach svc/plain --ca root-ca --force
	assert_exit 0
	assert_contains "konghq.com/protocol: http -> https"
	run "$KT" attach svc/plain --ca root-ca --depth 65
	assert_exit 2
	run "$KT" attach svc/plain --ca root-ca --protocol grpcs
	assert_exit 2
	run "$KT" attach svc/plain
	assert_exit 2
	run "$KT" attach deploy/plain --ca root-ca
	assert_exit 2
	run "$KT" attach svc/plain --ca root-ca --policy
	assert_exit 2
	assert_contains "--hostname"
}

@test "a missing Service is 404: exit 8" {
	emulator_start
	run "$KT" attach svc/nope --ca root-ca
	assert_exit 8
	assert_error_line
	assert_contains 'services "nope" not found'
}

@test "401 and 403: clear errors, nothing changed" {
	start_with_echo
	rv=$(resource_version svc echo)
	sed "s/token: .*/token: not-a-valid-token/" "$EMU_DIR/kubeconfig" >bad-kubeconfig
	run "$KT" attach svc/echo --ca root-ca --kubeconfig bad-kubeconfig
	assert_exit 5
	assert_error_line
	run "$KT" attach svc/echo --ca root-ca --kubeconfig "$EMU_DIR/kubeconfig-readonly"
	assert_exit 5
	assert_error_line
	assert_contains "forbidden"
	[ "$(resource_version svc echo)" = "$rv" ]
}

@test "409 Conflict: the Service is read again and the patch succeeds" {
	start_with_echo
	emulator_fault '{"method":"PATCH","path":"/services/echo","action":"conflict","count":1}'
	run "$KT" attach svc/echo --ca root-ca --depth 1
	assert_exit 0
	[ "$(requests)" = "GET /api/v1/namespaces/default/services/echo 200
GET /api/v1/namespaces/default/secrets 200
PATCH /api/v1/namespaces/default/services/echo 409
GET /api/v1/namespaces/default/services/echo 200
PATCH /api/v1/namespaces/default/services/echo 200" ]
	[ "$(emulator_kubectl get svc echo -o jsonpath='{.metadata.annotations.konghq\.com/tls-verify}')" = true ]
}

@test "a Service that keeps changing: bounded retries, exit 9, nothing half-done" {
	start_with_echo
	rv=$(resource_version svc echo)
	emulator_fault '{"method":"PATCH","path":"/services/echo","action":"conflict","count":20}'
	run "$KT" attach svc/echo --ca root-ca
	assert_exit 9
	assert_error_line
	[ "$(requests | grep -c PATCH)" -le 5 ]
	[ "$(resource_version svc echo)" = "$rv" ]
	emulator_clear_faults
	run "$KT" attach svc/echo --ca root-ca
	assert_exit 0
}

@test "422 from the server is reported whole, nothing changed" {
	start_with_echo
	rv=$(resource_version svc echo)
	emulator_fault '{"method":"PATCH","path":"/services/echo","action":"status","status":422,"message":"Service \"echo\" is invalid: metadata.annotations: Invalid value"}'
	run "$KT" attach svc/echo --ca root-ca
	assert_exit 5
	assert_error_line
	assert_contains 'is invalid'
	[ "$(resource_version svc echo)" = "$rv" ]
}

@test "faults: two 503s, a 429 with Retry-After, a dropped connection, each then success" {
	start_with_echo
	emulator_fault '[{"method":"PATCH","path":"/services/echo","action":"status","status":503,"count":2}]'
	run "$KT" attach svc/echo --ca root-ca
	assert_exit 0
	[ "$(requests | grep -c 'PATCH .* 503')" -eq 2 ]
	emulator_reset_log
	emulator_fault '{"method":"GET","path":"/services/echo","action":"status","status":429,"retry_after":1,"count":1}'
	start=$(date +%s%N)
	run "$KT" attach svc/echo --ca root-ca --depth 1
	assert_exit 0
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 900 ]
	emulator_fault '{"method":"PATCH","path":"/services/echo","action":"drop","count":1}'
	run "$KT" attach svc/echo --ca root-ca --depth 2
	assert_exit 0
	[ "$(emulator_kubectl get svc echo -o jsonpath='{.metadata.annotations.konghq\.com/tls-verify-depth}')" = 2 ]
}

@test "a timeout is a clean failure; a rerun converges" {
	start_with_echo
	emulator_fault '{"method":"PATCH","path":"/services/echo","action":"delay","seconds":2,"count":1}'
	run "$KT" attach svc/echo --ca root-ca --depth 1 --request-timeout 500ms
	assert_exit 6
	assert_error_line
	sleep 2
	run "$KT" attach svc/echo --ca root-ca --depth 1
	assert_exit 0
	run "$KT" attach svc/echo --ca root-ca --depth 1
	assert_contains "service/echo unchanged"
}

@test "-o yaml and --dry-run write nothing; --dry-run=server sends dryRun=All" {
	start_with_echo
	rv=$(resource_version svc echo)
	run "$KT" attach svc/echo --ca root-ca -o yaml
	assert_exit 0
	assert_contains 'konghq.com/tls-verify: "true"'
	assert_contains 'team: blue'
	run "$KT" attach svc/echo --ca root-ca --dry-run=client
	assert_exit 0
	assert_contains "(dry run)"
	run "$KT" attach svc/echo --ca root-ca --dry-run=server
	assert_exit 0
	assert_contains "(server dry run)"
	emulator_requests | grep -q 'PATCH .*dryRun=All'
	[ "$(resource_version svc echo)" = "$rv" ]
}

# The guide's BackendTLSPolicy (with group "" where the guide writes core: KIC accepts both).
guide_policy() {
	cat <<-EOT
	{"apiVersion":"gateway.networking.k8s.io/v1alpha3","kind":"BackendTLSPolicy","metadata":{"name":"goecho-tls-policy","namespace":"default"},"spec":{"options":{"tls-verify-depth":"1"},"targetRefs":[{"group":"","kind":"Service","name":"echo"}],"validation":{"caCertificateRefs":[{"group":"","kind":"$1","name":"root-ca"}],"hostname":"kong.example"}}}
	EOT
}

policy_spec() {
	emulator_kubectl get backendtlspolicies.v1alpha3.gateway.networking.k8s.io "$1" -o json |
		python3 -c 'import json,sys; o=json.load(sys.stdin); print(json.dumps({"apiVersion":o["apiVersion"],"kind":o["kind"],"metadata":{"name":o["metadata"]["name"],"namespace":o["metadata"]["namespace"]},"spec":o["spec"]}, sort_keys=True))'
}

@test "policy mode (v1alpha3 served): the guide's BackendTLSPolicy, then unchanged" {
	start_with_echo --gateway-versions v1alpha3
	run "$KT" attach svc/echo --ca root-ca --policy --policy-name goecho-tls-policy --hostname kong.example --depth 1
	assert_exit 0
	assert_contains "backendtlspolicy.gateway.networking.k8s.io/goecho-tls-policy created"
	guide_policy Secret | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))' >want
	[ "$(policy_spec goecho-tls-policy)" = "$(cat want)" ]
	run "$KT" attach svc/echo --ca root-ca --policy --policy-name goecho-tls-policy --hostname kong.example --depth 1
	assert_exit 0
	assert_contains "unchanged"
	# the Service itself is not touched in policy mode
	[ "$(annotations echo)" = '{"konghq.com/ca-certificates-secrets": "old-ca", "konghq.com/protocol": "https", "team": "blue"}' ]
}

@test "policy mode (v1 + v1alpha3 served): v1alpha3 is written" {
	start_with_echo --gateway-versions v1,v1alpha3
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example
	assert_exit 0
	assert_contains "backendtlspolicy.gateway.networking.k8s.io/echo created"
	assert_contains "no options.tls-verify-depth"
	emulator_requests | grep -q 'PATCH /apis/gateway.networking.k8s.io/v1alpha3/namespaces/default/backendtlspolicies/echo'
}

@test "policy mode refused when v1alpha3 is not served (v1 only, v1alpha2 only); --policy-version v1 works" {
	start_with_echo --gateway-versions v1
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example
	assert_exit 1
	assert_contains "serves BackendTLSPolicy v1, not gateway.networking.k8s.io/v1alpha3"
	assert_contains "KIC reads only v1alpha3"
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example --policy-version v1
	assert_exit 0
	emulator_stop
	start_with_echo --gateway-versions v1alpha2
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example
	assert_exit 1
	assert_contains "v1alpha2"
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example --policy-version v1alpha2
	assert_exit 0
	emulator_kubectl get backendtlspolicies.v1alpha2.gateway.networking.k8s.io echo -o jsonpath='{.spec.targetRef.name}' | grep -qx echo
}

@test "policy mode refused when another BackendTLSPolicy targets the Service" {
	start_with_echo
	kube_post /apis/gateway.networking.k8s.io/v1alpha3/namespaces/default/backendtlspolicies "$(guide_policy ConfigMap)"
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example
	assert_exit 7
	assert_error_line
	assert_contains "backendtlspolicy 'goecho-tls-policy' already targets service 'echo'"
	run "$KT" attach svc/echo --ca root-ca --policy --hostname kong.example --policy-name goecho-tls-policy --force
	assert_exit 0
}
