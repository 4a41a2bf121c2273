#!/usr/bin/env bats
# Offline verify: the peer fixtures from Kong's and KIC's own tests, Kong's first
# error vs plain nginx's last, CA-object rules, and every kind of bad input.

bats_require_minimum_version 1.5.0
load helper

P=$TOP/test/fixtures/peer
CHAIN=$P/kong-upstream-chain-example-com.pem
ROOT=$P/kong-ca-testing-root.pem

setup() { kt_setup; }

@test "Kong's own upstream chain: accepted with its root, depth 1, hostname via the subject CN" {
	run "$KT" verify --chain "$CHAIN" --ca-file "$ROOT" --depth 1 --hostname example.com
	assert_exit 0
	assert_contains "verdict:      accept"
	assert_contains "[2] C=US, ST=California, O=Kong Testing, CN=Kong Testing Root CA  (trust anchor)"
	assert_contains "depth:        1 "
}

@test "no --depth: says that OpenSSL's default of 100 applies" {
	run "$KT" verify --chain "$CHAIN" --ca-file "$ROOT"
	assert_exit 0
	assert_contains "no depth limit set: Kong leaves OpenSSL's default of 100"
}

@test "depth 0 over one intermediate: Kong logs 22, a plain nginx 20, both shown and labelled" {
	run --separate-stderr "$KT" verify --chain "$CHAIN" --ca-file "$ROOT" --depth 0
	assert_exit 1
	assert_contains "Kong logs:    upstream SSL certificate verify error: (22:certificate chain too long)"
	assert_contains "plain nginx:  upstream SSL certificate verify error: (20:unable to get local issuer certificate)"
	[ -z "$stderr" ]
}

@test "the wrong CA, and no CA at all (empty store): 20" {
	run "$KT" verify --chain "$CHAIN" --ca-file "$P/kong-ca-yolo42-1.pem"
	assert_exit 1
	assert_contains "(20:unable to get local issuer certificate)"
	run "$KT" verify --chain "$CHAIN"
	assert_exit 1
	assert_contains "trust store:  empty"
	assert_contains "(20:unable to get local issuer certificate)"
}

@test "a hostname mismatch is nginx's 'does not match' line, not a numbered error" {
	run "$KT" verify --chain "$CHAIN" --ca-file "$ROOT" --hostname kong.example
	assert_exit 1
	assert_contains 'Kong logs:    upstream SSL certificate does not match "kong.example"'
}

@test "the KIC example leaf expired on 2026-11-21: 10 at depth 0" {
	run "$KT" verify --chain "$P/kic-example-upstream-leaf-expired.pem" --ca-file "$P/kic-example-ca-myorg-root.pem" --hostname goecho
	assert_exit 1
	assert_contains "(10:certificate has expired)"
	assert_contains "error 10 at depth 0"
}

@test "-o json carries Kong's and plain nginx's codes" {
	run --separate-stderr "$KT" verify --chain "$CHAIN" --ca-file "$ROOT" --depth 0 -o json
	assert_exit 1
	python3 - "$output" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
assert d["verdict"] == "reject" and d["accepted"] is False
assert d["kong"]["error"] == 22 and d["kong"]["error_depth"] == 1
assert d["kong"]["log"] == "upstream SSL certificate verify error: (22:certificate chain too long)"
assert d["plain_nginx"]["error"] == 20
assert [e["error"] for e in d["plain_nginx"]["errors"]][0] == 22
assert d["depth"] == {"set": True, "limit": 0, "note": d["depth"]["note"]}
assert len(d["served"]) == 2 and d["ca_files"][0]["accepted"] is True
EOF
}

@test "CA files Kong/KIC refuse as CA objects: a rejection with both messages" {
	run --separate-stderr "$KT" verify --chain "$CHAIN" --ca-file "$P/kong-bundle-two-certs.pem"
	assert_exit 1
	assert_contains "Kong says:  please submit only one certificate at a time"
	assert_contains "KIC says:   multiple PEM certificates found"
	output=$stderr assert_error_line
	[[ $stderr == *"kong-bundle-two-certs.pem"* ]]
	[[ $stderr == *"create one CA object per certificate"* ]]

	run --separate-stderr "$KT" verify --chain "$CHAIN" --ca-file "$P/kong-nonca-v1-ssl-example.pem"
	assert_exit 1
	assert_contains 'certificate does not appear to be a CA because it is missing the "CA" basic constraint'
	assert_contains "certificate is missing the 'CA' basic constraint"
	output=$stderr assert_error_line

	run --separate-stderr "$KT" verify --chain "$CHAIN" --ca-file "$P/kic-ca-expired-hello.pem" --ca-file "$ROOT"
	assert_exit 1
	assert_contains 'certificate expired, "Not After" time is in the past'
	assert_contains "KIC says:   expired"
	# the chain itself is fine with the valid root: say so
	assert_contains "chain:        verifies with the valid CA files alone"
	output=$stderr assert_error_line
}

# bad_input ARGS...: expects $1 = exit code, $2 = text in the one error line, rest = verify args
bad_input() {
	local code=$1 text=$2
	shift 2
	run --separate-stderr "$KT" verify "$@"
	assert_exit "$code"
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	output=$stderr
	assert_error_line
	assert_contains "$text"
}

@test "bad input files: one line naming the file, distinct exit codes" {
	mkdir d
	: >empty.pem
	echo "hello, not a certificate" >garbage.pem
	openssl x509 -in "$ROOT" -outform der -out root.der
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem 2>/dev/null
	head -c 700 "$CHAIN" >trunc.pem
	bad_input 8 "cannot read 'nope.pem': no such file" --chain nope.pem --ca-file "$ROOT"
	bad_input 8 "cannot read 'nope.pem': no such file" --chain "$CHAIN" --ca-file nope.pem
	bad_input 3 "cannot read 'd': is a directory" --chain d --ca-file "$ROOT"
	bad_input 4 "'empty.pem' is empty" --chain empty.pem --ca-file "$ROOT"
	bad_input 4 "'garbage.pem' holds no PEM certificate" --chain garbage.pem
	bad_input 4 "'root.der' looks like DER, not PEM; convert with openssl x509 -inform der" --chain "$CHAIN" --ca-file root.der
	bad_input 4 "'key.pem' contains a private key, not a certificate" --chain key.pem --ca-file "$ROOT"
	bad_input 4 "'key.pem' contains a private key, not a certificate" --chain "$CHAIN" --ca-file key.pem
	bad_input 4 "'trunc.pem' has a truncated or corrupt PEM block" --chain trunc.pem --ca-file "$ROOT"
	if [ -r /proc/self/mem ]; then
		# readable by open(), but read() fails: what an unreadable file looks like even to root
		bad_input 3 "cannot read '/proc/self/mem': input/output error" --chain /proc/self/mem
	fi
	if [ "$(id -u)" -ne 0 ]; then
		cp "$ROOT" noread.pem && chmod 000 noread.pem
		bad_input 3 "cannot read 'noread.pem': permission denied" --chain "$CHAIN" --ca-file noread.pem
	fi
}

@test "the same CA certificate twice: a warning about Kong's unique cert_digest" {
	cp "$ROOT" copy.pem
	run --separate-stderr "$KT" verify --chain "$CHAIN" --ca-file "$ROOT" --ca-file copy.pem
	assert_exit 0
	[[ $stderr == *"warning: CA files '$ROOT' and 'copy.pem' hold the same certificate"* ]]
}

@test "stdin as the chain" {
	run bash -c '"$KT" verify --chain - --ca-file "$1" <"$2"' _ "$ROOT" "$CHAIN"
	assert_exit 0
	assert_contains "from 'standard input'"
}

@test "usage errors: exit 2, one line naming the flag" {
	bad_input 2 "invalid value '-1' for --depth: expected an integer from 0 to 64" --chain "$CHAIN" --depth -1
	bad_input 2 "invalid value '65' for --depth" --chain "$CHAIN" --depth 65
	bad_input 2 "invalid value 'abc' for --depth" --chain "$CHAIN" --depth abc
	bad_input 2 "unknown flag '--dpeth'" --chain "$CHAIN" --dpeth 1
	bad_input 2 "flag '--chain' needs a value" --chain
	bad_input 2 "missing --chain FILE" --ca-file "$ROOT"
	bad_input 2 "--hostname needs a non-empty name" --chain "$CHAIN" --hostname ""
	bad_input 2 "unexpected argument 'extra'" --chain "$CHAIN" extra
	bad_input 2 "unknown output format 'yaml'" --chain "$CHAIN" -o yaml
}
