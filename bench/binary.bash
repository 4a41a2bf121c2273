# Sourced by the bench scripts: KT, the binary to measure. Defaults to the release binary
# (`make dist`: static, the one krew installs) when it is built, else to the development
# build (bin/: shared libraries, libcurl loaded on first use).
if [ -z "${KT:-}" ]; then
	KT=$top/build-dist/$(dpkg --print-architecture 2>/dev/null || echo amd64)/bin/kubectl-kong_tls
	[ -x "$KT" ] || KT=$top/bin/kubectl-kong_tls
fi
[ -x "$KT" ] || { echo "bench: build first (make, or make dist): no $KT" >&2; exit 2; }
echo "binary: ${KT#"$top"/} ($("$KT" --version))"
if [ -n "$(find "$top/cmd" "$top/pki" "$top/k8s" -newer "$KT" -name '*.[ch]' 2>/dev/null | head -n1)" ]; then
	echo "bench: warning: sources are newer than ${KT#"$top"/}: rebuild it (make dist, or make)" >&2
fi
