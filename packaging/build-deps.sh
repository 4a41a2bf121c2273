#!/usr/bin/env bash
# Builds the static libraries `make dist` links into a self-contained kubectl-kong_tls.
#   packaging/build-deps.sh DEPS_DIR
#
# Result: DEPS_DIR/prefix/{include,lib} with libcurl.a (http/https only, OpenSSL, no
# ldap/gssapi/idn/psl/brotli/zstd/nghttp2/zlib/ssh) and libcjson.a, built from the
# Debian source packages of the running release; libssl.a, libcrypto.a and libyaml.a
# come from Debian's own -dev packages (libssl-dev, libyaml-dev ship them), which
# are the same sources built by Debian. Debian's libcurl.a cannot be used: it
# needs GSSAPI, LDAP, RTMP, SSH... which have no static archives.
#
# Sources are fetched with `apt-get source` through a PRIVATE sources list and
# state/cache directories under DEPS_DIR, so the system's apt configuration is
# untouched. A finished build leaves DEPS_DIR/prefix/.done and is reused.
set -eu
deps=${1:?usage: build-deps.sh DEPS_DIR}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
prefix=$deps/prefix
jobs=${JOBS:-2}
[ -f "$prefix/.done" ] && { echo "dist deps: reusing $prefix"; exit 0; }

multiarch=$(gcc -print-multiarch)
for a in libssl.a libcrypto.a libyaml.a; do
	[ -f "/usr/lib/$multiarch/$a" ] || { echo "dist deps: /usr/lib/$multiarch/$a missing (apt-get install libssl-dev libyaml-dev)" >&2; exit 1; }
done
for t in dpkg-source autoreconf libtoolize; do
	command -v $t >/dev/null || { echo "dist deps: $t missing (apt-get install dpkg-dev autoconf automake libtool)" >&2; exit 1; }
done

# private apt: deb-src lines for the running release, own lists and cache
apt=$deps/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$deps/src"
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
cat >"$apt/sources.list" <<EOL
deb-src http://deb.debian.org/debian $codename main
deb-src http://deb.debian.org/debian $codename-updates main
deb-src http://deb.debian.org/debian-security $codename-security main
EOL
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1)
if [ ! -f "$apt/.updated" ]; then
	echo "dist deps: apt-get update (private source list)"
	apt-get "${aptopts[@]}" -qq update && touch "$apt/.updated"
fi

fetch() { # source package -> prints the unpacked directory
	local pkg=$1 dir
	dir=$(ls -d "$deps/src/$pkg"-*/ 2>/dev/null | head -n1 || true)
	if [ -z "$dir" ]; then
		(cd "$deps/src" && apt-get "${aptopts[@]}" -qq source "$pkg" >&2)
		dir=$(ls -d "$deps/src/$pkg"-*/ | head -n1)
	fi
	echo "${dir%/}"
}

mkdir -p "$prefix/lib" "$prefix/include"

# cJSON: two files; compile cJSON.c directly (its CMake build adds nothing we need)
if [ ! -f "$prefix/lib/libcjson.a" ]; then
	src=$(fetch cjson)
	echo "dist deps: cJSON from $src"
	mkdir -p "$prefix/include/cjson" "$deps/obj"
	cc -O2 -fPIC -std=c89 -c -o "$deps/obj/cJSON.o" "$src/cJSON.c"
	ar rcs "$prefix/lib/libcjson.a" "$deps/obj/cJSON.o"
	cp "$src/cJSON.h" "$prefix/include/cjson/"
fi

# curl: only what the plugin uses (HTTP(S) to the API server and to upstreams)
if [ ! -f "$prefix/lib/libcurl.a" ]; then
	src=$(fetch curl)
	echo "dist deps: curl from $src"
	b=$deps/build-curl
	rm -rf "$b" && mkdir -p "$b"
	# dpkg-source applied every Debian patch; the last two turn the tree into the
	# GnuTLS and NSS flavours, so take them off the way debian/rules does (quilt pop)
	if [ ! -f "$src/.kt-openssl-flavour" ]; then
		(cd "$src" && for p in 99_nss 90_gnutls; do patch -R -p1 -s <"debian/patches/$p.patch"; done \
			&& autoreconf -fi >"$deps/autoreconf.log" 2>&1 && touch .kt-openssl-flavour) \
			|| { echo "dist deps: preparing curl failed, see $deps/autoreconf.log" >&2; exit 1; }
	fi
	(cd "$b" && "$src/configure" --prefix="$prefix" --disable-shared --enable-static --with-pic \
		--with-openssl --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
		--disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
		--disable-ftp --disable-file --disable-manual --disable-docs --disable-ntlm --disable-ntlm-wb \
		--disable-alt-svc --disable-hsts --without-zlib --without-brotli --without-zstd \
		--without-libidn2 --without-libpsl --without-nghttp2 --without-nghttp3 --without-ngtcp2 \
		--without-libssh2 --without-libssh --without-librtmp --without-gssapi --without-libgsasl \
		--disable-websockets >"$b/configure.log" 2>&1) \
		|| { tail -30 "$b/configure.log" >&2; exit 1; }
	make -C "$b/lib" -j"$jobs" >"$b/make.log" 2>&1 || { tail -30 "$b/make.log" >&2; exit 1; }
	make -C "$b/lib" install >/dev/null
	make -C "$b/include" install >/dev/null
fi
touch "$prefix/.done"
echo "dist deps: done in $prefix"
