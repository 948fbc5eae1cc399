#!/usr/bin/env bash
# libcurl 8.14.1 (Debian bookworm-backports), unpacked into .build-tools/libcurl8/ for the second transport-test pass
# and for h2c. Nothing on the system changes: a private sources file, package lists and download directory are passed
# to apt-get with -o, and the .deb is unpacked with dpkg -x (not installed). Its dependencies (OpenSSL 3, nghttp2,
# zlib, …) are Debian 12's own. Run with LD_LIBRARY_PATH=.build-tools/libcurl8/usr/lib/x86_64-linux-gnu.
# Prints one line and exits 0 when backports cannot be reached, so `make test` goes on (those tests skip).
set -uo pipefail
cd "$(dirname "$0")/.."
dest=.build-tools/libcurl8
lib="$dest/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
if [ -e "$lib/libcurl.so.4" ]; then exit 0; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/barrage-libcurl8.XXXXXX")
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
    echo "warning: could not reach bookworm-backports; the libcurl 8 transport tests will be skipped"; exit 0
fi
version=$(apt-cache "${apt_opts[@]}" show libcurl4 2>/dev/null | awk '/^Version: 8\./ { print $2; exit }')
if [ -z "$version" ]; then
    echo "warning: bookworm-backports has no libcurl4 8.x; the libcurl 8 transport tests will be skipped"; exit 0
fi
if ! (cd "$work" && apt-get "${apt_opts[@]}" download "libcurl4=$version" >/dev/null 2>&1); then
    echo "warning: could not download libcurl4 $version; the libcurl 8 transport tests will be skipped"; exit 0
fi
mkdir -p "$dest" && dpkg -x "$work"/libcurl4_*.deb "$dest" && echo "libcurl4 $version unpacked into $dest"
