#!/usr/bin/env bats
# make demo runs the guide's story end to end (emulator, real nginx as Kong, echo upstream) and every
# prediction of verify matches what the proxy did; it leaves no process behind.

load helper

setup() { kt_setup; }

@test "make demo: every step's prediction matches the proxy, codes 20 and 22 (Kong) vs 20 (plain nginx)" {
	run env TMPDIR="$BATS_TEST_TMPDIR" bash "$TOP/test/demo.sh"
	assert_exit 0
	assert_contains "Every prediction matched what the proxy did."
	assert_contains "verify predicts: reject: 502, Kong logs upstream SSL certificate verify error: (20:unable to get local issuer certificate)"
	assert_contains "verify predicts: reject: 502, Kong logs upstream SSL certificate verify error: (22:certificate chain too long)"
	assert_contains "nginx debug log: first error 22 (what Kong logs), last 20 (what this plain nginx logs"
	assert_contains "pass  proxy: GET http://127.0.0.1:"
	[ "$(printf '%s\n' "$output" | grep -c 'prediction matches the proxy')" -eq 5 ]
	# nothing left running from this demo
	! pgrep -f "$BATS_TEST_TMPDIR/kt-demo" >/dev/null
}
