#!/usr/bin/env bats
# verify svc/NAME against the API emulator: checks 1-4 (the Service, the CA objects, KIC's Events and
# BackendTLSPolicy status, the hostname), each failing and passing, -o json, and the request budget.
# Every test works in its own namespace of one emulator.

bats_require_minimum_version 1.5.0
load helper
load emulator

setup_file() {
	emulator_start
	export EMU_DIR EMU_PID EMU_URL EMU_TOKEN KUBECONFIG
	source "$BATS_TEST_DIRNAME/../nginx/mkcert.bash"
	local D=$BATS_FILE_TMPDIR/certs soon
	soon=$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)
	mkcert_init "$D"
	mkcert root - ca ec && mkcert root2 - ca ec && mkcert root3 - ca ec && mkcert inter root ca ec && mkcert leaf inter leaf ec &&
		mkcert noca root leaf ec && mkcert rootexp - ca ec "" 20200101000000Z 20210101000000Z &&
		mkcert rootsoon - ca ec "" "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$soon" || return 1
	mkchain bundle root root2
	export CERTS=$D
}

teardown_file() { emulator_stop; }

setup() {
	kt_setup
	export KUBECONFIG=$EMU_DIR/kubeconfig
	NS=t$BATS_TEST_NUMBER
	kubectl create namespace "$NS" >/dev/null
}

# CA uniqueness is cluster-wide: leave no labelled CA object to the next test
teardown() { kubectl -n "$NS" delete secret,configmap -l konghq.com/ca-cert=true >/dev/null 2>&1 || true; }

k() { kubectl -n "$NS" "$@"; }

# ca_secret NAME CERTFILE [ID|-none] [label|nolabel]
ca_secret() {
	local id=${3:-$(python3 -c 'import uuid; print(uuid.uuid4())')} args=()
	[ "$id" = -none ] || args=(--from-literal=id="$id")
	k create secret generic "$1" --from-file=ca.crt="$2" "${args[@]}" >/dev/null
	[ "${4:-label}" = nolabel ] || k label secret "$1" konghq.com/ca-cert=true >/dev/null
}

# echo_svc ANNOTATION...: Service echo with these annotations
echo_svc() {
	k create service clusterip echo --tcp=443:443 >/dev/null
	[ $# -eq 0 ] || k annotate service echo "$@" >/dev/null
}

verified_svc() { echo_svc konghq.com/protocol=https konghq.com/tls-verify=true "$@"; }

# policy NAME [STATUS-JSON]: a v1alpha3 BackendTLSPolicy for Service echo trusting Secret root-ca
policy() {
	k apply -f - >/dev/null <<-EOF
	apiVersion: gateway.networking.k8s.io/v1alpha3
	kind: BackendTLSPolicy
	metadata:
	  name: $1
	spec:
	  targetRefs:
	  - {group: "", kind: Service, name: echo}
	  validation:
	    caCertificateRefs:
	    - {group: "", kind: Secret, name: root-ca}
	    hostname: kong.example
	  options:
	    tls-verify-depth: "1"
	EOF
	if [ -n "${2:-}" ]; then
		k patch backendtlspolicy "$1" --subresource=status --type=merge -p "$2" >/dev/null
	fi
}

# event OBJKIND OBJNAME REASON MESSAGE TIME
event() {
	k apply -f - >/dev/null <<-EOF
	apiVersion: v1
	kind: Event
	metadata:
	  name: ev-$RANDOM$RANDOM
	involvedObject: {kind: $1, name: $2, namespace: $NS}
	reason: $3
	message: "$4"
	type: Warning
	count: 2
	firstTimestamp: "$5"
	lastTimestamp: "$5"
	source: {component: kong-client}
	EOF
}

verify() { run --separate-stderr "$KT" verify svc/echo -n "$NS" "$@"; }

@test "1: a missing Service fails the first check and stops" {
	verify
	assert_exit 1
	assert_contains "fail  service: Service $NS/echo not found"
	[[ "$output" != *"2 ca-objects"* ]]
}

@test "1: a Service nothing configures: say so, how to fix it, and stop with exit 1" {
	echo_svc
	verify
	assert_exit 1
	assert_contains "nothing turns on upstream TLS verification"
	assert_contains "fix: kubectl kong-tls attach svc/echo -n $NS --ca NAME"
	[[ "$output" != *"2 ca-objects"* ]]
}

@test "1-4: a correct Service passes every check, exit 0, text and json" {
	ca_secret root-ca "$CERTS/root.pem"
	verified_svc konghq.com/ca-certificates-secrets=root-ca konghq.com/tls-verify-depth=1
	verify --host kong.example
	assert_exit 0
	assert_contains "pass  service: Service $NS/echo is configured by konghq.com annotations"
	assert_contains "pass  protocol: protocol https"
	assert_contains "pass  tls-verify: tls-verify is on"
	assert_contains "pass  depth: depth 1"
	assert_contains "pass  Secret/root-ca: valid CA object"
	assert_contains "pass  events: no KongConfigurationTranslationFailed/ApplyFailed"
	assert_contains "pass  hostname: Kong verifies 'kong.example'"
	assert_contains "skip  handshake: live handshake not checked"
	assert_contains "verdict: Kong would accept this upstream"
	[[ "$output" != *$'\033'* ]]
	verify --host kong.example -o json
	assert_exit 0
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
assert r["accepted"] is True and r["verdict"] == "accept", r
names = [c["name"] for c in r["checks"]]
assert names[:4] == ["service", "protocol", "tls-verify", "depth"], names
assert all(set(c) == {"step", "section", "name", "status", "message", "hint"} for c in r["checks"])
assert r["hostname"] == "kong.example" and r["depth"] == 1
' "$output"
}

@test "1: protocol, tls-verify and depth parsed as KIC parses them" {
	ca_secret root-ca "$CERTS/root.pem"
	echo_svc konghq.com/protocol=http konghq.com/tls-verify=yes konghq.com/tls-verify-depth=65 \
		konghq.com/ca-certificates-secrets=root-ca
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  protocol: protocol 'http' is not TLS: KIC reports 'CA certificates requested for incompatible service protocol 'http''"
	assert_contains "fail  tls-verify: konghq.com/tls-verify: 'yes' is not a boolean KIC understands"
	assert_contains "fail  depth: konghq.com/tls-verify-depth 65 is out of range: Kong rejects the whole configuration"
	k annotate --overwrite service echo konghq.com/protocol=https konghq.com/tls-verify=True konghq.com/tls-verify-depth=one >/dev/null
	verify --host kong.example
	assert_exit 0
	assert_contains "pass  tls-verify"
	assert_contains "warn  depth: konghq.com/tls-verify-depth 'one' is not an integer: KIC ignores it"
	k annotate service echo konghq.com/tls-verify-depth- >/dev/null
	verify --host kong.example
	assert_contains "info  depth: no depth set: no depth limit applies (Kong leaves OpenSSL's default of 100)"
}

@test "2: CA objects: missing, unlabelled, no id, bad id, bundle, not a CA, expired" {
	ca_secret nolabel "$CERTS/root.pem" "" nolabel
	ca_secret noid "$CERTS/root.pem" -none
	ca_secret badid "$CERTS/root.pem" "not-a-uuid"
	ca_secret bundle "$CERTS/bundle.pem"
	ca_secret notca "$CERTS/noca.pem"
	ca_secret expired "$CERTS/rootexp.pem"
	verified_svc konghq.com/ca-certificates-secrets='missing, nolabel,noid,badid,bundle,notca,expired'
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  Secret/missing: $NS/missing (from the annotation) does not exist"
	assert_contains "fail  Secret/nolabel: $NS/nolabel lacks the label konghq.com/ca-cert: \"true\""
	assert_contains "fix: kubectl label -n $NS secret nolabel konghq.com/ca-cert=true"
	assert_contains "fail  Secret/noid: no 'id' key: KIC reports 'invalid secret CA certificate: missing 'id' field in data'"
	assert_contains "fail  Secret/badid: id 'not-a-uuid' is not a UUID"
	assert_contains "fail  Secret/bundle: KIC: invalid secret CA certificate: multiple PEM certificates found"
	assert_contains "fail  Secret/notca: KIC: invalid secret CA certificate: certificate is missing the 'CA' basic constraint"
	assert_contains "fail  Secret/expired: KIC: invalid secret CA certificate: expired"
}

@test "2: duplicate id, duplicate certificate, expiry warning, a ConfigMap CA" {
	id=$(python3 -c 'import uuid; print(uuid.uuid4())')
	ca_secret a "$CERTS/root.pem" "$id"
	ca_secret b "$CERTS/root2.pem" "$id"
	ca_secret c "$CERTS/root.pem"
	ca_secret soon "$CERTS/rootsoon.pem"
	k create configmap cm --from-file=ca.crt="$CERTS/root3.pem" --from-literal=id="$(python3 -c 'import uuid; print(uuid.uuid4())')" >/dev/null
	k label configmap cm konghq.com/ca-cert=true >/dev/null
	verified_svc konghq.com/ca-certificates-secrets=a,soon konghq.com/ca-certificates-configmaps=cm
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  Secret/a: id $id is also used by Secret $NS/b"
	assert_contains "warn  Secret/soon: valid CA"
	assert_contains "expires in 9 days"
	assert_contains "pass  ConfigMap/cm: valid CA object"
	k annotate --overwrite service echo konghq.com/ca-certificates-secrets=c konghq.com/ca-certificates-configmaps- >/dev/null
	k delete secret b >/dev/null
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  Secret/c: holds the same certificate as Secret $NS/a"
	verify --host kong.example --warn-days 5
	[[ "$output" != *"warn  Secret/soon"* ]]
}

@test "2: tls-verify with no CA at all: the empty trust store fails with 20" {
	verified_svc
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  ca-objects: no CA objects listed: Kong's trust store is empty and every handshake fails with (20:unable to get local issuer certificate)"
}

@test "3: Kong*Failed Warning events on the Service and its CA objects, newest first" {
	ca_secret root-ca "$CERTS/root.pem"
	verified_svc konghq.com/ca-certificates-secrets=root-ca
	event Service echo KongConfigurationApplyFailed "invalid tls_verify_depth: value should be between 0 and 64" 2026-01-01T10:00:00Z
	event Secret root-ca KongConfigurationTranslationFailed "invalid secret CA certificate: expired" 2026-01-02T10:00:00Z
	event Service other KongConfigurationTranslationFailed "not ours" 2026-01-03T10:00:00Z
	event Service echo SomethingElse "not a Kong failure" 2026-01-03T10:00:00Z
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  event Secret/root-ca: KongConfigurationTranslationFailed Secret/root-ca (2x, last 2026-01-02T10:00:00Z): invalid secret CA certificate: expired"
	assert_contains "fail  event Service/echo: KongConfigurationApplyFailed Service/echo (2x, last 2026-01-01T10:00:00Z): invalid tls_verify_depth"
	[[ "$output" != *"not ours"* && "$output" != *"not a Kong failure"* ]]
	# newest first
	[[ "$output" == *"event Secret/root-ca"*"event Service/echo"* ]]
}

@test "3/4: BackendTLSPolicy: Accepted by KIC, hostname and depth from the policy" {
	ca_secret root-ca "$CERTS/root.pem"
	echo_svc
	policy echo '{"status":{"ancestors":[{"ancestorRef":{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"kong"},"controllerName":"konghq.com/kic-gateway-controller","conditions":[{"type":"Accepted","status":"True","reason":"Accepted","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}]}}'
	verify
	assert_exit 0
	assert_contains "pass  service: Service $NS/echo is configured by BackendTLSPolicy echo (v1alpha3)"
	assert_contains "pass  protocol: protocol https (set by the BackendTLSPolicy)"
	assert_contains "pass  depth: depth 1"
	assert_contains "pass  Secret/root-ca: valid CA object"
	assert_contains "pass  BackendTLSPolicy/echo: Accepted=True by konghq.com/kic-gateway-controller (Gateway kong)"
	assert_contains "info  hostname: Kong verifies 'kong.example' (BackendTLSPolicy validation.hostname) only when the routes set konghq.com/preserve-host: \"false\""
}

@test "3: BackendTLSPolicy without KIC status, rejected, and two policies on one Service" {
	ca_secret root-ca "$CERTS/root.pem"
	echo_svc
	policy echo
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  BackendTLSPolicy/echo: no Accepted condition from konghq.com/kic-gateway-controller: KIC has not processed the policy"
	assert_contains "GatewayAlpha"
	k delete backendtlspolicy echo >/dev/null
	policy echo '{"status":{"ancestors":[{"ancestorRef":{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"kong"},"controllerName":"konghq.com/kic-gateway-controller","conditions":[{"type":"Accepted","status":"False","reason":"Invalid","message":"SubjectAltNames feature is not currently supported","lastTransitionTime":"2026-01-01T00:00:00Z"}]}]}}'
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  BackendTLSPolicy/echo: Accepted=False, reason Invalid (Gateway kong): SubjectAltNames feature is not currently supported"
	policy echo2
	verify --host kong.example
	assert_exit 1
	assert_contains "fail  policies: 2 BackendTLSPolicies target Service $NS/echo: KIC marks them Conflicted"
}

@test "4: the hostname: --host, host-header, both disagreeing, neither" {
	ca_secret root-ca "$CERTS/root.pem"
	verified_svc konghq.com/ca-certificates-secrets=root-ca
	verify
	assert_exit 0
	assert_contains "warn  hostname: the name Kong verifies is the client's Host header"
	assert_contains "fix: pass --host NAME"
	k annotate service echo konghq.com/host-header=kong.example >/dev/null
	verify
	assert_contains "info  hostname: Kong verifies 'kong.example' (konghq.com/host-header) only when the routes set konghq.com/preserve-host: \"false\""
	verify --host other.example
	assert_contains "warn  hostname: Kong verifies 'other.example', the Host the client sends"
	verify --host kong.example
	assert_contains "pass  hostname: Kong verifies 'kong.example'"
}

@test "at most 6 API requests, CA objects listed once with the label selector" {
	ca_secret root-ca "$CERTS/root.pem"
	ca_secret root2 "$CERTS/root2.pem"
	verified_svc konghq.com/ca-certificates-secrets=root-ca,root2
	emulator_reset_log
	verify --host kong.example
	assert_exit 0
	emulator_requests >requests
	cat requests
	[ "$(wc -l <requests)" -le 6 ]
	[ "$(grep -c 'secrets?labelSelector=konghq.com%2Fca-cert%3Dtrue' requests)" -eq 1 ]
	! grep -q "secrets/root" requests
}

@test "colour only on a terminal, never with NO_COLOR" {
	command -v script >/dev/null || skip "script(1) not installed"
	echo_svc
	NO_COLOR= script -qec "'$KT' verify svc/echo -n $NS" /dev/null >tty.out || true
	grep -q $'\033\\[31m' tty.out
	NO_COLOR=1 script -qec "'$KT' verify svc/echo -n $NS" /dev/null >tty.out || true
	! grep -q $'\033\\[3' tty.out
}
