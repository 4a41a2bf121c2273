#!/usr/bin/env bats
# The verify matrix, with the real openssl CLI as the oracle: for every cell of
#   intermediates 0..3 x depth absent/0..3 x right CA / wrong CA / no intermediate served
#   x right / wrong hostname x valid / expired / not-yet-valid leaf
# `verify`'s verdict must equal `openssl verify`'s, and its code the FIRST error
# `openssl verify` prints (it prints them in order, "error N at D depth lookup").
#
# openssl verify is run the way libssl verifies for Kong: -purpose sslserver and
# -auth_level 1 (pki/verify.h). nginx checks the hostname only after the chain
# verified, while `openssl verify -verify_hostname` checks it before the validity
# dates; so the code is compared with `openssl verify` without -verify_hostname,
# and only a chain that verifies is then checked with -verify_hostname, whose
# error 62 must match our `does not match "NAME"`.

load helper

setup_file() {
	export GEN=$BATS_FILE_TMPDIR/chains
	bash "$BATS_TEST_DIRNAME/../fixtures/gen-chains.sh" "$GEN"
}

setup() { kt_setup; }

# openssl_first CAFILE UNTRUSTED|- LEAF DEPTH|- [HOST]: "OK" or the first error code
openssl_first() {
	local args=(-purpose sslserver -auth_level 1 -CAfile "$1") out
	[ "$2" = - ] || args+=(-untrusted "$2")
	[ "$4" = - ] || args+=(-verify_depth "$4")
	[ -z "${5:-}" ] || args+=(-verify_hostname "$5")
	out=$(openssl verify "${args[@]}" "$3" 2>&1)
	if [[ $out =~ error\ ([0-9]+)\ at\ [0-9]+\ depth\ lookup ]]; then
		echo "${BASH_REMATCH[1]}"
	elif [[ $out == *": OK"* ]]; then
		echo OK
	else
		echo "UNPARSED($out)"
	fi
}

# kt_code CHAIN CAFILE DEPTH|- HOST: "OK", the code of Kong's log line, or "HOST"
kt_code() {
	local args=(verify --chain "$1" --ca-file "$2" --hostname "$4") out rc
	[ "$3" = - ] || args+=(--depth "$3")
	out=$("$KT" "${args[@]}" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [[ $out == "verdict:      accept"* ]]; then
		echo OK
	elif [ $rc -eq 1 ] && [[ $out =~ Kong\ logs:\ +upstream\ SSL\ certificate\ verify\ error:\ \(([0-9]+): ]]; then
		echo "${BASH_REMATCH[1]}"
	elif [ $rc -eq 1 ] && [[ $out == *"Kong logs:    upstream SSL certificate does not match \"$4\""* ]]; then
		echo HOST
	else
		echo "UNEXPECTED(rc=$rc: $out)"
	fi
}

# run_cells K: every cell with K intermediates; prints failing cells, records the codes seen
run_cells() {
	local k=$1 depth ca host leaf chain cafile untrusted first expected got cells=0 failed=0
	for depth in - 0 1 2 3; do
	for ca in right wrong nointer; do
	for leaf in leaf leaf-expired leaf-future; do
		cafile=$GEN/root.crt
		untrusted=$GEN/k$k/inters.pem
		chain=$GEN/k$k/chain-$leaf.pem
		case $ca in
		wrong) cafile=$GEN/wrong-root.crt ;;
		nointer) chain=$GEN/k$k/$leaf.crt; untrusted=- ;;
		esac
		[ "$k" -gt 0 ] || untrusted=-
		first=$(openssl_first "$cafile" "$untrusted" "$GEN/k$k/$leaf.crt" "$depth")
		for host in good.example wrong.example; do
			expected=$first
			if [ "$first" = OK ]; then
				expected=$(openssl_first "$cafile" "$untrusted" "$GEN/k$k/$leaf.crt" "$depth" "$host")
				[ "$expected" = 62 ] && expected=HOST
			fi
			got=$(kt_code "$chain" "$cafile" "$depth" "$host")
			cells=$((cells + 1))
			echo "$got" >>"$BATS_FILE_TMPDIR/codes"
			if [ "$got" != "$expected" ]; then
				failed=$((failed + 1))
				echo "cell k=$k depth=$depth ca=$ca host=$host leaf=$leaf: verify says $got, openssl verify $expected"
			fi
		done
	done; done; done
	echo "k=$k: $cells cells, $failed failed"
	[ "$failed" -eq 0 ] && [ "$cells" -eq 90 ]
}

@test "matrix: leaf signed by the root (0 intermediates)" {
	run_cells 0
}

@test "matrix: 1 intermediate" {
	run_cells 1
}

@test "matrix: 2 intermediates" {
	run_cells 2
}

@test "matrix: 3 intermediates" {
	run_cells 3
}

# edge_cell NAME CAFILE HOST EXPECTED-KONG-CODE: verify agrees with openssl verify, and with the value
# spec §4.3 measured for Kong (so a silent change of openssl's behaviour is noticed too)
edge_cell() {
	local name=$1 cafile=$2 host=$3 want=$4 untrusted expected got
	untrusted=$GEN/edge/$name-inters.pem
	[ -s "$untrusted" ] || untrusted=-
	expected=$(openssl_first "$cafile" "$untrusted" "$GEN/edge/$name-leaf.crt" -)
	if [ "$expected" = OK ]; then
		expected=$(openssl_first "$cafile" "$untrusted" "$GEN/edge/$name-leaf.crt" - "$host")
		[ "$expected" = 62 ] && expected=HOST
	fi
	got=$(kt_code "$GEN/edge/$name-chain.pem" "$cafile" - "$host")
	if [ "$got" != "$expected" ] || [ "$got" != "$want" ]; then
		echo "edge $name host=$host: verify says $got, openssl verify $expected, expected $want"
		return 1
	fi
}

@test "edge cases: CA:FALSE intermediate, pathlen, EKU, served order, wildcard and IP names" {
	local R=$GEN/root.crt fails=0
	edge_cell noca "$R" good.example 79 || fails=$((fails + 1))
	edge_cell pathlen "$R" good.example 25 || fails=$((fails + 1))
	edge_cell client "$R" good.example 26 || fails=$((fails + 1))
	edge_cell reversed "$R" good.example OK || fails=$((fails + 1))
	edge_cell reversed "$GEN/edge/reversed-i1.crt" good.example 2 || fails=$((fails + 1))
	edge_cell names "$R" a.wild.example OK || fails=$((fails + 1))
	edge_cell names "$R" wild.example HOST || fails=$((fails + 1))
	edge_cell names "$R" a.b.wild.example HOST || fails=$((fails + 1))
	# nginx checks names with X509_check_host only: an IP never matches an IP SAN
	edge_cell names "$R" 127.0.0.1 HOST || fails=$((fails + 1))
	[ "$fails" -eq 0 ]
}

@test "matrix covered accept, hostname mismatch and errors 9, 10, 20, 22" {
	[ -f "$BATS_FILE_TMPDIR/codes" ] || skip "the matrix tests did not run"
	for c in OK HOST 9 10 20 22; do
		grep -qx "$c" "$BATS_FILE_TMPDIR/codes" || { echo "no cell gave $c"; sort "$BATS_FILE_TMPDIR/codes" | uniq -c; return 1; }
	done
}
