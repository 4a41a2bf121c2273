#!/usr/bin/env bats
# ca-secret / ca-configmap / tls-secret against the emulator: the stored objects equal the guide's,
# 3 requests, idempotent reruns keep the id, --force gives a new id, duplicates refused, faults.
bats_require_minimum_version 1.5.0
load helper
load certs
load emulator

ID=bf6e0f14-78cd-45ad-9325-87ec7ef7b892

setup_file() {
	make_certs "$BATS_FILE_TMPDIR/certs"
}

setup() {
	kt_setup
	C=$BATS_FILE_TMPDIR/certs
	emulator_start
}

teardown() {
	emulator_stop
}

# The fields KIC reads, as stored: type, data, labels, annotations (sorted JSON).
stored() {
	emulator_kubectl get "$1" "$2" -o json | python3 -c '
import json,sys
o=json.load(sys.stdin); m=o["metadata"]
print(json.dumps({"type":o.get("type"),"data":o.get("data"),"labels":m.get("labels"),"annotations":m.get("annotations")}, sort_keys=True))'
}

id_of() {
	emulator_kubectl get "$1" "$2" -o jsonpath='{.data.id}' | { if [ "$1" = secret ]; then base64 -d; else cat; fi; }
}

@test "ca-secret creates the guide's Secret in 3 requests; a rerun is unchanged and keeps the id" {
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --id $ID
	assert_exit 0
	[ "$output" = "secret/root-ca created" ]
	[ "$(requests)" = "GET /api/v1/namespaces/default/secrets 200
GET /api/v1/namespaces/default/configmaps 200
PATCH /api/v1/namespaces/default/secrets/root-ca 201" ]
	# the guide's commands, against the same server, under another name
	emulator_kubectl create secret generic guide-ca --from-file=ca.crt="$C/root.crt" --from-literal=id=$ID >/dev/null
	emulator_kubectl label secret guide-ca konghq.com/ca-cert=true >/dev/null
	emulator_kubectl annotate secret guide-ca kubernetes.io/ingress.class=kong >/dev/null
	[ "$(stored secret root-ca)" = "$(stored secret guide-ca)" ]
	# two objects with one certificate and id break Kong: the rerun would (rightly) refuse
	emulator_kubectl delete secret guide-ca >/dev/null
	emulator_reset_log
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 0
	[ "$output" = "secret/root-ca unchanged" ]
	[ "$(requests | wc -l)" -eq 3 ]
	[ "$(id_of secret root-ca)" = $ID ]
}

@test "ca-configmap stores the guide's ConfigMap plus the configmap label" {
	run "$KT" ca-configmap root-ca --cert "$C/root.crt" --id $ID
	assert_exit 0
	[ "$output" = "configmap/root-ca created" ]
	emulator_kubectl create configmap guide-ca --from-file=ca.crt="$C/root.crt" --from-literal=id=$ID >/dev/null
	emulator_kubectl label configmap guide-ca konghq.com/ca-cert=true konghq.com/configmap=true >/dev/null
	emulator_kubectl annotate configmap guide-ca kubernetes.io/ingress.class=kong >/dev/null
	[ "$(stored configmap root-ca)" = "$(stored configmap guide-ca)" ]
}

@test "a generated id survives reruns; a different certificate needs --force and gets a new id" {
	"$KT" ca-secret root-ca --cert "$C/root.crt" >/dev/null
	id1=$(id_of secret root-ca)
	"$KT" ca-secret root-ca --cert "$C/root.crt" >/dev/null
	[ "$(id_of secret root-ca)" = "$id1" ]
	run "$KT" ca-secret root-ca --cert "$C/root2.crt"
	assert_exit 7
	assert_error_line
	assert_contains "already holds a different certificate"
	[ "$(id_of secret root-ca)" = "$id1" ]
	run "$KT" ca-secret root-ca --cert "$C/root2.crt" --force
	assert_exit 0
	[ "$output" = "secret/root-ca configured" ]
	[ "$(id_of secret root-ca)" != "$id1" ]
}

@test "the guide's kubectl-made Secret is adopted with its id" {
	emulator_kubectl create secret generic root-ca --from-file=ca.crt="$C/root.crt" --from-literal=id=$ID >/dev/null
	emulator_kubectl label secret root-ca konghq.com/ca-cert=true >/dev/null
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 0
	[ "$(id_of secret root-ca)" = $ID ]
	[ "$(emulator_kubectl get secret root-ca -o jsonpath='{.metadata.annotations.kubernetes\.io/ingress\.class}')" = kong ]
}

@test "another CA object with the same certificate or the same id is refused" {
	"$KT" ca-configmap first-ca --cert "$C/root.crt" --id $ID >/dev/null
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 7
	assert_contains "configmap 'first-ca' already holds this certificate"
	run "$KT" ca-secret root-ca --cert "$C/root2.crt" --id $ID
	assert_exit 7
	assert_contains "already uses id $ID"
	run emulator_kubectl get secret root-ca
	[ "$status" -ne 0 ]
}

@test "an existing object with a 'cert' key (read by KIC before ca.crt) is refused" {
	kube_post /api/v1/namespaces/default/secrets "{\"metadata\":{\"name\":\"root-ca\",\"labels\":{\"konghq.com/ca-cert\":\"true\"}},\"data\":{\"id\":\"$(printf $ID | base64 -w0)\",\"cert\":\"$(base64 -w0 <"$C/root2.crt")\"}}"
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --force
	assert_exit 7
	assert_contains "has a 'cert' key"
	assert_contains '/data/cert'
}

@test "--dry-run=server sends dryRun=All and stores nothing; -o needs no cluster" {
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --dry-run=server
	assert_exit 0
	assert_contains "(server dry run)"
	emulator_requests | grep -q 'PATCH .*dryRun=All'
	run emulator_kubectl get secret root-ca
	[ "$status" -ne 0 ]
	emulator_reset_log
	"$KT" ca-secret root-ca --cert "$C/root.crt" -o yaml >/dev/null
	[ -z "$(requests)" ]
}

@test "403 for a read-only user: clear error, nothing created" {
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --kubeconfig "$EMU_DIR/kubeconfig-readonly"
	assert_exit 5
	assert_error_line
	assert_contains "forbidden"
	run emulator_kubectl get secret root-ca
	[ "$status" -ne 0 ]
}

@test "faults on the apply: two 503s, 429 Retry-After, a dropped connection; a timeout then a converging rerun" {
	emulator_fault '{"method":"PATCH","path":"/secrets/root-ca","action":"status","status":503,"count":2}'
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 0
	[ "$(requests | grep -c 'PATCH .* 503')" -eq 2 ]
	id1=$(id_of secret root-ca)
	emulator_fault '{"method":"GET","path":"/secrets","action":"status","status":429,"retry_after":1,"count":1}'
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 0
	emulator_fault '{"method":"PATCH","path":"/secrets/root-ca","action":"drop","count":1}'
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 0
	assert_contains "unchanged"
	emulator_fault '{"method":"PATCH","path":"/secrets/root-ca","action":"delay","seconds":2,"count":1}'
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --request-timeout 500ms
	assert_exit 6
	assert_error_line
	sleep 2
	run "$KT" ca-secret root-ca --cert "$C/root.crt"
	assert_exit 0
	[ "$(id_of secret root-ca)" = "$id1" ]
}

@test "tls-secret: created, unchanged, a different chain needs --force; the key is never printed" {
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf.key"
	assert_exit 0
	[ "$output" = "secret/goecho-tls created" ]
	emulator_kubectl create secret tls guide-tls --key "$C/leaf.key" --cert "$C/chain.crt" >/dev/null
	[ "$(stored secret goecho-tls)" = "$(stored secret guide-tls)" ]
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf.key" -v 8
	assert_exit 0
	[[ $output != *PRIVATE* && $output != *"$EMU_TOKEN"* ]]
	assert_contains "unchanged"
	cat "$C/leaf.crt" >leaf-only.crt
	run "$KT" tls-secret goecho-tls --cert leaf-only.crt --key "$C/leaf.key"
	assert_exit 7
	run "$KT" tls-secret goecho-tls --cert leaf-only.crt --key "$C/leaf.key" --force
	assert_exit 0
	run "$KT" tls-secret root-ca-x --cert "$C/chain.crt" --key "$C/leaf.key" -n missing-ns
	assert_exit 8
}
