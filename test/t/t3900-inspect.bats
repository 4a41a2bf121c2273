#!/usr/bin/env bats
# inspect: every field checked against `openssl x509` on the same file, chain order,
# JSON, and every kind of bad input.

bats_require_minimum_version 1.5.0
load helper

P=$TOP/test/fixtures/peer
CHAIN=$P/kong-upstream-chain-example-com.pem

setup() { kt_setup; }

@test "fields agree with openssl x509 (fingerprint, serial, dates, subject)" {
	run "$KT" inspect "$P/kong-ca-yolo42-1.pem"
	assert_exit 0
	fp=$(openssl x509 -in "$P/kong-ca-yolo42-1.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	serial=$(openssl x509 -in "$P/kong-ca-yolo42-1.pem" -noout -serial | sed 's/.*=//')
	cn=$(openssl x509 -in "$P/kong-ca-yolo42-1.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
	end=$(date -u -d "$(openssl x509 -in "$P/kong-ca-yolo42-1.pem" -noout -enddate | sed 's/.*=//')" +%Y-%m-%dT%H:%M:%SZ)
	assert_contains "SHA-256:   $fp"
	assert_contains "serial:    $serial"
	assert_contains "subject:   $cn"
	assert_contains "to $end"
	assert_contains "CA:        yes, pathlen 0"
	assert_contains "key usage: (no keyUsage extension)"
	assert_contains "key:       RSA 4096 bits"
}

@test "a chain in order, and the same certificates reversed" {
	run "$KT" inspect "$CHAIN"
	assert_exit 0
	assert_contains "2 certificates, a chain in order (each issued by the next)"
	assert_contains "SANs:      (none)"
	assert_contains "EKU:       serverAuth"
	awk '/BEGIN/{n++} {print > ("c" n ".pem")}' "$CHAIN"
	cat c2.pem c1.pem >reversed.pem
	run "$KT" inspect reversed.pem
	assert_exit 0
	assert_contains "NOT a chain in order: [0] is not issued by [1]"
}

@test "v1 certificate, expired flag, SANs of every kind, EC P-384" {
	run "$KT" inspect "$P/kong-expired-nonca-v1-ssl-alt.pem" "$P/kic-example-upstream-leaf-expired.pem"
	assert_exit 0
	assert_contains "CA:        no (no basicConstraints: X.509 v1)"
	assert_contains "EXPIRED"
	assert_contains "SANs:      DNS:goecho"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout k.pem -out sans.pem \
		-subj /CN=x -days 1 -addext "subjectAltName=DNS:*.example.com,IP:10.0.0.1,IP:::1,email:a@b.c" \
		-addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
	run "$KT" inspect sans.pem
	assert_exit 0
	assert_contains "SANs:      DNS:*.example.com, IP:10.0.0.1, IP:::1, email:a@b.c"
	assert_contains "EKU:       serverAuth, clientAuth"
	assert_contains "key:       EC 384 bits (secp384r1)"
	[[ $output =~ \((0\ days|1\ day)\ left\) ]]
}

@test "-o json, several files, stdin" {
	run --separate-stderr bash -c '"$KT" inspect "$1" - -o json <"$2"' _ "$CHAIN" "$P/kong-ca-testing-root.pem"
	assert_exit 0
	python3 - "$output" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
a, b = d["files"]
assert a["count"] == 2 and a["chain_in_order"] is True
leaf, inter = a["certificates"]
assert leaf["basic_constraints"]["ca"] is False and inter["basic_constraints"]["pathlen"] == 0
assert leaf["issued_by_next"] is True and "issued_by_next" not in inter
assert leaf["sans"] == [] and leaf["extended_key_usage"] == ["serverAuth"]
assert leaf["validity"]["expired"] is False and leaf["validity"]["days_left"] > 0
assert b["file"] == "standard input" and b["chain_in_order"] is None
assert b["certificates"][0]["self_signed"] is True
assert len(b["certificates"][0]["sha256_fingerprint"]) == 95
EOF
}

bad_input() {
	local code=$1 text=$2
	shift 2
	run --separate-stderr "$KT" inspect "$@"
	assert_exit "$code"
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	output=$stderr
	assert_error_line
	assert_contains "$text"
}

@test "bad input: one line naming the file or flag, distinct exit codes, no partial report" {
	mkdir d
	: >empty.pem
	head -c 2000 /dev/urandom >random.bin
	echo "not a certificate" >garbage.pem
	openssl x509 -in "$CHAIN" -outform der -out leaf.der
	openssl genpkey -algorithm ED25519 -out key.pem
	head -c 2600 "$CHAIN" >trunc.pem
	bad_input 8 "cannot read 'nope.pem': no such file" nope.pem
	bad_input 8 "cannot read 'nope.pem': no such file" "$CHAIN" nope.pem
	bad_input 3 "cannot read 'd': is a directory" d
	bad_input 4 "'empty.pem' is empty" empty.pem
	bad_input 4 "'garbage.pem' holds no PEM certificate" garbage.pem
	bad_input 4 "'random.bin'" random.bin
	bad_input 4 "'leaf.der' looks like DER, not PEM; convert with openssl x509 -inform der" leaf.der
	bad_input 4 "'key.pem' contains a private key, not a certificate" key.pem
	bad_input 4 "'trunc.pem' has a truncated or corrupt PEM block (block 2)" trunc.pem
	bad_input 2 "missing FILE" 
	bad_input 2 "unknown flag '--bogus'" --bogus "$CHAIN"
	bad_input 2 "flag '--output' needs a value" "$CHAIN" -o
	bad_input 2 "unknown output format 'yaml'" "$CHAIN" -o yaml
}
