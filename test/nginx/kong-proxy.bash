# A real nginx configured the way Kong configures upstream TLS, for tests and `make demo`.
# Source this file, then:
#   kp_init DIR                    private prefix (conf, logs, temp) under DIR
#   kp_upstream NAME PORT CHAIN KEY
#                                  a TLS upstream on 127.0.0.1:PORT serving CHAIN (leaf first) and
#                                  answering like kong/go-echo ("Through HTTPS connection.")
#   kp_proxy NAME PORT UPSTREAM HOST DEPTH CAFILE
#                                  a proxy on 127.0.0.1:PORT for requests with "Host: NAME" (or any Host
#                                  when NAME is _) to https://UPSTREAM, verifying as Kong does:
#                                    proxy_ssl_verify on; proxy_ssl_server_name on; proxy_ssl_name HOST;
#                                    proxy_ssl_verify_depth DEPTH ("" = absent: 100, OpenSSL's default,
#                                    which is what Kong leaves when tls_verify_depth is null, spec §4.2);
#                                    proxy_ssl_trusted_certificate CAFILE ("" = no CA object: Kong's proxy
#                                    store is empty, spec §2 item 5; nginx insists on a file, so an
#                                    unrelated CA stands in for the empty store)
#                                  502s carry Kong's body: "An invalid response was received from the
#                                  upstream server" + "request_id: ..." (kong/tools/http.lua, Kong >= 3.5)
#   kp_plain NAME PORT UPSTREAM    a proxy that does not verify (tls-verify absent)
#   kp_start / kp_reload / kp_stop run nginx in the foreground (not a daemon), apply changes, stop it
#   kp_errors NAME                 "NN depth D" for every "verify:0, error:NN, depth:D" debug line, in order
#   kp_first_error NAME / kp_last_error NAME
#                                  the first error (what Kong logs: it verifies without nginx's continuing
#                                  callback, spec §4.3) and the last (what a plain nginx logs)
#   kp_log_line NAME               nginx's "upstream SSL certificate ..." error line, if any
#   kp_clear_log NAME              empty the per-proxy debug log before a request
# Needs Debian's nginx (built --with-debug) and curl.

KP_NGINX=${KP_NGINX:-nginx}

kp_init() {
	KP_DIR=$1
	mkdir -p "$KP_DIR/conf.d" "$KP_DIR/logs" "$KP_DIR/tmp"
	KP_GEN=0
	KP_CTRL_PORT=$(kp_free_port)
	if [ ! -f "$KP_DIR/no-ca.pem" ]; then
		# a CA that signs nothing here: stands in for Kong's empty proxy trust store
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
			-subj "/CN=kong-tls test: no CA object" -keyout "$KP_DIR/no-ca.key" -out "$KP_DIR/no-ca.pem" \
			>/dev/null 2>&1 || return 1
	fi
	local user=
	[ "$(id -u)" -ne 0 ] || user="user root;"
	cat >"$KP_DIR/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $KP_DIR/nginx.pid;
error_log $KP_DIR/logs/main.log notice;
events { worker_connections 512; }
http {
	access_log off;
	client_body_temp_path $KP_DIR/tmp/body;
	proxy_temp_path $KP_DIR/tmp/proxy;
	fastcgi_temp_path $KP_DIR/tmp/fastcgi;
	uwsgi_temp_path $KP_DIR/tmp/uwsgi;
	scgi_temp_path $KP_DIR/tmp/scgi;
	server_names_hash_bucket_size 128;
	include $KP_DIR/conf.d/*.conf;
}
EOF
	kp_write_ctrl
}

# Free TCP ports on loopback, one a line (the kernel picks; the tiny race with nginx's bind is
# acceptable in tests). kp_free_ports N asks for N at once: starting python costs ~0.2 s.
kp_free_ports() {
	python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
for s in socks: print(s.getsockname()[1])' "$1"
}
kp_free_port() { kp_free_ports 1; }

kp_write_ctrl() {
	cat >"$KP_DIR/conf.d/000-ctrl.conf" <<EOF
server {
	listen 127.0.0.1:$KP_CTRL_PORT;
	location = /__generation { return 200 "$KP_GEN"; }
}
EOF
}

kp_upstream() {
	local name=$1 port=$2 chain=$3 key=$4
	cat >"$KP_DIR/conf.d/up-$name.conf" <<EOF
server {
	listen 127.0.0.1:$port ssl;
	ssl_certificate $chain;
	ssl_certificate_key $key;
	ssl_session_cache off;
	ssl_session_tickets off;
	location / {
		default_type text/plain;
		return 200 "Through HTTPS connection.\n";
	}
}
EOF
}

kp_proxy() {
	local name=$1 port=$2 upstream=$3 host=$4 depth=${5:-} ca=${6:-}
	[ -n "$depth" ] || depth=100
	[ -n "$ca" ] || ca=$KP_DIR/no-ca.pem
	cat >"$KP_DIR/conf.d/px-$name.conf" <<EOF
server {
	listen 127.0.0.1:$port;
	server_name $name;
	error_log $KP_DIR/logs/$name.log debug;
	location / {
		proxy_pass https://$upstream;
		proxy_set_header Host \$host;
		proxy_ssl_verify on;
		proxy_ssl_server_name on;
		proxy_ssl_name $host;
		proxy_ssl_verify_depth $depth;
		proxy_ssl_trusted_certificate $ca;
		proxy_ssl_session_reuse off;
		proxy_connect_timeout 5s;
		error_page 502 /__kong_502;
	}
	location = /__kong_502 {
		internal;
		default_type text/plain;
		return 502 "An invalid response was received from the upstream server\nrequest_id: \$request_id\n";
	}
}
EOF
}

kp_plain() {
	local name=$1 port=$2 upstream=$3
	cat >"$KP_DIR/conf.d/px-$name.conf" <<EOF
server {
	listen 127.0.0.1:$port;
	server_name $name;
	error_log $KP_DIR/logs/$name.log debug;
	location / {
		proxy_pass https://$upstream;
		proxy_set_header Host \$host;
		proxy_ssl_server_name on;
		proxy_ssl_session_reuse off;
		proxy_connect_timeout 5s;
	}
}
EOF
}

kp_wait_generation() {
	local i
	for i in $(seq 1 100); do
		[ "$(curl -s --max-time 1 "http://127.0.0.1:$KP_CTRL_PORT/__generation" 2>/dev/null)" = "$KP_GEN" ] && return 0
		if [ -n "${KP_PID:-}" ] && ! kill -0 "$KP_PID" 2>/dev/null; then
			echo "nginx exited; its log:" >&2; tail -5 "$KP_DIR/logs/stderr.log" "$KP_DIR/logs/main.log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "nginx did not apply generation $KP_GEN; its log:" >&2
	tail -5 "$KP_DIR/logs/main.log" >&2
	return 1
}

kp_start() {
	"$KP_NGINX" -t -q -p "$KP_DIR" -c "$KP_DIR/nginx.conf" -e "$KP_DIR/logs/stderr.log" || {
		cat "$KP_DIR/logs/stderr.log" >&2; return 1; }
	"$KP_NGINX" -p "$KP_DIR" -c "$KP_DIR/nginx.conf" -e "$KP_DIR/logs/stderr.log" </dev/null >/dev/null 2>&1 &
	KP_PID=$!
	kp_wait_generation
}

kp_reload() {
	KP_GEN=$((KP_GEN + 1))
	kp_write_ctrl
	"$KP_NGINX" -t -q -p "$KP_DIR" -c "$KP_DIR/nginx.conf" -e "$KP_DIR/logs/stderr.log" || {
		tail -3 "$KP_DIR/logs/stderr.log" >&2; return 1; }
	kill -HUP "$KP_PID" && kp_wait_generation
}

# Safe under `set -e` (bench scripts, EXIT traps): a process already gone is not an error.
kp_stop() {
	[ -n "${KP_PID:-}" ] || return 0
	kill -QUIT "$KP_PID" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		kill -0 "$KP_PID" 2>/dev/null || break
		sleep 0.05
	done
	# workers still draining when the master is killed would be left behind
	pkill -KILL -P "$KP_PID" 2>/dev/null || true
	kill -KILL "$KP_PID" 2>/dev/null || true
	wait "$KP_PID" 2>/dev/null || true
	KP_PID=
	return 0
}

kp_clear_log() { : >"$KP_DIR/logs/$1.log"; }

kp_errors() {
	grep -o 'verify:0, error:[0-9]*, depth:[0-9]*' "$KP_DIR/logs/$1.log" 2>/dev/null |
		sed 's/verify:0, error:\([0-9]*\), depth:\([0-9]*\)/\1 depth \2/'
}

kp_first_error() { kp_errors "$1" | head -n1 | cut -d' ' -f1; }
kp_last_error() { kp_errors "$1" | tail -n1 | cut -d' ' -f1; }

kp_log_line() {
	grep -o 'upstream SSL certificate [^,]*\( while SSL handshaking to upstream\)\?' "$KP_DIR/logs/$1.log" 2>/dev/null | tail -n1
}
