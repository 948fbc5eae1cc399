#!/usr/bin/env bash
# Client instructions per request under callgrind — deterministic, unlike timings on a shared machine.
# Two fixed -n runs with one engine thread; (instructions(N2) - instructions(N1)) / (N2 - N1), so start-up and
# shut-down cancel out. valgrind 3.19 cannot read Swift 6's DWARF, so a stripped copy of the binary is measured.
#
#   bench/callgrind.sh BARRAGE_BINARY URL CONNECTIONS [N1 N2]
#   e.g. bench/callgrind.sh .build/release/barrage http://127.0.0.1:8080/ 50 20000 60000
set -euo pipefail
bin=$1 url=$2 conns=$3 n1=${4:-20000} n2=${5:-60000}
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/barrage"
strip --strip-debug "$work/barrage"
total() {
    valgrind --tool=callgrind --callgrind-out-file="$work/out.$1" "$work/barrage" run "$url" -c "$conns" -n "$1" \
        --threads 1 --quiet --no-progress >/dev/null 2>"$work/err.$1" || { cat "$work/err.$1"; exit 1; }
    awk '/^(summary|totals):/ { print $2; exit }' "$work/out.$1"
}
i1=$(total "$n1")
i2=$(total "$n2")
awk -v i1="$i1" -v i2="$i2" -v n1="$n1" -v n2="$n2" -v c="$conns" \
    'BEGIN { printf "connections %d: %.0f instructions per request (%d requests: %.0f; %d requests: %.0f)\n", c, (i2 - i1) / (n2 - n1), n1, i1, n2, i2 }'
