# Bats helper: a Kubernetes API server emulator (test/emulator/kube_emulator.py) per test or per file.
#   load emulator
#   setup() { kt_setup; emulator_start; }          # or in setup_file() for one per file
#   teardown() { emulator_stop; }
# emulator_start [--gateway-versions V]  starts it in $BATS_TEST_TMPDIR (or $BATS_FILE_TMPDIR when called from
#     setup_file), waits for "ready", exports EMU_DIR, EMU_URL, EMU_TOKEN, KUBECONFIG=$EMU_DIR/kubeconfig.
# emulator_stop                          stops it (SIGTERM) and waits for it to exit.
# emulator_fault 'JSON'                  adds fault rules: [{"method":"PATCH","path":"/secrets/","action":"status",
#     "status":503,"retry_after":1,"count":2}]; actions: status, drop, delay (seconds), conflict.
# emulator_clear_faults                  removes all fault rules.
# emulator_requests                      one line per logged request: METHOD PATH[?QUERY] STATUS
# emulator_reset_log                     clears the request log.
# emulator_kubectl ARGS...               the real kubectl against the emulator.
# emulator_curl ARGS...                  curl with the emulator's CA and the admin token (for raw API calls).

EMU_ROOT=${EMU_ROOT:-$(cd "$BATS_TEST_DIRNAME/../emulator" && pwd)}

# The emulator is Python 3 stdlib only; prefer the system interpreter (version-manager shims add ~0.5 s per start).
_emu_python() {
	if [ -n "${EMU_PYTHON:-}" ]; then
		echo "$EMU_PYTHON"
	elif [ -x /usr/bin/python3 ]; then
		echo /usr/bin/python3
	else
		command -v python3
	fi
}

emulator_start() {
	local base dir i py
	if [ -n "${BATS_TEST_TMPDIR:-}" ]; then
		base=$BATS_TEST_TMPDIR
	else
		base=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}
	fi
	dir=$(mktemp -d "$base/emu.XXXXXX") || return 1
	py=$(_emu_python)
	"$py" "$EMU_ROOT/kube_emulator.py" --dir "$dir" "$@" >"$dir/stdout" 2>"$dir/stderr" &
	local pid=$!
	for i in $(seq 1 500); do
		if grep -q '^ready ' "$dir/stdout" 2>/dev/null; then
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "emulator failed to start:" >&2
			cat "$dir/stderr" >&2
			return 1
		fi
		sleep 0.01
	done
	if ! grep -q '^ready ' "$dir/stdout"; then
		echo "emulator did not become ready in 5 s" >&2
		cat "$dir/stderr" >&2
		kill "$pid" 2>/dev/null
		return 1
	fi
	export EMU_DIR=$dir
	export EMU_PID=$pid
	EMU_URL=$(sed -n 's/^ready //p' "$dir/stdout")
	export EMU_URL
	EMU_TOKEN=$(cat "$dir/admin-token")
	export EMU_TOKEN
	export KUBECONFIG=$dir/kubeconfig
}

emulator_stop() {
	[ -n "${EMU_PID:-}" ] || return 0
	kill "$EMU_PID" 2>/dev/null || true
	# Our child: wait reaps it. Otherwise poll until it is gone (or a zombie someone else must reap).
	wait "$EMU_PID" 2>/dev/null || true
	local i state
	for i in $(seq 1 300); do
		kill -0 "$EMU_PID" 2>/dev/null || { unset EMU_PID; return 0; }
		state=$(cut -d' ' -f3 "/proc/$EMU_PID/stat" 2>/dev/null)
		[ "$state" = Z ] && { unset EMU_PID; return 0; }
		sleep 0.01
	done
	# still running after 3 s (and not yet reaped, so the pid is still ours)
	kill -9 "$EMU_PID" 2>/dev/null || true
	unset EMU_PID
}

emulator_curl() {
	curl -sS --cacert "$EMU_DIR/ca.crt" -H "Authorization: Bearer $EMU_TOKEN" "$@"
}

emulator_fault() {
	emulator_curl -X POST -H 'Content-Type: application/json' --data "$1" "$EMU_URL/__emulator/faults" >/dev/null
}

emulator_clear_faults() {
	emulator_curl -X DELETE "$EMU_URL/__emulator/faults" >/dev/null
}

emulator_requests() {
	emulator_curl "$EMU_URL/__emulator/requests" | "$(_emu_python)" -c '
import json, sys
for r in json.load(sys.stdin):
    print("%s %s%s %s" % (r["method"], r["path"], ("?" + r["query"]) if r["query"] else "", r["status"]))'
}

emulator_reset_log() {
	emulator_curl -X DELETE "$EMU_URL/__emulator/requests" >/dev/null
}

emulator_kubectl() {
	kubectl --kubeconfig "$EMU_DIR/kubeconfig" "$@"
}
