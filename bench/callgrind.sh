#!/usr/bin/env bash
# Client instructions per request under callgrind — deterministic, unlike timings on a shared machine.
# Two fixed -n runs with one engine thread; (instructions(N2) - instructions(N1)) / (N2 - N1), so start-up and
# shut-down cancel out. valgrind 3.19 cannot read Swift 6's DWARF, so a stripped copy of the binary is measured.
#
#   bench/callgrind.sh BARRAGE_BINARY URL CONNECTIONS [N1 N2]
#   e.g. bench/callgrind.sh .build/release/barrage http://127.0.0.1:8080/ 50 20000 60000
#
# BENCH_LIBCURL=8|DIR: the same on the system's libcurl and on the one in DIR (LD_LIBRARY_PATH; 8 = libcurl 8.14.1
# unpacked by .ci/libcurl8.sh), one line each and their ratio. CALLGRIND_CEILING=1 adds the bare-libcurl C ceiling
# (bench/curl-ceiling.c, CEILING_MODE=poll|epoll, default poll; its receive buffer 4 KB from 1,000 connections, as in
# `make bench`) on each: it runs for a duration, not a count, so its figure is
# (instructions(D2) - instructions(D1)) / (requests(D2) - requests(D1)) over CEILING_SECONDS="D1 D2" (default "2 6").
set -euo pipefail
bin=$1 url=$2 conns=$3 n1=${4:-20000} n2=${5:-60000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/barrage"
strip --strip-debug "$work/barrage"

alt=""
if [[ -n ${BENCH_LIBCURL:-} ]]; then
    if [[ $BENCH_LIBCURL == 8 ]]; then
        alt="$(dirname "$here")/.build-tools/libcurl8/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
        [[ -e $alt/libcurl.so.4 ]] || bash "$(dirname "$here")/.ci/libcurl8.sh" >&2 || true
    else
        alt=$BENCH_LIBCURL
    fi
    [[ -e $alt/libcurl.so.4 ]] || { echo "BENCH_LIBCURL: no libcurl.so.4 in $alt"; exit 2; }
fi

# total LIBDIR N: the instruction count of one barrage run of N requests ("" = the system's libcurl).
total() {
    local lib=$1 n=$2 out="$work/out.$RANDOM"
    env ${lib:+LD_LIBRARY_PATH="$lib"} valgrind --tool=callgrind --callgrind-out-file="$out" "$work/barrage" run "$url" \
        -c "$conns" -n "$n" --threads 1 --quiet --no-progress >/dev/null 2>"$out.err" || { cat "$out.err"; exit 1; }
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

# ceiling LIBDIR SECONDS: "instructions requests" of one C ceiling run.
ceiling() {
    local lib=$1 secs=$2 out="$work/ceil.$RANDOM"
    env ${lib:+LD_LIBRARY_PATH="$lib"} valgrind --tool=callgrind --callgrind-out-file="$out" "$work/curl-ceiling" \
        --mode "${CEILING_MODE:-poll}" --buffer $(( conns >= 1000 ? 4096 : 16384 )) --url "$url" -c "$conns" -d "$secs" >"$out.txt" 2>"$out.err" || { cat "$out.err"; exit 1; }
    printf '%s %s\n' "$(awk '/^(summary|totals):/ { print $2; exit }' "$out")" "$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$out.txt")"
}

version() { env ${1:+LD_LIBRARY_PATH="$1"} "$work/curl-ceiling" --version; }
cc -O2 -o "$work/curl-ceiling" "$here/curl-ceiling.c" -lcurl

libs=("")
[[ -n $alt ]] && libs+=("$alt")
declare -A per_request
for lib in "${libs[@]}"; do
    v=$(version "$lib")
    i1=$(total "$lib" "$n1")
    i2=$(total "$lib" "$n2")
    per_request[barrage$lib]=$(awk -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" 'BEGIN { printf "%.0f", (b - a) / (n2 - n1) }')
    awk -v i1="$i1" -v i2="$i2" -v n1="$n1" -v n2="$n2" -v c="$conns" -v v="$v" \
        'BEGIN { printf "libcurl %s, connections %d: %.0f instructions per request (%d requests: %.0f; %d requests: %.0f)\n", v, c, (i2 - i1) / (n2 - n1), n1, i1, n2, i2 }'
    if [[ ${CALLGRIND_CEILING:-0} == 1 ]]; then
        read -r d1 d2 <<< "${CEILING_SECONDS:-2 6}"
        read -r c1 r1 <<< "$(ceiling "$lib" "$d1")"
        read -r c2 r2 <<< "$(ceiling "$lib" "$d2")"
        per_request[ceiling$lib]=$(awk -v a="$c1" -v b="$c2" -v r1="$r1" -v r2="$r2" 'BEGIN { printf "%.0f", (b - a) / (r2 - r1) }')
        awk -v c1="$c1" -v c2="$c2" -v r1="$r1" -v r2="$r2" -v c="$conns" -v v="$v" -v d1="$d1" -v d2="$d2" -v m="${CEILING_MODE:-poll}" \
            'BEGIN { printf "libcurl %s, connections %d: C ceiling (%s) %.0f instructions per request (%d s: %d requests, %.0f; %d s: %d requests, %.0f)\n", v, c, m, (c2 - c1) / (r2 - r1), d1, r1, c1, d2, r2, c2 }'
    fi
done
if [[ -n $alt ]]; then
    for what in barrage ceiling; do
        a=${per_request[$what]:-} b=${per_request[$what$alt]:-}
        [[ -n $a && -n $b ]] || continue
        awk -v a="$a" -v b="$b" -v w="$what" -v s="$(version "")" -v t="$(version "$alt")" \
            'BEGIN { printf "%s: %s ÷ %s = %.3f (%.0f vs %.0f instructions per request)\n", w, t, s, b / a, b, a }'
    done
fi
