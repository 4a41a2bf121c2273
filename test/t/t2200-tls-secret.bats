#!/usr/bin/env bats
# tls-secret: the guide's `kubectl create secret tls` object, key/leaf match, chain order.
bats_require_minimum_version 1.5.0
load helper
load certs

setup_file() {
	make_certs "$BATS_FILE_TMPDIR/certs"
}

setup() {
	kt_setup
	C=$BATS_FILE_TMPDIR/certs
}

@test "tls-secret -o json is the guide's 'kubectl create secret tls', field by field" {
	kubectl create secret tls goecho-tls --key "$C/leaf.key" --cert "$C/chain.crt" --dry-run=client -o json |
		python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"].pop("creationTimestamp",None); print(json.dumps(o))' >ref.json
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf.key" -o json
	assert_exit 0
	printf '%s\n' "$output" >got.json
	json_equal ref.json got.json
	"$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf.key" -o yaml >got.yaml
	kubectl label --local -f got.yaml a=b -o json |
		python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"].pop("creationTimestamp",None); o["metadata"].pop("labels"); print(json.dumps(o))' >back.json
	json_equal ref.json back.json
}

@test "--cert - reads the chain from standard input, once" {
	"$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf.key" -o json >file.json
	"$KT" tls-secret goecho-tls --cert - --key "$C/leaf.key" -o json <"$C/chain.crt" >stdin.json
	json_equal file.json stdin.json
}

@test "a key that does not match the leaf is refused, and the key is not printed" {
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/int.key" -o yaml
	assert_exit 1
	assert_error_line
	assert_contains "does not match the first certificate"
	[[ $output != *PRIVATE* ]]
}

@test "a chain out of order is refused with the position" {
	cat "$C/leaf.crt" "$C/root.crt" "$C/int.crt" >misordered.crt
	run "$KT" tls-secret goecho-tls --cert misordered.crt --key "$C/leaf.key" -o yaml
	assert_exit 1
	assert_contains "not in order: certificate 2 did not issue certificate 1"
	assert_contains "hint: put the leaf first"
}

@test "an encrypted key, a certificate as key, a missing file" {
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/leaf-encrypted.key" -o yaml
	assert_exit 4
	assert_contains "encrypted"
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt" --key "$C/chain.crt" -o yaml
	assert_exit 4
	run "$KT" tls-secret goecho-tls --cert nope.crt --key "$C/leaf.key" -o yaml
	assert_exit 8
	run "$KT" tls-secret goecho-tls --cert "$C/chain.crt"
	assert_exit 2
}
