#!/usr/bin/env bash
# Builds the static libraries `make dist` links into a self-contained kubectl-kong_tls.
#   packaging/build-deps.sh DEPS_DIR [ARCH]      ARCH: amd64 (the host, default) or arm64
#
# Result: DEPS_DIR/prefix/{include,lib} (prefix-ARCH for a cross build) with libcurl.a
# (http/https only, OpenSSL, no ldap/gssapi/idn/psl/brotli/zstd/nghttp2/zlib/ssh) and
# libcjson.a, built from the Debian source packages of the running release. For the
# host, libssl.a, libcrypto.a and libyaml.a come from Debian's own -dev packages
# (libssl-dev, libyaml-dev ship them: the same sources, built by Debian); for arm64
# they are built from the Debian sources too, with the cross compiler
# (gcc-aarch64-linux-gnu). Debian's libcurl.a cannot be used: it needs GSSAPI, LDAP,
# RTMP, SSH... which have no static archives.
#
# Sources are fetched with `apt-get source` through a PRIVATE sources list and
# state/cache directories under DEPS_DIR, so the system's apt configuration is
# untouched. A finished build leaves DEPS_DIR/prefix/.done and is reused.
set -eu
deps=${1:?usage: build-deps.sh DEPS_DIR [ARCH]}
host_arch=$(dpkg --print-architecture)
arch=${2:-$host_arch}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
jobs=${JOBS:-2}
if [ "$arch" = "$host_arch" ]; then
	prefix=$deps/prefix cross= cc=${CC:-cc} ar=ar b=$deps
else
	case $arch in
	arm64) cross=aarch64-linux-gnu ossl_target=linux-aarch64 ;;
	*) echo "dist deps: no cross build for $arch" >&2; exit 1 ;;
	esac
	prefix=$deps/prefix-$arch cc=$cross-gcc ar=$cross-ar b=$deps/$arch
	command -v "$cc" >/dev/null || { echo "dist deps: $cc missing (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2; exit 1; }
fi
# Bump when the recipe changes: a finished build made by another recipe is redone.
recipe=2
[ "$(cat "$prefix/.done" 2>/dev/null)" = "$recipe" ] && { echo "dist deps: reusing $prefix"; exit 0; }
rm -rf "$prefix"
# The same sources give the same bytes wherever the clone is: __FILE__ (curl's error paths) and
# debug info name /kt-deps/..., not this directory.
repro=-ffile-prefix-map=$deps=/kt-deps

if [ -z "$cross" ]; then
	multiarch=$(gcc -print-multiarch)
	for a in libssl.a libcrypto.a libyaml.a; do
		[ -f "/usr/lib/$multiarch/$a" ] || { echo "dist deps: /usr/lib/$multiarch/$a missing (apt-get install libssl-dev libyaml-dev)" >&2; exit 1; }
	done
fi
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
	local pkg=$1 dir v
	dir=$(ls -d "$deps/src/$pkg"-*/ 2>/dev/null | head -n1 || true)
	if [ -z "$dir" ]; then
		# the newest version first; a mirror may list a version whose files are gone (404)
		if ! (cd "$deps/src" && apt-get "${aptopts[@]}" -qq source "$pkg" >&2); then
			for v in $(apt-cache "${aptopts[@]}" showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -rV); do
				echo "dist deps: retrying $pkg=$v" >&2
				(cd "$deps/src" && apt-get "${aptopts[@]}" -qq source "$pkg=$v" >&2) && break
			done
		fi
		dir=$(ls -d "$deps/src/$pkg"-*/ 2>/dev/null | head -n1 || true)
		[ -n "$dir" ] || { echo "dist deps: cannot fetch the source of $pkg" >&2; return 1; }
	fi
	echo "${dir%/}"
}

mkdir -p "$prefix/lib" "$prefix/include" "$b"

# cJSON: two files; compile cJSON.c directly (its CMake build adds nothing we need)
if [ ! -f "$prefix/lib/libcjson.a" ]; then
	src=$(fetch cjson)
	echo "dist deps: cJSON from $src"
	mkdir -p "$prefix/include/cjson" "$b/obj"
	"$cc" -O2 $repro -fPIC -std=c89 -c -o "$b/obj/cJSON.o" "$src/cJSON.c"
	"$ar" rcs "$prefix/lib/libcjson.a" "$b/obj/cJSON.o"
	cp "$src/cJSON.h" "$prefix/include/cjson/"
fi

# Cross builds only: OpenSSL (libs only; providers built in, no engines/modules to load
# at run time) and libyaml, which the host's -dev packages provide for the host only.
if [ -n "$cross" ] && [ ! -f "$prefix/lib/libcrypto.a" ]; then
	src=$(fetch openssl)
	echo "dist deps: OpenSSL from $src for $arch (several minutes)"
	rm -rf "$b/build-openssl" && mkdir -p "$b/build-openssl"
	(cd "$b/build-openssl" && "$src/Configure" "$ossl_target" --cross-compile-prefix="$cross-" \
		--prefix="$prefix" --libdir=lib --openssldir=/usr/lib/ssl no-shared no-module no-engine \
		no-tests no-legacy no-dso "$repro" >configure.log 2>&1 \
		&& make -j"$jobs" build_libs >make.log 2>&1 && make install_dev >install.log 2>&1) \
		|| { tail -30 "$b"/build-openssl/*.log >&2; exit 1; }
fi
if [ -n "$cross" ] && [ ! -f "$prefix/lib/libyaml.a" ]; then
	src=$(fetch libyaml)
	echo "dist deps: libyaml from $src for $arch"
	rm -rf "$b/build-yaml" && mkdir -p "$b/build-yaml"
	(cd "$src" && [ -x configure ] || autoreconf -fi >/dev/null 2>&1)
	(cd "$b/build-yaml" && "$src/configure" --host="$cross" --prefix="$prefix" --disable-shared --enable-static \
		--with-pic CFLAGS="-O2 $repro" >configure.log 2>&1 && make -j"$jobs" >make.log 2>&1 && make install >install.log 2>&1) \
		|| { tail -30 "$b"/build-yaml/*.log >&2; exit 1; }
fi

# curl: only what the plugin uses (HTTP(S) to the API server and to upstreams)
if [ ! -f "$prefix/lib/libcurl.a" ]; then
	src=$(fetch curl)
	echo "dist deps: curl from $src"
	bc=$b/build-curl
	rm -rf "$bc" && mkdir -p "$bc"
	# dpkg-source applied every Debian patch; the last two turn the tree into the
	# GnuTLS and NSS flavours, so take them off the way debian/rules does (quilt pop)
	if [ ! -f "$src/.kt-openssl-flavour" ]; then
		(cd "$src" && for p in 99_nss 90_gnutls; do patch -R -p1 -s <"debian/patches/$p.patch"; done \
			&& autoreconf -fi >"$deps/autoreconf.log" 2>&1 && touch .kt-openssl-flavour) \
			|| { echo "dist deps: preparing curl failed, see $deps/autoreconf.log" >&2; exit 1; }
	fi
	ssl=--with-openssl hostopt=
	[ -z "$cross" ] || ssl=--with-openssl="$prefix" hostopt=--host=$cross
	(cd "$bc" && "$src/configure" $hostopt --prefix="$prefix" --disable-shared --enable-static --with-pic \
		"$ssl" --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
		--disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
		--disable-ftp --disable-file --disable-manual --disable-docs --disable-ntlm --disable-ntlm-wb \
		--disable-alt-svc --disable-hsts --without-zlib --without-brotli --without-zstd \
		--without-libidn2 --without-libpsl --without-nghttp2 --without-nghttp3 --without-ngtcp2 \
		--without-libssh2 --without-libssh --without-librtmp --without-gssapi --without-libgsasl \
		--disable-websockets CFLAGS="-O2 $repro" >"$bc/configure.log" 2>&1) \
		|| { tail -30 "$bc/configure.log" >&2; exit 1; }
	make -C "$bc/lib" -j"$jobs" >"$bc/make.log" 2>&1 || { tail -30 "$bc/make.log" >&2; exit 1; }
	make -C "$bc/lib" install >/dev/null
	make -C "$bc/include" install >/dev/null
fi
echo "$recipe" >"$prefix/.done"
echo "dist deps: done in $prefix"
