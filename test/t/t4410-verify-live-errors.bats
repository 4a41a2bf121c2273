#!/usr/bin/env bats
# Robustness of the live checks: an upstream that refuses, never answers, speaks plain HTTP or sends
# garbage; a proxy that is down; kubectl port-forward that cannot forward. Each: one clear line, exit 6
# (network/TLS), and no hang beyond --timeout.

bats_require_minimum_version 1.5.0
load helper
load emulator

# serve MODE: a loopback server in the background (python3), its port in $PORT, its pid in $SERVER
serve() {
	PORT=$(free_port)
	python3 - "$1" "$PORT" "$BATS_TEST_TMPDIR/full-ready" >/dev/null 2>&1 <<-'PY' &
	import socket, sys, time
	mode, port = sys.argv[1], int(sys.argv[2])
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", port))
	if mode == "full":
	    s.listen(0)
	    held = []
	    for _ in range(3):
	        c = socket.socket(); c.setblocking(False)
	        try:
	            c.connect(("127.0.0.1", port))
	        except BlockingIOError:
	            pass
	        held.append(c)
	    open(sys.argv[3], "w").close()
	    time.sleep(60)
	s.listen(8)
	while True:
	    c, _ = s.accept()
	    if mode == "http":
	        c.recv(4096); c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"); c.close()
	    elif mode == "garbage":
	        c.sendall(b"\x00\x01\x02 hello garbage \xff\xfe"); time.sleep(0.2); c.close()
	    else:
	        time.sleep(30)
	PY
	SERVER=$!
	if [ "$1" = full ]; then
		for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/full-ready" ] && return 0; sleep 0.05; done
		return 1
	fi
	wait_port "$PORT"
}

setup() {
	kt_setup
	SERVER=
}

teardown() {
	[ -z "${SERVER:-}" ] || { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; }
	emulator_stop
}


@test "--address: connection refused is one line, exit 6" {
	p=$(free_port)
	run "$KT" verify --address "127.0.0.1:$p" --hostname kong.example
	assert_exit 6
	assert_error_line
	assert_contains "cannot connect to upstream 127.0.0.1:$p: connection refused"
}

@test "--address: a server that never answers times out at --timeout, exit 6" {
	serve silent
	start=$(date +%s%N)
	run "$KT" verify --address "127.0.0.1:$PORT" --hostname kong.example --timeout 500ms
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_exit 6
	assert_error_line
	assert_contains "accepted the connection but did not answer the TLS handshake within 500ms"
	[ "$ms" -lt 3000 ]
}

@test "--address: a connect that never completes times out at --timeout, exit 6" {
	# a listener whose backlog is full: the kernel drops further SYNs, so connect() never completes
	serve full
	start=$(date +%s%N)
	run "$KT" verify --address "127.0.0.1:$PORT" --hostname kong.example --timeout 400ms
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_exit 6
	assert_error_line
	assert_contains "upstream 127.0.0.1:$PORT did not accept a connection within 400ms"
	[ "$ms" -lt 3000 ]
}

@test "--address: a plain HTTP server is named as such, exit 6" {
	serve http
	run "$KT" verify --address "127.0.0.1:$PORT" --hostname kong.example
	assert_exit 6
	assert_error_line
	assert_contains "upstream 127.0.0.1:$PORT did not answer TLS (it looks like plain HTTP)"
}

@test "--address: a server sending garbage, exit 6" {
	serve garbage
	run "$KT" verify --address "127.0.0.1:$PORT" --hostname kong.example
	assert_exit 6
	assert_error_line
	assert_contains "upstream 127.0.0.1:$PORT did not answer TLS (it sent '00 01 02"
}

@test "--address: bad addresses and flag combinations are usage errors" {
	run "$KT" verify --address nohostport
	assert_exit 2
	assert_contains "invalid upstream address 'nohostport'"
	run "$KT" verify --address 127.0.0.1:1 --chain x.pem
	assert_exit 2
	run "$KT" verify --address 127.0.0.1:1 --proxy http://127.0.0.1:1
	assert_exit 2
	assert_contains "--proxy needs svc/NAME"
	run "$KT" verify svc/echo --ca-file x.pem
	assert_exit 2
	run "$KT" verify svc/echo --address 127.0.0.1:1 --port-forward
	assert_exit 2
	run "$KT" verify --address 127.0.0.1:1 --timeout 0
	assert_exit 2
}

# A Service that passes checks 1-4, for the live checks below.
good_service() {
	emulator_start
	source "$BATS_TEST_DIRNAME/../nginx/mkcert.bash"
	mkcert_init "$BATS_TEST_TMPDIR/c"
	mkcert root - ca ec
	kubectl create service clusterip echo --tcp=443:443 >/dev/null
	kubectl annotate service echo konghq.com/protocol=https konghq.com/tls-verify=true \
		konghq.com/ca-certificates-secrets=root-ca >/dev/null
	kubectl create secret generic root-ca --from-file=ca.crt="$BATS_TEST_TMPDIR/c/root.pem" \
		--from-literal=id=4b0b8d4e-6b44-4a35-9e0c-0f1b7f2b6a11 >/dev/null
	kubectl label secret root-ca konghq.com/ca-cert=true >/dev/null
}

@test "svc: an unreachable upstream fails check 5 in one line, exit 6; a proxy that is down too" {
	good_service
	p=$(free_port)
	run --separate-stderr "$KT" verify svc/echo --host kong.example --address "127.0.0.1:$p"
	assert_exit 6
	assert_contains "fail  handshake: cannot connect to upstream 127.0.0.1:$p: connection refused"
	run --separate-stderr "$KT" verify svc/echo --host kong.example --proxy "http://127.0.0.1:$p" --timeout 2s
	assert_exit 6
	assert_contains "fail  proxy: cannot reach the proxy http://127.0.0.1:$p"
	assert_contains "skip  handshake"
}

@test "svc --port-forward: kubectl cannot forward (the emulator has no pods): one line, exit 6, no child left" {
	good_service
	start=$(date +%s%N)
	run --separate-stderr "$KT" verify svc/echo --host kong.example --port-forward --timeout 5s
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_exit 6
	assert_contains "fail  handshake: kubectl port-forward to svc/echo port 443 "
	[ "$ms" -lt 8000 ]
	! pgrep -f "kubectl.*port-forward.*svc/echo" >/dev/null
}

@test "svc --port-forward: no kubectl on PATH is said plainly" {
	good_service
	run --separate-stderr env PATH=/nonexistent "$KT" verify svc/echo --host kong.example --port-forward
	assert_exit 6
	assert_contains "cannot run 'kubectl' for --port-forward: not found on PATH"
}
