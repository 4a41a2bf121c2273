#!/usr/bin/env bats
# issue: a new leaf from an init-ca directory, signed by its last CA, checked with
# real openssl (verify, and the profile field by field).

load helper
load pki-helper

setup() { kt_setup; }

@test "a named leaf from the guide's chain: files, modes, chain order, openssl verify, profile" {
	run "$KT" init-ca
	assert_exit 0
	run "$KT" issue --ca-dir certs --name api --host api.example --host 10.0.0.9 --host '*.api.example'
	assert_exit 0
	assert_contains "api-chain.crt"
	assert_contains "signed by inter.crt"
	assert_mode certs/api.key 600
	assert_mode certs/api.crt 644
	assert_mode certs/api-chain.crt 644
	[ "$(head -n1 certs/api.key)" = "-----BEGIN PRIVATE KEY-----" ]
	[ "$(openssl pkey -in certs/api.key -pubout)" = "$(openssl x509 -in certs/api.crt -noout -pubkey)" ]
	[ "$(cat certs/api.crt certs/inter.crt)" = "$(cat certs/api-chain.crt)" ]
	[ "$(openssl x509 -in certs/api.crt -noout -subject)" = "subject=CN = api.example" ]
	[ "$(openssl x509 -in certs/api.crt -noout -issuer)" = "issuer=CN = inter" ]
	check_profile certs/api.crt leaf ec:p256 365
	[ "$(openssl x509 -in certs/api.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')" = \
	  "DNS:api.example, IP Address:10.0.0.9, DNS:*.api.example" ]
	openssl verify -CAfile certs/root.crt -untrusted certs/api-chain.crt -verify_hostname api.example certs/api-chain.crt
	openssl verify -CAfile certs/root.crt -untrusted certs/api-chain.crt -verify_hostname x.api.example certs/api.crt
	openssl verify -CAfile certs/root.crt -untrusted certs/api-chain.crt -verify_ip 10.0.0.9 certs/api.crt
	! openssl verify -CAfile certs/root.crt -untrusted certs/api-chain.crt -verify_hostname kong.example certs/api.crt
	# the CA files are untouched and nothing else appeared
	[ "$(ls -A certs | sort | tr '\n' ' ')" = "api-chain.crt api.crt api.key chain.crt inter.crt inter.key leaf.crt leaf.key root.crt root.key " ]
}

@test "the signer is the last CA: root (0 intermediates), inter, inter3 (3), with the chain nearest first" {
	run "$KT" init-ca --out z --intermediates 0 --no-leaf
	assert_exit 0
	run "$KT" issue --ca-dir z --host a.example
	assert_exit 0
	[ "$(openssl x509 -in z/leaf.crt -noout -issuer)" = "issuer=CN = root" ]
	cmp z/chain.crt z/leaf.crt
	openssl verify -verify_depth 0 -CAfile z/root.crt -verify_hostname a.example z/chain.crt

	run "$KT" init-ca --out t --intermediates 3 --no-leaf
	assert_exit 0
	run "$KT" issue --ca-dir t --host b.example
	assert_exit 0
	[ "$(openssl x509 -in t/leaf.crt -noout -issuer)" = "issuer=CN = inter3" ]
	[ "$(cat t/leaf.crt t/inter3.crt t/inter2.crt t/inter1.crt)" = "$(cat t/chain.crt)" ]
	openssl verify -verify_depth 3 -CAfile t/root.crt -untrusted t/chain.crt -verify_hostname b.example t/chain.crt
	! openssl verify -verify_depth 2 -CAfile t/root.crt -untrusted t/chain.crt t/chain.crt
}

@test "renewing the guide's leaf needs --force and replaces leaf.key, leaf.crt and chain.crt together" {
	run "$KT" init-ca
	assert_exit 0
	local before
	before=$(cd certs && sha256sum ./*)
	run "$KT" issue --ca-dir certs --host kong.example
	assert_exit 7
	assert_error_line
	assert_contains "refusing to overwrite 'certs/leaf.key'"
	[ "$before" = "$(cd certs && sha256sum ./*)" ]
	run "$KT" issue --ca-dir certs --host kong.example --days 30 --force
	assert_exit 0
	[ "$(printf '%s\n' "$before" | grep leaf.key)" != "$(cd certs && sha256sum ./leaf.key)" ]
	[ "$(printf '%s\n' "$before" | grep chain.crt)" != "$(cd certs && sha256sum ./chain.crt)" ]
	[ "$(printf '%s\n' "$before" | grep -E 'root|inter')" = "$(cd certs && sha256sum ./* | grep -E 'root|inter')" ]
	[ "$(printf '%s\n' "$before" | grep leaf.crt)" != "$(cd certs && sha256sum ./leaf.crt)" ]
	check_profile certs/leaf.crt leaf ec:p256 30
	openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_hostname kong.example certs/chain.crt
	[ "$(openssl pkey -in certs/leaf.key -pubout)" = "$(openssl x509 -in certs/leaf.crt -noout -pubkey)" ]
	assert_mode certs/leaf.key 600
}

@test "key type: the CA's by default, --key-type otherwise; --out writes elsewhere" {
	run "$KT" init-ca --out r --key-type rsa:2048 --no-leaf
	assert_exit 0
	run "$KT" issue --ca-dir r --host r.example
	assert_exit 0
	assert_contains "rsa:2048"
	check_profile r/leaf.crt leaf rsa:2048 365
	run "$KT" issue --ca-dir r --host e.example --name ed --key-type ed25519 --out elsewhere/dir
	assert_exit 0
	SIGNER_KT=rsa:2048 check_profile elsewhere/dir/ed.crt leaf ed25519 365
	[ "$(openssl pkey -in elsewhere/dir/ed.key -noout -text | head -n1)" = "ED25519 Private-Key:" ]
	[ ! -e r/ed.crt ]
	openssl verify -CAfile r/root.crt -untrusted elsewhere/dir/ed-chain.crt -verify_hostname e.example elsewhere/dir/ed-chain.crt
}

@test "usage errors: exit 2, one line, no file" {
	run "$KT" init-ca --no-leaf
	assert_exit 0
	local args
	while IFS= read -r args; do
		eval "run \"\$KT\" issue $args"
		[ "$status" -eq 2 ] || { echo "issue $args: exit $status: $output"; false; }
		assert_error_line
	done <<'EOF'
--host a.example
--ca-dir certs
--ca-dir certs --host 'exa mple'
--ca-dir certs --host ''
--ca-dir certs --host '*.'
--ca-dir certs --host a.example --name root
--ca-dir certs --host a.example --name inter
--ca-dir certs --host a.example --name inter3
--ca-dir certs --host a.example --name chain
--ca-dir certs --host a.example --name ../x
--ca-dir certs --host a.example --name ''
--ca-dir certs --host a.example --key-type rsa:1024
--ca-dir certs --host a.example --days 0
--ca-dir certs --host a.example --bogus
--ca-dir certs --host a.example extra
--ca-dir certs --host
EOF
	[ "$(ls -A certs | sort | tr '\n' ' ')" = "inter.crt inter.key root.crt root.key " ]
}

@test "bad CA directories: missing (8), malformed certificate (4), key not matching (4), unwritable output (3)" {
	run "$KT" issue --ca-dir nowhere --host a.example
	assert_exit 8
	assert_contains "no CA in 'nowhere'"
	[ ! -e nowhere ]
	run "$KT" init-ca --no-leaf
	assert_exit 0
	cp -a certs good
	echo garbage >certs/inter.crt
	run "$KT" issue --ca-dir certs --host a.example
	assert_exit 4
	assert_error_line
	assert_contains "certs/inter.crt"
	rm -rf certs && cp -a good certs
	cp certs/root.key certs/inter.key
	run "$KT" issue --ca-dir certs --host a.example
	assert_exit 4
	assert_error_line
	assert_contains "does not belong"
	# a leaf is not a CA
	rm -rf certs && cp -a good certs
	run "$KT" init-ca --out leafy --intermediates 0
	assert_exit 0
	cp leafy/leaf.crt certs/inter.crt && cp leafy/leaf.key certs/inter.key
	run "$KT" issue --ca-dir certs --host a.example
	assert_exit 4
	assert_contains "not a CA certificate"
	echo x >afile
	run "$KT" issue --ca-dir good --host a.example --out afile/sub
	assert_exit 3
	assert_error_line
	[ "$(ls -A good | sort | tr '\n' ' ')" = "inter.crt inter.key root.crt root.key " ]
}

@test "--help explains every flag and the chain file name" {
	run "$KT" issue --help
	assert_exit 0
	for f in --ca-dir --host --out --name --key-type --days --force; do
		assert_contains "$f"
	done
	assert_contains "NAME-chain.crt"
	assert_contains "chain.crt"
	assert_contains "Examples:"
}
