#!/usr/bin/env bats
# Completion of live names against the API emulator: Services (svc/NAME), labelled CA
# Secrets/ConfigMaps, namespaces, kubeconfig contexts; through __complete, bash, and
# the real `kubectl __complete kong-tls ...`. A dead or silent API server gives no
# candidates, quickly, and no error.

load helper
load emulator
bats_require_minimum_version 1.5.0

setup_file() {
	emulator_start
	local k=(kubectl --kubeconfig "$KUBECONFIG")
	"${k[@]}" create namespace kong >/dev/null
	"${k[@]}" create service clusterip echo --tcp=443 >/dev/null
	"${k[@]}" create service clusterip echo-two --tcp=443 >/dev/null
	"${k[@]}" -n kong create service clusterip proxy --tcp=443 >/dev/null
	"${k[@]}" create secret generic root-ca --from-literal=id=1 >/dev/null
	"${k[@]}" create secret generic other-ca --from-literal=id=2 >/dev/null
	"${k[@]}" label secret root-ca other-ca konghq.com/ca-cert=true >/dev/null
	"${k[@]}" create secret generic not-a-ca --from-literal=a=b >/dev/null
	"${k[@]}" create configmap cm-ca --from-literal=id=3 >/dev/null
	"${k[@]}" label configmap cm-ca konghq.com/ca-cert=true >/dev/null
	"${k[@]}" -n kong create secret generic kong-ca --from-literal=id=4 >/dev/null
	"${k[@]}" -n kong label secret kong-ca konghq.com/ca-cert=true >/dev/null
	export KUBECONFIG EMU_DIR EMU_PID
}

teardown_file() { emulator_stop; }

teardown() {
	[ -z "${SILENT_PID:-}" ] || kill "$SILENT_PID" 2>/dev/null || true
}

setup() {
	local kc=$KUBECONFIG
	kt_setup
	export KUBECONFIG=$kc
	mkdir -p bin
	ln -s "$KT" bin/kubectl-kong_tls
	"$KT" completion kubectl >bin/kubectl_complete-kong_tls
	chmod +x bin/kubectl_complete-kong_tls
	export PATH=$PWD/bin:$PATH
}

candidates() {
	printf '%s\n' "$output" | sed '$d' | cut -f1 | sort | tr '\n' ' '
}

# The command whose positional argument is a Service and that has --ca (attach today).
svc_cmd() {
	local c
	for c in attach detach; do
		"$KT" "$c" --help 2>/dev/null | grep -q -- '--ca ' && { echo "$c"; return; }
	done
	skip "no command takes svc/NAME and --ca yet"
}

@test "svc/<TAB>: the Services of the namespace, from the cluster" {
	local c
	c=$(svc_cmd)
	run --separate-stderr "$KT" __complete "$c" svc/
	assert_exit 0
	[ -z "$stderr" ]
	[ "$(candidates)" = "svc/echo svc/echo-two svc/kubernetes " ]
	[ "$(printf '%s\n' "$output" | tail -n1)" = ":4" ]
	run "$KT" __complete "$c" svc/echo-
	[ "$(candidates)" = "svc/echo-two " ]
	# -n anywhere on the line switches the namespace, in every spelling
	run "$KT" __complete "$c" -n kong svc/
	[ "$(candidates)" = "svc/proxy " ]
	run "$KT" __complete "$c" --namespace=kong ""
	[ "$(candidates)" = "svc/proxy " ]
	run "$KT" __complete "$c" -nkong ""
	[ "$(candidates)" = "svc/proxy " ]
	run "$KT" __complete "$c" --ca root-ca -n kong ""
	[ "$(candidates)" = "svc/proxy " ]
}

@test "--ca <TAB>: labelled CA Secrets (or ConfigMaps with --ca-kind configmap), never other Secrets" {
	local c
	c=$(svc_cmd)
	run "$KT" __complete "$c" svc/echo --ca ""
	[ "$(candidates)" = "other-ca root-ca " ]
	assert_contains "root-ca	CA Secret"
	run "$KT" __complete "$c" svc/echo --ca-kind configmap --ca ""
	[ "$(candidates)" = "cm-ca " ]
	run "$KT" __complete "$c" svc/echo --ca=r
	[ "$(candidates)" = "root-ca " ]
	run "$KT" __complete "$c" -n kong svc/proxy --ca ""
	[ "$(candidates)" = "kong-ca " ]
	if "$KT" "$c" --help | grep -q -- '--ca NAME\[,'; then
		# a list: the next item, without the ones already given
		run "$KT" __complete "$c" svc/echo --ca root-ca,
		[ "$(candidates)" = "root-ca,other-ca " ]
	fi
}

@test "-n <TAB> namespaces, --context <TAB> contexts from the kubeconfig" {
	local c
	c=$(svc_cmd)
	run "$KT" __complete "$c" -n ""
	[ "$(candidates)" = "default kong kube-node-lease kube-public kube-system " ]
	run "$KT" __complete "$c" --namespace k
	[ "$(candidates)" = "kong kube-node-lease kube-public kube-system " ]
	run "$KT" __complete "$c" --context ""
	[ "$(candidates)" = "$(kubectl config get-contexts -o name | sort | tr '\n' ' ')" ]
	# --kubeconfig earlier on the line is the file that is read
	cp "$KUBECONFIG" other.kubeconfig
	sed -i 's/emulator/elsewhere/g' other.kubeconfig
	run "$KT" __complete "$c" --kubeconfig other.kubeconfig --context ""
	[ "$(candidates)" = "elsewhere " ]
	run "$KT" __complete "$c" --kubeconfig other.kubeconfig --context elsewhere svc/
	[ "$(candidates)" = "svc/echo svc/echo-two svc/kubernetes " ]
}

@test "through kubectl: kubectl __complete kong-tls ... runs kubectl_complete-kong_tls" {
	command -v kubectl >/dev/null || skip "kubectl is not installed"
	local c
	c=$(svc_cmd)
	run --separate-stderr kubectl __complete kong-tls "$c" svc/
	assert_exit 0
	[ "$(candidates)" = "svc/echo svc/echo-two svc/kubernetes " ]
	[ "$(printf '%s\n' "$output" | tail -n1)" = ":4" ]
	run --separate-stderr kubectl __complete kong-tls "$c" svc/echo --ca ""
	[ "$(candidates)" = "other-ca root-ca " ]
	run --separate-stderr kubectl __complete kong-tls "$c" -n ""
	assert_contains "kong"
}

@test "bash: svc/<TAB> and --ca <TAB> from the cluster" {
	[ -f /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
	local c
	c=$(svc_cmd)
	run bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		source <(kubectl-kong_tls completion bash)
		COMP_WORDS=(kubectl-kong_tls "$1" svc/echo-); COMP_CWORD=2
		COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
		_kubectl_kong_tls; printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(kubectl-kong_tls "$1" svc/echo --ca r); COMP_CWORD=4
		COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
		_kubectl_kong_tls; printf "%s\n" "${COMPREPLY[@]}"' _ "$c"
	[ "$output" = "$(printf 'svc/echo-two\nroot-ca')" ]
}

@test "a silent or dead API server: no candidates, no error, within the 2 s budget" {
	local c
	c=$(svc_cmd)
	# a listener that accepts and never answers (the TLS handshake hangs)
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >port 3>&- &
	SILENT_PID=$!
	local i
	for i in $(seq 50); do [ -s port ] && break; sleep 0.1; done
	sed "s#server: .*#server: https://127.0.0.1:$(cat port)#" "$KUBECONFIG" >silent.kubeconfig
	local t0=$SECONDS
	KUBECONFIG=$PWD/silent.kubeconfig run --separate-stderr "$KT" __complete "$c" svc/
	assert_exit 0
	[ "$output" = ":4" ]
	[ -z "$stderr" ]
	[ $((SECONDS - t0)) -le 4 ] || { echo "took $((SECONDS - t0)) s"; return 1; }
	# nothing listening at all
	sed "s#server: .*#server: https://127.0.0.1:1#" "$KUBECONFIG" >dead.kubeconfig
	t0=$SECONDS
	KUBECONFIG=$PWD/dead.kubeconfig run --separate-stderr "$KT" __complete "$c" -n ""
	assert_exit 0
	[ "$output" = ":4" ]
	[ -z "$stderr" ]
	[ $((SECONDS - t0)) -le 4 ]
	# and no kubeconfig at all
	KUBECONFIG=$PWD/missing run --separate-stderr "$KT" __complete "$c" --context ""
	[ "$output" = ":4" ]
	[ -z "$stderr" ]
}
