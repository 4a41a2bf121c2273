#!/usr/bin/env bats
# ca-secret / ca-configmap: the manifest equals what the guide's kubectl commands build,
# -o yaml reads back identically through kubectl, and every refusal (spec §1).
bats_require_minimum_version 1.5.0
load helper
load certs

ID=bf6e0f14-78cd-45ad-9325-87ec7ef7b892

setup_file() {
	make_certs "$BATS_FILE_TMPDIR/certs"
}

setup() {
	kt_setup
	C=$BATS_FILE_TMPDIR/certs
}

# The guide: kubectl create secret generic ... | kubectl label --local | kubectl annotate --local.
# Kubernetes defaults a Secret's type to Opaque; kubectl leaves it out, so add it.
guide_secret() {
	kubectl create secret generic root-ca --from-file=ca.crt="$C/root.crt" --from-literal=id=$ID \
		--dry-run=client -o json |
		kubectl label --local -f - konghq.com/ca-cert=true -o json |
		kubectl annotate --local -f - kubernetes.io/ingress.class=kong -o json |
		python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"].pop("creationTimestamp",None); o.setdefault("type","Opaque"); print(json.dumps(o))'
}

@test "ca-secret -o json is the guide's Secret, field by field" {
	guide_secret >ref.json
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --id $ID -o json
	assert_exit 0
	printf '%s\n' "$output" >got.json
	json_equal ref.json got.json
}

@test "ca-configmap -o json is the guide's ConfigMap plus the configmap label" {
	kubectl create configmap root-ca -n kong --from-file=ca.crt="$C/root.crt" --from-literal=id=$ID \
		--dry-run=client -o json |
		kubectl label --local -f - konghq.com/ca-cert=true konghq.com/configmap=true -o json |
		kubectl annotate --local -f - kubernetes.io/ingress.class=kong -o json |
		python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"].pop("creationTimestamp",None); print(json.dumps(o))' >ref.json
	run "$KT" ca-configmap root-ca -n kong --cert "$C/root.crt" --id $ID -o json
	assert_exit 0
	printf '%s\n' "$output" >got.json
	json_equal ref.json got.json
}

@test "-o yaml reads back through kubectl as exactly the -o json object" {
	for kind in ca-secret ca-configmap; do
		"$KT" $kind root-ca --cert "$C/root.crt" --id 30e144fd-582a-40f7-956c-1fa34308fa9c --ingress-class 1 -o json >want.json
		"$KT" $kind root-ca --cert "$C/root.crt" --id 30e144fd-582a-40f7-956c-1fa34308fa9c --ingress-class 1 -o yaml >got.yaml
		# label --local with an unchanged value re-serialises the object kubectl read
		kubectl label --local -f got.yaml konghq.com/ca-cert=true -o json |
			python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"].pop("creationTimestamp",None); print(json.dumps(o))' >got.json
		json_equal want.json got.json
	done
	grep -q '"true"' got.yaml
	grep -q 'id: "30e144fd' got.yaml
}

@test "--dry-run=client prints the YAML manifest; a generated id is a lowercase UUIDv4 without newline" {
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --dry-run=client
	assert_exit 0
	assert_contains "kind: Secret"
	"$KT" ca-secret root-ca --cert "$C/root.crt" -o json >s.json
	id=$(json_get s.json data id | base64 -d)
	[[ $id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[ "$(json_get s.json data id | base64 -d | wc -c)" -eq 36 ]
	"$KT" ca-secret root-ca --cert "$C/root.crt" -o json >s2.json
	[ "$(json_get s2.json data id)" != "$(json_get s.json data id)" ]
}

@test "the PEM written is clean: text around the block is dropped" {
	{ echo "Bag Attributes"; echo "    friendlyName: root"; cat "$C/root.crt"; } >bag.crt
	"$KT" ca-configmap root-ca --cert bag.crt --id $ID -o json >cm.json
	[ "$(json_get cm.json data ca.crt)" = "$(cat "$C/root.crt")" ]
}

@test "a bundle is refused with KIC's and Kong's words and a hint to create one object per CA" {
	run "$KT" ca-secret root-ca --cert "$C/bundle.crt" -o yaml
	assert_exit 1
	assert_error_line
	assert_contains "multiple PEM certificates found"
	assert_contains "please submit only one certificate at a time"
	assert_contains "hint: create one CA object per certificate"
}

@test "a non-CA certificate and an expired CA are refused" {
	run "$KT" ca-secret root-ca --cert "$C/leaf.crt" -o yaml
	assert_exit 1
	assert_contains "certificate is missing the 'CA' basic constraint"
	run "$KT" ca-configmap root-ca --cert "$FIXTURES/peer/kic-ca-expired-hello.pem" -o yaml
	assert_exit 1
	assert_contains "expired"
}

@test "usage errors: no name, no --cert, bad --id, bad name, unknown output" {
	run "$KT" ca-secret --cert "$C/root.crt"
	assert_exit 2
	run "$KT" ca-secret root-ca
	assert_exit 2
	assert_contains "--cert"
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --id 1234
	assert_exit 2
	assert_contains "expects a UUID"
	run "$KT" ca-secret root-ca --cert "$C/root.crt" --id "$ID
"
	assert_exit 2
	run "$KT" ca-secret Root_CA --cert "$C/root.crt"
	assert_exit 2
	run "$KT" ca-secret root-ca --cert "$C/root.crt" -o xml
	assert_exit 2
}

@test "an uppercase --id is kept as given, with a warning (Kong matches ids case-insensitively)" {
	run --separate-stderr "$KT" ca-secret root-ca --cert "$C/root.crt" --id 30E144FD-582A-40F7-956C-1FA34308FA9C -o json
	assert_exit 0
	[[ $stderr == *"warning: --id"* ]]
	printf '%s\n' "$output" >s.json
	[ "$(json_get s.json data id | base64 -d)" = 30E144FD-582A-40F7-956C-1FA34308FA9C ]
}

@test "a missing certificate file exits 8; a key file is refused" {
	run "$KT" ca-secret root-ca --cert nope.crt -o yaml
	assert_exit 8
	assert_error_line
	run "$KT" ca-secret root-ca --cert "$C/root.key" -o yaml
	assert_exit 1
	assert_error_line
}
