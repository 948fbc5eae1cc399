#!/usr/bin/env bash
# Starts the embedded target server on loopback, runs the main job against it, and stops the server.
set -euo pipefail
BIN="${BIN:-.build/release/barrage}"
OUT="${OUT:-barrage-demo}"
mkdir -p "$OUT"
log="$(mktemp)"
"$BIN" serve --host 127.0.0.1 --port 0 >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    url="$(sed -n 's/^listening on //p' "$log" | head -n1)"
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "demo: the target server did not start"; cat "$log"; exit 1; }
echo "demo: target server at $url"
"$BIN" run "$url/" -c 50 -d 5s --json "$OUT/result.json"
echo "demo: result written to $OUT/result.json"
