#!/usr/bin/env bats
# init-ca: the guide's chain in one command. Real openssl is the oracle: every chain
# must verify, and `openssl x509` must show the profile field by field.

load helper
load pki-helper

setup() { kt_setup; }

@test "default run writes exactly the guide's files, keys 0600 PKCS#8, certificates 0644" {
	run "$KT" init-ca
	assert_exit 0
	assert_contains "certs/"
	assert_contains "root.crt"
	[ "$(cd certs && ls -A | sort | tr '\n' ' ')" = "chain.crt inter.crt inter.key leaf.crt leaf.key root.crt root.key " ]
	for k in root inter leaf; do
		assert_mode certs/$k.key 600
		assert_mode certs/$k.crt 644
		[ "$(head -n1 certs/$k.key)" = "-----BEGIN PRIVATE KEY-----" ]
		openssl pkey -in certs/$k.key -noout
		# the key belongs to the certificate
		[ "$(openssl pkey -in certs/$k.key -pubout)" = "$(openssl x509 -in certs/$k.crt -noout -pubkey)" ]
	done
	assert_mode certs/chain.crt 644
	assert_mode certs 755
	[ "$(grep -c 'BEGIN CERTIFICATE' certs/chain.crt)" -eq 2 ]
	# chain.crt = leaf then inter, byte for byte
	[ "$(cat certs/leaf.crt certs/inter.crt)" = "$(cat certs/chain.crt)" ]
	openssl verify -CAfile certs/root.crt -untrusted certs/inter.crt -verify_hostname kong.example certs/leaf.crt
	openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_hostname kong.example certs/chain.crt
	# wrong hostname is rejected by the same oracle
	! openssl verify -CAfile certs/root.crt -untrusted certs/inter.crt -verify_hostname other.example certs/leaf.crt
	[ "$(openssl x509 -in certs/root.crt -noout -subject)" = "subject=CN = root" ]
	[ "$(openssl x509 -in certs/inter.crt -noout -subject)" = "subject=CN = inter" ]
	[ "$(openssl x509 -in certs/leaf.crt -noout -subject)" = "subject=CN = kong.example" ]
	[ "$(openssl x509 -in certs/leaf.crt -noout -issuer)" = "issuer=CN = inter" ]
	check_profile certs/root.crt root ec:p256 3650
	check_profile certs/inter.crt inter ec:p256 1825 0
	check_profile certs/leaf.crt leaf ec:p256 365
	[ "$(openssl x509 -in certs/leaf.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')" = "DNS:kong.example" ]
	# certificates 0644 and keys 0600 whatever the umask
	umask 077
	run "$KT" init-ca --out u
	assert_exit 0
	assert_mode u/root.crt 644
	assert_mode u/root.key 600
}

@test "every key type with 0..3 intermediates (KT_TEST_FULL=1: all combinations) verifies with openssl and shows the profile" {
	local kt n d i chain ns
	for kt in ec:p256 ec:p384 ed25519 rsa:2048 rsa:3072 rsa:4096; do
		# The chain's shape does not depend on the key type, and RSA keys are slow on a shared
		# 2-core machine: RSA sizes get fewer depths unless KT_TEST_FULL=1 asks for all.
		case $kt in
		rsa:2048) ns="0 2" ;;
		rsa:3072) ns="1" ;;
		rsa:4096) ns="0" ;;
		*) ns="0 1 2 3" ;;
		esac
		[ -n "${KT_TEST_FULL:-}" ] && ns="0 1 2 3"
		for n in $ns; do
			d="o-${kt/:/-}-$n"
			run "$KT" init-ca --out "$d" --intermediates "$n" --key-type "$kt" --host svc.example
			assert_exit 0
			check_profile "$d/root.crt" root "$kt" 3650
			check_profile "$d/leaf.crt" leaf "$kt" 365
			[ "$(grep -c 'BEGIN CERTIFICATE' "$d/chain.crt")" -eq $((n + 1)) ]
			case $n in
			0)
				[ "$(ls -A "$d" | sort | tr '\n' ' ')" = "chain.crt leaf.crt leaf.key root.crt root.key " ]
				cmp "$d/chain.crt" "$d/leaf.crt"
				[ "$(openssl x509 -in "$d/leaf.crt" -noout -issuer)" = "issuer=CN = root" ] ;;
			1)
				check_profile "$d/inter.crt" inter "$kt" 1825 0 ;;
			*)
				chain="$d/leaf.crt"
				for ((i = n; i >= 1; i--)); do
					check_profile "$d/inter$i.crt" inter "$kt" 1825 $((n - i))
					[ "$(openssl x509 -in "$d/inter$i.crt" -noout -subject)" = "subject=CN = inter$i" ]
					chain="$chain $d/inter$i.crt"
				done
				[ "$(openssl x509 -in "$d/inter1.crt" -noout -issuer)" = "issuer=CN = root" ]
				[ "$(openssl x509 -in "$d/leaf.crt" -noout -issuer)" = "issuer=CN = inter$n" ]
				# chain.crt = leaf, interN .. inter1
				# shellcheck disable=SC2086
				[ "$(cat $chain)" = "$(cat "$d/chain.crt")" ] ;;
			esac
			run openssl verify -CAfile "$d/root.crt" -untrusted "$d/chain.crt" -verify_hostname svc.example "$d/chain.crt"
			[ "$status" -eq 0 ] || { echo "$kt x $n: $output"; false; }
			# Kong's depth: N intermediates need tls-verify-depth N
			run openssl verify -verify_depth "$n" -CAfile "$d/root.crt" -untrusted "$d/chain.crt" "$d/chain.crt"
			[ "$status" -eq 0 ] || { echo "$kt x $n depth $n: $output"; false; }
			if [ "$n" -gt 0 ]; then
				run openssl verify -verify_depth $((n - 1)) -CAfile "$d/root.crt" -untrusted "$d/chain.crt" "$d/chain.crt"
				[ "$status" -ne 0 ]
			fi
		done
	done
}

@test "hosts: DNS, wildcard, IPv4 and IPv6 become the right SAN types; the first is the CN" {
	run "$KT" init-ca --host kong.example --host '*.apps.kong.example' --host 10.0.0.7 --host 2001:db8::1 --host echo
	assert_exit 0
	[ "$(openssl x509 -in certs/leaf.crt -noout -ext subjectAltName | tail -n1 | sed 's/^ *//')" = \
	  "DNS:kong.example, DNS:*.apps.kong.example, IP Address:10.0.0.7, IP Address:2001:DB8:0:0:0:0:0:1, DNS:echo" ]
	[ "$(openssl x509 -in certs/leaf.crt -noout -subject)" = "subject=CN = kong.example" ]
	openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_hostname a.apps.kong.example certs/leaf.crt
	openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_ip 10.0.0.7 certs/leaf.crt
	openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_ip 2001:db8::1 certs/leaf.crt
	! openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_ip 10.0.0.8 certs/leaf.crt
	! openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt -verify_hostname a.b.apps.kong.example certs/leaf.crt
	run "$KT" init-ca --out ip --host 192.0.2.1
	assert_exit 0
	[ "$(openssl x509 -in ip/leaf.crt -noout -subject)" = "subject=CN = 192.0.2.1" ]
	openssl verify -CAfile ip/root.crt -untrusted ip/chain.crt -verify_ip 192.0.2.1 ip/leaf.crt
}

@test "names, CNs and validity follow the flags" {
	run "$KT" init-ca --out x --intermediates 2 --root-cn "My Root" --inter-cn sub --days-root 100 --days-inter 50 --days-leaf 7
	assert_exit 0
	[ "$(openssl x509 -in x/root.crt -noout -subject)" = "subject=CN = My Root" ]
	[ "$(openssl x509 -in x/inter1.crt -noout -subject)" = "subject=CN = sub1" ]
	[ "$(openssl x509 -in x/inter2.crt -noout -subject)" = "subject=CN = sub2" ]
	check_profile x/root.crt root ec:p256 100
	check_profile x/inter1.crt inter ec:p256 50 1
	check_profile x/inter2.crt inter ec:p256 50 0
	check_profile x/leaf.crt leaf ec:p256 7
	[ ! -e x/inter.crt ]
	run "$KT" init-ca --out y --inter-cn "Kong Inter"
	assert_exit 0
	[ "$(openssl x509 -in y/inter.crt -noout -subject)" = "subject=CN = Kong Inter" ]
}

@test "--no-leaf writes the CAs only" {
	run "$KT" init-ca --no-leaf --intermediates 2
	assert_exit 0
	[ "$(cd certs && ls -A | sort | tr '\n' ' ')" = "inter1.crt inter1.key inter2.crt inter2.key root.crt root.key " ]
	openssl verify -CAfile certs/root.crt -untrusted certs/inter1.crt certs/inter2.crt
	run "$KT" init-ca --no-leaf --host a.example
	assert_exit 2
	assert_error_line
}

@test "usage errors: exit 2, one line naming the flag or value, no file written" {
	local args
	while IFS= read -r args; do
		eval "run \"\$KT\" init-ca --out o $args"
		[ "$status" -eq 2 ] || { echo "init-ca $args: exit $status: $output"; false; }
		assert_error_line
		[ ! -e o ] || { echo "init-ca $args created o"; false; }
	done <<'EOF'
--intermediates 9
--intermediates -1
--intermediates x
--key-type rsa:1024
--key-type dsa
--host 'exa mple'
--host ''
--host '*'
--host '*.com'
--host 'a.*.example'
--host '*a.example'
--host '-bad.example'
--host 'a..example'
--host 1.2.3
--host 1::2::3
--bogus
--days-leaf 0
--days-root abc
--host
--key-type
extra-argument
EOF
	run "$KT" init-ca --host 'exa mple'
	assert_contains "invalid host 'exa mple'"
	run "$KT" init-ca --key-type rsa:1024
	assert_contains "unknown key type 'rsa:1024'"
	run "$KT" init-ca --intermediates 9
	assert_contains "--intermediates"
	run "$KT" init-ca --bogus
	assert_contains "unknown flag '--bogus'"
	run "$KT" init-ca --host
	assert_contains "needs a value"
	[ ! -e certs ]
}

@test "existing files are not overwritten without --force (exit 7); --force replaces them" {
	run "$KT" init-ca
	assert_exit 0
	local before
	before=$(cd certs && sha256sum ./* && ls -la --time-style=full-iso)
	run "$KT" init-ca
	assert_exit 7
	assert_error_line
	assert_contains "refusing to overwrite 'certs/"
	run "$KT" init-ca --intermediates 0 --key-type rsa:2048
	assert_exit 7
	run "$KT" init-ca --out certs//
	assert_exit 7
	assert_contains "refusing to overwrite 'certs/root.key'"
	[ "$before" = "$(cd certs && sha256sum ./* && ls -la --time-style=full-iso)" ]
	# one existing file is enough to refuse, and nothing else is created
	mkdir other && echo keep >other/leaf.crt
	run "$KT" init-ca --out other
	assert_exit 7
	[ "$(ls -A other)" = "leaf.crt" ] && [ "$(cat other/leaf.crt)" = keep ]
	run "$KT" init-ca --force
	assert_exit 0
	[ "$before" != "$(cd certs && sha256sum ./*)" ]
	assert_mode certs/root.key 600
	openssl verify -CAfile certs/root.crt -untrusted certs/chain.crt certs/chain.crt
	[ -z "$(ls -A certs | grep -v -E '^(root|inter|leaf)\.(key|crt)$|^chain\.crt$')" ]
}

@test "an output directory that cannot be written is exit 3 with one line, and no file" {
	echo x >afile
	run "$KT" init-ca --out afile
	assert_exit 3
	assert_error_line
	assert_contains "afile"
	run "$KT" init-ca --out afile/sub/certs
	assert_exit 3
	assert_error_line
	[ "$(cat afile)" = x ]
	# /proc refuses new entries even to root
	run "$KT" init-ca --out /proc/kt-certs
	assert_exit 3
	assert_error_line
	[ ! -e /proc/kt-certs ]
	# a new nested directory is created 0755
	run "$KT" init-ca --out a/b/c
	assert_exit 0
	assert_mode a/b 755
	assert_mode a/b/c 755
}

@test "a failure at the last rename leaves nothing new, and restores replaced files" {
	mkdir -p certs/chain.crt
	run "$KT" init-ca --force
	assert_exit 3
	assert_error_line
	assert_contains "chain.crt"
	[ "$(ls -A certs)" = "chain.crt" ] || { ls -A certs; false; }
	[ -d certs/chain.crt ]
	# with old files present: they come back unchanged
	rmdir certs/chain.crt && rmdir certs
	run "$KT" init-ca --intermediates 0
	assert_exit 0
	rm certs/chain.crt && mkdir certs/chain.crt
	local before
	before=$(cd certs && sha256sum ./*.key ./*.crt 2>/dev/null; ls -A)
	run "$KT" init-ca --force --intermediates 0
	assert_exit 3
	[ "$before" = "$(cd certs && sha256sum ./*.key ./*.crt 2>/dev/null; ls -A)" ]
	[ -z "$(ls -A certs | grep -E 'tmp|old')" ]
}

@test "SIGTERM during key generation leaves no temporary file and no new directory" {
	# rsa:4096 with 3 intermediates takes long enough to be interrupted
	"$KT" init-ca --out sig --key-type rsa:4096 --intermediates 3 >/dev/null 2>&1 &
	local pid=$!
	sleep 0.3
	kill -TERM "$pid" 2>/dev/null || skip "finished before the signal"
	local st=0
	wait "$pid" || st=$?
	[ "$st" -eq 143 ] || [ "$st" -eq 0 ]
	if [ "$st" -eq 143 ]; then
		[ ! -e sig ] || [ -z "$(ls -A sig)" ] || { ls -A sig; false; }
	else
		[ -z "$(ls -A sig | grep tmp)" ]
	fi
}

@test "--help explains every flag with examples" {
	run "$KT" init-ca --help
	assert_exit 0
	for f in --out --intermediates --key-type --host --root-cn --inter-cn --days-root --days-inter --days-leaf --no-leaf --force; do
		assert_contains "$f"
	done
	assert_contains "Examples:"
	assert_contains "kubectl kong-tls init-ca"
	assert_contains "pathlen"
}
