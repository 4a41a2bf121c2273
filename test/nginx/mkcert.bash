# Test certificates with the openssl CLI, including the broken ones init-ca refuses to make
# (expired, not yet valid, CA:FALSE intermediates, pathlen violations). Source this file, then:
#   mkcert_init DIR
#   mkcert NAME ISSUER PROFILE [KEY] [SAN] [START END]
#     NAME     writes DIR/NAME.pem and DIR/NAME.key
#     ISSUER   "-" for self-signed, else the NAME of an earlier certificate
#     PROFILE  ca | ca0 (pathlen:0) | noca (CA:FALSE, for a fake intermediate) | leaf | cnonly (leaf, no SAN)
#     KEY      rsa (2048, default) | ec (P-256) | ec384
#     SAN      leaf subjectAltName, default DNS:kong.example
#     START END  validity as YYYYMMDDHHMMSSZ (default: one hour ago to ten years on)
#   The subject CN is NAME, except for cnonly leaves: CN = the SAN value without "DNS:".

mkcert_init() {
	MKCERT_DIR=$1
	mkdir -p "$MKCERT_DIR/newcerts"
	: >"$MKCERT_DIR/index.txt"
	echo 1000 >"$MKCERT_DIR/serial"
	cat >"$MKCERT_DIR/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
database = $MKCERT_DIR/index.txt
new_certs_dir = $MKCERT_DIR/newcerts
serial = $MKCERT_DIR/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ext_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ext_ca0 ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ext_noca ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ext_leaf ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = \$ENV::MKCERT_SAN
[ ext_cnonly ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
}

mkcert() {
	local name=$1 issuer=$2 profile=$3 key=${4:-rsa} san=${5:-DNS:kong.example}
	local start=${6:-$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)} end=${7:-$(date -u -d '+10 years' +%Y%m%d%H%M%SZ)}
	local d=$MKCERT_DIR cn=$name
	[ "$profile" != cnonly ] || cn=${san#DNS:}
	case $key in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/$name.key" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$name.key" 2>/dev/null ;;
	ec384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$d/$name.key" 2>/dev/null ;;
	esac || return 1
	MKCERT_SAN=$san openssl req -new -config "$d/ca.cnf" -key "$d/$name.key" -subj "/CN=$cn" -out "$d/$name.csr" 2>/dev/null || return 1
	if [ "$issuer" = - ]; then
		MKCERT_SAN=$san openssl ca -batch -notext -config "$d/ca.cnf" -selfsign -keyfile "$d/$name.key" \
			-in "$d/$name.csr" -out "$d/$name.pem" -extensions "ext_$profile" \
			-startdate "$start" -enddate "$end" >/dev/null 2>&1
	else
		MKCERT_SAN=$san openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/$issuer.pem" \
			-keyfile "$d/$issuer.key" -in "$d/$name.csr" -out "$d/$name.pem" -extensions "ext_$profile" \
			-startdate "$start" -enddate "$end" >/dev/null 2>&1
	fi || { echo "mkcert: cannot make $name" >&2; return 1; }
	rm -f "$d/$name.csr"
}

# mkchain OUT CERT...: concatenate certificates (by NAME) into DIR/OUT.pem, in the order given
mkchain() {
	local out=$1 c; shift
	: >"$MKCERT_DIR/$out.pem"
	for c in "$@"; do cat "$MKCERT_DIR/$c.pem" >>"$MKCERT_DIR/$out.pem"; done
}
