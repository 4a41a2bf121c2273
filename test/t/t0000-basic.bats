#!/usr/bin/env bats
# The command line itself: help, version, dispatch, exit codes.

load helper

setup() { kt_setup; }

@test "no arguments prints the command list and exits 2" {
	run "$KT"
	assert_exit 2
	assert_contains "Commands:"
}

@test "--help lists every command and the exit codes" {
	run "$KT" --help
	assert_exit 0
	for c in init-ca issue inspect verify ca-secret ca-configmap tls-secret attach detach completion version; do
		assert_contains "  $c "
	done
	assert_contains "Exit codes:"
	[[ "$output" != *"__complete"* ]]
}

@test "every command has --help with a usage line and flags" {
	for c in init-ca issue inspect verify ca-secret ca-configmap tls-secret attach detach completion version; do
		run "$KT" "$c" --help
		assert_exit 0
		assert_contains "Usage: kubectl kong-tls $c"
		assert_contains "--help"
		run "$KT" help "$c"
		assert_exit 0
		assert_contains "Usage: kubectl kong-tls $c"
	done
}

@test "--version and version print the version and the OpenSSL version" {
	run "$KT" --version
	assert_exit 0
	[[ "$output" =~ ^kubectl-kong_tls\ [0-9]+\.[0-9]+\.[0-9]+\ \(OpenSSL\ 3 ]]
	run "$KT" version -o json
	assert_exit 0
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["version"] and d["openssl"].startswith("3")' "$output"
}

@test "unknown command, unknown flag and missing value are usage errors (exit 2, one line)" {
	run "$KT" frobnicate
	assert_exit 2
	assert_error_line
	assert_contains "unknown command 'frobnicate'"
	run "$KT" version --bogus
	assert_exit 2
	assert_error_line
	assert_contains "unknown flag '--bogus'"
	run "$KT" version -o
	assert_exit 2
	assert_error_line
	assert_contains "needs a value"
	run "$KT" version -o yaml
	assert_exit 2
	assert_error_line
	run "$KT" help nope
	assert_exit 2
	assert_error_line
}

@test "a short write to stdout is an error, not a success" {
	[ -e /dev/full ] || skip "no /dev/full"
	run bash -c '"$KT" --help >/dev/full'
	[ "$status" -ne 0 ]
	assert_contains "write error"
}

@test "runs as a kubectl plugin: kubectl kong-tls version" {
	mkdir -p plug
	ln -s "$KT" plug/kubectl-kong_tls
	PATH=$PWD/plug:$PATH run kubectl kong-tls version
	assert_exit 0
	assert_contains "kubectl-kong_tls "
}
