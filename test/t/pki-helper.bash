# Helpers for the certificate suites (t1100 init-ca, t1200 issue): file modes and the
# X.509 profile checked field by field in `openssl x509 -text` output.

# Fails (with a message) unless the file has mode $2.
assert_mode() {
	local m
	m=$(stat -c %a "$1")
	[ "$m" = "$2" ] || { echo "$1: mode $m, expected $2"; return 1; }
}

# The expected signature algorithm for a key type.
sigalg_for() {
	case $1 in
	ec:p256) echo ecdsa-with-SHA256 ;;
	ec:p384) echo ecdsa-with-SHA384 ;;
	rsa:*) echo sha256WithRSAEncryption ;;
	ed25519) echo ED25519 ;;
	esac
}

# The line after the one containing $2 in text $1, without leading blanks.
line_after() {
	printf '%s\n' "$1" | grep -A1 -F -- "$2" | sed -n '2s/^ *//p'
}

# check_profile FILE ROLE KEYTYPE DAYS [PATHLEN]: ROLE is root, inter or leaf; KEYTYPE is the
# certificate's key type, and also the signer's unless SIGNER_KT says otherwise.
# One openssl run per certificate; every field of the profile is checked in its output.
check_profile() {
	local f=$1 role=$2 kt=$3 days=$4 pathlen=${5:-} text serial now nb na bc ku eku
	text=$(openssl x509 -in "$f" -noout -text -serial -startdate -enddate)
	[[ "$text" == *"Version: 3 (0x2)"* ]] || { echo "$f: not v3"; return 1; }
	# serial: 16 bytes, positive (first byte 0x40..0x7f)
	serial=$(printf '%s\n' "$text" | sed -n 's/^serial=//p')
	[[ "$serial" =~ ^[4-7][0-9A-F]{31}$ ]] || { echo "$f: serial $serial is not a positive 128-bit number"; return 1; }
	[ "$(printf '%s\n' "$text" | grep -c "Signature Algorithm: $(sigalg_for "${SIGNER_KT:-$kt}")\$")" -eq 2 ] ||
		{ echo "$f: signature algorithm is not $(sigalg_for "${SIGNER_KT:-$kt}")"; printf '%s\n' "$text" | grep 'Signature Algorithm'; return 1; }
	[[ "$text" == *"X509v3 Subject Key Identifier:"* ]] || { echo "$f: no SKI"; return 1; }
	if [ "$role" = root ]; then
		[[ "$text" != *"X509v3 Authority Key Identifier:"* ]] || { echo "$f: root has an AKI"; return 1; }
	else
		[[ "$text" == *"X509v3 Authority Key Identifier:"* ]] || { echo "$f: no AKI"; return 1; }
	fi
	[[ "$text" == *"X509v3 Basic Constraints: critical"* ]] || { echo "$f: basicConstraints missing or not critical"; return 1; }
	[[ "$text" == *"X509v3 Key Usage: critical"* ]] || { echo "$f: keyUsage missing or not critical"; return 1; }
	bc=$(line_after "$text" "X509v3 Basic Constraints: critical")
	ku=$(line_after "$text" "X509v3 Key Usage: critical")
	eku=$(line_after "$text" "X509v3 Extended Key Usage:")
	case $role in
	root) [ "$bc" = "CA:TRUE" ] || { echo "$f: root basicConstraints $bc"; return 1; } ;;
	inter) [ "$bc" = "CA:TRUE, pathlen:$pathlen" ] || { echo "$f: expected pathlen $pathlen: $bc"; return 1; } ;;
	leaf) [ "$bc" = "CA:FALSE" ] || { echo "$f: leaf basicConstraints $bc"; return 1; } ;;
	esac
	if [ "$role" = leaf ]; then
		local want="Digital Signature"
		[[ "$kt" == rsa:* ]] && want="Digital Signature, Key Encipherment"
		[ "$ku" = "$want" ] || { echo "$f: keyUsage $ku, want $want"; return 1; }
		[ "$eku" = "TLS Web Server Authentication" ] || { echo "$f: EKU $eku"; return 1; }
		[[ "$text" == *"X509v3 Subject Alternative Name:"* ]] || { echo "$f: no SAN"; return 1; }
	else
		[ "$ku" = "Certificate Sign, CRL Sign" ] || { echo "$f: keyUsage $ku"; return 1; }
		[ -z "$eku" ] || { echo "$f: CA has an EKU: $eku"; return 1; }
		[[ "$text" != *"Subject Alternative Name"* ]] || { echo "$f: CA has a SAN"; return 1; }
	fi
	# notBefore backdated about 5 minutes; notAfter DAYS after "now"
	now=$(date +%s)
	nb=$(date -d "$(printf '%s\n' "$text" | sed -n 's/^notBefore=//p')" +%s)
	na=$(date -d "$(printf '%s\n' "$text" | sed -n 's/^notAfter=//p')" +%s)
	[ $((now - nb)) -ge 280 ] && [ $((now - nb)) -le 400 ] || { echo "$f: notBefore is $((now - nb)) s in the past, expected about 300"; return 1; }
	[ $(((na - nb - 300 + 43200) / 86400)) -eq "$days" ] || { echo "$f: validity $(((na - nb) / 86400)) days, expected $days"; return 1; }
}
