# Certificates for the object tests, made with the real openssl: root -> intermediate -> leaf
# (kong.example), the chain file the upstream serves (leaf, intermediate), and a second root.
#   make_certs DIR
make_certs() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
		openssl req -x509 $ec -keyout root.key -out root.crt -subj /CN=kt-test-root -days 30 \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -x509 $ec -keyout root2.key -out root2.crt -subj /CN=kt-test-root-2 -days 30 \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -new $ec -keyout int.key -out int.csr -subj /CN=kt-test-intermediate
		printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
		openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -out int.crt -days 20 \
			-extfile int.ext
		openssl req -new $ec -keyout leaf.key -out leaf.csr -subj /CN=kong.example
		printf 'subjectAltName=DNS:kong.example\nextendedKeyUsage=serverAuth\n' >leaf.ext
		openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial -out leaf.crt -days 10 \
			-extfile leaf.ext
		cat leaf.crt int.crt >chain.crt
		cat leaf.crt root.crt >chain-skips-int.crt
		cat root.crt root2.crt >bundle.crt
		openssl pkey -in leaf.key -aes256 -passout pass:secret -out leaf-encrypted.key
	) >/dev/null 2>&1
}

# json_equal A B: the two JSON files hold the same value (key order ignored).
json_equal() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if a != b:
    print("JSON differs:\n--- " + sys.argv[1] + "\n" + json.dumps(a, indent=1, sort_keys=True)
          + "\n--- " + sys.argv[2] + "\n" + json.dumps(b, indent=1, sort_keys=True))
    sys.exit(1)
PY
}

# json_get FILE PATH...: print a value (dot-free path segments as arguments), "" if absent.
json_get() {
	python3 - "$@" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else (v[int(k)] if isinstance(v, list) and int(k) < len(v) else None)
    if v is None:
        break
print("" if v is None else (v if isinstance(v, str) else json.dumps(v, sort_keys=True)))
PY
}

# kube_post PATH JSON: create an object through the raw API (no kubectl validation round trips).
kube_post() {
	emulator_curl -f -o /dev/null -X POST -H 'Content-Type: application/json' --data "$2" "$EMU_URL$1"
}

# make_service NAME ANNOTATIONS-JSON [LABELS-JSON]: a Service in namespace default.
make_service() {
	kube_post /api/v1/namespaces/default/services "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$1\",\"annotations\":${2:-{\}},\"labels\":${3:-{\"app\":\"$1\"\}}},\"spec\":{\"ports\":[{\"name\":\"https\",\"port\":443,\"targetPort\":443}]}}"
}

# annotations NAME: the Service's annotations as sorted JSON.
annotations() {
	emulator_kubectl get service "$1" -o json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["metadata"].get("annotations",{}), sort_keys=True))'
}

# resource_version KIND NAME
resource_version() {
	emulator_kubectl get "$1" "$2" -o jsonpath='{.metadata.resourceVersion}'
}

# requests: the emulator's log without the control endpoints, "METHOD PATH STATUS" (query dropped).
requests() {
	emulator_requests | grep -v __emulator | sed -E 's/\?[^ ]*//'
}
