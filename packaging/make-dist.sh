#!/usr/bin/env bash
# Packs the release archive krew installs.
#   packaging/make-dist.sh BINARY SHARE_DIR VERSION OS ARCH OUT_DIR [STRIP]
# BINARY is kubectl-kong_tls linked with the static deps; SHARE_DIR holds man/ and
# completions/ (made by the host build: they are the same for every architecture).
# The archive holds regular files and directories only (krew rejects links), with
# the executables' mode bits set, root-owned, sorted, with a fixed mtime, so the
# same build gives the same bytes (and sha256) again.
set -eu
bin=$1 share=$2 version=$3 os=$4 arch=$5 out=$6 strip=${7:-strip}
top=$(cd "$(dirname "$0")/.." && pwd)
name=kubectl-kong_tls_v${version}_${os}_${arch}
stage=$(dirname "$bin")/../stage/$name
rm -rf "$stage" && mkdir -p "$stage/completions" "$out"

install -m 0755 "$bin" "$stage/kubectl-kong_tls"
"$strip" --strip-unneeded "$stage/kubectl-kong_tls"
install -m 0755 "$share/completions/kubectl_complete-kong_tls" "$stage/kubectl_complete-kong_tls"
install -m 0644 "$share/completions/kubectl-kong_tls.bash" "$stage/completions/kubectl-kong_tls.bash"
install -m 0644 "$share/completions/_kubectl-kong_tls" "$stage/completions/_kubectl-kong_tls"
install -m 0644 "$share/completions/kubectl-kong_tls.fish" "$stage/completions/kubectl-kong_tls.fish"
install -m 0644 "$share/man/kubectl-kong_tls.1" "$stage/kubectl-kong_tls.1"
install -m 0644 "$top/LICENSE" "$stage/LICENSE"
install -m 0644 "$top/README.md" "$stage/README.md"

# the binary must need nothing but the C library family (readelf works for any architecture)
bad=$(LC_ALL=C readelf -d "$stage/kubectl-kong_tls" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' \
	| grep -vE '^(libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|ld-linux)' || true)
if [ -n "$bad" ]; then
	echo "make-dist: kubectl-kong_tls links more than libc:" >&2; echo "$bad" >&2; exit 1
fi

# the last change to anything but the manifest, which records this archive's sha256: committing
# the manifest must not change the archive (a clean clone then rebuilds the bytes it names)
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct -- . ':!krew-manifest.yaml' 2>/dev/null || echo 0)}
[ -n "$epoch" ] || epoch=0
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
	--format=gnu -cf - $(cd "$stage" && ls -A) | gzip -9n >"$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "dist: $out/$name.tar.gz $(cut -d' ' -f1 "$out/$name.tar.gz.sha256")"
