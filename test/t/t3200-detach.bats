#!/usr/bin/env bats
# detach: removes what attach added, one CA or all, leaving every other annotation; or the policy.
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
	emulator_start
	make_service echo '{"konghq.com/protocol":"https","team":"blue","konghq.com/ca-certificates-secrets":"old-ca"}'
	"$KT" ca-secret root-ca --cert "$C/root.crt" >/dev/null
	"$KT" ca-secret old-ca --cert "$C/root2.crt" >/dev/null
	"$KT" attach svc/echo --ca root-ca --depth 1 >/dev/null
	emulator_reset_log
}

teardown() {
	emulator_stop
}

@test "detach --ca removes one name and keeps the rest, in 2 requests" {
	run "$KT" detach svc/echo --ca root-ca
	assert_exit 0
	assert_contains "konghq.com/ca-certificates-secrets: old-ca,root-ca -> old-ca"
	[ "$(requests)" = "GET /api/v1/namespaces/default/services/echo 200
PATCH /api/v1/namespaces/default/services/echo 200" ]
	[ "$(annotations echo)" = '{"konghq.com/ca-certificates-secrets": "old-ca", "konghq.com/protocol": "https", "konghq.com/tls-verify": "true", "konghq.com/tls-verify-depth": "1", "team": "blue"}' ]
}

@test "removing the last CA removes tls-verify and the depth too" {
	"$KT" detach svc/echo --ca root-ca >/dev/null
	run "$KT" detach svc/echo --ca old-ca
	assert_exit 0
	[ "$(annotations echo)" = '{"konghq.com/protocol": "https", "team": "blue"}' ]
}

@test "detach without --ca removes all of attach's annotations; a rerun is unchanged" {
	run "$KT" detach svc/echo
	assert_exit 0
	assert_contains "konghq.com/tls-verify: true -> (removed)"
	[ "$(annotations echo)" = '{"konghq.com/protocol": "https", "team": "blue"}' ]
	run "$KT" detach svc/echo
	assert_exit 0
	assert_contains "service/echo unchanged"
}

@test "a name in no list is exit 8; dry runs write nothing" {
	rv=$(resource_version svc echo)
	run "$KT" detach svc/echo --ca nope
	assert_exit 8
	assert_error_line
	run "$KT" detach svc/echo --dry-run=client
	assert_exit 0
	assert_contains "(dry run)"
	run "$KT" detach svc/echo --dry-run=server
	assert_exit 0
	run "$KT" detach svc/echo -o json
	assert_exit 0
	assert_contains '"team": "blue"'
	[ "$(resource_version svc echo)" = "$rv" ]
}

@test "a 409 Conflict is re-read and retried" {
	emulator_fault '{"method":"PATCH","path":"/services/echo","action":"conflict","count":1}'
	run "$KT" detach svc/echo --ca root-ca
	assert_exit 0
	[ "$(emulator_kubectl get svc echo -o jsonpath='{.metadata.annotations.konghq\.com/ca-certificates-secrets}')" = old-ca ]
}

@test "detach --policy deletes the policy that targets the Service, and only that" {
	"$KT" attach svc/echo --ca root-ca --policy --policy-name goecho-tls-policy --hostname kong.example >/dev/null
	make_service other '{}'
	run "$KT" detach svc/other --policy --policy-name goecho-tls-policy
	assert_exit 7
	run "$KT" detach svc/echo --policy --policy-name goecho-tls-policy
	assert_exit 0
	assert_contains "goecho-tls-policy deleted"
	run emulator_kubectl get backendtlspolicies.gateway.networking.k8s.io goecho-tls-policy
	[ "$status" -ne 0 ]
	run "$KT" detach svc/echo --policy --policy-name goecho-tls-policy
	assert_exit 8
}

@test "usage errors" {
	run "$KT" detach
	assert_exit 2
	run "$KT" detach svc/echo --policy --ca root-ca
	assert_exit 2
	run "$KT" detach svc/echo --policy-name x
	assert_exit 2
}
