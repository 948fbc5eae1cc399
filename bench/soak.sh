#!/usr/bin/env bash
# Soak: a long run at a constant rate holds constant memory (issue: nothing lost, bounded memory).
# Runs `barrage run --rate RATE -d DURATION` against the embedded server on loopback and samples the client's RSS
# every 10 s; prints RSS at the start and the end and writes bench/results/soak.json.
# Usage: bench/soak.sh [RATE=2000] [DURATION=5m]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE="${1:-2000}"
DURATION="${2:-5m}"
SCRATCH="${SCRATCH:-.build-bench}"
swift build -c release --scratch-path "$SCRATCH" >/dev/null
BIN="$SCRATCH/release/barrage"
out="$(mktemp -d)"
"$BIN" serve --port 0 >"$out/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do url="$(sed -n 's/^listening on //p' "$out/serve.log" | head -n1)"; [ -n "$url" ] && break; sleep 0.1; done
[ -n "$url" ] || { echo "soak: the target server did not start"; exit 1; }
"$BIN" run "$url/" --rate "$RATE" -d "$DURATION" --max-in-flight 200 --json "$out/result.json" --quiet --no-progress >"$out/run.log" &
client=$!
samples=()
while kill -0 "$client" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$client/status" 2>/dev/null || true)
    [ -n "$rss" ] && samples+=("$rss") && echo "t=${#samples[@]}0s rss=${rss} kB"
    sleep 10
done
wait "$client"
first="${samples[0]:-0}"; last="${samples[${#samples[@]}-1]:-0}"
max=0; for s in "${samples[@]}"; do [ "$s" -gt "$max" ] && max=$s; done
mkdir -p bench/results
python3 - "$out/result.json" "$RATE" "$DURATION" "$first" "$last" "$max" "${samples[*]}" > bench/results/soak.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"rate": float(sys.argv[2]), "duration": sys.argv[3], "requests": r["requests"],
                  "rss_kb_first_sample": int(sys.argv[4]), "rss_kb_last_sample": int(sys.argv[5]), "rss_kb_max": int(sys.argv[6]),
                  "rss_kb_samples": [int(x) for x in sys.argv[7].split()], "latency_p99_us": r["latency_us"]["p99"]}, indent=2))
PY
echo "soak: ${RATE}/s for ${DURATION}: RSS ${first} kB at the start, ${last} kB at the end (max ${max} kB)"
cat bench/results/soak.json | head -12
