#!/usr/bin/env bash
# libcurl 8.14.1's GnuTLS flavour with HTTP/3 (ngtcp2 + nghttp3) and ngtcp2's HTTP/3 test server, from Debian's
# bookworm-backports, unpacked into .build-tools/libcurl-gnutls/ for the second build (`make release CURL=gnutls`) and
# its HTTP/3 test. Nothing on the system changes: a private sources file, package lists and download directory are
# passed to apt-get with -o, and the .debs are unpacked with dpkg -x (not installed). Their other dependencies
# (GnuTLS 3.7.9, nettle, nghttp2, libev, …) are Debian 12's own.
#
# Leaves in .build-tools/libcurl-gnutls/:
#   usr/lib/<multiarch>/  libcurl-gnutls.so.4 (8.14.1), libngtcp2.so.16, libngtcp2_crypto_gnutls.so.8, libnghttp3.so.9
#   usr/sbin/gtlsserver   ngtcp2's HTTP/3 server (GnuTLS), for the test
#   link/libcurl.so       -> the unpacked libcurl-gnutls.so.4: `-L link -lcurl` records NEEDED libcurl-gnutls.so.4
#   pkgconfig/libcurl.pc  a private pkg-config file naming link/ (PKG_CONFIG_PATH for the second build)
#
# Prints one line and exits 0 when backports cannot be reached, so `make test` goes on (the HTTP/3 test skips);
# `make release CURL=gnutls` checks for the library itself and stops there.
set -uo pipefail
cd "$(dirname "$0")/.."
dest=.build-tools/libcurl-gnutls
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
lib="$dest/usr/lib/$arch"
packages=(libcurl3-gnutls libngtcp2-16 libngtcp2-crypto-gnutls8 libnghttp3-9 ngtcp2-server)

write_links() {
    local abs
    abs="$(cd "$dest" && pwd)"
    mkdir -p "$dest/link" "$dest/pkgconfig"
    ln -sfn "../usr/lib/$arch/libcurl-gnutls.so.4" "$dest/link/libcurl.so"
    cat > "$dest/pkgconfig/libcurl.pc" <<EOF
# Written by .ci/libcurl-gnutls.sh: libcurl 8.14.1 (GnuTLS, HTTP/3) unpacked from bookworm-backports. The headers are
# the system's (7.88.1's API is the same; newer options are used by number).
libdir=$abs/link
Name: libcurl
Description: libcurl GnuTLS flavour with HTTP/3 (unpacked, private)
Version: 8.14.1
Libs: -L\${libdir} -lcurl
Cflags: -I/usr/include/$arch
EOF
}

if [ -e "$lib/libcurl-gnutls.so.4" ] && [ -x "$dest/usr/sbin/gtlsserver" ]; then write_links; exit 0; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/barrage-libcurl-gnutls.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The same archive host as the machine's own Debian source (deb.debian.org when none is found).
mirror=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources; sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' /etc/apt/sources.list; } 2>/dev/null \
    | awk '{ print $1 }' | grep -E '/debian/?$' | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/cache"
echo "deb ${mirror%/} bookworm-backports main" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Dir::Cache::Archives=$work/archives"
          -o Debug::NoLocking=1)
if ! apt-get "${apt_opts[@]}" update -qq >/dev/null 2>&1; then
    echo "warning: could not reach bookworm-backports; the GnuTLS build (HTTP/3) cannot be made and its test will be skipped"; exit 0
fi
version=$(apt-cache "${apt_opts[@]}" show libcurl3-gnutls 2>/dev/null | awk '/^Version: 8\./ { print $2; exit }')
if [ -z "$version" ]; then
    echo "warning: bookworm-backports has no libcurl3-gnutls 8.x; the GnuTLS build (HTTP/3) cannot be made"; exit 0
fi
wanted=("libcurl3-gnutls=$version")
for p in "${packages[@]:1}"; do wanted+=("$p/bookworm-backports"); done
if ! (cd "$work" && apt-get "${apt_opts[@]}" download "${wanted[@]}" >/dev/null 2>&1); then
    echo "warning: could not download ${wanted[*]}; the GnuTLS build (HTTP/3) cannot be made"; exit 0
fi
mkdir -p "$dest"
for p in "${packages[@]}"; do dpkg -x "$work/${p}"_*.deb "$dest" || exit 1; done
write_links
echo "libcurl3-gnutls $version, ngtcp2, nghttp3 and gtlsserver unpacked into $dest"
