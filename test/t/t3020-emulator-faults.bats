#!/usr/bin/env bats
# The emulator's fault injection and control endpoints, each fault observed from a real client (curl, kubectl),
# and the Gateway API version setups (--gateway-versions) as discovery and storage show them.
load helper
load emulator

setup() {
	kt_setup
	emulator_start
}

teardown() {
	emulator_stop
}

k() { kubectl --kubeconfig "$EMU_DIR/kubeconfig" "$@"; }

@test "emulator faults: two 503s with Retry-After, then success (kubectl retries, the log shows all three)" {
	command -v kubectl >/dev/null || skip "kubectl not on PATH"
	k get secrets >/dev/null 2>&1 # warm the discovery cache
	emulator_reset_log
	emulator_fault '[{"method":"GET","path":"/namespaces/default/secrets$","action":"status","status":503,"retry_after":1,"count":2}]'
	run k get secrets -o name
	assert_exit 0
	run emulator_requests
	[ "$(printf '%s\n' "$output" | grep -c '^GET /api/v1/namespaces/default/secrets?limit=500 503$')" -eq 2 ]
	[ "$(printf '%s\n' "$output" | grep -c '^GET /api/v1/namespaces/default/secrets?limit=500 200$')" -eq 1 ]
}

@test "emulator faults: 429 with Retry-After carries a TooManyRequests Status and the header" {
	emulator_fault '[{"method":"*","path":"/configmaps","action":"status","status":429,"retry_after":2,"count":1}]'
	run emulator_curl -i "$EMU_URL/api/v1/namespaces/default/configmaps"
	assert_contains "HTTP/1.1 429"
	assert_contains "Retry-After: 2"
	assert_contains '"reason":"TooManyRequests"'
	assert_contains '"retryAfterSeconds":2'
	# count 1: the next request is answered normally
	run emulator_curl -o /dev/null -w '%{http_code}' "$EMU_URL/api/v1/namespaces/default/configmaps"
	[ "$output" = 200 ]
}

@test "emulator faults: a dropped connection is an empty reply; a delay answers late and trips a client timeout" {
	emulator_fault '[{"method":"GET","path":"/secrets$","action":"drop","count":1}]'
	run emulator_curl "$EMU_URL/api/v1/namespaces/default/secrets"
	[ "$status" -eq 52 ] # curl: empty reply from server
	run emulator_curl -o /dev/null -w '%{http_code}' "$EMU_URL/api/v1/namespaces/default/secrets"
	[ "$output" = 200 ]
	emulator_fault '[{"method":"GET","path":"/secrets$","action":"delay","seconds":1.5,"count":2}]'
	run emulator_curl --max-time 0.5 "$EMU_URL/api/v1/namespaces/default/secrets"
	[ "$status" -eq 28 ] # curl: operation timed out
	start=$(date +%s%N)
	run emulator_curl -o /dev/null -w '%{http_code}' "$EMU_URL/api/v1/namespaces/default/secrets"
	[ "$output" = 200 ]
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 1400 ]
}

@test "emulator faults: a spurious 409 Conflict for a stale resourceVersion, only for the matching method" {
	emulator_curl -X POST -H 'Content-Type: application/json' \
		--data '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}' \
		"$EMU_URL/api/v1/namespaces/default/secrets" >/dev/null
	emulator_fault '[{"method":"PATCH","path":"/secrets/s$","action":"conflict","count":1}]'
	run emulator_curl "$EMU_URL/api/v1/namespaces/default/secrets/s"
	assert_contains '"name":"s"'
	run emulator_curl -X PATCH -H 'Content-Type: application/merge-patch+json' --data '{"metadata":{"labels":{"a":"b"}}}' \
		"$EMU_URL/api/v1/namespaces/default/secrets/s"
	assert_contains '"code":409'
	assert_contains 'Operation cannot be fulfilled on secrets \"s\": the object has been modified; please apply your changes to the latest version and try again'
	run emulator_curl -X PATCH -H 'Content-Type: application/merge-patch+json' --data '{"metadata":{"labels":{"a":"b"}}}' \
		"$EMU_URL/api/v1/namespaces/default/secrets/s"
	assert_contains '"labels":{"a":"b"}'
}

@test "emulator control: admin token only, fault list cleared, request log format and reset" {
	run curl -sS --cacert "$EMU_DIR/ca.crt" -H "Authorization: Bearer $(cat "$EMU_DIR/readonly-token")" \
		"$EMU_URL/__emulator/requests"
	assert_contains '"code":401'
	emulator_fault '[{"method":"*","path":".","action":"status","status":500,"count":5}]'
	emulator_clear_faults
	run emulator_curl -o /dev/null -w '%{http_code}' "$EMU_URL/api/v1/namespaces"
	[ "$output" = 200 ]
	emulator_curl "$EMU_URL/api/v1/namespaces/default/secrets?labelSelector=konghq.com%2Fca-cert%3Dtrue" >/dev/null
	run emulator_requests
	assert_contains "GET /api/v1/namespaces 200"
	assert_contains "GET /api/v1/namespaces/default/secrets?labelSelector=konghq.com%2Fca-cert%3Dtrue 200"
	case "$output" in *__emulator*) false ;; esac
	emulator_reset_log
	run emulator_requests
	[ -z "$output" ]
	[ ! -s "$EMU_DIR/requests.log" ]
	for f in ca.crt kubeconfig kubeconfig-readonly kubeconfig-cert admin-token readonly-token client.crt client.key url pid; do
		[ -s "$EMU_DIR/$f" ] || { echo "missing $f"; false; }
	done
	[ "$(cat "$EMU_DIR/url")" = "$EMU_URL" ]
	# HTTP/1.1 keep-alive: one TLS connection serves several requests (the C client reuses its handle)
	run emulator_curl -v -o /dev/null -o /dev/null -o /dev/null "$EMU_URL/api" "$EMU_URL/api/v1" "$EMU_URL/apis"
	[ "$(printf '%s\n' "$output" | grep -c 'Re-using existing connection')" -eq 2 ]
}

gw_versions() {
	emulator_curl "$EMU_URL/apis/gateway.networking.k8s.io" | "$(_emu_python)" -c '
import json, sys
print(" ".join(v["version"] for v in json.load(sys.stdin)["versions"]))'
}

btls_served() {
	emulator_curl -o /dev/null -w '%{http_code}' "$EMU_URL/apis/gateway.networking.k8s.io/$1/namespaces/default/backendtlspolicies"
}

@test "emulator gateway versions: v1alpha3 (default), v1alpha2, v1+v1alpha3 sharing storage, v1 only" {
	[ "$(gw_versions)" = "v1 v1beta1 v1alpha3 v1alpha2" ]
	[ "$(btls_served v1alpha3)" = 200 ]
	[ "$(btls_served v1)" = 404 ]
	[ "$(btls_served v1alpha2)" = 404 ]
	[ "$(emulator_curl -o /dev/null -w '%{http_code}' "$EMU_URL/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes")" = 200 ]
	emulator_stop

	emulator_start --gateway-versions v1alpha2
	[ "$(btls_served v1alpha2)" = 200 ]
	[ "$(btls_served v1alpha3)" = 404 ]
	emulator_stop

	emulator_start --gateway-versions v1,v1alpha3
	[ "$(btls_served v1)" = 200 ]
	[ "$(btls_served v1alpha3)" = 200 ]
	emulator_curl -X POST -H 'Content-Type: application/json' --data '{"apiVersion":"gateway.networking.k8s.io/v1alpha3","kind":"BackendTLSPolicy","metadata":{"name":"p"},"spec":{"targetRefs":[{"group":"","kind":"Service","name":"echo"}],"validation":{"wellKnownCACertificates":"System","hostname":"echo.example.com"}}}' \
		"$EMU_URL/apis/gateway.networking.k8s.io/v1alpha3/namespaces/default/backendtlspolicies" >/dev/null
	run emulator_curl "$EMU_URL/apis/gateway.networking.k8s.io/v1/namespaces/default/backendtlspolicies/p"
	assert_contains '"apiVersion":"gateway.networking.k8s.io/v1"'
	assert_contains '"hostname":"echo.example.com"'
	emulator_stop

	emulator_start --gateway-versions v1
	[ "$(gw_versions)" = "v1 v1beta1" ]
	[ "$(btls_served v1)" = 200 ]
	[ "$(btls_served v1alpha3)" = 404 ]
}
