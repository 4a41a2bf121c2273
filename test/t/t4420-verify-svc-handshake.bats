#!/usr/bin/env bats
# verify svc/NAME --address: the live handshake starts while the API requests are in flight, with
# the name Kong will send when the options or the Service tell it early. Whatever was started early,
# the verdict must come from a handshake with the name the plan settles on. The upstream is
# `openssl s_server` choosing its certificate by SNI: kong.example gets the right leaf, any other
# name a leaf for wrong.example, so a handshake with the wrong name shows in the verdict.

bats_require_minimum_version 1.5.0
load helper
load emulator

setup_file() {
	emulator_start
	export EMU_DIR EMU_PID EMU_URL EMU_TOKEN KUBECONFIG
	source "$BATS_TEST_DIRNAME/../nginx/mkcert.bash"
	local D=$BATS_FILE_TMPDIR/certs
	mkcert_init "$D"
	mkcert root - ca ec && mkcert leaf root leaf ec && mkcert wrong root leaf ec DNS:wrong.example || return 1
	export CERTS=$D
	UP=$(free_port)
	openssl s_server -quiet -accept "127.0.0.1:$UP" -cert "$D/wrong.pem" -key "$D/wrong.key" \
		-servername kong.example -cert2 "$D/leaf.pem" -key2 "$D/leaf.key" </dev/null >/dev/null 2>&1 &
	UP_PID=$!
	export UP UP_PID
	wait_port "$UP"
}

teardown_file() {
	kill "$UP_PID" 2>/dev/null || true
	emulator_stop
}

setup() {
	kt_setup
	export KUBECONFIG=$EMU_DIR/kubeconfig
	NS=t$BATS_TEST_NUMBER
	kubectl create namespace "$NS" >/dev/null
	kubectl -n "$NS" create secret generic root-ca --from-file=ca.crt="$CERTS/root.pem" \
		--from-literal=id="$(python3 -c 'import uuid; print(uuid.uuid4())')" >/dev/null
	kubectl -n "$NS" label secret root-ca konghq.com/ca-cert=true >/dev/null
	kubectl -n "$NS" create service clusterip echo --tcp=443:443 >/dev/null
}

teardown() { kubectl -n "$NS" delete secret -l konghq.com/ca-cert=true >/dev/null 2>&1 || true; }

annotate() { kubectl -n "$NS" annotate --overwrite service echo "$@" >/dev/null; }
verify() { run --separate-stderr "$KT" verify svc/echo -n "$NS" --address "127.0.0.1:$UP" "$@"; }

@test "--host: the early handshake is the one judged, with the client's Host as SNI" {
	annotate konghq.com/protocol=https konghq.com/tls-verify=true konghq.com/ca-certificates-secrets=root-ca
	verify --host kong.example
	assert_exit 0
	assert_contains "SNI kong.example"
	assert_contains "served [0] CN=leaf"
	# a valid certificate for the name Kong sends: accepted, and it is the other leaf
	verify --host wrong.example
	assert_exit 0
	assert_contains "SNI wrong.example"
	assert_contains "served [0] CN=wrong"
}

@test "host-header: the Service names the SNI; a policy's hostname overrides it and the handshake is redone" {
	annotate konghq.com/protocol=https konghq.com/tls-verify=true konghq.com/ca-certificates-secrets=root-ca \
		konghq.com/host-header=kong.example
	verify
	assert_exit 0
	assert_contains "SNI kong.example"
	# the host-header says wrong.example, the policy's validation.hostname kong.example: Kong sends the latter
	annotate konghq.com/host-header=wrong.example
	kubectl -n "$NS" apply -f - >/dev/null <<-EOF
	apiVersion: gateway.networking.k8s.io/v1alpha3
	kind: BackendTLSPolicy
	metadata:
	  name: echo
	spec:
	  targetRefs:
	  - {group: "", kind: Service, name: echo}
	  validation:
	    caCertificateRefs:
	    - {group: "", kind: Secret, name: root-ca}
	    hostname: kong.example
	EOF
	verify -o json
	python3 - "$output" <<-'PY'
	import json, sys
	o = json.loads(sys.argv[1])
	hs = o["handshake"]
	assert o["hostname"] == "kong.example", o["hostname"]
	assert "SNI kong.example" in hs["served_from"], hs["served_from"]
	assert hs["accepted"] is True, hs
	PY
}

@test "a Service that is missing or not verified: an early handshake is dropped, the answer is unchanged" {
	run --separate-stderr "$KT" verify svc/nope -n "$NS" --address "127.0.0.1:$UP" --host kong.example
	assert_exit 1
	assert_contains "fail  service:"
	[[ "$output" != *handshake* ]]
	annotate konghq.com/protocol=https
	verify --host kong.example
	assert_exit 1
	[[ "$output" != *"served [0]"* ]]
}

@test "an early handshake still waiting when the answer is known does not hold the command up" {
	# a listener that accepts and never answers: the handshake would wait for --timeout
	local port pid start
	port=$(free_port)
	python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
held=[]
while True:
    held.append(s.accept()[0])' "$port" &
	pid=$!
	wait_port "$port"
	start=$SECONDS
	run --separate-stderr "$KT" verify svc/nope -n "$NS" --address "127.0.0.1:$port" --host kong.example --timeout 20s
	kill "$pid" 2>/dev/null || true
	assert_exit 1
	assert_contains "fail  service:"
	[ $((SECONDS - start)) -lt 10 ]
}

# A stand-in for `kubectl port-forward`, which needs a kubelet the emulator does not have: it forwards a
# loopback port to the upstream, prints kubectl's "Forwarding from" line, logs its arguments and its end.
fake_kubectl() {
	mkdir -p "$BATS_TEST_TMPDIR/fake"
	cat >"$BATS_TEST_TMPDIR/fake/kubectl" <<-'PY'
	#!/usr/bin/env python3
	import os, signal, socket, sys, threading
	log = os.environ["FAKE_PF_LOG"]
	with open(log, "a") as f:
	    f.write(" ".join(sys.argv[1:]) + "\n")
	def done(*_):
	    with open(log, "a") as f:
	        f.write("terminated\n")
	    os._exit(0)
	signal.signal(signal.SIGTERM, done)
	ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
	print("Forwarding from 127.0.0.1:%d -> 443" % ls.getsockname()[1], flush=True)
	def pump(a, b):
	    while True:
	        d = a.recv(65536)
	        if not d:
	            break
	        b.sendall(d)
	    b.close()
	while True:
	    c, _ = ls.accept()
	    u = socket.create_connection(("127.0.0.1", int(os.environ["FAKE_PF_TARGET"])))
	    threading.Thread(target=pump, args=(c, u), daemon=True).start()
	    threading.Thread(target=pump, args=(u, c), daemon=True).start()
	PY
	chmod +x "$BATS_TEST_TMPDIR/fake/kubectl"
}

@test "--port-forward: kubectl's forwarded port is used for the handshake, and kubectl is stopped after" {
	annotate konghq.com/protocol=https konghq.com/tls-verify=true konghq.com/ca-certificates-secrets=root-ca
	fake_kubectl
	export FAKE_PF_LOG=$BATS_TEST_TMPDIR/pf.log FAKE_PF_TARGET=$UP
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run --separate-stderr "$KT" verify svc/echo -n "$NS" --port-forward --host kong.example
	assert_exit 0
	assert_contains "via port-forward"
	assert_contains "SNI kong.example"
	assert_contains "served [0] CN=leaf"
	[ "$(cat "$FAKE_PF_LOG")" = "$(printf 'port-forward -n %s svc/echo :443 --address 127.0.0.1\nterminated' "$NS")" ] ||
		{ cat "$FAKE_PF_LOG"; false; }
	! pgrep -f "$BATS_TEST_TMPDIR/fake/kubectl" >/dev/null
	# the cluster flags go to kubectl too
	: >"$FAKE_PF_LOG"
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run --separate-stderr "$KT" verify svc/echo -n "$NS" --port-forward --host kong.example \
		--kubeconfig "$KUBECONFIG" --context "$(kubectl config current-context)"
	assert_exit 0
	grep -qx -- "--kubeconfig $KUBECONFIG --context $(kubectl config current-context) port-forward -n $NS svc/echo :443 --address 127.0.0.1" \
		"$FAKE_PF_LOG" || { cat "$FAKE_PF_LOG"; false; }
	grep -qx terminated "$FAKE_PF_LOG"
}
