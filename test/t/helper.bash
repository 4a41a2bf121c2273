# Shared setup for the bats suites: a private HOME and scratch directory per test,
# the binary under test in $KT, and small assertion helpers.
: "${KT:=$BATS_TEST_DIRNAME/../../bin/kubectl-kong_tls}"
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
FIXTURES=$TOP/test/fixtures
source "$TOP/test/nginx/kong-proxy.bash"  # kp_free_port; sourcing only sets KP_NGINX

# free_port: a TCP port on 127.0.0.1 that nothing listens on now
free_port() { kp_free_port; }

# wait_port PORT: until something accepts connections on 127.0.0.1:PORT; 1 after 5 s
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

kt_setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	unset KUBECONFIG
	export NO_COLOR=1
	cd "$BATS_TEST_TMPDIR" || return 1
}

# assert_exit CODE: $status is CODE, else the output is shown.
assert_exit() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit $1, got $status; output:"; echo "$output"
		return 1
	fi
}

assert_contains() {
	case "$output" in
	*"$1"*) return 0 ;;
	esac
	echo "expected output to contain: $1"; echo "got:"; echo "$output"
	return 1
}

# A one-line error: the first line starts with the prefix, and at most one hint line follows.
assert_error_line() {
	local first
	first=$(printf '%s\n' "$output" | head -n1)
	case "$first" in
	"kubectl kong-tls: "*) ;;
	*) echo "expected an error line 'kubectl kong-tls: ...', got:"; echo "$output"; return 1 ;;
	esac
	if [ "$(printf '%s\n' "$output" | grep -vc '^kubectl kong-tls: hint: ')" -ne 1 ]; then
		echo "expected a single error line, got:"; echo "$output"; return 1
	fi
}
