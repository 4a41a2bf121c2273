#!/usr/bin/env bats
# Conformance: `verify --address` against a REAL nginx configured as Kong configures upstream TLS.
# For every case: the same verdict (verify exit 0 <=> the proxy answers 200), verify's code equal to
# the FIRST "verify:0, error:NN" line in nginx's debug log (Kong's code: it verifies without nginx's
# continuing callback), and the same host-name verdict as nginx's check. One nginx serves every case:
# a TLS upstream per served chain, a proxy server block per case (selected by Host) with its own log.

load helper

setup_file() {
	source "$BATS_TEST_DIRNAME/../nginx/mkcert.bash"
	source "$BATS_TEST_DIRNAME/../nginx/kong-proxy.bash"
	local D=$BATS_FILE_TMPDIR/certs past1 past2 fut1 fut2
	past1=20200101000000Z past2=20210101000000Z
	fut1=$(date -u -d '+5 years' +%Y%m%d%H%M%SZ) fut2=$(date -u -d '+6 years' +%Y%m%d%H%M%SZ)
	mkcert_init "$D"
	# roots
	mkcert root - ca && mkcert root2 - ca ec && mkcert rootec - ca ec384 &&
	mkcert rootexp - ca ec "" $past1 $past2 && mkcert rootfut - ca ec "" "$fut1" "$fut2" &&
	# the main chain, RSA intermediates, leaves of both key types
	mkcert ia1 root ca && mkcert ia2 ia1 ca ec && mkcert ia3 ia2 ca &&
	mkcert l0 root leaf ec && mkcert l1 ia1 leaf && mkcert l2 ia2 leaf ec && mkcert l3 ia3 leaf ec &&
	# validity at each level
	mkcert l1exp ia1 leaf ec "" $past1 $past2 && mkcert l1fut ia1 leaf ec "" "$fut1" "$fut2" &&
	mkcert iexp root ca ec "" $past1 $past2 && mkcert liexp iexp leaf ec &&
	mkcert ifut root ca ec "" "$fut1" "$fut2" && mkcert lifut ifut leaf ec &&
	mkcert irexp rootexp ca ec && mkcert lrexp irexp leaf ec &&
	mkcert irfut rootfut ca ec && mkcert lrfut irfut leaf ec &&
	# structure: CA:FALSE intermediate, pathlen, EC root with an RSA intermediate
	mkcert inoca root noca ec && mkcert lnoca inoca leaf ec &&
	mkcert ip0 root ca0 ec && mkcert ip0b ip0 ca ec && mkcert lp ip0b leaf ec && mkcert lp0 ip0 leaf ec &&
	mkcert iec rootec ca && mkcert lec iec leaf ec &&
	# names: wildcard, IP SANs, CN only
	mkcert lw ia1 leaf ec "DNS:*.wild.example" &&
	mkcert lip ia1 leaf ec "IP:127.0.0.1" &&
	mkcert lipdns ia1 leaf ec "DNS:kong.example,IP:127.0.0.1" &&
	mkcert lcn ia1 cnonly ec "DNS:kong.example" || return 1
	mkchain both root ia1

	# served chains: NAME LEAF [INTERMEDIATES in served order]
	cat >"$BATS_FILE_TMPDIR/served" <<-'EOF'
	s0 l0
	s1 l1 ia1
	s2 l2 ia2 ia1
	s3 l3 ia3 ia2 ia1
	s1miss l1
	s2miss l2 ia2
	s2rev l2 ia1 ia2
	s3rev l3 ia1 ia3 ia2
	s1root l1 ia1 root
	l1exp l1exp ia1
	l1fut l1fut ia1
	iexp liexp iexp
	ifut lifut ifut
	rexp lrexp irexp
	rfut lrfut irfut
	noca lnoca inoca
	path lp ip0b ip0
	path0 lp0 ip0
	ec lec iec
	wild lw ia1
	ip lip ia1
	ipdns lipdns ia1
	cn lcn ia1
	EOF
	# cases: NAME SERVED CA DEPTH HOST [caobj]   (CA: a cert name, both, or none; DEPTH: a number or -)
	# caobj: the CA is not a valid CA object (expired), so KIC never hands it to Kong, whose store
	# stays without it; nginx is given the file anyway. Only the verdicts are compared, and verify
	# must say the CA object is refused.
	{
		local s ca d
		for s in s0 s1 s2 s3; do
			for ca in root root2 none ia1; do
				for d in - 0 1 2 3; do
					echo "m-$s-$ca-$d $s $ca $d kong.example"
				done
			done
		done
		cat <<-'EOF'
		miss1 s1miss root - kong.example
		miss1-both s1miss both - kong.example
		miss2 s2miss root - kong.example
		rev2 s2rev root - kong.example
		rev2-d1 s2rev root 1 kong.example
		rev3 s3rev root - kong.example
		rev3-d2 s3rev root 2 kong.example
		root-served s1root root - kong.example
		root-served-d0 s1root root 0 kong.example
		root-served-none s1root none - kong.example
		both-d0 s1 both 0 kong.example
		both s2 both - kong.example
		leaf-expired l1exp root - kong.example
		leaf-expired-wrongca l1exp root2 - kong.example
		leaf-expired-d0 l1exp root 0 kong.example
		leaf-future l1fut root - kong.example
		inter-expired iexp root - kong.example
		inter-future ifut root - kong.example
		root-expired rexp rootexp - kong.example caobj
		root-future rfut rootfut - kong.example
		noca-inter noca root - kong.example
		noca-inter-d0 noca root 0 kong.example
		pathlen path root - kong.example
		pathlen-d1 path root 1 kong.example
		pathlen0-ok path0 root - kong.example
		ec-mixed ec rootec - kong.example
		ec-mixed-wrongca ec root - kong.example
		host-mismatch s1 root - other.example
		host-mismatch-badchain s1 root2 - other.example
		host-case s1 root - KONG.Example
		wild-ok wild root - a.wild.example
		wild-apex wild root - wild.example
		wild-deep wild root - a.b.wild.example
		ip-san-only ip root - 127.0.0.1
		ip-and-dns-by-ip ipdns root - 127.0.0.1
		ip-and-dns-by-name ipdns root - kong.example
		cn-only cn root - kong.example
		cn-only-mismatch cn root - other.example
		EOF
	} >"$BATS_FILE_TMPDIR/cases"

	kp_init "$BATS_FILE_TMPDIR/nginx" || return 1
	local name leaf rest port px ports
	: >"$BATS_FILE_TMPDIR/ports"
	ports=($(kp_free_ports $(($(wc -l <"$BATS_FILE_TMPDIR/served") + 1))))
	px=${ports[0]}
	while read -r name leaf rest; do
		ports=("${ports[@]:1}")
		port=${ports[0]}
		# shellcheck disable=SC2086
		mkchain "served-$name" $leaf $rest
		kp_upstream "$name" "$port" "$D/served-$name.pem" "$D/$leaf.key"
		echo "$name $port" >>"$BATS_FILE_TMPDIR/ports"
	done <"$BATS_FILE_TMPDIR/served"
	local cname served ca depth host cafile
	while read -r cname served ca depth host _; do
		port=$(awk -v s="$served" '$1 == s { print $2 }' "$BATS_FILE_TMPDIR/ports")
		cafile=
		[ "$ca" = none ] || cafile=$D/$ca.pem
		[ "$depth" != - ] || depth=
		kp_proxy "$cname" "$px" "127.0.0.1:$port" "$host" "$depth" "$cafile"
	done <"$BATS_FILE_TMPDIR/cases"
	kp_start || return 1
	export CONF_PX=$px CONF_D=$D CONF_KP_DIR=$KP_DIR
}

teardown_file() { kp_stop; }

setup() {
	kt_setup
	source "$BATS_TEST_DIRNAME/../nginx/kong-proxy.bash"
	KP_DIR=$CONF_KP_DIR
}

# compare.bash runs each case through curl+nginx and through verify (outside bats: its per-line
# tracing makes shell loops several times slower) and prints one line per disagreement.
run_group() { # PATTERN: every case whose name matches
	KT=$KT run bash "$BATS_TEST_DIRNAME/../nginx/compare.bash" "$BATS_FILE_TMPDIR" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the harness reproduces the guide: depth 0 over one intermediate is 22 first, 20 last" {
	kp_clear_log m-s1-root-0
	run curl -s --max-time 10 -H "Host: m-s1-root-0" "http://127.0.0.1:$CONF_PX/"
	assert_contains "An invalid response was received from the upstream server"
	[ "$(kp_first_error m-s1-root-0)" = 22 ]
	[ "$(kp_last_error m-s1-root-0)" = 20 ]
	run curl -s --max-time 10 -H "Host: m-s1-root-1" "http://127.0.0.1:$CONF_PX/"
	assert_contains "Through HTTPS connection."
}

@test "matrix: 0-3 intermediates x depth absent/0-3 x right/wrong/no/intermediate-only CA" {
	run_group '^m-'
}

@test "missing intermediates, chains served out of order, the root served too" {
	run_group '^(miss|rev|root-served|both)'
}

@test "expired and not-yet-valid certificates at every level" {
	run_group '^(leaf|inter|root)-(expired|future)'
}

@test "non-CA intermediate, pathlen violations, RSA and EC mixed" {
	run_group '^(noca|pathlen|ec-)'
}

@test "host names: mismatch, case, wildcard SANs, IP SANs, CN-only certificates" {
	run_group '^(host|wild|ip-|cn-)'
}
